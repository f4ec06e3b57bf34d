"""The findings of the 词 checker, each with its sentence in Chinese and English.

Places are named as the 词谱 names them: 前段第3句, 后段第2句 (a 三叠 tune: 第一段 …; a
单调 tune: 第3句), with the character's position in that 句.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.prosody.chars import CharInfo
from app.prosody.ci.align import Pair
from app.prosody.ci.analysis import FormChoice
from app.prosody.ci.table import CiForm
from app.prosody.findings import Finding, Need, Rule, Severity
from app.prosody.forms import EITHER, PING, UNKNOWN, ZE
from app.prosody.linerules import GPING, GZE
from app.prosody.text import TextLine

_SECTION_ZH = ("前段", "后段")
_NUM = "一二三四五六七八九十"


def _section_zh(form: CiForm, section: int) -> str:
    n = form.n_sections
    if n == 1:
        return ""
    if n == 2:
        return _SECTION_ZH[section]
    return f"第{_NUM[section] if section < 10 else section + 1}段"


def _section_en(form: CiForm, section: int) -> str:
    n = form.n_sections
    if n == 1:
        return ""
    if n == 2:
        return ("first stanza", "second stanza")[section] + ", "
    return f"stanza {section + 1}, "


def sentence_of(form: CiForm, j: int) -> tuple[int, int, int]:
    """(段, 句 number in the 段 (1-based), the character offset of segment ``j`` in its 句)."""
    segs = form.segments
    section = segs[j].section
    number, offset = 1, 0
    for i in range(j):
        s = segs[i]
        if s.section != section:
            continue
        if s.pause:
            offset += s.length
        else:
            number += 1
            offset = 0
    return section, number, offset


def where(form: CiForm, j: int, k: int | None = None) -> tuple[str, str]:
    """``前段第3句第2字`` / ``first stanza, sentence 3, character 2`` (k: position in segment j)."""
    section, number, offset = sentence_of(form, j)
    zh = f"{_section_zh(form, section)}第{number}句"
    en = f"{_section_en(form, section)}sentence {number}"
    if k is not None:
        zh += f"第{offset + k + 1}字"
        en += f", character {offset + k + 1}"
    return zh, en


def _tone_word(code: int, info: CharInfo | None) -> str:
    if code in (PING, GPING):
        return "平声"
    if code in (ZE, GZE):
        return "入声" if info is not None and info.is_ru else "仄声"
    if code == EITHER:
        return "平仄两读"
    return "读音不明"


def tone_finding(
    form: CiForm,
    j: int,
    k: int,
    line: TextLine,
    i: int,
    p: int,
    code: int,
    mark: str,
    is_rhyme: bool,
    infos: Mapping[str, CharInfo | None],
) -> Finding:
    ch = line.chars[p]
    zh_at, en_at = where(form, j, k)
    found = _tone_word(code, infos.get(ch))
    guessed = code in (GPING, GZE) or code == UNKNOWN
    want_en = "level (平)" if mark == "平" else "oblique (仄)"
    if is_rhyme:
        zh = f"{zh_at}「{ch}」是韵脚，应押{mark}声韵，却是{found}字。"
        en = f"{en_at}: 「{ch}」 ends on a rhyme that must be {want_en}, but it is {found}."
        rule = Rule.LINE_END
    else:
        zh = f"{zh_at}「{ch}」为{found}，谱中此处应{mark}。"
        en = f"{en_at}: 「{ch}」 is {found}; the pattern wants {want_en} here."
        rule = Rule.TONE
    if guessed:
        zh = zh.rstrip("。") + "（读音只是推测，请核对）。"
        en += " (the reading is only a guess: please check)"
        rule = Rule.UNCERTAIN
    return Finding(
        rule,
        Severity.WARNING if guessed else Severity.ERROR,
        i,
        p,
        ch,
        line.offsets[p],
        mark,
        found,
        Need.PING if mark == "平" else Need.ZE,
        (("zh", zh), ("en", en), ("rhymes", "1" if is_rhyme else "")),
        ((i, p),),
    )


def length_finding(
    form: CiForm,
    pair: Pair,
    lines: list[TextLine],
    n_text: int,
    n_form: int,
    mapping: Mapping[tuple[int, int], tuple[int, int]],
) -> Finding:
    """A line (or run of lines) with characters missing or extra against its segments."""
    first = pair.lines[0]
    cells = [(i, p) for i in pair.lines for p in range(len(lines[i].chars))]
    extra = tuple(c for c in cells if c not in mapping)
    text = "".join(lines[i].chars for i in pair.lines)
    if not pair.segs:
        zh = f"「{text}」在谱中没有对应的句子：多出{n_text}字。"
        en = f"「{text}」 has no sentence in the pattern: {n_text} extra character(s)."
        return Finding(Rule.LENGTH, Severity.ERROR, first, None, "", lines[first].offsets[0],
                       "0", str(n_text), detail=(("zh", zh), ("en", en), ("kind", "extra")),
                       marks=tuple(cells))  # fmt: skip
    zh_at, en_at = where(form, pair.segs[0])
    model = "".join(form.segments[j].text for j in pair.segs)
    shown = f"（例词「{model}」）" if model else ""
    if n_text < n_form:
        zh = f"{zh_at}应{n_form}字{shown}，「{text}」只有{n_text}字，少{n_form - n_text}字。"
        en = (
            f"{en_at} has {n_form} characters in the pattern; 「{text}」 has {n_text}: "
            f"{n_form - n_text} missing."
        )
    else:
        zh = f"{zh_at}应{n_form}字{shown}，「{text}」有{n_text}字，多{n_text - n_form}字。"
        en = (
            f"{en_at} has {n_form} characters in the pattern; 「{text}」 has {n_text}: "
            f"{n_text - n_form} extra."
        )
    return Finding(Rule.LENGTH, Severity.ERROR, first, None, "", lines[first].offsets[0],
                   str(n_form), str(n_text), detail=(("zh", zh), ("en", en), ("kind", "line")),
                   marks=extra)  # fmt: skip


def missing_finding(form: CiForm, pair: Pair, lines: list[TextLine], after: int) -> Finding:
    """Whole segments of the 体 that the text does not have."""
    zh_at, en_at = where(form, pair.segs[0])
    n = sum(form.segments[j].length for j in pair.segs)
    model = "".join(form.segments[j].text for j in pair.segs)
    shown = f"（例词「{model}」）" if model else ""
    zh = f"缺{zh_at}：谱中此处有{n}字{shown}。"
    en = f"{en_at} is missing: the pattern has {n} characters here."
    line = max(after, 0)
    offset = lines[line].offsets[-1] if lines and after >= 0 else None
    return Finding(Rule.LENGTH, Severity.ERROR, line, None, "", offset, str(n), "0",
                   detail=(("zh", zh), ("en", en), ("kind", "missing")))  # fmt: skip


def die_finding(
    form: CiForm,
    j: int,
    repeated: int,
    lines: list[TextLine],
    cells: list[tuple[int, int]],
    got: str,
    want: str,
) -> Finding:
    zh_at, en_at = where(form, j)
    zh_src, en_src = where(form, repeated)
    zh = f"{zh_at}是叠句，应重复{zh_src}「{want}」，却作「{got}」。"
    en = f"{en_at} repeats {en_src} 「{want}」 (叠句), but reads 「{got}」."
    i, p = cells[0]
    return Finding(Rule.DIE, Severity.ERROR, i, p, got[:1], lines[i].offsets[p], want, got,
                   detail=(("zh", zh), ("en", en)), marks=tuple(cells))  # fmt: skip


def form_note(choice: FormChoice) -> Finding:
    """The text fits no 体 exactly: which came closest (the length findings say where)."""
    zh = f"{choice.why_zh}不合之处见下。"
    en = f"{choice.why_en} Where it differs is listed below."
    return Finding(Rule.CI_FORM, Severity.NOTE, 0, None, "", None, choice.form.key, "",
                   detail=(("zh", zh), ("en", en)))  # fmt: skip
