"""The text widget: a ``QPlainTextEdit`` with the template column, rhyme/pin marks,
character tooltips, the Ctrl+click / F2 popup request and plain-text-only input.

It knows nothing of the checker: the pane gives it callables (``record_source``,
``tooltip_source``, ``menu_source``) and listens to its signals.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextBlock,
    QTextCursor,
)
from PySide6.QtWidgets import QMenu, QPlainTextEdit, QToolTip, QWidget

from app.prosody.text import is_han
from app.ui.editor.formats import tone_color
from app.ui.editor.keys import ToneClass
from app.ui.editor.overlay import draw_pin_corner, draw_rhyme_box, draw_ru_mark
from app.ui.editor.palette import LIGHT, TonePalette
from app.ui.editor.positions import block_utf16_starts
from app.ui.editor.records import Record
from app.ui.editor.template_area import TemplateArea

RecordSource = Callable[[int], Record | None]
BeforePaint = Callable[[int, int], object]  # (first, last) visible block numbers
TooltipSource = Callable[[int], str | None]
MenuSource = Callable[[QMenu, int | None], None]


def normalize_newlines(text: str) -> str:
    """One line break: ``\\n`` (so document blocks and the text's lines agree)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\u2028", "\n").replace("\u2029", "\n")


def _x_of(result: object) -> float:
    """``QTextLine.cursorToX`` returns ``(x, position)`` in PySide6."""
    if isinstance(result, tuple):
        return float(result[0])
    return float(result)  # type: ignore[arg-type]


class PoemTextEdit(QPlainTextEdit):
    """Signals: ``popup_requested(position)`` (Ctrl+click, F2, Ctrl+Space) and
    ``finding_step(forward)`` (F8 / Shift+F8)."""

    popup_requested = Signal(int)
    finding_step = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("poemText")
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setTabChangesFocus(True)
        self.template_area = TemplateArea(self)
        self.record_source: RecordSource = lambda _bn: None
        self.tooltip_source: TooltipSource = lambda _pos: None
        self.menu_source: MenuSource | None = None
        self.before_paint: BeforePaint | None = None
        self._preparing = False
        self._palette = LIGHT
        self.updateRequest.connect(self._on_update_request)

    # ------------------------------------------------------------------ look
    def set_palette(self, palette: TonePalette) -> None:
        self._palette = palette
        self.template_area.set_palette(palette)
        self.viewport().update()

    def set_template_rows(self, rows: list[tuple[tuple[object, ...], ...]]) -> None:
        self.template_area.set_rows(rows)  # type: ignore[arg-type]
        self._sync_margins()

    def _sync_margins(self) -> None:
        width = self.template_area.area_width()
        if self.viewportMargins().left() != width:
            self.setViewportMargins(width, 0, 0, 0)
        self._place_template_area()

    def _place_template_area(self) -> None:
        cr = self.contentsRect()
        self.template_area.setGeometry(
            QRect(cr.left(), cr.top(), self.template_area.area_width(), cr.height())
        )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.template_area.refresh_width()
            self._sync_margins()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_template_area()

    def visible_blocks(self, margin: int = 0) -> tuple[int, int]:
        """First and last block numbers in the viewport (every block takes at least one
        row, so the last may be a little past the bottom), widened by ``margin``."""
        first = self.firstVisibleBlock().blockNumber()
        rows = self.viewport().height() // max(1, self.fontMetrics().lineSpacing()) + 1
        return first - margin, first + rows + margin

    def near_blocks(self) -> tuple[int, int]:
        """Blocks worth painting as soon as they change: the visible ones and a margin."""
        return self.visible_blocks(40)

    def _prepare_paint(self) -> None:
        if self.before_paint is not None and not self._preparing:
            self._preparing = True  # re-highlighting asks for updates: do not recurse
            try:
                self.before_paint(*self.visible_blocks())
            finally:
                self._preparing = False

    def _on_update_request(self, rect: QRect, dy: int) -> None:
        self._prepare_paint()
        if dy:
            self.template_area.scroll(0, dy)
        else:
            self.template_area.update(0, rect.y(), self.template_area.width(), rect.height())

    # ------------------------------------------------------------------ geometry
    def char_rect(self, position: int) -> QRectF | None:
        """The viewport rectangle of the character at a document position."""
        block = self.document().findBlock(position)
        if not block.isValid():
            return None
        return self._char_rect_in(block, position - block.position(), 1, None)

    def _paint_ru_mark(
        self, painter: QPainter, block: QTextBlock, rel: int, rect: QRectF, pal: TonePalette
    ) -> None:
        layout = block.layout()
        line = layout.lineForTextPosition(rel) if layout is not None else None
        if line is None or not line.isValid():
            return
        baseline = rect.top() + line.ascent()
        metrics = QFontMetricsF(self._bold_font())
        draw_ru_mark(painter, rect.left(), rect.right(), baseline, metrics, pal.ru)

    def _bold_font(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        return font

    def _char_rect_in(
        self, block: QTextBlock, rel: int, length: int, top: float | None
    ) -> QRectF | None:
        layout = block.layout()
        if layout is None or layout.lineCount() == 0 or rel >= block.length() - 1:
            return None
        line = layout.lineForTextPosition(rel)
        if not line.isValid():
            return None
        if top is None:
            top = self.blockBoundingGeometry(block).translated(self.contentOffset()).top()
        x1 = _x_of(line.cursorToX(rel))
        x2 = _x_of(line.cursorToX(rel + length))
        if x2 <= x1:  # the character ends its visual line
            x2 = x1 + line.height() * 0.9
        pos = layout.position()
        return QRectF(pos.x() + x1, top + pos.y() + line.y(), x2 - x1, line.height())

    def char_position_at(self, point: QPoint | QPointF) -> int | None:
        """The document position of the Han character under a viewport point."""
        pt = QPointF(point)
        caret = self.cursorForPosition(pt.toPoint()).position()
        for pos in (caret, caret - 1):
            if pos < 0:
                continue
            ch = self._char_at(pos)
            if not ch or not is_han(ch):
                continue
            rect = self.char_rect(pos)
            if rect is not None and rect.contains(pt):
                return pos
        return None

    def _char_at(self, position: int) -> str:
        cursor = QTextCursor(self.document())
        end = self.document().characterCount() - 1
        if position >= end:
            return ""
        cursor.setPosition(position)
        cursor.setPosition(min(end, position + 1), QTextCursor.MoveMode.KeepAnchor)
        ch = cursor.selectedText()
        if ch and 0xD800 <= ord(ch[0]) <= 0xDBFF and position + 2 <= end:
            cursor.setPosition(position + 2, QTextCursor.MoveMode.KeepAnchor)
            ch = cursor.selectedText()
        return ch

    def caret_char_position(self) -> int | None:
        """The character the caret is on: the selection's first character, else the Han
        character before the caret, else the one after it."""
        cursor = self.textCursor()
        if cursor.hasSelection():
            start = cursor.selectionStart()
            return start if is_han(self._char_at(start) or " ") else None
        pos = cursor.position()
        if pos > 0:
            before = pos - 1
            ch = self._char_at(before)
            if ch and 0xDC00 <= ord(ch[0]) <= 0xDFFF and before > 0:  # a low surrogate
                before -= 1
                ch = self._char_at(before)
            if ch and is_han(ch):
                return before
        ch = self._char_at(pos)
        return pos if ch and is_han(ch) else None

    # ------------------------------------------------------------------ input
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        mods = event.modifiers()
        if key == Qt.Key.Key_F2 or (
            key == Qt.Key.Key_Space and mods & Qt.KeyboardModifier.ControlModifier
        ):
            pos = self.caret_char_position()
            if pos is not None:
                self.popup_requested.emit(pos)
            event.accept()
            return
        if key == Qt.Key.Key_F8:
            self.finding_step.emit(not mods & Qt.KeyboardModifier.ShiftModifier)
            event.accept()
            return
        if event.matches(QKeySequence.StandardKey.InsertLineSeparator):
            self.textCursor().insertText("\n")  # a new block, never U+2028
            event.accept()
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if (
            event.button() == Qt.MouseButton.LeftButton
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            pos = self.char_position_at(event.position())
            if pos is not None:
                cursor = self.textCursor()
                cursor.setPosition(pos + 1)
                self.setTextCursor(cursor)
                self.popup_requested.emit(pos)
                event.accept()
                return
        super().mousePressEvent(event)

    def insertFromMimeData(self, source: QMimeData) -> None:
        if source.hasText():
            self.textCursor().insertText(normalize_newlines(source.text()))
            self.ensureCursorVisible()
            return
        super().insertFromMimeData(source)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = self.createStandardContextMenu(event.pos())
        if self.menu_source is not None:
            self.menu_source(menu, self.char_position_at(event.pos()))
        menu.exec(event.globalPos())
        menu.deleteLater()

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            pos = self.char_position_at(event.pos())
            text = self.tooltip_source(pos) if pos is not None else None
            if text:
                rect = self.char_rect(pos) if pos is not None else None
                area = rect.toAlignedRect() if rect is not None else QRect()
                QToolTip.showText(event.globalPos(), text, self.viewport(), area)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event: QPaintEvent) -> None:
        self._prepare_paint()
        super().paintEvent(event)
        painter = QPainter(self.viewport())
        try:
            self._paint_marks(painter, event.rect())
        finally:
            painter.end()

    def _paint_marks(self, painter: QPainter, clip: QRect) -> None:
        block = self.firstVisibleBlock()
        offset = self.contentOffset()
        pal = self._palette
        while block.isValid():
            geo = self.blockBoundingGeometry(block).translated(offset)
            if geo.top() > clip.bottom():
                break
            if block.isVisible() and geo.bottom() >= clip.top():
                record = self.record_source(block.blockNumber())
                if record is not None and record[0] == block.text():
                    self._paint_block_marks(painter, block, record, geo.top(), pal)
            block = block.next()

    def _paint_block_marks(
        self, painter: QPainter, block: QTextBlock, record: Record, top: float, pal: TonePalette
    ) -> None:
        text, keys = record
        utf16 = None
        ru = ToneClass.RU.value
        for col, key in enumerate(keys):
            if key is None or not (key[3] or key[4] or key[0] == ru):
                continue
            if utf16 is None:
                utf16 = block_utf16_starts(text) or list(range(len(text) + 1))
            rel = utf16[col]
            rect = self._char_rect_in(block, rel, utf16[col + 1] - rel, top)
            if rect is None:
                continue
            if key[0] == ru:
                self._paint_ru_mark(painter, block, rel, rect, pal)
            if key[3]:
                draw_rhyme_box(painter, rect, key[3], pal)
            if key[4]:
                draw_pin_corner(painter, rect, tone_color(pal, ToneClass(key[0])))
