"""Which template a poem follows: 仄韵 or not, then 平起/仄起 and 首句入韵 by a vote.

meter-spec §3: every line votes with its fixed positions (2, 4, 6 and the line end);
the scheme whose four-line cycle fits best wins, ties broken by line 1's second
character and by whether line 1 shares its rhyme group with line 2. Pure functions
of tone codes (from :mod:`app.prosody.linerules`) and the rhyme book.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
from app.prosody.linerules import GPING, GZE
from app.prosody.text import TextLine

if TYPE_CHECKING:
    from app.prosody.rhymebook import RhymeBook


def is_ze_yun(codes: list[list[int]], full: list[bool]) -> bool:
    """All complete even lines end definitely 仄 (a 仄韵 poem: 古体, not 近体)."""
    ends = [codes[i][-1] for i in range(1, len(codes), 2) if full[i]]
    if not ends:
        return False
    definite_ze = sum(1 for c in ends if c == ZE)
    return (
        definite_ze >= 1
        and all(c in (ZE, GZE, EITHER) for c in ends)
        and definite_ze * 2 >= len(ends)
    )


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


def vote_scheme(
    memo: dict[tuple[object, ...], float],
    codes: list[list[int]],
    full: list[bool],
    length: int,
    typing_last: bool,
    lines: list[TextLine],
    book: RhymeBook,
) -> Scheme:
    """Choose the poem's template by a vote over every line (meter-spec §3)."""
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
    best: tuple[float, int, int] | None = None
    chosen = SCHEMES[0]
    first_key = (*codes[0], full[0])
    for scheme in SCHEMES:
        first_type = scheme.line_type(0)
        first_std = std[first_type]
        cost = 0.0
        if first_usable:
            c = memo.get((first_type, first_key))
            if c is None:
                c = memo[first_type, first_key] = _line_cost(codes[0], first_std, length, full[0])
            cost = c
        cost += rest_ze if scheme.cycle is CYCLE_ZE else rest_ping
        agrees = second in (EITHER, UNKNOWN) or second == first_std[1]
        key = (cost, 0 if agrees else 1, 0 if scheme.first_rhymes == first_pref else 1)
        if best is None or key < best:
            best, chosen = key, scheme
    return chosen


def _first_rhyme_preference(
    codes: list[list[int]], full: list[bool], length: int, lines: list[TextLine], book: RhymeBook
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
