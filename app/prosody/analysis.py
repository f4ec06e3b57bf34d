"""The result of analysing a poem: per character, per line, and the findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from app.prosody.books.kinds import BookKind
from app.prosody.chars import CharInfo
from app.prosody.findings import Finding, Severity
from app.prosody.forms import EITHER, PING, UNKNOWN, ZE, Form, LineType, Scheme
from app.prosody.groups import RhymeGroup
from app.prosody.text import TextLine
from app.prosody.tones import Level, Source


class RhymeMark(StrEnum):
    NONE = ""  # not a rhyme position
    IN = "in"  # in the poem's group
    BORROWED = "borrowed"  # first line, neighbouring group
    OUT = "out"  # out of the group (出韵 or a 仄 ending)
    UNKNOWN = "unknown"  # no book reading: cannot confirm the rhyme


class CharResult(NamedTuple):
    """One Han character of the text, as the editor paints it.

    A NamedTuple rather than a dataclass: a 七律 builds 56 of these per keystroke.
    """

    char: str
    line: int  # 0-based verse line
    pos: int  # 0-based position in the line
    offset: int  # index into the analysed text
    code: int  # PING / ZE / EITHER (polyphone) / UNKNOWN, after pinned readings
    info: CharInfo | None
    expected: Level  # what the template asks here (⊙ when free or outside the template)
    severity: Severity | None  # the worst finding painting this character, None when clean
    rhyme: RhymeMark = RhymeMark.NONE
    pinned: bool = False

    @property
    def tone_zh(self) -> str:
        if self.code == PING:
            return "平"
        if self.code == ZE:
            return "入" if self.is_ru else "仄"
        if self.code == EITHER:
            return "平仄两读"
        return "未知"

    @property
    def is_ru(self) -> bool:
        return self.info is not None and self.info.is_ru and self.code != PING

    @property
    def is_polyphone(self) -> bool:
        return self.info is not None and self.info.is_polyphone

    @property
    def source(self) -> Source | None:
        return None if self.info is None else self.info.source

    @property
    def uncertain(self) -> bool:
        return self.info is None or self.info.uncertain or self.code == UNKNOWN

    @property
    def ok(self) -> bool:
        return self.severity is None or self.severity < Severity.WARNING


@dataclass(slots=True)
class LineResult:
    """One verse line of an analysis (read-only by convention: not frozen, because
    frozen dataclasses cost a ``object.__setattr__`` per field and a 七律 makes eight
    of these per keystroke)."""

    index: int
    text: TextLine
    type: LineType | None  # None when the line has no template (wrong length, 仄韵 …)
    expected: tuple[Level, ...]  # per position; empty when no template
    length_ok: bool
    rhymes: bool  # a rhyme position ends this line

    @property
    def template_text(self) -> str:
        return "".join(level.value for level in self.expected)


@dataclass(frozen=True, slots=True)
class PoemAnalysis:
    """Everything the checker says about a text. Pure data; safe to pass between threads."""

    text: str
    form: Form | None
    form_pinned: bool
    scheme: Scheme | None
    rhyme_group: RhymeGroup | None
    group_pinned: bool
    lines: tuple[LineResult, ...]
    chars: tuple[CharResult, ...]
    findings: tuple[Finding, ...]
    ze_yun: bool = False
    complete: bool = False  # the expected number of full-length lines is there
    rhyme_slots: tuple[tuple[int, int], ...] = field(default=())  # (line, pos) of each rhyme slot
    rhyme_status: tuple[RhymeMark, ...] = field(default=())  # parallel to rhyme_slots
    book: BookKind = BookKind.PINGSHUI  # the rhyme book the poem was checked against

    @property
    def qi(self) -> str:
        """平起 / 仄起 ('' when unknown)."""
        if self.scheme is None or self.form is None:
            return ""
        return self.scheme.qi(self.form.line_len)

    @property
    def first_line_rhymes(self) -> bool | None:
        return None if self.scheme is None else self.scheme.first_rhymes

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    def findings_at(self, line: int, pos: int) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if (line, pos) in f.marks)

    def char_at_offset(self, offset: int) -> CharResult | None:
        lo, hi = 0, len(self.chars)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.chars[mid].offset < offset:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(self.chars) and self.chars[lo].offset == offset:
            return self.chars[lo]
        return None

    @property
    def summary_zh(self) -> str:
        if not self.chars:
            return ""
        parts = [self.form.value if self.form else "未定体"]
        if self.ze_yun:  # not checked as 近体: never say 合律 (meter-spec §5)
            parts.append("仄韵，不按近体检查")
            n_err = len(self.errors)
            if n_err:
                parts.append(f"{n_err}处错误")
            return "，".join(parts)
        else:
            if self.qi:
                parts.append(self.qi)
            if self.scheme is not None:
                parts.append("首句入韵" if self.scheme.first_rhymes else "首句不入韵")
            if self.rhyme_group is not None:
                parts.append(f"押{self.rhyme_group.name}")
        n_err = len(self.errors)
        parts.append(f"{n_err}处错误" if n_err else "合律")
        return "，".join(parts)

    @property
    def summary_en(self) -> str:
        if not self.chars:
            return ""
        parts = [self.form.en if self.form else "form undetermined"]
        if self.ze_yun:
            parts.append("oblique rhyme, not checked as regulated verse")
            n_err = len(self.errors)
            if n_err:
                parts.append(f"{n_err} error(s)")
            return ", ".join(parts)
        else:
            if self.qi:
                parts.append("level start" if self.qi == "平起" else "oblique start")
            if self.scheme is not None:
                parts.append(
                    "first line rhymes" if self.scheme.first_rhymes else "first line unrhymed"
                )
            if self.rhyme_group is not None:
                parts.append(f"rhyme group {self.rhyme_group.name}")
        n_err = len(self.errors)
        parts.append(f"{n_err} error(s)" if n_err else "keeps the rules")
        return ", ".join(parts)
