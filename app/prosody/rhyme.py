"""Rhyme (meter-spec §5): choose the poem's group, then 出韵, 借邻韵, 撞韵, 重韵, 冒韵."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from app.prosody.books.tables import group_by_id
from app.prosody.findings import Finding, Need, Rule, Severity
from app.prosody.forms import PING, ZE
from app.prosody.groups import RhymeGroup
from app.prosody.linerules import GPING, GZE
from app.prosody.settings import CheckSettings
from app.prosody.text import TextLine

if TYPE_CHECKING:
    from app.prosody.books.protocol import Book


class RhymeSlot(NamedTuple):
    line: int
    pos: int
    char: str
    offset: int
    code: int


def choose_group(slots: list[RhymeSlot], book: Book) -> RhymeGroup | None:
    """The 平声 group covering most rhyme characters, trying every reading.

    Line 1 only breaks ties (it may borrow a neighbouring group); then the group of
    the first rhyme (line 2) wins — it is the one the poet set out in — then book order.
    """
    counts: dict[int, int] = {}
    first: frozenset[int] = frozenset()
    earliest: frozenset[int] | None = None
    for slot in slots:
        info = book.lookup(slot.char)
        if info is None or not info.ping_groups:
            continue
        groups = info.ping_groups
        if slot.line == 0:
            first = groups
            continue
        if earliest is None:
            earliest = groups
        for g in groups:
            counts[g] = counts.get(g, 0) + 1
    if not counts:
        return group_by_id(min(first)) if first else None
    if len(counts) == 1:
        return group_by_id(next(iter(counts)))
    seen = earliest or frozenset()
    best = max(counts, key=lambda g: (counts[g], g in first, g in seen, -g))
    return group_by_id(best)


def _at(
    slot: RhymeSlot,
    rule: Rule,
    severity: Severity,
    expected: str,
    found: str,
    need: Need = Need.NONE,
    detail: tuple[tuple[str, str], ...] = (),
) -> Finding:
    return Finding(rule, severity, slot.line, slot.pos, slot.char, slot.offset, expected, found,
                   need, detail, ((slot.line, slot.pos),))  # fmt: skip


def _group_names(groups: frozenset[int]) -> str:
    return "、".join(group_by_id(g).name for g in sorted(groups)) or "（无平声读音）"


def rhyme_findings(
    slots: list[RhymeSlot],
    unrhymed_ends: list[RhymeSlot],
    lines: list[TextLine],
    book: Book,
    pinned: RhymeGroup | None,
    settings: CheckSettings,
    ru: Mapping[str, bool],
) -> tuple[RhymeGroup | None, list[Finding]]:
    out: list[Finding] = []
    group = pinned if pinned is not None else choose_group(slots, book)
    gname = group.name if group is not None else ""
    used: dict[str, int] = {}
    for slot in slots:
        if slot.code == ZE:
            found = "入声仄" if ru.get(slot.char, False) else "仄"
            out.append(
                _at(slot, Rule.LINE_END, Severity.ERROR, expected="平", found=found,
                        need=Need.RHYME, detail=(("rhymes", "1"), ("group", gname)))
            )  # fmt: skip
            continue
        if slot.code == GZE:
            out.append(
                _at(slot, Rule.UNCERTAIN, Severity.WARNING, expected="平", found="仄",
                        need=Need.RHYME, detail=(("group", gname),))
            )  # fmt: skip
            continue
        if group is None:
            continue
        info = book.lookup(slot.char)
        groups = info.ping_groups if info is not None else frozenset()
        if group.id in groups:
            if slot.char in used:
                out.append(
                    _at(slot, Rule.CHONG_YUN, Severity.WARNING, expected="", found=slot.char,
                            need=Need.RHYME,
                            detail=(("other", str(used[slot.char] + 1)), ("group", gname)),
                            )
                )  # fmt: skip
            else:
                used[slot.char] = slot.line
            continue
        if not groups:
            out.append(
                _at(slot, Rule.UNCERTAIN, Severity.WARNING, expected=gname, found="未知",
                        need=Need.RHYME, detail=(("group", gname), ("rhyme", "1")))
            )  # fmt: skip
            continue
        near = {g.id for g in book.neighbours(group)}
        if slot.line == 0 and groups & near:
            borrowed = _group_names(frozenset(groups & near))
            out.append(
                _at(slot, Rule.JIE_LIN_YUN, Severity.NOTE, expected=gname, found=borrowed,
                        detail=(("group", gname), ("char_group", borrowed)))
            )  # fmt: skip
            continue
        names = _group_names(groups)  # named once: the finding's found and its detail
        out.append(
            _at(slot, Rule.CHU_YUN, Severity.ERROR, expected=gname, found=names,
                    need=Need.RHYME, detail=(("group", gname), ("char_group", names)))
        )  # fmt: skip

    for slot in unrhymed_ends:
        if slot.code == PING:
            info = book.lookup(slot.char)
            in_group = group is not None and info is not None and group.id in info.ping_groups
            rule = Rule.ZHUANG_YUN if in_group else Rule.LINE_END
            out.append(
                _at(slot, rule, Severity.ERROR, expected="仄", found="平", need=Need.ZE,
                    detail=(("rhymes", ""), ("group", gname)))
            )  # fmt: skip
        elif slot.code == GPING:
            out.append(
                _at(slot, Rule.UNCERTAIN, Severity.WARNING, expected="仄", found="平",
                        need=Need.ZE)
            )  # fmt: skip

    if settings.mao_yun and group is not None:
        slot_cells = {(s.line, s.pos) for s in slots} | {(s.line, s.pos) for s in unrhymed_ends}
        for i, tl in enumerate(lines):
            for pos, ch in enumerate(tl.chars):
                if (i, pos) in slot_cells:
                    continue
                info = book.lookup(ch)
                if info is not None and group.id in info.ping_groups and not info.is_polyphone:
                    out.append(
                        Finding(Rule.MAO_YUN, Severity.HINT, i, pos, ch, tl.offsets[pos], "",
                                gname, detail=(("group", gname),), marks=((i, pos),))
                    )  # fmt: skip
    return group, out
