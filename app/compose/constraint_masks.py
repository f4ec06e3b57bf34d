"""Precomputed vocabulary masks: which tokens may come next inside the poem, fast.

Text tokens are grouped by their *signature*, the tone class of each character
(and line breaks): every token of a group fits the same positions, so a state
asks a trie of a few hundred signatures instead of 25,000 tokens. A signature
that reaches a rhyme position fits only for the group's unused characters there;
those groups are filtered by character id with numpy. Lead tokens (the first
bytes of a character) come from per-class tables; continuation tokens are asked
one by one (at most a few dozen, and only half-way through a character).

The answer for a state without rhyme conditions is cached per automaton and
state, so after the first few requests a step is a dictionary hit.
:meth:`MaskTable.allowed` returns token ids, equal as a set to the tokens
:meth:`PoemRules.walk` accepts (tested against the whole vocabulary).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from app.compose.constraint_poem import CharBytes, PoemRules, PoemState
from app.compose.metre_automaton import MetreAutomaton, MetreState, ToneClass
from app.compose.metre_chars import EXCLUDED, CharTable
from app.compose.vocab_index import VocabIndex

__all__ = ["Ids", "MaskTable", "SigGroup"]

NL = -2  # the unit code of a line break in a signature
Ids = npt.NDArray[np.intp]  # token ids: numpy's own index type, the fastest to index with
_EMPTY: Ids = np.zeros(0, dtype=np.intp)
_MAX_CACHED = 4096


@dataclass(frozen=True, slots=True)
class SigGroup:
    """Text tokens sharing one signature; ``cids[:, k]`` is the char id of unit k (-1: break)."""

    sig: tuple[int, ...]
    ids: Ids
    cids: npt.NDArray[np.int32]


@dataclass(slots=True)
class _Node:
    groups: list[SigGroup] = field(default_factory=list)
    children: dict[int, _Node] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Plan:
    base: Ids  # always allowed at this state
    cond: tuple[tuple[SigGroup, tuple[int, ...]], ...]  # allowed for unused rhyme chars
    rhyme_leads: int  # tone-class bits of rhyme characters whose lead pieces are allowed


class MaskTable:
    """Vocabulary masks for one vocabulary, rhyme book and character policy."""

    def __init__(self, vocab: VocabIndex, chars: CharTable) -> None:
        self.vocab = vocab
        self.chars = CharBytes(chars, vocab.cont_bytes)
        classes = chars.classes
        index = chars.index
        buckets: dict[tuple[int, ...], tuple[list[int], list[list[int]]]] = defaultdict(
            lambda: ([], [])
        )
        for tid, text in zip(vocab.text_ids.tolist(), vocab.text_strs, strict=True):
            sig: list[int] = []
            cids: list[int] = []
            for ch in text:
                if ch == "\n":
                    sig.append(NL)
                    cids.append(-1)
                    continue
                cid = index.get(ch, -1)
                cls = int(classes[cid]) if cid >= 0 else EXCLUDED
                if cls == EXCLUDED:
                    break
                sig.append(cls)
                cids.append(cid)
            else:
                ids, rows = buckets[tuple(sig)]
                ids.append(tid)
                rows.append(cids)
        self.root = _Node()
        self.groups: list[SigGroup] = []
        for key, (tids, rows) in buckets.items():
            group = SigGroup(
                key,
                np.asarray(tids, dtype=np.intp),
                np.asarray(rows, dtype=np.int32).reshape(len(tids), len(key)),
            )
            self.groups.append(group)
            node = self.root
            for unit in key:
                node = node.children.setdefault(unit, _Node())
            node.groups.append(group)
        # Lead pieces: which tone classes each can still become.
        self.lead_by_bytes: dict[bytes, int] = dict(
            zip(vocab.lead_bytes, vocab.lead_ids.tolist(), strict=True)
        )
        self.lead_by_class: list[Ids] = []
        for cls in ToneClass:
            prefixes = self.chars.prefixes[cls]
            ids = [tid for b, tid in self.lead_by_bytes.items() if b in prefixes]
            self.lead_by_class.append(np.asarray(sorted(ids), dtype=np.intp))
        self.cont_tokens: tuple[tuple[bytes, int], ...] = tuple(
            zip(vocab.cont_bytes, vocab.cont_ids.tolist(), strict=True)
        )
        self._lead_union: dict[int, Ids] = {}
        self._lead_counts: dict[tuple[int, int], Counter[int]] = {}
        self._plans: dict[tuple[object, MetreState], _Plan] = {}
        self._cond: dict[tuple[object, ...], Ids] = {}

    # ------------------------------------------------------------------ plans
    def _plan(self, automaton: MetreAutomaton, metre: MetreState) -> _Plan:
        key = (automaton.key, metre)
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        base: list[Ids] = []
        cond: list[tuple[SigGroup, tuple[int, ...]]] = []
        self._walk(automaton, self.root, metre, (), 0, base, cond)
        slot = automaton.slot(metre)
        base.append(self._leads(slot.plain))
        # Signature groups are disjoint, and lead pieces are no text tokens: no duplicates.
        plan = _Plan(np.sort(np.concatenate(base)).astype(np.intp), tuple(cond), slot.rhyme)
        if len(self._plans) >= _MAX_CACHED:
            self._plans.clear()
        self._plans[key] = plan
        return plan

    def _leads(self, bits: int) -> Ids:
        """Lead pieces that can still become a character of the classes in ``bits``."""
        got = self._lead_union.get(bits)
        if got is None:
            parts = [self.lead_by_class[c] for c in ToneClass if bits >> c & 1]
            got = np.unique(np.concatenate(parts)).astype(np.intp) if parts else _EMPTY
            self._lead_union[bits] = got
        return got

    def _walk(
        self,
        automaton: MetreAutomaton,
        node: _Node,
        metre: MetreState,
        cond_at: tuple[int, ...],
        depth: int,
        base: list[Ids],
        cond: list[tuple[SigGroup, tuple[int, ...]]],
    ) -> None:
        for group in node.groups:
            if cond_at:
                cond.append((group, cond_at))
            else:
                base.append(group.ids)
        if not node.children:
            return
        slot = automaton.slot(metre)
        for unit, child in node.children.items():
            if unit == NL:
                nxt = automaton.newline(metre)
                if nxt is not None:
                    self._walk(automaton, child, nxt, cond_at, depth + 1, base, cond)
                continue
            bit = 1 << unit
            if bit & slot.plain:
                got = automaton.step(metre, unit, False)
                if got is not None:
                    self._walk(automaton, child, got[0], cond_at, depth + 1, base, cond)
            elif bit & slot.rhyme:
                got = automaton.step(metre, unit, True)
                if got is not None:
                    at = (*cond_at, depth)
                    self._walk(automaton, child, got[0], at, depth + 1, base, cond)

    # ------------------------------------------------------------------ asking
    def allowed_parts(
        self, rules: PoemRules, state: PoemState
    ) -> tuple[Ids, ...]:
        """Token ids that may come next in the poem at ``state``, as disjoint arrays (the
        cached part for the state, then what depends on the rhyme characters used)."""
        if state.pending:
            return (self._continuations(rules, state),)
        plan = self._plan(rules.automaton, state.metre)
        if not plan.cond and not plan.rhyme_leads:
            return (plan.base,)
        key = (rules.automaton.key, state.metre, rules.group_id, state.used)
        got = self._cond.get(key)
        if got is None:
            got = self._conditional(rules, state, plan)
            if len(self._cond) >= _MAX_CACHED:
                self._cond.clear()
            self._cond[key] = got
        return (plan.base, got) if len(got) else (plan.base,)

    def allowed(self, rules: PoemRules, state: PoemState) -> Ids:
        """:meth:`allowed_parts` as one array."""
        parts = self.allowed_parts(rules, state)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _conditional(
        self, rules: PoemRules, state: PoemState, plan: _Plan
    ) -> Ids:
        parts: list[Ids] = []
        available = rules.member.copy()
        index = self.chars.table.index
        for ch in state.used:
            cid = index.get(ch)
            if cid is not None:
                available[cid] = False
        for group, offsets in plan.cond:
            ok = np.ones(len(group.ids), dtype=np.bool_)
            for k in offsets:
                ok &= available[group.cids[:, k]]
            for i, k in enumerate(offsets):  # two rhyme positions in one token: different chars
                for m in offsets[i + 1 :]:
                    ok &= group.cids[:, k] != group.cids[:, m]
            if ok.any():
                parts.append(group.ids[ok])
        if plan.rhyme_leads:
            leads = self._rhyme_leads(rules, state, plan.rhyme_leads)
            plain = self._leads(rules.automaton.slot(state.metre).plain)
            parts.append(leads[~np.isin(leads, plain)])
        return np.sort(np.concatenate(parts)).astype(np.intp) if parts else _EMPTY

    def _rhyme_leads(self, rules: PoemRules, state: PoemState, bits: int) -> Ids:
        """Lead pieces of the group's characters of classes ``bits`` not used yet."""
        key = (rules.group_id, bits)
        counts = self._lead_counts.get(key)
        if counts is None:  # lead token → how many of the group's characters it starts
            classes = self.chars.table.classes
            counts = Counter()
            for cid in rules.rhyme_ids:
                if bits >> int(classes[cid]) & 1:
                    counts.update(self._char_leads(cid))
            self._lead_counts[key] = counts
        gone: Counter[int] = Counter()
        index = self.chars.table.index
        for ch in state.used:
            used_id = index.get(ch)
            if used_id is not None and rules.member[used_id]:
                gone.update(self._char_leads(used_id))
        ids = [tid for tid, n in counts.items() if n > gone[tid]]
        return np.asarray(sorted(ids), dtype=np.intp)

    def _char_leads(self, cid: int) -> set[int]:
        return {
            tid for p in self.chars.leads[cid] if (tid := self.lead_by_bytes.get(p)) is not None
        }

    def _continuations(self, rules: PoemRules, state: PoemState) -> Ids:
        room = 4 - len(state.pending)
        ids = [
            tid
            for piece, tid in self.cont_tokens
            if len(piece) <= room and rules.walk(state, piece) is not None
        ]
        return np.asarray(ids, dtype=np.intp)
