"""The 词 automaton: which tone may stand next in a 词 of one 体.

The 诗 automaton (:mod:`app.compose.constraint.automaton`) generalised from fixed line
lengths to a 体's segments: the answer is one line per segment of the 体 (each 句 and each
讀), and each position takes what the 体's mark there allows:

=========  ==============================  ====================================
mark       tone classes                    as the 词 checker reads it
=========  ==============================  ====================================
平         P, E (a polyphone may be 平)     a definite 仄 is an error
仄         Z, E                            a definite 平 is an error
中, ？     P, Z, E, U                      either tone
rhyme      P, E (平 rhyme) or Z, E (仄),    its tone, and its 部 (the rules'
           only from the rhyme set          :class:`~app.compose.constraint.ci.rules.CiRules`)
=========  ==============================  ====================================

A segment that repeats an earlier one (叠句) takes nothing here: the decoder writes the
repeated characters itself (:mod:`app.compose.constraint.ci.decoder`); its slots are empty
and :meth:`CiAutomaton.after_echo` moves past it. None of the 诗 rules (孤平, 三平尾, 粘对)
applies to 词.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from app.compose.constraint.automaton import ANY, E_BIT, P_BIT, U_BIT, Z_BIT, Slot
from app.prosody.ci.table import CiForm

__all__ = ["CiAutomaton", "CiState", "RhymePosition"]

_PE = P_BIT | E_BIT
_ZE = Z_BIT | E_BIT
_BITS = {"平": _PE, "仄": _ZE, "中": ANY, "？": ANY}
_EMPTY = Slot(0, 0)
assert ANY == P_BIT | Z_BIT | E_BIT | U_BIT


class CiState(NamedTuple):
    seg: int  # the segment being written (0-based, over all 段)
    pos: int  # next position in it; == its length: a line break (or the end) is due


class RhymePosition(NamedTuple):
    """A rhyme position the model fills (叠句 excluded): its segment, group and tone."""

    seg: int
    letter: str  # the 体's group letter
    kind: str  # 平 or 仄


class CiAutomaton:
    """Strict metre for one 体: the same interface the masks walk as the 诗 automaton."""

    def __init__(self, form: CiForm) -> None:
        self.form = form
        segs = form.segments
        self.lengths: tuple[int, ...] = tuple(s.length for s in segs)
        self.n_lines = len(segs)
        self.n_chars = sum(self.lengths)
        self.echo_of: tuple[int, ...] = tuple(s.repeat for s in segs)
        slots: list[tuple[Slot, ...]] = []
        rhymes: list[RhymePosition] = []
        for j, s in enumerate(segs):
            if s.repeat >= 0:
                slots.append((_EMPTY,) * s.length)
                continue
            row = [Slot(_BITS.get(m, ANY), 0) for m in s.marks]
            if s.rhyme:
                row[-1] = Slot(0, _PE if s.rhyme_kind == "平" else _ZE)
                rhymes.append(RhymePosition(j, s.rhyme_group, s.rhyme_kind))
            slots.append(tuple(row))
        self._slots = tuple(slots)
        self.rhymes: tuple[RhymePosition, ...] = tuple(rhymes)
        shape = "/".join(s.encode() for s in segs).encode()
        digest = hashlib.blake2b(shape, digest_size=12).hexdigest()
        self.key: tuple[object, ...] = ("ci", form.key, digest)

    # ------------------------------------------------------------------ walking
    def start(self) -> CiState:
        return CiState(0, 0)

    def is_final(self, state: CiState) -> bool:
        return state.seg == self.n_lines - 1 and state.pos == self.lengths[-1]

    def wants_break(self, state: CiState) -> bool:
        return state.pos == self.lengths[state.seg] and state.seg < self.n_lines - 1

    def slot(self, state: CiState) -> Slot:
        row = self._slots[state.seg]
        return row[state.pos] if state.pos < len(row) else _EMPTY

    def step(self, state: CiState, tone: int, rhyme_ok: bool) -> tuple[CiState, bool] | None:
        row = self._slots[state.seg]
        if state.pos >= len(row):
            return None
        slot = row[state.pos]
        bit = 1 << tone
        if bit & slot.plain:
            return CiState(state.seg, state.pos + 1), False
        if rhyme_ok and bit & slot.rhyme:
            return CiState(state.seg, state.pos + 1), True
        return None

    def newline(self, state: CiState) -> CiState | None:
        """A line break: only where a segment is complete and another follows."""
        if not self.wants_break(state):
            return None
        return CiState(state.seg + 1, 0)

    # ------------------------------------------------------------------ 叠句
    def echo(self, state: CiState) -> int:
        """The segment to repeat when ``state`` starts a 叠句, else -1."""
        return self.echo_of[state.seg] if state.pos == 0 else -1

    def after_echo(self, state: CiState) -> CiState:
        return CiState(state.seg, self.lengths[state.seg])
