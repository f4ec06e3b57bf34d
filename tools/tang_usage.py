"""How Tang poets used each character: the usage evidence of the rhyme-book audit.

Two kinds of fact are counted in the regulated-shape poems of 全唐诗 (traditional text,
poems with no missing character):

- **rhyme positions**: a character at the end of an even line, in a poem whose *other*
  rhyme characters all agree on exactly one group G (at least two of them; line 1 counts
  as one when it can be read in G), is a use of the character as a rhyme of G. Line 1's
  own ending is counted apart (it may borrow a neighbouring group).
- **fixed tone positions**: the poem's template is the scheme (仄起/平起 × 首句入韵) with
  the fewest definite mismatches at the positions no licence frees — the 2nd character of
  every line, the 4th of a 七言 line, the 4th (五言) of an A or B line, and every line
  end. In a poem where every *other* such position fits, the tone the template wants at a
  character's position is a use of the character in that tone.

The readings used to judge the *other* characters are the union of the 平水韻 and
《廣韻》, so an error of the book being audited does not decide its own evidence.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from app.prosody.groups import GROUPS

PING, ZE = 1, 2

# The two 4-line cycles in 五言 letters (meter-spec §3) and each type's 五言 standard tones.
_STANDARD5 = {"a": (ZE, ZE, PING, PING, ZE), "B": (PING, PING, ZE, ZE, PING),
              "b": (PING, PING, PING, ZE, ZE), "A": (ZE, ZE, ZE, PING, PING)}  # fmt: skip
_CYCLES = (("a", "B", "b", "A"), ("b", "A", "a", "B"))
_RHYMING = {"a": "A", "b": "B"}


def _schemes(n: int) -> list[tuple[str, ...]]:
    out = []
    for cycle in _CYCLES:
        for first_rhymes in (False, True):
            types = [cycle[i % 4] for i in range(n)]
            if first_rhymes:
                types[0] = _RHYMING[types[0]]
            out.append(tuple(types))
    return out


def _fixed_cells(types: tuple[str, ...], length: int) -> list[tuple[int, int, int]]:
    """(line, index, wanted tone) of the positions no licence frees."""
    cells: list[tuple[int, int, int]] = []
    k = length - 5
    for i, t in enumerate(types):
        five = _STANDARD5[t]
        std = five if length == 5 else (*((ZE, ZE) if five[0] == PING else (PING, PING)), *five)
        cells.append((i, 1, std[1]))
        if length == 7:
            cells.append((i, 3, std[3]))
        if t in ("A", "B"):
            cells.append((i, k + 3, std[k + 3]))
        cells.append((i, length - 1, std[length - 1]))
    return cells


@dataclass
class Usage:
    """Counts per traditional character (see the module docstring)."""

    poems: int = 0  # poems read
    rhyme: Counter[tuple[str, int]] = field(default_factory=Counter)  # (char, group) at 2/4/6/8
    first: Counter[tuple[str, int]] = field(default_factory=Counter)  # (char, group) at line 1
    fixed: Counter[tuple[str, int]] = field(default_factory=Counter)  # (char, PING|ZE) wanted
    clean_poems: int = 0  # poems whose fixed positions all fit one scheme
    one_off_poems: int = 0  # poems where exactly one fixed position does not

    def rhymes_of(self, ch: str) -> dict[int, int]:
        return {g: n for (c, g), n in self.rhyme.items() if c == ch}

    def fixed_of(self, ch: str) -> tuple[int, int]:
        return self.fixed[ch, PING], self.fixed[ch, ZE]


def read_poems(path: Path) -> Iterable[list[str]]:
    """The traditional lines of each regulated-shape poem with no missing character."""
    with path.open(encoding="utf-8") as f:
        for raw in f:
            poem = json.loads(raw)
            lines = poem["lines"]
            if poem.get("missing") or len(lines) not in (4, 8):
                continue
            length = len(lines[0])
            if length not in (5, 7) or any(len(x) != length for x in lines):
                continue
            yield lines


def count_usage(poems: Iterable[list[str]], groups_of: Callable[[str], frozenset[int]]) -> Usage:
    """Count rhyme-position and fixed-position uses; ``groups_of`` gives the readings
    (平水 group ids) used to judge the other characters of a poem."""
    usage = Usage()
    ping_of: dict[str, tuple[bool, bool]] = {}

    def classes(ch: str) -> tuple[bool, bool]:
        got = ping_of.get(ch)
        if got is None:
            gs = groups_of(ch)
            got = ping_of[ch] = (
                any(GROUPS[g].is_ping for g in gs),
                any(not GROUPS[g].is_ping for g in gs),
            )
        return got

    schemes = {4: _schemes(4), 8: _schemes(8)}
    cells_of = {(n, length): [_fixed_cells(t, length) for t in schemes[n]]
                for n in (4, 8) for length in (5, 7)}  # fmt: skip
    for lines in poems:
        usage.poems += 1
        n, length = len(lines), len(lines[0])
        _count_rhymes(lines, groups_of, usage)
        best: list[tuple[int, list[tuple[str, int, bool]]]] = []
        for cells in cells_of[n, length]:
            judged = []
            misses = 0
            for i, pos, want in cells:
                ch = lines[i][pos]
                can_ping, can_ze = classes(ch)
                if not (can_ping or can_ze):
                    continue
                fits = can_ping if want == PING else can_ze
                misses += not fits
                judged.append((ch, want, fits))
            best.append((misses, judged))
        best.sort(key=lambda b: b[0])
        misses, judged = best[0]
        if misses > 1 or best[1][0] == misses:
            continue  # too far from any scheme, or two schemes fit equally well
        if misses == 0:
            usage.clean_poems += 1
        else:
            usage.one_off_poems += 1
        for ch, want, fits in judged:
            if misses - (not fits) == 0:
                usage.fixed[ch, want] += 1
    return usage


def _count_rhymes(
    lines: list[str], groups_of: Callable[[str], frozenset[int]], usage: Usage
) -> None:
    ends = [(i, lines[i][-1]) for i in range(1, len(lines), 2)]
    first = lines[0][-1]
    for i, ch in ends:
        others = [c for j, c in ends if j != i]
        common = _common(others, groups_of)
        agreeing = len(others)
        if common and first != ch:
            with_first = common & groups_of(first)
            if with_first:
                common, agreeing = with_first, agreeing + 1
        if len(common) == 1 and agreeing >= 2:
            usage.rhyme[ch, next(iter(common))] += 1
    common = _common([c for _, c in ends], groups_of)
    if len(common) == 1 and len(ends) >= 2:
        usage.first[first, next(iter(common))] += 1


def _common(chars: list[str], groups_of: Callable[[str], frozenset[int]]) -> frozenset[int]:
    if not chars:
        return frozenset()
    common = groups_of(chars[0])
    for c in chars[1:]:
        common &= groups_of(c)
        if not common:
            break
    return common
