"""Strict metre for a 下联: the model completes a couplet whose 上联 is given.

The answer is the 下联, one clause (分句) a line, each as long as the 上联's clause
(meter-spec §10). A :class:`CoupletAutomaton` is a
:class:`~app.compose.constraint.automaton.MetreAutomaton` to the masks, the pieces and the
decoder — the same walk, slots and steps — over these rules:

- at a rhythm point (the 2nd, 4th … character of a clause) the tone opposite the 上联's
  there when that one is definite (平 → 仄 or a polyphone, 仄 → 平 or a polyphone);
- a clause's last character opposite the 上联's (or, where that is not definite, the
  马蹄韵 order); the 下联's very last character definitely 平 (平收);
- no 三平尾: after a 平 third-to-last character the second-to-last is not 平;
- everywhere else any character, an unknown one (``U``) included.

There is no rhyme: the rules' group is none (``group_id`` −1). States are
:class:`~app.compose.constraint.automaton.MetreState`\\ s with ``line`` the clause, ``pos``
the position in it, ``schemes`` always 1 and ``q3_ze`` meaning "the character before was
definitely 平" (the only thing the 三平尾 rule needs to remember).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.compose.constraint.automaton import (
    ANY,
    E_BIT,
    P_BIT,
    Z_BIT,
    MetreAutomaton,
    MetreSettings,
    MetreState,
    Slot,
    ToneClass,
)
from app.compose.constraint.chars import CharPolicy
from app.compose.constraint.spec import (
    DEFAULT_THINK_BUDGET,
    ConstraintError,
    common_fields,
    parse_cache_dir,
    parse_policy,
    parse_think_budget,
)
from app.prosody.books.kinds import BookKind
from app.prosody.couplet.rules import ma_ti, rhythm_points
from app.prosody.couplet.shape import clauses
from app.prosody.forms import PING, ZE, Form
from app.prosody.tones import PING_BIT, ZE_BIT

if TYPE_CHECKING:
    from app.prosody.books.protocol import Book

_PE = P_BIT | E_BIT
_ZE = Z_BIT | E_BIT
MAX_CHARS = 120  # a 长联 side this long is already a rarity


@dataclass(frozen=True, slots=True)
class CoupletSpec:
    """A request for the 下联 of ``first`` in the rhyme book ``book``::

    {"kind": "couplet", "first": "海内存知己", "book": "pingshui",
     "script": "simplified", "admit_derived": true, "think_budget": 1024}
    """

    first: str
    book: BookKind = BookKind.PINGSHUI
    policy: CharPolicy = field(default_factory=CharPolicy)
    think_budget: int = DEFAULT_THINK_BUDGET
    cache_dir: str | None = None

    @property
    def clauses(self) -> tuple[str, ...]:
        return tuple(tl.chars for tl in clauses(self.first))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CoupletSpec:
        first = data.get("first")
        if not isinstance(first, str) or not clauses(first):
            raise ConstraintError("no_first_line", "请给出上联", "the first line is missing")
        n = sum(len(tl.chars) for tl in clauses(first))
        if n > MAX_CHARS:
            raise ConstraintError(
                "too_long", f"上联有{n}字，过长（至多{MAX_CHARS}字）",
                f"the first line has {n} characters (at most {MAX_CHARS})",
            )  # fmt: skip
        book_raw = data.get("book", BookKind.PINGSHUI.value)
        book = BookKind.from_name(book_raw) if isinstance(book_raw, str) else None
        if book is None:
            raise ConstraintError("bad_spec", f"不认识的韵书：{book_raw}",
                                  f"unknown rhyme book: {book_raw}")  # fmt: skip
        return cls(
            first=first,
            book=book,
            policy=parse_policy(data),
            think_budget=parse_think_budget(data),
            cache_dir=parse_cache_dir(data),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "couplet",
            "first": self.first,
            "book": self.book.value,
            **common_fields(
                self.policy.script, self.policy.admit_derived, self.think_budget, self.cache_dir
            ),
        }


def couplet_spec(
    first: str,
    *,
    book: BookKind | str = BookKind.PINGSHUI,
    script: str = "simplified",
    admit_derived: bool = True,
    think_budget: int = DEFAULT_THINK_BUDGET,
    cache_dir: str | None = None,
) -> dict[str, Any]:
    """The JSON spec of a 下联 request for ``GenerateRequest.constraint`` (checked now)."""
    data: dict[str, Any] = {
        "kind": "couplet",
        "first": first,
        "book": book.value if isinstance(book, BookKind) else book,
        **common_fields(script, admit_derived, think_budget, cache_dir),
    }
    return CoupletSpec.from_dict(data).to_dict()


def _definite(book: Book, ch: str) -> int | None:
    mask = book.mask(ch) & (PING_BIT | ZE_BIT)
    return PING if mask == PING_BIT else ZE if mask == ZE_BIT else None


class CoupletAutomaton(MetreAutomaton):
    """The 下联's automaton for the 上联 ``first`` (clauses and tones read in ``book``)."""

    def __init__(self, first: str, book: Book) -> None:  # not the poem automaton's init
        self.clauses = tuple(tl.chars for tl in clauses(first))
        if not self.clauses:
            raise ConstraintError("no_first_line", "请给出上联", "the first line is missing")
        self.form = Form.DUILIAN
        self.settings = MetreSettings()
        self.schemes = 1
        self.n_lines = len(self.clauses)
        self.lengths = tuple(len(c) for c in self.clauses)
        self.line_len = max(self.lengths)
        bits: list[tuple[int, ...]] = []
        ends = ma_ti(len(self.clauses), 1)
        for j, clause in enumerate(self.clauses):
            row = [ANY] * len(clause)
            for p in rhythm_points(len(clause)):
                above = _definite(book, clause[p])
                if p == len(clause) - 1:
                    if j == len(self.clauses) - 1:
                        row[p] = P_BIT  # 平收, definitely
                    else:
                        want = ZE if above == PING else PING if above == ZE else ends[j]
                        row[p] = _ZE if want == ZE else _PE
                elif above == PING:
                    row[p] = _ZE
                elif above == ZE:
                    row[p] = _PE
            bits.append(tuple(row))
        self._bits_of = tuple(bits)
        self.key: tuple[object, ...] = ("couplet", book.kind, self.clauses)
        self._slots: dict[MetreState, Slot] = {}
        self._steps: dict[tuple[MetreState, int, bool], tuple[MetreState, bool] | None] = {}

    # ------------------------------------------------------------------ facts
    @property
    def n_chars(self) -> int:
        return sum(self.lengths)

    def candidate_schemes(self, state: MetreState | None = None) -> tuple[Any, ...]:
        return ()

    def rhyme_slots(self, scheme: Any) -> int:
        return 0

    def max_rhyme_slots(self) -> int:
        return 0

    # ------------------------------------------------------------------ walking
    def start(self) -> MetreState:
        return MetreState(0, 0, 1)

    def is_final(self, state: MetreState) -> bool:
        return state.line == self.n_lines - 1 and state.pos == self.lengths[-1]

    def wants_break(self, state: MetreState) -> bool:
        return state.pos == self.lengths[state.line] and state.line < self.n_lines - 1

    def slot(self, state: MetreState) -> Slot:
        got = self._slots.get(state)
        if got is not None:
            return got
        plain = 0
        j, p = state.line, state.pos
        if p < self.lengths[j]:
            plain = self._bits_of[j][p]
            last = len(self._bits_of) - 1
            if j == last and p == self.lengths[j] - 2 and state.q3_ze:
                plain &= ~P_BIT  # 三平尾: the third-to-last was 平, the last will be
        got = Slot(plain, 0)
        self._slots[state] = got
        return got

    def _step(self, state: MetreState, tone: int, rhyme_ok: bool) -> tuple[MetreState, bool] | None:
        if state.pos >= self.lengths[state.line]:
            return None
        if not self.slot(state).plain & (1 << tone):
            return None
        return MetreState(state.line, state.pos + 1, 1, q3_ze=tone == ToneClass.P), False

    def newline(self, state: MetreState) -> MetreState | None:
        if not self.wants_break(state):
            return None
        return MetreState(state.line + 1, 0, 1)


__all__ = ["CoupletAutomaton", "CoupletSpec", "couplet_spec"]
