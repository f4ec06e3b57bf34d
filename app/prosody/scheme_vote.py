"""Which template a poem follows: 仄韵 or not, then 平起/仄起 and 首句入韵 by a vote.

meter-spec §3: every line votes with its fixed positions (2, 4, 6 and the line end);
the scheme whose four-line cycle fits best wins, ties broken by line 1's second
character and by whether line 1 shares its rhyme group with line 2. Pure functions
of tone codes (from :mod:`app.prosody.linerules`) and the rhyme book.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from app.prosody.books.tables import group_by_id
from app.prosody.findings import Severity
from app.prosody.forms import (
    CYCLE_PING,
    CYCLE_ZE,
    EITHER,
    PING,
    SCHEMES,
    UNKNOWN,
    ZE,
    LineType,
    Scheme,
)
from app.prosody.linerules import GPING, GZE, LineInput, check_line
from app.prosody.settings import CheckSettings
from app.prosody.text import TextLine

if TYPE_CHECKING:
    from app.prosody.books.protocol import Book


def is_ze_yun(codes: list[list[int]], full: list[bool], lines: list[TextLine], book: Book) -> bool:
    """A 仄韵 poem (古体, not 近体): its rhyme positions are 仄 under the readings that fit
    best (meter-spec §5).

    Every complete even line must end in a character that can be read 仄, at least half
    of them definitely 仄. When some of them are polyphones, the best 仄 group must cover
    more rhyme positions (line 1 included) than the best 平 group: with 回 read both ways,
    风急天高猿啸哀 … 渚清沙白鸟飞回 … 不尽长江滚滚去 rhymes 哀 回 in 十灰 — a 平韵 poem whose
    去 is out of rhyme, not a 仄韵 one.
    """
    ends = [i for i in range(1, len(codes), 2) if full[i]]
    if not ends:
        return False
    end_codes = [codes[i][-1] for i in ends]
    definite_ze = sum(1 for c in end_codes if c in (ZE, GZE))
    if not (
        any(c == ZE for c in end_codes)
        and all(c in (ZE, GZE, EITHER) for c in end_codes)
        and definite_ze * 2 >= len(end_codes)
    ):
        return False
    if all(c in (ZE, GZE) for c in end_codes):
        return True  # every rhyme position is 仄: nothing can make it a 平韵 poem
    # Some even line ends in a polyphone: read it as the rhymes fit best. The best 平 group
    # and the best 仄 group each count the rhyme positions (line 1 included) they cover;
    # 仄韵 only if the 仄 side covers more — a polyphone never tips the poem to 仄.
    cover: dict[int, int] = {}
    for i in [0, *ends] if full[0] else ends:
        info = book.lookup(lines[i].chars[-1])
        if info is not None:
            for g in info.group_ids:
                cover[g] = cover.get(g, 0) + 1
    best_ping = max((n for g, n in cover.items() if group_by_id(g).is_ping), default=0)
    best_ze = max((n for g, n in cover.items() if not group_by_id(g).is_ping), default=0)
    return best_ze > best_ping


def _line_cost(row: list[int], want: tuple[int, ...], length: int, full: bool) -> float:
    """How badly one line fits one line type: positions 2, 4, (6) and the line end."""
    cost = 0.0
    m = len(row)
    for k in _FIXED[length]:
        if k >= m:
            break
        c = row[k]
        w = want[k]
        if c in (w, EITHER, UNKNOWN):
            continue
        weight = 2.0 if k == 1 else 0.5 if k == length - 2 else 1.0  # q4 has licences
        if c > 3:  # a guess: half weight, none when it agrees
            weight = 0.0 if (c == GPING) == (w == PING) else weight * 0.5
        cost += weight
    if full:
        c = row[-1]
        w = want[-1]
        if c in (PING, ZE) and c != w:
            cost += 1.5
        elif c > 3 and (c == GPING) != (w == PING):
            cost += 0.75
    return cost


_FIXED = {5: (1, 3), 7: (1, 3, 5)}
_TYPES = tuple(LineType)


class Vote(NamedTuple):
    """The chosen scheme, and — when line 1 ends in a polyphone whose reading the line's
    own rules decided against the rhyme preference — the error the other reading would
    have made (三平尾, 孤平 …), so the analysis can say which reading it took and why."""

    scheme: Scheme
    avoided: tuple[str, ...] = ()  # rule codes of the errors the other reading makes


def vote_scheme(
    memo: dict[tuple[object, ...], float],
    codes: list[list[int]],
    full: list[bool],
    length: int,
    typing_last: bool,
    lines: list[TextLine],
    book: Book,
    first_line_errors: Callable[[LineType], tuple[str, ...]] | None = None,
) -> Vote:
    """Choose the poem's template by a vote over every line (meter-spec §3).

    Ties of the fixed-position cost are broken by line 1's own faults under each
    candidate type (``first_line_errors``: the error rules line 1 breaks as that type),
    so a polyphone ending line 1 is read the way that keeps the whole poem consistent
    (獻壽人皆慶 read 仄, not as a 三平尾 first line); then by line 1's 2nd character;
    then by whether line 1 shares its rhyme group with line 2.
    """
    n = len(codes)
    std = {t: t.standard(length) for t in _TYPES}
    # Only two types are possible per line after the first (the two cycles).
    cost_ze = [0.0] * n  # line i as CYCLE_ZE[i % 4]
    cost_ping = [0.0] * n  # line i as CYCLE_PING[i % 4]
    for i in range(1, n):
        if full[i] or (typing_last and i == n - 1):
            row = codes[i]
            row_key = (*row, full[i])
            ze_type, ping_type = CYCLE_ZE[i % 4], CYCLE_PING[i % 4]
            c = memo.get((ze_type, row_key))
            if c is None:
                c = memo[ze_type, row_key] = _line_cost(row, std[ze_type], length, full[i])
            cost_ze[i] = c
            c = memo.get((ping_type, row_key))
            if c is None:
                c = memo[ping_type, row_key] = _line_cost(row, std[ping_type], length, full[i])
            cost_ping[i] = c
    rest_ze = sum(cost_ze)
    rest_ping = sum(cost_ping)
    first_usable = full[0] or (typing_last and n == 1)
    first_pref = _first_rhyme_preference(codes, full, length, lines, book)
    second = codes[0][1] if len(codes[0]) > 1 else UNKNOWN
    costs: list[float] = []
    first_key = (*codes[0], full[0])
    for scheme in SCHEMES:
        first_type = scheme.line_type(0)
        cost = 0.0
        if first_usable:
            c = memo.get((first_type, first_key))
            if c is None:
                c = memo[first_type, first_key] = _line_cost(
                    codes[0], std[first_type], length, full[0]
                )
            cost = c
        costs.append(cost + (rest_ze if scheme.cycle is CYCLE_ZE else rest_ping))
    low = min(costs)
    # Line 1's own faults break ties; judged only among the tied schemes (they are few).
    judge = first_line_errors is not None and full[0] and costs.count(low) > 1
    errors_of: dict[LineType, tuple[str, ...]] = {}
    ranked: list[tuple[tuple[float, int, int, int], Scheme]] = []
    for scheme, cost in zip(SCHEMES, costs, strict=True):
        first_type = scheme.line_type(0)
        faults = 0
        if judge and cost == low and first_line_errors is not None:
            if first_type not in errors_of:
                errors_of[first_type] = first_line_errors(first_type)
            faults = len(errors_of[first_type])
        agrees = second in (EITHER, UNKNOWN) or second == std[first_type][1]
        key = (cost, faults, 0 if agrees else 1, 0 if scheme.first_rhymes == first_pref else 1)
        ranked.append((key, scheme))
    ranked.sort(key=lambda x: x[0])
    chosen_key, chosen = ranked[0]
    avoided: tuple[str, ...] = ()
    if judge and codes[0][-1] == EITHER:
        # the same template with line 1 read the other way: did its faults decide?
        for key, scheme in ranked[1:]:
            if scheme.cycle is chosen.cycle and scheme.first_rhymes != chosen.first_rhymes:
                if key[0] == chosen_key[0] and key[1] > chosen_key[1]:
                    avoided = errors_of[scheme.line_type(0)]
                break
    return Vote(chosen, avoided)


_NEXT_TYPE = {LineType.a: LineType.B, LineType.A: LineType.B, LineType.b: LineType.A,
              LineType.B: LineType.A}  # fmt: skip


def first_line_judge(
    lines: list[TextLine],
    codes: list[list[int]],
    full: list[bool],
    length: int,
    ru: Mapping[str, bool],
    settings: CheckSettings,
) -> Callable[[LineType], tuple[str, ...]]:
    """The error rules line 1 breaks as a given type (the next line as the type the same
    cycle gives it, so a rescue by line 2 counts)."""

    def errors(t: LineType) -> tuple[str, ...]:
        first = LineInput(0, lines[0].chars, lines[0].offsets, codes[0], ru, t, length)
        nxt = None
        if len(lines) > 1 and full[1]:
            nxt = LineInput(1, lines[1].chars, lines[1].offsets, codes[1], ru, _NEXT_TYPE[t],
                            length)  # fmt: skip
        return tuple(
            f.rule.value for f in check_line(first, nxt, settings) if f.severity is Severity.ERROR
        )

    return errors


def _first_rhyme_preference(
    codes: list[list[int]], full: list[bool], length: int, lines: list[TextLine], book: Book
) -> bool:
    """When line 1's ending can't decide 首句入韵, does it share a group with line 2's?"""
    if len(lines) >= 2 and full[0] and full[1]:
        a = book.lookup(lines[0].chars[-1])
        b = book.lookup(lines[1].chars[-1])
        if a is not None and b is not None and a.ping_groups & b.ping_groups:
            return True
        if (
            a is not None
            and codes[0][-1] in (EITHER,)
            and not a.ping_groups & (b.ping_groups if b else frozenset())
        ):
            return False
    return length == 7
