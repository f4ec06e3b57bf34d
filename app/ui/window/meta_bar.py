"""The poem's meta bar: title, author and tags in a row; notes in a box that opens below."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.storage.records import PoemData
from app.ui.document import format_tags, parse_tags
from app.ui.i18n import Tr


class PoemMetaBar(QWidget):
    """Title, author and tags in a row; notes in a box that opens below."""

    edited = Signal()

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title_edit = QLineEdit()
        self.title_edit.setObjectName("poem-title")
        self.title_edit.setPlaceholderText(tr("题目", "Title"))
        self.author_edit = QLineEdit()
        self.author_edit.setObjectName("poem-author")
        self.author_edit.setPlaceholderText(tr("作者", "Author"))
        self.tags_edit = QLineEdit()
        self.tags_edit.setObjectName("poem-tags")
        self.tags_edit.setPlaceholderText(tr("标签（逗号分隔）", "Tags (comma separated)"))
        self.notes_button = QToolButton()
        self.notes_button.setText(tr("附注", "Notes"))
        self.notes_button.setCheckable(True)
        self.notes_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setObjectName("poem-notes")
        self.notes_edit.setPlaceholderText(tr("附注：本事、出处、修改思路……", "Notes"))
        self.notes_edit.setMaximumHeight(110)
        self.notes_edit.setVisible(False)
        self.notes_button.toggled.connect(self.notes_edit.setVisible)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.title_edit, 3)
        row.addWidget(self.author_edit, 1)
        row.addWidget(self.tags_edit, 2)
        row.addWidget(self.notes_button)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 4, 6, 0)
        outer.addLayout(row)
        outer.addWidget(self.notes_edit)
        self._loading = False
        for edit in (self.title_edit, self.author_edit, self.tags_edit):
            edit.textEdited.connect(self._changed)
        self.notes_edit.textChanged.connect(self._changed)

    def _changed(self, *_: object) -> None:
        if not self._loading:
            self.edited.emit()

    def load(self, data: PoemData) -> None:
        self._loading = True
        try:
            self.title_edit.setText(data.title)
            self.author_edit.setText(data.author)
            self.tags_edit.setText(format_tags(data.tags))
            self.notes_edit.setPlainText(data.notes)
            self.notes_button.setChecked(bool(data.notes))
        finally:
            self._loading = False

    def values(self) -> tuple[str, str, tuple[str, ...], str]:
        """(title, author, tags, notes)."""
        return (
            self.title_edit.text(),
            self.author_edit.text(),
            parse_tags(self.tags_edit.text()),
            self.notes_edit.toPlainText(),
        )
