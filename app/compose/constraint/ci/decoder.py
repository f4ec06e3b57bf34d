"""Strict-metre generation of a 词: the 诗 decoder's phases, with 叠句 written by the decoder.

The answer is one line per segment of the 体. Inside it the masks of
:mod:`app.compose.constraint.masks` follow :class:`~app.compose.constraint.ci.rules.CiRules`
(its automaton and its rhyme sets). Where the 体 repeats an earlier segment (叠句), the
decoder writes the repeated characters itself — each character's own tokens, one by one —
and the model goes on after them. :func:`build_ci` is what
:meth:`~app.compose.constraint.decoder.ConstraintFactory.build` calls for a spec of kind
``ci``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from app.compose.constraint.ci.automaton import CiAutomaton
from app.compose.constraint.ci.rules import CiRules
from app.compose.constraint.ci.spec import CiSpec, plan_rhymes
from app.compose.constraint.decoder import Phase, TokenConstraint
from app.compose.constraint.masks import Ids
from app.compose.constraint.poem import PoemState

if TYPE_CHECKING:
    from app.compose.constraint.decoder import ConstraintFactory

__all__ = ["CiTokenConstraint", "build_ci"]

_NEG_INF = np.float32(-np.inf)


class CiTokenConstraint(TokenConstraint):
    """A :class:`TokenConstraint` that also writes the 叠句 of the 体."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._echo: list[int] = []
        self.poem_bytes = b""  # the answer so far (the segments joined by line breaks)

    @property
    def automaton(self) -> CiAutomaton:
        automaton = self.rules.automaton
        assert isinstance(automaton, CiAutomaton)
        return automaton

    def allowed_parts(self) -> tuple[Ids, ...] | None:
        if self.phase is Phase.POEM and self._echo:
            return (np.asarray(self._echo[:1], dtype=np.intp),)
        return super().allowed_parts()

    def apply(self, logits: npt.NDArray[np.float32]) -> None:
        if self.phase is Phase.POEM and self._echo:
            token = self._echo[0]
            kept = logits[token]
            logits.fill(_NEG_INF)
            logits[token] = kept
            return
        super().apply(logits)

    def accept(self, token: int, logits: npt.NDArray[np.float32] | None = None) -> int:
        if self.phase is Phase.POEM and self._echo:
            want = self._echo.pop(0)
            if token != want:
                token = want
                self.substitutions += 1
            self.last_tag = ""
            self.poem_bytes += self._piece(token)
            if not self._echo:
                s = self.state
                self.state = PoemState(self.automaton.after_echo(s.metre), s.used, b"", s.rhymes)
                self._after_move()
            return token
        in_poem = self.phase is Phase.POEM
        token = super().accept(token, logits)
        if in_poem:
            self.poem_bytes += self.table.pieces.get(token) or self._piece(token)
            self._start_echo()
        return token

    def _after_move(self) -> None:
        if self.rules.is_final(self.state):
            self._forced = list(self._close)
            self._after_forced = Phase.DONE
            self.phase = Phase.FORCED
        else:
            self._start_echo()

    def _start_echo(self) -> None:
        """At the start of a 叠句: the tokens of the segment it repeats, char by char."""
        s = self.state
        if self.phase is not Phase.POEM or s.pending:
            return
        source = self.automaton.echo(s.metre)
        if source < 0:
            return
        lines = self.poem_bytes.decode("utf-8", errors="replace").split("\n")
        text = lines[source] if source < len(lines) else ""
        tokens = [t for ch in text for t in self._tokenize(ch.encode("utf-8"))]
        if not tokens:  # nothing to repeat (never expected): go on past it
            self.state = PoemState(self.automaton.after_echo(s.metre), s.used, b"", s.rhymes)
            self._after_move()
            return
        self._echo = tokens


def build_ci(
    factory: ConstraintFactory, spec: CiSpec, *, max_tokens: int | None = None
) -> CiTokenConstraint:
    """A fresh constraint for one 词 request (:class:`ConstraintError` if it cannot be met)."""
    table = factory.table(spec.policy, spec.book.tone_book)  # the tones of the 词's book
    rhymes = factory.ci_rhymes(spec.book, spec.policy, table.chars.table)
    key = ("ci", spec.form.key, spec.book.value, spec.bu, spec.policy)
    got = factory.ci_plans.get(key)
    if got is None:
        automaton, allowed = plan_rhymes(spec, rhymes)
        got = factory.ci_plans[key] = (automaton, allowed)
    automaton, allowed = got
    rules = CiRules(automaton, table.chars, rhymes, allowed, key)
    return factory.make(CiTokenConstraint, table, rules, spec.think_budget, max_tokens)
