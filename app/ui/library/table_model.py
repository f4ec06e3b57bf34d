"""The table behind the library list: one row per stored poem."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from app.storage.records import PoemRecord
from app.ui.i18n import Tr

_Index = QModelIndex | QPersistentModelIndex

COLUMNS = ("title", "form", "rhyme", "score", "updated")


def poem_title(record: PoemRecord, tr: Tr) -> str:
    """The title, or the first line of the text when untitled."""
    if record.title.strip():
        return record.title.strip()
    return poem_name(record.text, tr)


def poem_name(text: str, tr: Tr) -> str:
    """An untitled poem's name: the start of its first line."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return f"{first[:12]}…" if first else tr("（无题）", "(untitled)")


def local_time(when: datetime) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def short_time(when: datetime, now: datetime | None = None) -> str:
    """``11-22 10:31`` this year, ``2024-05-01`` before (the list column is narrow)."""
    local = when.astimezone()
    current = (now or datetime.now(UTC)).astimezone()
    return (
        local.strftime("%m-%d %H:%M") if local.year == current.year else local.strftime("%Y-%m-%d")
    )


class PoemTableModel(QAbstractTableModel):
    """Read-only rows of :class:`PoemRecord`; replaced wholesale on each query."""

    ID_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, tr: Tr, parent: Any = None) -> None:
        super().__init__(parent)
        self._tr = tr
        self._rows: list[PoemRecord] = []
        self._headers = (
            tr("题目", "Title"),
            tr("诗体", "Form"),
            tr("韵部", "Rhyme"),
            tr("评分", "Score"),
            tr("修改时间", "Modified"),
        )

    def set_records(self, records: list[PoemRecord]) -> None:
        self.beginResetModel()
        self._rows = list(records)
        self.endResetModel()

    def records(self) -> list[PoemRecord]:
        return list(self._rows)

    def record(self, row: int) -> PoemRecord | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, poem_id: int) -> int:
        for row, record in enumerate(self._rows):
            if record.id == poem_id:
                return row
        return -1

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        record = self.record(index.row())
        if record is None:
            return None
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(record, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [poem_title(record, self._tr)]
            if record.author:
                lines.append(record.author)
            lines.append(record.text.strip())
            lines.append(self._tr("修改于 ", "Modified ") + local_time(record.updated_at))
            if record.tags:
                lines.append(self._tr("标签：", "Tags: ") + "，".join(record.tags))
            return "\n".join(lines)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == "score":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == self.ID_ROLE:
            return record.id
        return None

    def _display(self, record: PoemRecord, column: str) -> str:
        if column == "title":
            return poem_title(record, self._tr)
        if column == "form":
            return record.form or "—"
        if column == "rhyme":
            return record.rhyme_group or "—"
        if column == "score":
            total = record.scores.total
            return "—" if total is None else f"{total:.0f}"
        when = record.deleted_at if record.deleted_at is not None else record.updated_at
        return short_time(when)
