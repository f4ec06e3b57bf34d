"""The rhymes of a 词: one 部 per rhyme group of the 体, by the 词林正韵 or another book.

Each rhyme position of a 体 belongs to a group (A, B …: a 换韵 tune has several) and needs a
tone (平, or 仄 = 上去入; a 叶 position needs the other tone of its group). A group's 部 is
the one most of its positions' characters can rhyme in; ties go to the 部 of the group's
first rhyme, where the poet set out. A character outside that 部 is 出韵. The book judges
what a 部 is (:mod:`app.prosody.ci.books`); where its 部 do not hold both tones (the 平水韵),
a group's 平 and 仄 positions are judged as two groups.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from app.prosody.analysis import RhymeMark
from app.prosody.ci.analysis import RhymeGroupResult
from app.prosody.ci.books import CiBookKind, CiRhymes
from app.prosody.findings import Finding, Need, Rule, Severity
from app.prosody.rhymebook.cilin import ToneClass


@dataclass(frozen=True, slots=True)
class RhymeSlot:
    """A rhyme position as the text fills it."""

    line: int
    pos: int
    char: str
    offset: int
    letter: str  # the 体's group
    kind: ToneClass  # the tone it needs
    where_zh: str  # 前段第2句
    where_en: str


def rhyme_groups(
    slots: list[RhymeSlot], rhymes: CiRhymes, pinned_bu: dict[str, int] | None = None
) -> tuple[list[RhymeGroupResult], list[Finding], dict[tuple[int, int], RhymeMark]]:
    """Each group's 部, the 出韵 findings and a mark per rhyme position."""
    by_letter: dict[tuple[str, str], list[RhymeSlot]] = {}
    joined = rhymes.joins_tones
    for s in slots:
        by_letter.setdefault((s.letter, "" if joined else s.kind), []).append(s)
    results: list[RhymeGroupResult] = []
    findings: list[Finding] = []
    marks: dict[tuple[int, int], RhymeMark] = {}
    for key in sorted(by_letter):
        letter = key[0]
        group = by_letter[key]
        options = [rhymes.bu_of(s.char, s.kind) for s in group]
        votes: Counter[int] = Counter(bu for opts in options for bu in opts)
        bu: int | None = (pinned_bu or {}).get(letter)
        if bu is not None and not joined and bu not in rhymes.all_bu(group[0].kind):
            bu = None  # a 平 group pinned: this group's 仄 positions (叶) keep their vote
        if bu is None and votes:
            top = max(votes.values())
            first = next((opts for opts in options if opts), frozenset())
            tied = sorted(b for b, n in votes.items() if n == top)
            bu = next((b for b in tied if b in first), tied[0])
        kinds = "".join(k for k in "平仄" if any(s.kind == k for s in group))
        name = rhymes.bu_name(bu) if bu is not None else ""
        results.append(
            RhymeGroupResult(letter, bu, kinds, tuple((s.line, s.pos) for s in group), name)
        )
        for s, opts in zip(group, options, strict=True):
            cell = (s.line, s.pos)
            if not opts:
                marks[cell] = RhymeMark.UNKNOWN
                other: ToneClass = "仄" if s.kind == "平" else "平"
                if not rhymes.bu_of(s.char, other):  # of the other tone: a tone error says so
                    findings.append(_unknown(s, rhymes.kind))
            elif bu is not None and bu not in opts:
                marks[cell] = RhymeMark.OUT
                findings.append(_out(s, bu, opts, rhymes))
            else:
                marks[cell] = RhymeMark.IN
    return results, findings, marks


def _kind_zh(kind: str) -> str:
    return "平声" if kind == "平" else "仄声"


def _out(s: RhymeSlot, bu: int, opts: frozenset[int], rhymes: CiRhymes) -> Finding:
    bu_name = rhymes.bu_name
    theirs = "、".join(bu_name(b) for b in sorted(opts))
    zh = (
        f"{s.where_zh}韵脚「{s.char}」属{theirs}，本词{s.letter}韵押{bu_name(bu)}"
        f"{_kind_zh(s.kind)}（{rhymes.kind.zh}，出韵）。"
    )
    en = (
        f"{s.where_en}: the rhyme 「{s.char}」 is in {theirs}, but rhyme {s.letter} of this ci "
        f"is in {bu_name(bu)} ({'level' if s.kind == '平' else 'oblique'}; "
        f"{rhymes.kind.en}): out of rhyme (出韵)."
    )
    return Finding(
        Rule.CHU_YUN,
        Severity.ERROR,
        s.line,
        s.pos,
        s.char,
        s.offset,
        bu_name(bu),
        theirs,
        Need.RHYME,
        (("zh", zh), ("en", en), ("bu", str(bu)), ("kind", s.kind)),
        ((s.line, s.pos),),
    )


def _unknown(s: RhymeSlot, book: CiBookKind) -> Finding:
    zh = (
        f"{s.where_zh}韵脚「{s.char}」在{book.zh}中查不到可押的{_kind_zh(s.kind)}韵部，"
        "无法确认押韵。"
    )
    en = (
        f"{s.where_en}: the rhyme 「{s.char}」 has no {'level' if s.kind == '平' else 'oblique'} "
        f"reading with a rhyme group in the {book.zh}; the rhyme cannot be confirmed."
    )
    return Finding(
        Rule.UNCERTAIN,
        Severity.WARNING,
        s.line,
        s.pos,
        s.char,
        s.offset,
        s.kind,
        "",
        Need.RHYME,
        (("zh", zh), ("en", en)),
        ((s.line, s.pos),),
    )
