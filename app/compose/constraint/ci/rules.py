"""The rhymes of a strict-metre 词: one 部 per rhyme group, chosen or left to the model.

Every rhyme position of the 体 belongs to a group (A, B …; a 换韵 tune has several) and
needs a tone. The positions of one group rhyme in one 部 of the book
(:mod:`app.prosody.ci.books`): a 部 the poet pinned, or — left open — any 部 with enough
characters, narrowed by each rhyme the model writes to the 部 all of them share. The set of
characters the next rhyme position may take therefore depends on the rhymes written so far:
:class:`CiRules` is :class:`~app.compose.constraint.poem.PoemRules` with a rhyme set per
state. No rhyme character is used twice (叠句 aside, which the decoder repeats).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from app.compose.constraint.automaton import ToneClass
from app.compose.constraint.chars import EXCLUDED, CharTable
from app.compose.constraint.ci.automaton import CiAutomaton
from app.compose.constraint.poem import CharBytes, PoemRules, PoemState, RhymeSet
from app.prosody.ci.books import CiRhymes

__all__ = ["CiRhymeTable", "CiRules", "group_keys"]

_KIND_CLASSES = {"平": (ToneClass.P, ToneClass.E), "仄": (ToneClass.Z, ToneClass.E)}


class CiRhymeTable:
    """For one character table and one book: the 部 each admitted character rhymes in,
    by tone (平 / 仄), and the members of each 部."""

    def __init__(self, chars: CharTable, rhymes: CiRhymes) -> None:
        self.chars = chars
        self.rhymes = rhymes
        n = len(chars)
        self.bu: dict[str, list[frozenset[int]]] = {"平": [], "仄": []}
        by_bu: dict[tuple[str, int], list[int]] = {}
        classes = chars.classes.tolist()
        empty: frozenset[int] = frozenset()
        for cid, ch in enumerate(chars.chars):
            cls = classes[cid]
            for kind, allowed in _KIND_CLASSES.items():
                got = rhymes.bu_of(ch, kind) if cls in allowed else empty  # type: ignore[arg-type]
                self.bu[kind].append(got)
                for b in got:
                    by_bu.setdefault((kind, b), []).append(cid)
        self._members: dict[tuple[str, int], npt.NDArray[np.bool_]] = {}
        for key, cids in by_bu.items():
            member = np.zeros(n, dtype=np.bool_)
            member[cids] = True
            self._members[key] = member
        self._n = n
        self._union: dict[tuple[str, frozenset[int]], npt.NDArray[np.bool_]] = {}

    def count(self, kind: str, bu: int) -> int:
        member = self._members.get((kind, bu))
        return 0 if member is None else int(member.sum())

    def member(self, kind: str, bus: frozenset[int]) -> npt.NDArray[np.bool_]:
        """Characters with a reading of ``kind`` in any of ``bus``."""
        key = (kind, bus)
        got = self._union.get(key)
        if got is None:
            got = np.zeros(self._n, dtype=np.bool_)
            for b in bus:
                m = self._members.get((kind, b))
                if m is not None:
                    got |= m
            got.setflags(write=False)
            self._union[key] = got
        return got

    def bu_of(self, ch: str, kind: str) -> frozenset[int]:
        cid = self.chars.index.get(ch)
        if cid is None or self.chars.classes[cid] == EXCLUDED:
            return frozenset()
        return self.bu[kind][cid]


def group_keys(automaton: CiAutomaton, joins_tones: bool) -> tuple[str, ...]:
    """Per rhyme position, the group it rhymes with: its letter, or where the book's 部 do
    not hold both tones (the 平水韵) its letter and tone (``A平``, ``A仄``)."""
    return tuple(r.letter if joins_tones else r.letter + r.kind for r in automaton.rhymes)


class CiRules(PoemRules):
    """Strict metre for one 词 request: the 体 (the automaton) and its rhyme groups.

    ``allowed``: per group key, the 部 it may rhyme in (one when pinned; every 部 with enough
    characters when open)."""

    varies = True
    one_rhyme_per_token = True

    def __init__(
        self,
        automaton: CiAutomaton,
        chars: CharBytes,
        table: CiRhymeTable,
        allowed: Mapping[str, frozenset[int]],
        key: object,
    ) -> None:
        self.automaton = automaton
        self.chars = chars
        self.group_id = key  # type: ignore[assignment]  # keys the table of moves
        self.table = table
        self.keys = group_keys(automaton, table.rhymes.joins_tones)
        self.kinds = tuple(r.kind for r in automaton.rhymes)
        self.allowed = dict(allowed)
        self._classes = chars.classes
        self._sets: dict[tuple[str, ...], RhymeSet] = {}
        self._by_key: dict[tuple[str, frozenset[int]], RhymeSet] = {}
        self.fixed = self.rhyme_set(PoemState(automaton.start()))
        self.member = self.fixed.member
        self.rhyme_ids = self.fixed.ids

    def bus(self, rhymes: tuple[str, ...]) -> frozenset[int]:
        """The 部 still open to the next rhyme position's group after ``rhymes``."""
        r = len(rhymes)
        if r >= len(self.keys):
            return frozenset()
        key = self.keys[r]
        bus = self.allowed[key]
        for i in range(r):
            if self.keys[i] == key:
                bus = bus & self.table.bu_of(rhymes[i], self.kinds[i])
        return bus

    def rhyme_set(self, state: PoemState) -> RhymeSet:
        rhymes = state.rhymes
        got = self._sets.get(rhymes)
        if got is not None:
            return got
        r = len(rhymes)
        kind = self.kinds[r] if r < len(self.kinds) else "平"
        bus = self.bus(rhymes)
        got = self._by_key.get((kind, bus))
        if got is None:
            got = RhymeSet((self.group_id, kind, bus), self.table.member(kind, bus))
            self._by_key[kind, bus] = got
        if len(self._sets) > 4096:
            self._sets.clear()
        self._sets[rhymes] = got
        return got
