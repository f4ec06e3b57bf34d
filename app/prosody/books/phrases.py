"""pypinyin's phrase table, indexed for settling the polyphones of one line.

A phrase (2–4 characters) gives a reading to some of its characters (还乡: 还 huán) and
"-" to the rest. A character of a line is settled when every phrase of the table found
in the line around it gives it the same reading; where phrases disagree, or none is
found, it keeps all its readings (:meth:`~app.prosody.books.modern.ModernBook.settle`).

The index is built once, when the phrase table is read, so that a line costs little:

- ``settleable``: the characters some phrase settles (331 of them) — a line without any
  is done in one set operation, in C;
- per settleable character, the characters written just before and just after it in
  the phrases that settle it (还 → 乡 after it): a phrase can only be found around a
  character of the line where one of these stands beside it, so most places are ruled
  out by two set lookups;
- per pair of neighbouring characters, the phrases that settle the pair's second
  character somewhere past their start (``_ends``) or the first character at their start
  (``_starts``): every phrase around a place holds one of the two pairs at that place,
  so the few phrases under those two pairs are all that is compared with the line.

The phrases around a place are taken in the order the table was always searched in —
by where they start, the longest first at each start — and the first phrase giving a
reading is the one the hint names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import compress

LENGTHS = range(2, 5)  # the phrase lengths searched


class PhraseIndex:
    """The phrases of the table, indexed by the characters they settle."""

    __slots__ = ("_around", "_ends", "_starts", "settleable")

    def __init__(self, phrases: Mapping[str, Sequence[str]]) -> None:
        before: dict[str, set[str]] = {}
        after: dict[str, set[str]] = {}
        # pair → (offset of the settled character, phrase, its reading there)
        ends: dict[str, list[tuple[int, str, str]]] = {}
        starts: dict[str, list[tuple[int, str, str]]] = {}
        for phrase, said in phrases.items():
            n = len(phrase)
            if n not in LENGTHS:
                continue
            for k, syllable in enumerate(said):
                if syllable == "-" or k >= n:
                    continue
                ch = phrase[k]
                if k:
                    before.setdefault(ch, set()).add(phrase[k - 1])
                    ends.setdefault(phrase[k - 1 : k + 1], []).append((k, phrase, syllable))
                else:
                    starts.setdefault(phrase[:2], []).append((0, phrase, syllable))
                if k + 1 < n:
                    after.setdefault(ch, set()).add(phrase[k + 1])
        self.settleable = frozenset(before) | frozenset(after)
        empty: frozenset[str] = frozenset()
        self._around = {
            ch: (frozenset(before.get(ch, empty)), frozenset(after.get(ch, empty)))
            for ch in self.settleable
        }
        self._ends = {pair: _ordered(entries) for pair, entries in ends.items()}
        self._starts = {pair: _ordered(entries) for pair, entries in starts.items()}

    def settle(self, chars: str) -> list[tuple[int, str, str]]:
        """(position, syllable, phrase) for each character of ``chars`` that the phrases
        found around it all read alike (``phrase`` the first of them), by position. A
        caller with many lines skips those where ``settleable.isdisjoint(chars)``."""
        settleable = self.settleable
        out: list[tuple[int, str, str]] = []
        around = self._around
        last = len(chars) - 1
        for pos in compress(range(last + 1), map(settleable.__contains__, chars)):
            before, after = around[chars[pos]]
            if (pos and chars[pos - 1] in before) or (pos < last and chars[pos + 1] in after):
                found = self._settle_at(chars, pos, last)
                if found is not None:
                    out.append(found)
        return out

    def _settle_at(self, chars: str, pos: int, last: int) -> tuple[int, str, str] | None:
        first: tuple[int, str, str] | None = None  # the first phrase found, its reading
        if pos:
            for k, phrase, syllable in self._ends.get(chars[pos - 1 : pos + 1], ()):
                if k <= pos and chars.startswith(phrase, pos - k):
                    if first is None:
                        first = (pos, syllable, phrase)
                    elif syllable != first[1]:
                        return None  # the phrases disagree
        if pos < last:
            for _, phrase, syllable in self._starts.get(chars[pos : pos + 2], ()):
                if chars.startswith(phrase, pos):
                    if first is None:
                        first = (pos, syllable, phrase)
                    elif syllable != first[1]:
                        return None
        return first


def _ordered(entries: list[tuple[int, str, str]]) -> tuple[tuple[int, str, str], ...]:
    """By where the phrase starts (the settled character furthest in first), then the
    longest first."""
    if len(entries) > 1:
        entries.sort(key=lambda e: (-e[0], -len(e[1])))
    return tuple(entries)


__all__ = ["PhraseIndex"]
