"""Tooltip text for a character: its readings with provenance, and the findings there.

Plain functions returning Qt rich text (HTML), so tests read them without
hovering. Provenance: 韵书 (the 平水韵 itself), 广韵推得 (derived from 《广韵》),
推测 (a Cantonese or Mandarin guess).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from app.prosody.analysis import CharResult, RhymeMark
from app.prosody.books.tables import ModernGroup
from app.prosody.chars import CharInfo, Reading
from app.prosody.findings import Finding, Severity
from app.prosody.forms import EITHER, PING, UNKNOWN, ZE
from app.prosody.tones import PING_BIT, ZE_BIT, Level, Source, Tone
from app.ui.editor.keys import ToneClass, tone_class
from app.ui.i18n import Tr

SEVERITY_MARK = {
    Severity.ERROR: "✕",
    Severity.WARNING: "△",
    Severity.NOTE: "○",
    Severity.HINT: "·",
}


def tone_class_label(tone: ToneClass, tr: Tr) -> str:
    return {
        ToneClass.PING: tr("平声", "level tone (平)"),
        ToneClass.ZE: tr("仄声", "oblique tone (仄)"),
        ToneClass.RU: tr("入声（仄）", "entering tone (入, oblique)"),
        ToneClass.POLY: tr("平仄两读", "either tone (two readings)"),
        ToneClass.UNKNOWN: tr("读音未知", "reading unknown"),
    }[tone]


def severity_label(severity: Severity, tr: Tr) -> str:
    return tr(severity.zh, severity.en)


def source_label(reading: Reading, tr: Tr) -> str:
    if reading.source is Source.BOOK:
        return tr("韵书", "rhyme book")
    if reading.source is Source.DERIVED:
        return tr("广韵推得", "derived from Guangyun")
    method = getattr(reading, "guess", None)
    if method is not None:
        return tr(str(method.zh), str(method.en))
    return tr("推测", "guess")


def _tone_name(tone: Tone, tr: Tr) -> str:
    return tr(f"{tone.zh}声", ("level", "rising", "departing", "entering")[tone.value] + " tone")


def reading_line(reading: Reading, tr: Tr) -> str:
    """「平声 · 下平七阳 · 韵书」 for one reading of the 平水韵; 「huán · 平声 · 通韵十一安 ·
    今音」 for one of a modern book (its pinyin first)."""
    group = reading.group
    if isinstance(group, ModernGroup):
        tone = tr("平声", "level tone") if reading.tone is Tone.PING else tr("仄声", "oblique tone")
        return " · ".join(
            [reading.via, tone, tr(group.name, group.name_en), tr("今音", "today's reading")]
        )
    where = tr("韵部不明", "group unknown") if group is None else tr(group.name, group.name_en)
    parts = [_tone_name(reading.tone, tr), where, source_label(reading, tr)]
    line = " · ".join(parts)
    if reading.via:
        line += tr(f"（作「{reading.via}」）", f" (as 「{reading.via}」)")
    return line


def rhyme_mark_label(mark: RhymeMark, tr: Tr) -> str:
    return {
        RhymeMark.NONE: "",
        RhymeMark.IN: tr("韵脚：在韵", "rhyme position: in the group"),
        RhymeMark.BORROWED: tr("韵脚：借邻韵", "rhyme position: borrowed neighbouring group"),
        RhymeMark.OUT: tr("韵脚：出韵", "rhyme position: out of the group"),
        RhymeMark.UNKNOWN: tr("韵脚：无法确认", "rhyme position: cannot be confirmed"),
    }[mark]


def expected_label(level: Level, tr: Tr) -> str:
    if level is Level.PING:
        return tr("此处应平", "this position needs a level tone")
    if level is Level.ZE:
        return tr("此处应仄", "this position needs an oblique tone")
    return tr("此处可平可仄", "either tone is fine here")


def finding_line(f: Finding, tr: Tr) -> str:
    lang = "en" if tr.is_en else "zh"
    return f"{SEVERITY_MARK[f.severity]} {severity_label(f.severity, tr)}：{f.message(lang)}"


def _readings_html(info: CharInfo | None, tr: Tr) -> list[str]:
    if info is None or not info.readings:
        return [escape(tr("韵书与广韵皆无此字", "in neither the rhyme book nor the Guangyun"))]
    return [escape(reading_line(r, tr)) for r in info.readings]


def char_tooltip(c: CharResult, findings: Sequence[Finding], tr: Tr) -> str:
    """Rich text for a checked character."""
    tone = tone_class(c.code, c.info)
    head = f"<b style='font-size:large'>{escape(c.char)}</b>　{escape(tone_class_label(tone, tr))}"
    if c.pinned:
        head += escape(tr("（已定音）", " (reading pinned)"))
    rows = [head]
    rows.extend(_readings_html(c.info, tr))
    rows.append(escape(expected_label(c.expected, tr)))
    if c.rhyme is not RhymeMark.NONE:
        rows.append(escape(rhyme_mark_label(c.rhyme, tr)))
    for f in findings:
        rows.append(escape(finding_line(f, tr)))
    return "<p style='white-space:pre'>" + "<br>".join(rows) + "</p>"


def plain_char_tooltip(char: str, info: CharInfo | None, tr: Tr) -> str:
    """Rich text for a character typed since the last analysis (readings only)."""
    if info is None:
        return ""
    code = (UNKNOWN, PING, ZE, EITHER)[info.mask & (PING_BIT | ZE_BIT)]
    tone = tone_class(code, info)
    rows = [f"<b style='font-size:large'>{escape(char)}</b>　{escape(tone_class_label(tone, tr))}"]
    rows.extend(_readings_html(info, tr))
    return "<p style='white-space:pre'>" + "<br>".join(rows) + "</p>"
