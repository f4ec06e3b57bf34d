"""Style keys → ``QTextCharFormat`` (one object per distinct key and palette).

Tone: colour plus a shape cue — 平 regular, 仄 bold, 入声 bold with a line above,
两读 italic, guessed/unknown on a hatched background. Findings: a wavy underline
for errors (red) and warnings (amber), a dotted one for notes and hints. Rhyme
boxes and pin marks are drawn over the text by the editor (``overlay.py``).
The font family and size are never set here: they come from the caller's font.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QTextCharFormat

from app.prosody.findings import Severity
from app.ui.editor.keys import NO_SEVERITY, StyleKey, ToneClass
from app.ui.editor.palette import TonePalette


def tone_color(palette: TonePalette, tone: ToneClass) -> str:
    return {
        ToneClass.PING: palette.ping,
        ToneClass.ZE: palette.ze,
        ToneClass.RU: palette.ru,
        ToneClass.POLY: palette.poly,
        ToneClass.UNKNOWN: palette.unknown,
    }[tone]


def severity_color(palette: TonePalette, severity: int) -> str:
    if severity >= Severity.ERROR:
        return palette.error
    if severity == Severity.WARNING:
        return palette.warning
    if severity == Severity.NOTE:
        return palette.note
    return palette.hint


class FormatFactory:
    """Builds and caches the character formats of one palette."""

    def __init__(self, palette: TonePalette) -> None:
        self._palette = palette
        self._cache: dict[StyleKey, QTextCharFormat] = {}

    @property
    def palette(self) -> TonePalette:
        return self._palette

    def set_palette(self, palette: TonePalette) -> None:
        self._palette = palette
        self._cache.clear()

    def format(self, key: StyleKey) -> QTextCharFormat:
        fmt = self._cache.get(key)
        if fmt is None:
            fmt = self._cache[key] = self._build(key)
        return fmt

    def _build(self, key: StyleKey) -> QTextCharFormat:
        tone = ToneClass(key[0])
        guessed, severity = key[1], key[2]
        p = self._palette
        fmt = QTextCharFormat()
        fmt.setForeground(QColor(tone_color(p, tone)))
        if tone in (ToneClass.ZE, ToneClass.RU):
            fmt.setFontWeight(QFont.Weight.Bold)
        # 入声's line above is drawn by the editor (overlay.draw_ru_mark), not Qt's overline
        if tone is ToneClass.POLY:
            fmt.setFontItalic(True)
        if guessed:
            fmt.setBackground(QBrush(QColor(p.hatch), Qt.BrushStyle.BDiagPattern))
        if severity != NO_SEVERITY:
            if severity >= Severity.WARNING:
                fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            else:
                fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
            fmt.setUnderlineColor(QColor(severity_color(p, severity)))
        return fmt
