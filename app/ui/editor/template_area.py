"""The template column beside the text: ⊙平⊙仄仄平平 per verse line, row by row.

Like a line-number area: a child of the editor drawn in its left viewport
margin, one row per block, each template glyph coloured as the tone it asks
for (⊙ muted). A block holding a whole couplet shows both templates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEvent, QPixmap
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
        self._texts: list[str] = []
        self._palette = LIGHT
        self._width = 0
        self._font: QFont | None = None
        self._pixmaps: dict[tuple[str, int], QPixmap] = {}  # (row text, line height) → image
        self.setObjectName("templateArea")

    # ------------------------------------------------------------------ content
    def set_rows(self, rows: list[tuple[TemplateRow, ...]]) -> None:
        if rows == self._rows:
            return
        self._rows = rows
        cache: dict[tuple[TemplateRow, ...], str] = {}
        texts = []
        for r in rows:  # few distinct rows in any poem: join each once
            t = cache.get(r)
            if t is None:
                t = cache[r] = row_text(r)
            texts.append(t)
        self._texts = texts
        self._width = self._compute_width()
        self.update()

    def rows(self) -> list[tuple[TemplateRow, ...]]:
        return self._rows

    def text_of_block(self, block_number: int) -> str:
        if 0 <= block_number < len(self._texts):
            return self._texts[block_number]
        return ""

    def set_palette(self, palette: TonePalette) -> None:
        self._palette = palette
        self._pixmaps.clear()
        self.update()

    def template_font(self) -> QFont:
        if self._font is None:
            font = QFont(self._editor.font())
            size = font.pointSizeF()
            if size > 0:
                font.setPointSizeF(max(6.0, size * 0.62))
            else:
                font.setPixelSize(max(8, int(font.pixelSize() * 0.62)))
            self._font = font
        return self._font

    def _compute_width(self) -> int:
        longest = max((len(t) for t in set(self._texts)), default=0)
        if longest == 0:
            return 0
        fm = QFontMetricsF(self.template_font())
        return int(fm.horizontalAdvance("平") * longest + 14)

    def area_width(self) -> int:
        return self._width

    def refresh_width(self) -> None:
        """The editor font changed: measure again."""
        self._font = None
        self._pixmaps.clear()
        self._width = self._compute_width()

    def sizeHint(self) -> QSize:
        return QSize(self._width, 0)

    # ------------------------------------------------------------------ painting
    def _row_pixmap(self, text: str, line_h: float) -> QPixmap:
        """One row, drawn once per (text, height): a poem has few distinct rows."""
        key = (text, int(line_h))
        pix = self._pixmaps.get(key)
        if pix is not None:
            return pix
        font = self.template_font()
        fm = QFontMetricsF(font)
        advance = fm.horizontalAdvance("平")
        ratio = self.devicePixelRatioF()
        pix = QPixmap(int((advance * len(text) + 8) * ratio) + 1, int(line_h * ratio) + 1)
        pix.setDevicePixelRatio(ratio)
        pix.fill(Qt.GlobalColor.transparent)
        pal = self._palette
        colours = {
            Level.PING.value: QColor(pal.ping),
            Level.ZE.value: QColor(pal.ze),
            Level.FREE.value: QColor(pal.free),
        }
        muted = QColor(pal.muted)
        painter = QPainter(pix)
        painter.setFont(font)
        x = 0.0
        for ch in text:
            painter.setPen(colours.get(ch, muted))
            painter.drawText(
                QRectF(x, 0.0, advance, line_h),
                int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter),
                ch,
            )
            x += advance
        painter.end()
        if len(self._pixmaps) > 256:
            self._pixmaps.clear()
        self._pixmaps[key] = pix
        return pix

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        pal = self._palette
        painter.fillRect(event.rect(), QColor(pal.template_bg))
        if not self._texts:
            return
        fm = QFontMetricsF(self.template_font())
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
                    painter.drawPixmap(QPointF(6.0, top), self._row_pixmap(text, line_h))
            block = block.next()
        painter.end()
