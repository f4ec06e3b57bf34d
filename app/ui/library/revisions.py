"""Browse a poem's revisions with their text and what restoring each would change.

Every save that changed something left a revision. The dialog shows the chosen
revision's text, and beside it (the 与当前版本比较 tab) its difference from the
current version (:mod:`app.ui.library.diff`). Choosing one and pressing
恢复 emits ``restore_requested``; the window saves unsaved edits first, then
restores (which is itself a save, so the restore can be undone by restoring
the revision before it — the window offers that in a notice).
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.storage.records import RevisionRecord
from app.ui.i18n import Tr
from app.ui.library import ops
from app.ui.library.client import LibraryClient
from app.ui.library.diff import changes_html
from app.ui.library.table_model import local_time

_REASONS = {
    "create": ("新建", "created"),
    "save": ("保存", "saved"),
    "restore": ("恢复", "restored"),
    "migrate": ("升级", "upgraded"),
}


def revision_label(revision: RevisionRecord, tr: Tr) -> str:
    zh, en = _REASONS.get(revision.reason, (revision.reason, revision.reason))
    score = revision.scores.total
    scored = "" if score is None else f" · {score:.0f}"
    return f"{local_time(revision.created_at)} · {tr(zh, en)}{scored}"


class RevisionsDialog(QDialog):
    """The revisions of one poem, newest first."""

    restore_requested = Signal(object)  # RevisionRecord
    loaded = Signal(list)  # the revisions shown

    def __init__(
        self,
        library: LibraryClient,
        poem_id: int,
        tr: Tr,
        *,
        poem_font: object = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._library = library
        self._poem_id = poem_id
        self._tr = tr
        self._revisions: list[RevisionRecord] = []
        self.setWindowTitle(tr("修订历史", "Revisions"))
        self.resize(720, 460)

        self.list = QListWidget()
        self.list.setObjectName("revisions-list")
        self.preview = QPlainTextEdit()
        self.preview.setObjectName("revision-text")
        self.preview.setReadOnly(True)
        if poem_font is not None:
            self.preview.setFont(poem_font)  # type: ignore[arg-type]
        self.meta = QLabel()
        self.meta.setWordWrap(True)
        self.meta.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.meta)
        self.diff = QTextBrowser()
        self.diff.setObjectName("revision-diff")
        self.diff.setOpenLinks(False)
        if poem_font is not None:
            self.diff.setFont(poem_font)  # type: ignore[arg-type]
        self.tabs = QTabWidget()
        self.tabs.addTab(self.preview, tr("此版本", "This version"))
        self.tabs.addTab(self.diff, tr("与当前版本比较", "Compared with now"))
        right_layout.addWidget(self.tabs, 1)
        splitter = QSplitter()
        splitter.addWidget(self.list)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 2)

        self.restore_button = QPushButton(tr("恢复此版本", "Restore this version"))
        self.restore_button.setEnabled(False)
        self.status = QLabel(tr("正在读取……", "Loading…"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.restore_button)
        row.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(row)

        self._chose_tab = False  # the reader picked a tab: keep it
        self.tabs.tabBarClicked.connect(self._tab_clicked)
        self.list.currentRowChanged.connect(self._show)
        self.restore_button.clicked.connect(self._restore)
        self.reload()

    def reload(self) -> None:
        self._library.call(
            ops.revisions, self._poem_id, on_result=self._fill, on_error=self._failed
        )

    def _failed(self, exc: BaseException) -> None:
        message = getattr(exc, "message", None)
        self.status.setText(message.text(self._tr.language) if message else str(exc))

    def _fill(self, revisions: list[RevisionRecord]) -> None:
        self._revisions = revisions
        self.list.clear()
        for index, revision in enumerate(revisions):
            label = revision_label(revision, self._tr)
            if index == 0:
                label += self._tr("（当前）", " (current)")
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, revision.id)
            self.list.addItem(item)
        self.status.setText(
            self._tr(f"共 {len(revisions)} 个版本", f"{len(revisions)} revision(s)")
        )
        if revisions:
            self.list.setCurrentRow(0)
        self.loaded.emit(revisions)

    def revisions(self) -> list[RevisionRecord]:
        return list(self._revisions)

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self._revisions):
            self.preview.clear()
            self.diff.clear()
            self.restore_button.setEnabled(False)
            return
        revision = self._revisions[row]
        self.preview.setPlainText(revision.text)
        self.diff.setHtml(changes_html(revision, self._revisions[0], self._tr))
        if row > 0 and self.tabs.currentIndex() == 0 and not self._chose_tab:
            self.tabs.setCurrentWidget(self.diff)  # an older version: show what it changes
        title = escape(revision.title or self._tr("（无题）", "(untitled)"))
        parts = [f"<b>{title}</b>"]
        parts += [escape(v) for v in (revision.author, revision.form, revision.rhyme_group) if v]
        if revision.tags:
            parts.append(escape(self._tr("标签：", "Tags: ") + "，".join(revision.tags)))
        meta = " · ".join(parts)
        if revision.notes:
            meta += "<br>" + escape(revision.notes).replace("\n", "<br>")
        self.meta.setText(meta)
        self.restore_button.setEnabled(row > 0)

    def _tab_clicked(self, _index: int) -> None:
        self._chose_tab = True

    def select_revision(self, revision_id: int) -> bool:
        for row, revision in enumerate(self._revisions):
            if revision.id == revision_id:
                self.list.setCurrentRow(row)
                return True
        return False

    def _restore(self) -> None:
        row = self.list.currentRow()
        if 0 < row < len(self._revisions):
            self.restore_requested.emit(self._revisions[row])
            self.accept()
