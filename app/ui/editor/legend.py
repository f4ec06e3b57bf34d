"""The legend: each mark the editor paints, drawn with the very same formats.

平 仄 入声 两读 推测 | 错误 注意 说明 | 韵 借 出 ? — every sample is laid out
with the editor's ``QTextCharFormat`` (or its rhyme box), so the legend cannot
drift from what the text shows. Hover a sample for a sentence about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize
from PySide6.QtGui import (
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QPainter,
    QPaintEvent,
    QTextCharFormat,
    QTextLayout,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from app.prosody.analysis import RhymeMark
from app.prosody.findings import Severity
from app.ui.editor.formats import FormatFactory
from app.ui.editor.keys import NO_SEVERITY, StyleKey, ToneClass
from app.ui.editor.overlay import draw_rhyme_box, draw_ru_mark
from app.ui.editor.palette import TonePalette, palette_for
from app.ui.i18n import Tr

_GAP = 10.0
_GROUP_GAP = 22.0


@dataclass(frozen=True, slots=True)
class LegendEntry:
    text: str
    explain: str
    key: StyleKey | None = None  # a tone sample
    severity: int = NO_SEVERITY  # an underline sample (neutral text)
    rhyme: str = ""  # a rhyme-box sample
    group_end: bool = False


def _tone(tone: ToneClass, guessed: bool = False) -> StyleKey:
    return (tone.value, guessed, NO_SEVERITY, "", False)


def legend_entries(tr: Tr) -> list[LegendEntry]:
    return [
        LegendEntry(tr("平", "level"), tr("平声：蓝色，常规字重", "Level tone: blue, regular"),
                    key=_tone(ToneClass.PING)),
        LegendEntry(tr("仄", "oblique"), tr("仄声（上、去）：朱色，粗体",
                                            "Oblique tone (rising, departing): vermilion, bold"),
                    key=_tone(ToneClass.ZE)),
        LegendEntry(tr("入声", "entering"),
                    tr("入声（仄）：紫红，粗体，字上加线", "Entering tone (oblique): purple, bold, "
                       "with a line above"), key=_tone(ToneClass.RU)),
        LegendEntry(tr("两读", "either"), tr("平仄两读（多音字）：绿色，斜体；可定音",
                                             "Two readings (polyphone): green, italic; pin one"),
                    key=_tone(ToneClass.POLY)),
        LegendEntry(tr("推测", "guessed"),
                    tr("韵书无此字，读音为推测或未知：灰色斜纹底",
                       "Not in the rhyme book, reading guessed or unknown: hatched"),
                    key=_tone(ToneClass.UNKNOWN, guessed=True), group_end=True),
        LegendEntry(tr("错误", "error"), tr("错误：红色波浪线", "Error: red wavy underline"),
                    severity=int(Severity.ERROR)),
        LegendEntry(tr("注意", "warning"),
                    tr("注意：琥珀色波浪线", "Warning: amber wavy underline"),
                    severity=int(Severity.WARNING)),
        LegendEntry(tr("说明", "note"), tr("说明、提示：点线", "Note or hint: dotted underline"),
                    severity=int(Severity.NOTE), group_end=True),
        LegendEntry(tr("韵", "rhyme"), tr("韵脚在韵：细框", "Rhyme in the group: thin box"),
                    rhyme=RhymeMark.IN.value),
        LegendEntry(tr("借", "borrowed"), tr("首句借邻韵：虚线框", "First line borrows a "
                                             "neighbouring group: dashed box"),
                    rhyme=RhymeMark.BORROWED.value),
        LegendEntry(tr("出", "out"), tr("出韵：红色粗框 ✕", "Out of the group: thick red box ✕"),
                    rhyme=RhymeMark.OUT.value),
        LegendEntry(tr("疑", "unsure"), tr("无法确认是否押韵：点线框 ?",
                                           "Cannot confirm the rhyme: dotted box ?"),
                    rhyme=RhymeMark.UNKNOWN.value),
    ]  # fmt: skip


class ToneLegend(QWidget):
    """A one-row legend. ``set_dark`` / ``set_palette`` follow the editor's palette."""

    def __init__(self, tr: Tr, parent: QWidget | None = None, *, dark: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("toneLegend")
        self._tr = tr
        self._formats = FormatFactory(palette_for(dark))
        self.entries = legend_entries(tr)
        self._rects: list[QRectF] = []
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    @property
    def palette_variant(self) -> TonePalette:
        return self._formats.palette

    def set_palette(self, palette: TonePalette) -> None:
        self._formats.set_palette(palette)
        self.update()

    def set_dark(self, dark: bool) -> None:
        self.set_palette(palette_for(dark))

    def entry_format(self, entry: LegendEntry) -> QTextCharFormat | None:
        if entry.key is not None:
            return self._formats.format(entry.key)
        if entry.severity != NO_SEVERITY:
            fmt = QTextCharFormat(
                self._formats.format((ToneClass.PING.value, False, entry.severity, "", False))
            )
            fmt.clearForeground()
            return fmt
        return None

    def _layouts(self) -> list[tuple[QTextLayout, float, float]]:
        out: list[tuple[QTextLayout, float, float]] = []
        for entry in self.entries:
            layout = QTextLayout(entry.text, self.font())
            fmt = self.entry_format(entry)
            if fmt is not None:
                fr = QTextLayout.FormatRange()
                fr.start, fr.length, fr.format = 0, len(entry.text), fmt
                layout.setFormats([fr])
            layout.beginLayout()
            line = layout.createLine()
            line.setLineWidth(10_000.0)
            layout.endLayout()
            out.append((layout, line.naturalTextWidth(), line.height()))
        return out

    def sizeHint(self) -> QSize:
        layouts = self._layouts()
        width = sum(w + _GAP + 6 for _l, w, _h in layouts) + _GROUP_GAP * 2 + 8
        height = max((h for _l, _w, h in layouts), default=16.0) + 10
        return QSize(int(width), int(height))

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self.sizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        pal = self._formats.palette
        x = 6.0
        self._rects = []
        for entry, (layout, width, height) in zip(self.entries, self._layouts(), strict=True):
            y = (self.height() - height) / 2
            if entry.rhyme:
                layout.draw(painter, QPointF(x + 3, y))
                rect = QRectF(x, y, width + 6, height)
                draw_rhyme_box(painter, rect, entry.rhyme, pal)
                step = width + 6
            else:
                layout.draw(painter, QPointF(x, y))
                rect = QRectF(x, y, width, height)
                step = width
                if entry.key is not None and entry.key[0] == ToneClass.RU.value:
                    bold = QFont(self.font())
                    bold.setBold(True)
                    baseline = y + layout.lineAt(0).ascent()
                    draw_ru_mark(painter, x, x + width, baseline, QFontMetricsF(bold), pal.ru)
            self._rects.append(rect)
            x += step + (_GROUP_GAP if entry.group_end else _GAP)
        painter.end()

    def entry_at(self, point: QPointF) -> LegendEntry | None:
        for entry, rect in zip(self.entries, self._rects, strict=False):
            if rect.adjusted(-3, -3, 3, 3).contains(point):
                return entry
        return None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            entry = self.entry_at(QPointF(event.pos()))
            if entry is not None:
                QToolTip.showText(event.globalPos(), entry.explain, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)
