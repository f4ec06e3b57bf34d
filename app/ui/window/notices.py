"""Banners below the editor: things the user should know, without a modal dialog.

They sit under the editor, not above the title row, so that a notice appearing or
going never moves the fields the user is working in.

Each notice has a key (showing a notice with the same key replaces it), a
level (info, warning, error) that sets its colours, optional action buttons and
a close button. Used for restored drafts, storage trouble, settings notices,
missing fonts.

A notice about one poem (a restored draft, a restored revision with 撤销恢复, the
generated poem's 回到刚才的诗) is shown with ``document=`` that poem's document:
it belongs to it and goes away as soon as another document is shown
(:meth:`NoticeBar.document_shown`), so its buttons never act on a poem that is
not on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.ui.i18n import Tr

Level = Literal["info", "warning", "error"]

_COLOURS: dict[str, tuple[str, str, str]] = {  # background, border, text (light-on-dark safe)
    "info": ("#e6f0fa", "#7aa7d6", "#12314f"),
    "warning": ("#fff4d6", "#d9a53a", "#4a3300"),
    "error": ("#fde4e1", "#d46a5c", "#5a130b"),
}


class Notice(QFrame):
    closed = Signal(str)

    def __init__(
        self,
        key: str,
        text: str,
        level: Level,
        actions: Sequence[tuple[str, Callable[[], None]]],
        tr: Tr,
        parent: QWidget | None = None,
        *,
        document: object | None = None,
    ) -> None:
        super().__init__(parent)
        self.key = key
        self.level = level
        self.document = document  # the document it is about (None: the whole window)
        self.setObjectName(f"notice-{key}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        background, border, colour = _COLOURS[level]
        self.setStyleSheet(
            f"Notice {{ background: {background}; border: 1px solid {border}; "
            f"border-radius: 4px; }} QLabel {{ color: {colour}; }}"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.label, 1)
        self.buttons: list[QPushButton] = []
        for title, action in actions:
            button = QPushButton(title)
            button.clicked.connect(action)
            button.clicked.connect(self._close)
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
            self.buttons.append(button)
        close = QPushButton("✕")
        close.setFlat(True)
        close.setToolTip(tr("关闭", "Close"))
        close.setFixedWidth(28)
        close.clicked.connect(self._close)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)

    @property
    def text(self) -> str:
        return self.label.text()

    def _close(self) -> None:
        self.closed.emit(self.key)


class NoticeBar(QWidget):
    """A vertical stack of :class:`Notice` banners; hidden when empty."""

    notice_shown = Signal(str, str)  # key, text

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tr = tr
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(6, 0, 6, 4)
        self._layout.setSpacing(4)
        self._notices: dict[str, Notice] = {}
        self.setVisible(False)

    def show_notice(
        self,
        key: str,
        text: str,
        *,
        level: Level = "info",
        actions: Sequence[tuple[str, Callable[[], None]]] = (),
        timeout_ms: int = 0,
        document: object | None = None,
    ) -> Notice:
        """Show (or replace) the notice ``key``; ``timeout_ms`` > 0 closes it by itself;
        ``document``: the document it is about (it goes when another one is shown)."""
        self.dismiss(key)
        notice = Notice(key, text, level, actions, self._tr, self, document=document)
        notice.closed.connect(self.dismiss)
        self._notices[key] = notice
        self._layout.addWidget(notice)
        self.setVisible(True)
        if timeout_ms > 0:
            QTimer.singleShot(timeout_ms, notice, lambda: self._expire(notice))
        self.notice_shown.emit(key, text)
        return notice

    def _expire(self, notice: Notice) -> None:
        if self._notices.get(notice.key) is notice:
            self.dismiss(notice.key)

    def dismiss(self, key: str) -> None:
        notice = self._notices.pop(key, None)
        if notice is not None:
            notice.hide()
            notice.deleteLater()
        self.setVisible(bool(self._notices))

    def document_shown(self, document: object) -> None:
        """``document`` is now on screen: the notices about any other document go."""
        for key, notice in list(self._notices.items()):
            if notice.document is not None and notice.document is not document:
                self.dismiss(key)

    def notice(self, key: str) -> Notice | None:
        return self._notices.get(key)

    def texts(self) -> dict[str, str]:
        """Key → text of every notice shown now."""
        return {key: notice.text for key, notice in self._notices.items()}
