"""The template column beside the text: ⊙平⊙仄仄平平 per verse line, row by row.

Like a line-number area: a child of the editor drawn in its left viewport
margin, one row per block, each template glyph coloured as the tone it asks
for (⊙ muted). A block holding a whole couplet shows both templates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from app.prosody.tones import Level
from app.ui.editor.palette import LIGHT, TonePalette
from app.ui.editor.records import TemplateRow

if TYPE_CHECKING:
    from app.ui.editor.text_edit import PoemTextEdit

MAX_GLYPHS = 15  # a couplet of 七言 lines and a gap; longer rows are cut with …
_GAP = "　"


def row_text(rows: Sequence[TemplateRow]) -> str:
    """The text a block's template cell shows."""
    text = _GAP.join("".join(level.value for level in row) for row in rows if row)
    if len(text) > MAX_GLYPHS:
        text = text[: MAX_GLYPHS - 1] + "…"
    return text


class TemplateArea(QWidget):
    def __init__(self, editor: PoemTextEdit) -> None:
        super().__init__(editor)
        self._editor = editor
        self._rows: list[tuple[TemplateRow, ...]] = []
        self._palette = LIGHT
        self._width = 0
        self.setObjectName("templateArea")

    # ------------------------------------------------------------------ content
    def set_rows(self, rows: list[tuple[TemplateRow, ...]]) -> None:
        self._rows = rows
        self._width = self._compute_width()
        self.update()

    def rows(self) -> list[tuple[TemplateRow, ...]]:
        return self._rows

    def text_of_block(self, block_number: int) -> str:
        if 0 <= block_number < len(self._rows):
            return row_text(self._rows[block_number])
        return ""

    def set_palette(self, palette: TonePalette) -> None:
        self._palette = palette
        self.update()

    def template_font(self) -> QFont:
        font = QFont(self._editor.font())
        size = font.pointSizeF()
        if size > 0:
            font.setPointSizeF(max(6.0, size * 0.62))
        else:
            font.setPixelSize(max(8, int(font.pixelSize() * 0.62)))
        return font

    def _compute_width(self) -> int:
        longest = max((len(row_text(r)) for r in self._rows), default=0)
        if longest == 0:
            return 0
        fm = QFontMetricsF(self.template_font())
        return int(fm.horizontalAdvance("平") * longest + 14)

    def area_width(self) -> int:
        return self._width

    def refresh_width(self) -> None:
        """The editor font changed: measure again."""
        self._width = self._compute_width()

    def sizeHint(self) -> QSize:
        return QSize(self._width, 0)

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        pal = self._palette
        painter.fillRect(event.rect(), QColor(pal.template_bg))
        if not self._rows:
            return
        font = self.template_font()
        painter.setFont(font)
        fm = QFontMetricsF(font)
        advance = fm.horizontalAdvance("平")
        colours = {
            Level.PING.value: QColor(pal.ping),
            Level.ZE.value: QColor(pal.ze),
            Level.FREE.value: QColor(pal.free),
        }
        muted = QColor(pal.muted)
        editor = self._editor
        block = editor.firstVisibleBlock()
        offset = editor.contentOffset()
        bottom_limit = event.rect().bottom()
        while block.isValid():
            geo = editor.blockBoundingGeometry(block).translated(offset)
            if geo.top() > bottom_limit:
                break
            if block.isVisible() and geo.bottom() >= event.rect().top():
                text = self.text_of_block(block.blockNumber())
                if text:
                    layout = block.layout()
                    line_h = layout.lineAt(0).height() if layout.lineCount() else fm.height()
                    top = geo.top() + layout.position().y()
                    x = 6.0
                    for ch in text:
                        painter.setPen(colours.get(ch, muted))
                        painter.drawText(
                            QRectF(x, top, advance, line_h),
                            int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter),
                            ch,
                        )
                        x += advance
            block = block.next()
        painter.end()
