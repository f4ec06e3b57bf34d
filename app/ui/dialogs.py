"""Small pieces the window's menus share: a list to choose from, file questions.

:class:`ChoiceDialog` is non-blocking (``open()``, then ``chosen(object)``), so the
window never waits inside a nested event loop and tests drive it like a user.
:class:`FileQuestions` asks where to save or which folder; a test (or a script)
replaces its ``save_path`` / ``folder`` callables, the way ``LibraryPanel.confirm`` is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.folders import Purpose, RecentFolders, ask_folder, ask_save_path
from app.ui.i18n import Tr

_DATA = Qt.ItemDataRole.UserRole


class ChoiceDialog(QDialog):
    """Choose one of ``items`` (label, value); ``chosen(value)`` on OK or double-click."""

    chosen = Signal(object)

    def __init__(
        self,
        title: str,
        prompt: str,
        items: Sequence[tuple[str, object]],
        tr: Tr,
        *,
        empty_text: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("choice-dialog")
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.list = QListWidget()
        self.list.setObjectName("choice-list")
        for label, value in items:
            item = QListWidgetItem(label)
            item.setData(_DATA, value)
            self.list.addItem(item)
        if items:
            self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setEnabled(bool(items))
        layout = QVBoxLayout(self)
        self.prompt = QLabel(prompt if items else (empty_text or prompt))
        self.prompt.setWordWrap(True)
        layout.addWidget(self.prompt)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.buttons)
        self.resize(460, 360)

    def values(self) -> list[object]:
        return [self.list.item(i).data(_DATA) for i in range(self.list.count())]

    def labels(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def select(self, value: object) -> bool:
        for i in range(self.list.count()):
            if self.list.item(i).data(_DATA) == value:
                self.list.setCurrentRow(i)
                return True
        return False

    def current_value(self) -> object | None:
        item = self.list.currentItem()
        value: object = item.data(_DATA) if item is not None else None
        return value

    def accept(self) -> None:
        value = self.current_value()
        if value is None:
            return
        super().accept()
        self.chosen.emit(value)


SavePath = Callable[[QWidget, str, str, str], Path | None]  # (parent, title, start, filter)
Folder = Callable[[QWidget, str], Path | None]


class FileQuestions:
    """Where to save, which folder: the platform's file dialogs (opening in the last
    folder used for ``purpose``), replaceable."""

    def __init__(self, folders: RecentFolders | None = None, purpose: Purpose = "export") -> None:
        self.save_path: SavePath = lambda parent, title, start, filters: ask_save_path(
            parent, title, start, filters, folders, purpose
        )
        self.folder: Folder = lambda parent, title: ask_folder(parent, title, folders, purpose)
