"""The metre automaton: which tone may stand next in a regulated poem (meter-spec §2–5).

One source of truth for strict-metre generation. The token masks of the local
engine (:mod:`app.compose.constraint.masks`) and the grammars for remote servers
(:mod:`app.compose.constraint.grammar`) are both walks over this automaton.

It reads a poem as a sequence of *tone classes* — what the rhyme book says a
character can be read as — and line breaks:

* ``P`` only 平 readings, ``Z`` only 仄 readings, ``E`` both (a polyphone, which
  fits wherever either reading fits), ``U`` unknown or only guessed (admitted only
  where either tone would do, and then assumed to be the worse one).

A state is the line and position about to be filled, the poem templates still
possible (before line 1 has shown its 2nd character and its ending, 平起/仄起 and
首句入韵 are open, so the model chooses them) and the obligations the characters so
far created: "q3 must be 平" after a 仄 q1 in a B line (孤平) or after a 大拗 in
the line before (对句相救); "q4 may be 平" after a 仄 q3 in a b line (特拗);
"q4 must not be 仄" after a 仄 q3 when 三仄尾 is not wanted. Which *characters*
may rhyme (the chosen group, none twice) is the caller's: a slot says which tone
classes it takes plainly and which only from a rhyme character.

Positions follow meter-spec §2/§4 (五言 q1…q5; 七言 has p1, p2 in front):

====  =====================  ===================================================
type  template               rules beyond the template
====  =====================  ===================================================
a     ⊙仄⊙平仄               q4 仄 (大拗) only with 拗救 on; the next line must rescue
B     ⊙平⊙仄平               q1 仄 ⇒ q3 平 (孤平拗救; with 拗救 off q1 must be 平)
b     ⊙平⊙仄仄               q4 平 (特拗) only if q3 仄, q1 not 仄, 拗救 on
A     ⊙仄仄平平              q3 stays 仄 (no 三平尾)
====  =====================  ===================================================

Two more rules keep the checker's template vote unambiguous: line 1's 2nd
character must be definitely 平 or 仄 (not a polyphone), and a line 1 that does not
rhyme ends definitely 仄.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Literal, NamedTuple

from app.prosody.forms import PING, SCHEMES, Form, LineType, Scheme

__all__ = [
    "ANY",
    "E_BIT",
    "P_BIT",
    "U_BIT",
    "Z_BIT",
    "MetreAutomaton",
    "MetreSettings",
    "MetreState",
    "Slot",
    "ToneClass",
    "class_bit",
]


class ToneClass(IntEnum):
    """What a character can be read as, for the automaton."""

    P = 0  # only 平 readings
    Z = 1  # only 仄 readings
    E = 2  # both: a polyphone fits either tone
    U = 3  # unknown or guessed: only where either tone would do

    @property
    def zh(self) -> str:
        return "平仄兼?"[self.value]


P_BIT, Z_BIT, E_BIT, U_BIT = 1, 2, 4, 8
ANY = P_BIT | Z_BIT | E_BIT | U_BIT
_PE = P_BIT | E_BIT
_ZE = Z_BIT | E_BIT


def class_bit(tone: int) -> int:
    """The slot bit of a tone class."""
    return 1 << tone


Qi = Literal["平起", "仄起"]


@dataclass(frozen=True, slots=True)
class MetreSettings:
    """Where the tradition is divided (meter-spec §4), and what the poet pinned.

    ``aojiu``: the recognised 拗救 forms (孤平拗救, 大拗 with 对句相救, 特拗) may be
    used; off, every line keeps its plain template. ``san_ze_wei``: a b line may end
    in three 仄 (tolerated by the checker). ``first_rhymes`` (首句入韵) and ``qi``
    (平起/仄起, read from line 1's 2nd character): None lets the model choose.
    """

    aojiu: bool = True
    san_ze_wei: bool = True
    first_rhymes: bool | None = None
    qi: Qi | None = None


class Slot(NamedTuple):
    """What the next character may be: tone-class bits taken as they are (``plain``)
    and bits taken only from a character of the rhyme group not used yet (``rhyme``).
    Both 0: a line break is due (or the poem is complete)."""

    plain: int
    rhyme: int


class MetreState(NamedTuple):
    line: int  # 0-based line being written
    pos: int  # next position in the line; == line length: a line break (or the end) is due
    schemes: int  # bit i set: SCHEMES[i] is still possible
    q1_ze: bool = False  # this line's q1 is 仄 (or unknown): B needs q3 平, b loses 特拗
    q3_ze: bool = False  # this line's q3 is definitely 仄: a b line may take 特拗
    q3_maybe_ze: bool = False  # q3 仄 or unknown: guards 三仄尾 when it is not wanted
    rescue: bool = False  # this B line must have q3 平 (the a line before was 大拗)
    rescue_next: bool = False  # this a line is 大拗: the next line must rescue


class MetreAutomaton:
    """The strict-metre automaton for one form and settings.

    ``schemes`` restricts the templates further (a bit per ``SCHEMES`` entry), e.g.
    when the rhyme group has too few characters for 首句入韵.
    """

    def __init__(self, form: Form, settings: MetreSettings, schemes: int | None = None) -> None:
        n = form.n_lines
        if n is None:
            raise ValueError(f"strict metre supports 五绝/七绝/五律/七律, not {form.value}")
        self.form = form
        self.settings = settings
        self.n_lines = n
        self.line_len = form.line_len
        allowed = 0
        for i, scheme in enumerate(SCHEMES):
            if settings.first_rhymes is not None and scheme.first_rhymes != settings.first_rhymes:
                continue
            if settings.qi is not None and scheme.qi(self.line_len) != settings.qi:
                continue
            allowed |= 1 << i
        if schemes is not None:
            allowed &= schemes
        self.schemes = allowed
        # Everything that decides the automaton (for caches); hashed once.
        self.key: tuple[object, ...] = (form, settings, allowed)
        self._slots: dict[MetreState, Slot] = {}
        self._steps: dict[tuple[MetreState, int, bool], tuple[MetreState, bool] | None] = {}

    # ------------------------------------------------------------------ facts
    @property
    def n_chars(self) -> int:
        return self.n_lines * self.line_len

    def candidate_schemes(self, state: MetreState | None = None) -> tuple[Scheme, ...]:
        mask = self.schemes if state is None else state.schemes
        return tuple(s for i, s in enumerate(SCHEMES) if mask >> i & 1)

    def rhyme_slots(self, scheme: Scheme) -> int:
        """How many rhyme characters a poem of this form needs under ``scheme``."""
        return sum(1 for t in scheme.types(self.n_lines) if t.rhymes)

    def max_rhyme_slots(self) -> int:
        return max((self.rhyme_slots(s) for s in self.candidate_schemes()), default=0)

    # ------------------------------------------------------------------ walking
    def start(self) -> MetreState:
        return MetreState(0, 0, self.schemes)

    def is_final(self, state: MetreState) -> bool:
        return state.line == self.n_lines - 1 and state.pos == self.line_len

    def wants_break(self, state: MetreState) -> bool:
        return state.pos == self.line_len and state.line < self.n_lines - 1

    def slot(self, state: MetreState) -> Slot:
        """What the next character may be (both fields 0 at a line end)."""
        got = self._slots.get(state)
        if got is not None:
            return got
        plain = rhyme = 0
        if state.pos < self.line_len:
            for i, scheme in enumerate(SCHEMES):
                if state.schemes >> i & 1:
                    p, r = self._bits(scheme.line_type(state.line), state)
                    plain |= p
                    rhyme |= r
        if plain & rhyme:  # the two kinds never overlap: a character's role is unambiguous
            raise AssertionError(f"overlapping slot at {state}")
        got = Slot(plain, rhyme)
        self._slots[state] = got
        return got

    def step(self, state: MetreState, tone: int, rhyme_ok: bool) -> tuple[MetreState, bool] | None:
        """Add a character of tone class ``tone``; ``rhyme_ok``: it is in the rhyme group
        and not used yet. Returns the new state and whether it was taken as a rhyme, or
        None when it does not fit."""
        key = (state, tone, rhyme_ok)
        if key in self._steps:
            return self._steps[key]
        got = self._step(state, tone, rhyme_ok)
        self._steps[key] = got
        return got

    def _step(self, state: MetreState, tone: int, rhyme_ok: bool) -> tuple[MetreState, bool] | None:
        if state.pos >= self.line_len:
            return None
        bit = 1 << tone
        survivors = 0
        as_rhyme = False
        any_a = False
        for i, scheme in enumerate(SCHEMES):
            if not state.schemes >> i & 1:
                continue
            t = scheme.line_type(state.line)
            plain, rhyme = self._bits(t, state)
            if bit & plain:
                survivors |= 1 << i
            elif rhyme_ok and bit & rhyme:
                survivors |= 1 << i
                as_rhyme = True
            else:
                continue
            any_a = any_a or t is LineType.a
        if not survivors:
            return None
        q = state.pos - (self.line_len - 5)
        q1_ze, q3_ze, q3_maybe, rescue_next = (
            state.q1_ze,
            state.q3_ze,
            state.q3_maybe_ze,
            state.rescue_next,
        )
        if q == 0:
            q1_ze = tone in (ToneClass.Z, ToneClass.U)
        elif q == 2:
            q3_ze = tone == ToneClass.Z
            q3_maybe = tone in (ToneClass.Z, ToneClass.U)
        elif q == 3:
            rescue_next = any_a and tone == ToneClass.Z
        new = MetreState(
            state.line,
            state.pos + 1,
            survivors,
            q1_ze,
            q3_ze,
            q3_maybe,
            state.rescue,
            rescue_next,
        )
        return new, as_rhyme

    def newline(self, state: MetreState) -> MetreState | None:
        """A line break: only where a line is complete and another follows."""
        if not self.wants_break(state):
            return None
        return MetreState(state.line + 1, 0, state.schemes, rescue=state.rescue_next)

    # ------------------------------------------------------------------ the rules
    def _bits(self, t: LineType, st: MetreState) -> tuple[int, int]:
        """(plain, rhyme) tone-class bits for line type ``t`` at ``st``."""
        length = self.line_len
        pos = st.pos
        q = pos - (length - 5)
        s = self.settings
        first = st.line == 0
        if q == -2:  # 七言 position 1: always free
            return ANY, 0
        if q in (-1, 1):  # 七言 position 2, and q2 (七言 position 4): fixed
            bits = _PE if t.standard(length)[pos] == PING else _ZE
            if first and pos == 1:  # line 1's 2nd character decides 平起/仄起: no polyphone
                bits &= ~E_BIT
            return bits, 0
        if q == 0:  # q1
            if t is LineType.B and not s.aojiu:
                return _PE, 0  # 仄 here would need 孤平拗救
            return ANY, 0
        if q == 2:  # q3
            if t is LineType.B:
                return (_PE, 0) if st.q1_ze or st.rescue else (ANY, 0)
            if t is LineType.A:
                return _ZE, 0  # 三平尾
            return ANY, 0
        if q == 3:  # q4
            if t is LineType.B:
                return _ZE, 0
            if t is LineType.A:
                return _PE, 0
            if t is LineType.a:
                return (_PE | Z_BIT if s.aojiu else _PE), 0  # 仄: 大拗, rescued next line
            bits = _ZE
            if not s.san_ze_wei and st.q3_maybe_ze:
                bits &= ~Z_BIT
            if s.aojiu and st.q3_ze and not st.q1_ze:
                bits |= P_BIT  # 特拗 平平仄平仄
            return bits, 0
        # q5: the line end
        if t.rhymes:
            return 0, _PE
        return (Z_BIT if first else _ZE), 0
