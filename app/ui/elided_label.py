"""A one-line label that gives up width gracefully: its text is elided (…) when the
layout has less room than the text needs, and the whole text is in its tooltip.

A plain QLabel's minimum width is its text's width, so a row of them (the English
header over the editor) can force a window wider than a laptop's screen.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    def __init__(self, parent: QWidget | None = None, *, min_chars: int = 3) -> None:
        super().__init__(parent)
        self._min_chars = min_chars
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text if text else "")

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        if not self.text():
            return hint
        metrics = self.fontMetrics()
        shortest = metrics.horizontalAdvance(self.text()[: self._min_chars] + "…")
        return QSize(min(hint.width(), shortest), hint.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        metrics = self.fontMetrics()
        room = self.contentsRect().width()
        if metrics.horizontalAdvance(self.text()) <= room:
            super().paintEvent(event)
            return
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        shown = metrics.elidedText(self.text(), Qt.TextElideMode.ElideRight, room)
        painter.drawText(self.contentsRect(), int(self.alignment()), shown)
