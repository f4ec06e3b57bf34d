"""Findings: what the checker reports, with rule names, severities and bilingual messages."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from enum import IntEnum, StrEnum


class Severity(IntEnum):
    """How bad a finding is. Errors break the form; notes name a recognised licence."""

    HINT = 0  # advisory (对仗 hints, 冒韵, repeated characters)
    NOTE = 1  # fine, but worth knowing (拗救, 首句借邻韵, 折腰体)
    WARNING = 2  # tolerated but frowned on (三仄尾, 重韵, uncertain readings)
    ERROR = 3  # breaks the rules

    @property
    def zh(self) -> str:
        return ("提示", "说明", "注意", "错误")[self.value]

    @property
    def en(self) -> str:
        return ("hint", "note", "warning", "error")[self.value]


class Rule(StrEnum):
    """Every rule of meter-spec §4–6, by a stable code. ``zh`` is the name poets use."""

    TONE = "tone"  # a fixed position (二四六分明) has the wrong tone
    LINE_END = "line_end"  # an unrhymed line ends 平 / a rhyme position is 仄
    SHI_DUI = "shi_dui"  # 失对
    SHI_NIAN = "shi_nian"  # 失粘
    ZHEYAO = "zheyao"  # 折腰体 (失粘 accepted as a form, by setting)
    GU_PING = "gu_ping"  # 孤平
    GU_PING_JIU = "gu_ping_jiu"  # 孤平拗救 (本句自救)
    SAN_PING_WEI = "san_ping_wei"  # 三平尾
    SAN_ZE_WEI = "san_ze_wei"  # 三仄尾
    DA_AO = "da_ao"  # 大拗 (not saved)
    DA_AO_JIU = "da_ao_jiu"  # 大拗 saved by the next line (对句相救)
    XIAO_AO = "xiao_ao"  # 小拗 (with or without the next line's rescue)
    TE_AO = "te_ao"  # 特拗
    CHU_YUN = "chu_yun"  # 出韵
    JIE_LIN_YUN = "jie_lin_yun"  # 首句借邻韵
    ZHUANG_YUN = "zhuang_yun"  # 撞韵
    CHONG_YUN = "chong_yun"  # 重韵
    CHONG_ZI = "chong_zi"  # a repeated character elsewhere
    MAO_YUN = "mao_yun"  # 冒韵
    ZE_YUN = "ze_yun"  # 仄韵: handled as 古体
    DUI_ZHANG = "dui_zhang"  # 对仗 hint
    LENGTH = "length"  # wrong number of characters or lines
    UNCERTAIN = "uncertain"  # a reading that is only a guess decides a position
    READING = "reading"  # a polyphone ending line 1 read as the poem's rules need
    REQUIREMENT = "requirement"  # an assignment's requirement (app.assign); text in detail
    DIE = "die"  # 词: a 叠句 that does not repeat its model
    CI_FORM = "ci_form"  # 词: no 体 fits exactly; names the closest
    CONTEXT_READING = "context_reading"  # the words around a polyphone settle its reading
    OTHER_BOOK = "other_book"  # the poem breaks the chosen book's rules but keeps another's
    COUPLET_TONE = "couplet_tone"  # 对联: the two sides not opposed at a rhythm point
    MA_TI = "ma_ti"  # 对联: 分句 endings out of the 马蹄韵 order

    @property
    def zh(self) -> str:
        return _RULE_ZH[self]

    @property
    def en(self) -> str:
        return _RULE_EN[self]

    @property
    def is_tonal(self) -> bool:
        """Counts against the 平仄 score when it is an error."""
        return self in _TONAL


_RULE_ZH = {
    Rule.TONE: "平仄",
    Rule.LINE_END: "句脚",
    Rule.SHI_DUI: "失对",
    Rule.SHI_NIAN: "失粘",
    Rule.ZHEYAO: "折腰体",
    Rule.GU_PING: "孤平",
    Rule.GU_PING_JIU: "孤平拗救",
    Rule.SAN_PING_WEI: "三平尾",
    Rule.SAN_ZE_WEI: "三仄尾",
    Rule.DA_AO: "大拗",
    Rule.DA_AO_JIU: "大拗对句相救",
    Rule.XIAO_AO: "小拗",
    Rule.TE_AO: "特拗",
    Rule.CHU_YUN: "出韵",
    Rule.JIE_LIN_YUN: "首句借邻韵",
    Rule.ZHUANG_YUN: "撞韵",
    Rule.CHONG_YUN: "重韵",
    Rule.CHONG_ZI: "重字",
    Rule.MAO_YUN: "冒韵",
    Rule.ZE_YUN: "仄韵",
    Rule.DUI_ZHANG: "对仗",
    Rule.LENGTH: "字数",
    Rule.UNCERTAIN: "读音存疑",
    Rule.READING: "多音字取读",
    Rule.REQUIREMENT: "作业要求",
    Rule.DIE: "叠句",
    Rule.CI_FORM: "词体",
    Rule.CONTEXT_READING: "词语定音",
    Rule.OTHER_BOOK: "他韵合律",
    Rule.COUPLET_TONE: "平仄相对",
    Rule.MA_TI: "马蹄韵",
}
_RULE_EN = {
    Rule.TONE: "tone",
    Rule.LINE_END: "line ending",
    Rule.SHI_DUI: "broken opposition (失对)",
    Rule.SHI_NIAN: "broken adhesion (失粘)",
    Rule.ZHEYAO: "broken-waist form (折腰体)",
    Rule.GU_PING: "lonely level tone (孤平)",
    Rule.GU_PING_JIU: "lonely level tone, self-rescued (孤平拗救)",
    Rule.SAN_PING_WEI: "three level tones at the end (三平尾)",
    Rule.SAN_ZE_WEI: "three oblique tones at the end (三仄尾)",
    Rule.DA_AO: "major irregularity, unrescued (大拗)",
    Rule.DA_AO_JIU: "major irregularity rescued by the next line (大拗救)",
    Rule.XIAO_AO: "minor irregularity (小拗)",
    Rule.TE_AO: "special irregularity (特拗)",
    Rule.CHU_YUN: "out of rhyme (出韵)",
    Rule.JIE_LIN_YUN: "first line borrows a neighbouring rhyme (借邻韵)",
    Rule.ZHUANG_YUN: "unrhymed line ends in the rhyme (撞韵)",
    Rule.CHONG_YUN: "rhyme character repeated (重韵)",
    Rule.CHONG_ZI: "repeated character (重字)",
    Rule.MAO_YUN: "rhyme character inside a line (冒韵)",
    Rule.ZE_YUN: "oblique-tone rhyme (仄韵)",
    Rule.DUI_ZHANG: "parallelism (对仗)",
    Rule.LENGTH: "length",
    Rule.UNCERTAIN: "uncertain reading",
    Rule.READING: "reading of a polyphone",
    Rule.REQUIREMENT: "assignment requirement",
    Rule.DIE: "repeated sentence (叠句)",
    Rule.CI_FORM: "form of the ci (词体)",
    Rule.CONTEXT_READING: "reading settled by the words around it",
    Rule.OTHER_BOOK: "keeps the rules of another rhyme book",
    Rule.COUPLET_TONE: "tones not opposed (平仄相对)",
    Rule.MA_TI: "clause endings out of order (马蹄韵)",
}
_TONAL = frozenset(
    {
        Rule.TONE,
        Rule.LINE_END,
        Rule.SHI_DUI,
        Rule.SHI_NIAN,
        Rule.GU_PING,
        Rule.SAN_PING_WEI,
        Rule.SAN_ZE_WEI,
        Rule.DA_AO,
        Rule.TE_AO,
        Rule.COUPLET_TONE,
        Rule.MA_TI,
    }
)


class Need(StrEnum):
    """What a fix needs at the finding's position (drives suggestions)."""

    NONE = ""
    PING = "平"
    ZE = "仄"
    RHYME = "韵"  # a character of the poem's rhyme group


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the checker found. ``line``/``pos`` are 0-based; ``offset`` indexes the text.

    ``message(lang)`` renders the sentence a poet reads; ``marks`` lists the
    (line, pos) cells the finding paints (the 平仄 score counts them).
    """

    rule: Rule
    severity: Severity
    line: int
    pos: int | None
    char: str
    offset: int | None
    expected: str
    found: str
    need: Need = Need.NONE
    detail: tuple[tuple[str, str], ...] = ()  # extra key/values for the message
    marks: tuple[tuple[int, int], ...] = field(default=())

    def __init__(
        self,
        rule: Rule,
        severity: Severity,
        line: int,
        pos: int | None,
        char: str,
        offset: int | None,
        expected: str,
        found: str,
        need: Need = Need.NONE,
        detail: tuple[tuple[str, str], ...] = (),
        marks: tuple[tuple[int, int], ...] = (),
    ) -> None:
        # The __init__ a frozen dataclass writes sets each field with a Python-level
        # object.__setattr__ call; the checker builds a finding for every fault of every
        # poem (a Tang 七律 read in today's pronunciation has 7 or 8), so the eleven slots
        # are set here straight through their descriptors' C setters.
        _set_rule(self, rule)
        _set_severity(self, severity)
        _set_line(self, line)
        _set_pos(self, pos)
        _set_char(self, char)
        _set_offset(self, offset)
        _set_expected(self, expected)
        _set_found(self, found)
        _set_need(self, need)
        _set_detail(self, detail)
        _set_marks(self, marks)

    def message(self, lang: str = "zh") -> str:
        from app.prosody.messages import render

        return render(self, lang)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def get(self, key: str, default: str = "") -> str:
        for k, v in self.detail:
            if k == key:
                return v
        return default


_SETTERS: tuple[Callable[[Finding, object], None], ...] = tuple(
    getattr(Finding, f.name).__set__ for f in fields(Finding)
)
(
    _set_rule,
    _set_severity,
    _set_line,
    _set_pos,
    _set_char,
    _set_offset,
    _set_expected,
    _set_found,
    _set_need,
    _set_detail,
    _set_marks,
) = _SETTERS  # one global lookup each in __init__


def finding_order(f: Finding) -> tuple[int, int, int]:
    """Reading order: by line, then position (a finding of the whole line first), the
    worst first where they share a cell."""
    return (f.line, -1 if f.pos is None else f.pos, -f.severity)


def worst_by_cell(findings: Iterable[Finding]) -> dict[tuple[int, int], Severity]:
    """The worst severity painted on each (line, pos) cell by ``findings``' marks."""
    worst: dict[tuple[int, int], Severity] = {}
    for f in findings:
        for cell in f.marks:
            old = worst.get(cell)
            if old is None or f.severity > old:
                worst[cell] = f.severity
    return worst
