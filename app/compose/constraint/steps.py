"""One request stepping through the masks: what runs between two tokens.

The engine calls :meth:`MaskSteps.mask` on llama.cpp's logits and
:meth:`MaskSteps.advance` with the sampled token, once per token. Right after the
model's forward pass the CPU caches hold the model's weights, not ours, so every
Python-level lookup here is costly; the steps therefore hold the automaton's plan
table and the table of moves by direct reference (two dictionary hits a token), and
mask with one ``numpy.minimum`` against a cap array shared by every state that
allows the same tokens.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import numpy.typing as npt

from app.compose.constraint.automaton import MetreState
from app.compose.constraint.masks import MaskTable, Move, keep_only
from app.compose.constraint.poem import PoemRules, PoemState

__all__ = ["MaskSteps"]

_MAX_MOVES = 20_000  # per table; a full table is cleared, not trimmed
_UNSEEN = object()
_NEG_INF = np.float32(-np.inf)
_MAX_SEEN = 100_000


class MaskSteps:
    """The masks for one automaton and rhyme group (one request, or several alike)."""

    __slots__ = ("conds", "moves", "plans", "rules", "sig_moves", "table", "varies")

    def __init__(self, table: MaskTable, rules: PoemRules) -> None:
        self.table = table
        self.rules = rules
        self.varies = rules.varies  # the rhyme set depends on the state (a 词's groups)
        self.plans = table.plans_for(rules.automaton)
        self.moves = table.moves_for(rules)
        self.conds = table.conds_for(rules, rules.rhyme_set(rules.start()))
        self.sig_moves = table.sig_moves_for(rules.automaton)

    def mask(self, state: PoemState, logits: npt.NDArray[np.float32]) -> None:
        """Set every logit the poem does not allow at ``state`` to -inf, in place."""
        table = self.table
        if state.pending:
            keep_only(logits, (table.continuations(self.rules, state),))
            return
        plan = self.plans.get(state.metre)
        if plan is None:
            plan = self.plans[state.metre] = table.build_plan(self.rules.automaton, state.metre)
        if not plan.conditional:
            cap = table.caps.get(plan.base_key)
            if cap is None:
                cap = table.cap(plan.base_key, plan.base, len(logits))
            np.minimum(logits, cap, out=logits)
            return
        if plan.multi:  # a token with two rhyme positions (none in real vocabularies)
            keep_only(logits, table.allowed_parts(self.rules, state))
            return
        if self.varies:
            cond = table.cond_set(self.rules, state.metre, plan, self.rules.rhyme_set(state))
        else:
            got = self.conds.get(state.metre)
            cond = (
                got
                if got is not None
                else table.cond_set(self.rules, state.metre, plan, self.rules.fixed)
            )
        cap = table.rhyme_caps.get(cond.key)
        if cap is None and cond.key in table.seen:  # asked for before: worth a cap
            every = np.concatenate([cond.base, cond.extra])
            cap = table.cap(cond.key, every, len(logits), rhyme=True)
        if cap is not None:
            np.minimum(logits, cap, out=logits)
            if state.used:
                gone = table.removed(cond, state.used)
                if len(gone):
                    logits[gone] = _NEG_INF
            return
        # the first time: the state's shared cap, then the group's tokens put back
        if len(table.seen) >= _MAX_SEEN:
            table.seen.clear()
        table.seen.add(cond.key)
        extra = table.extra(self.rules, state, plan)
        base = table.caps.get(plan.base_key)
        if base is None:
            base = table.cap(plan.base_key, plan.base, len(logits))
        kept = logits[extra]
        np.minimum(logits, base, out=logits)
        logits[extra] = kept

    def advance(self, state: PoemState, token: int) -> PoemState | None:
        """:meth:`PoemRules.walk` for a token the mask allowed, from the table of moves.

        Once the mask has let a token through (it allows unused rhyme characters only),
        where it leads does not depend on the rhyme characters used so far: moves are
        remembered per (position, pending bytes, token) and the used set is added. A token
        of whole characters moves as its signature does (per position and signature)."""
        units = self.table.units.get(token)
        if units is not None and not state.pending:
            sig, text = units
            skey = (state.metre, sig)
            smove = self.sig_moves.get(skey, _UNSEEN)
            if smove is _UNSEEN:
                if len(self.sig_moves) >= 5 * _MAX_MOVES:
                    self.sig_moves.clear()
                smove = self.sig_moves[skey] = self.table.sig_move(
                    self.rules.automaton, state.metre, sig
                )
            if smove is None:
                return None
            metre, at = cast(tuple[MetreState, tuple[int, ...]], smove)
            if not at:
                return PoemState(metre, state.used, b"", state.rhymes)
            ordered = tuple(text[k] for k in at)
            rhymed = frozenset(ordered)
            if len(rhymed) < len(at) or rhymed & state.used:
                return None  # only a token outside the mask gets here
            return PoemState(metre, state.used | rhymed, b"", state.rhymes + ordered)
        if self.varies:  # where a token leads depends on the rhyme set it meets
            key: tuple[object, ...] = (
                state.metre,
                state.pending,
                token,
                self.rules.rhyme_set(state).key,
            )
        else:
            key = (state.metre, state.pending, token)
        got = self.moves.get(key, _UNSEEN)
        if got is not _UNSEEN:
            move = cast(Move, got)
        else:
            piece = self.table.pieces.get(token)
            nxt = (
                None
                if piece is None
                else self.rules.walk(
                    PoemState(state.metre, frozenset(), state.pending, state.rhymes), piece
                )
            )
            move = (
                (nxt.metre, nxt.pending, nxt.rhymes[len(state.rhymes) :])
                if nxt is not None
                else None
            )
            if len(self.moves) >= _MAX_MOVES:
                self.moves.clear()
            self.moves[key] = move
        if move is None:
            return None
        metre, pending, new = move
        if not new:
            return PoemState(metre, state.used, pending, state.rhymes)
        rhymed = frozenset(new)
        if rhymed & state.used:
            return None  # only a token outside the mask gets here
        return PoemState(metre, state.used | rhymed, pending, state.rhymes + new)
