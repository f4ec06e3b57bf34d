"""Precomputed vocabulary masks: which tokens may come next inside the poem, fast.

Text tokens are grouped by their *signature*, the tone class of each character
(and line breaks): every token of a group fits the same positions, so a state
asks a trie of a few hundred signatures instead of 25,000 tokens. The result, a
*plan*, is kept per automaton and state; the four forms' 2,300 states share about
45 distinct sets of allowed tokens, and each set gets one *cap* array (+inf where
allowed, -inf elsewhere) that masks the logits with one ``numpy.minimum``.

Next to a rhyme position a signature fits only for the group's unused characters
there: those tokens (and the group's lead pieces) form a per-group extra set
(:class:`_CondSet`), from which a used rhyme character takes its own tokens away.
Lead pieces (the first bytes of a character) come from per-class tables;
continuation pieces from :mod:`app.compose.constraint.pieces`.
:meth:`MaskTable.allowed` returns token ids, equal as a set to the tokens
:meth:`PoemRules.walk` accepts (tested against the whole vocabulary).
"""

from __future__ import annotations

import hashlib
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from app.compose.constraint.automaton import MetreAutomaton, MetreState, ToneClass
from app.compose.constraint.chars import EXCLUDED, CharTable
from app.compose.constraint.pieces import Continuations
from app.compose.constraint.poem import CharBytes, PoemRules, PoemState, RhymeSet
from app.compose.vocab.index import VocabIndex

__all__ = ["Ids", "MaskTable", "Move", "SigGroup", "SigMove", "keep_only"]

NL = -2  # the unit code of a line break in a signature
_NEG_INF = np.float32(-np.inf)
_POS_INF = np.float32(np.inf)
Ids = npt.NDArray[np.intp]  # token ids: numpy's own index type, the fastest to index with
_EMPTY: Ids = np.zeros(0, dtype=np.intp)
_MAX_CACHED = 4096
# where a token leads from a position (rhyme characters it takes, in order), None: it does
# not fit
Move = tuple[MetreState, bytes, tuple[str, ...]] | None
# where a signature leads from a position, and which of its units take a rhyme character
SigMove = tuple[MetreState, tuple[int, ...]] | None


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
    base: Ids  # always allowed at this state (shared by every state with the same set)
    base_key: bytes  # a digest of ``base``: thousands of states share a few dozen sets
    # allowed for an unused rhyme character at unit k: (k, token ids, that unit's char ids)
    by_offset: tuple[tuple[int, Ids, npt.NDArray[np.int32]], ...]
    multi: tuple[tuple[SigGroup, tuple[int, ...]], ...]  # two rhyme positions in one token
    rhyme_leads: int  # tone-class bits of rhyme characters whose lead pieces are allowed
    conditional: bool  # any of the three above: the used rhyme characters matter


@dataclass(frozen=True, slots=True)
class _CondSet:
    """Next to a rhyme position, for one group: the tokens allowed while no rhyme
    character is used yet are the plan's ``base`` and ``extra`` (``key``: a digest of
    both, for their cap); ``by_char`` and ``leads`` say what a used character takes
    away. Only the group-dependent part is stored (states × groups add up)."""

    base: Ids  # the plan's, shared
    key: bytes
    extra: Ids
    by_char: dict[int, Ids]  # char id → tokens whose rhyme character it is
    leads: frozenset[int]  # the group's lead pieces among ``extra``
    lead_bits: int  # tone classes of the group characters those leads begin
    group: Hashable  # the key of the rhyme set it was built for
    member: npt.NDArray[np.bool_]  # that set's characters (a used one of another set frees none)


class MaskTable:
    """Vocabulary masks for one vocabulary, rhyme book and character policy."""

    def __init__(self, vocab: VocabIndex, chars: CharTable, *, max_caps: int = 64) -> None:
        self.vocab = vocab
        self.chars = CharBytes(chars, vocab.cont_bytes)
        classes = chars.classes
        index = chars.index
        # text token → (signature, its text): a move depends on the signature only
        self.units: dict[int, tuple[tuple[int, ...], str]] = {}
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
                key = tuple(sig)
                ids, rows = buckets[key]
                ids.append(tid)
                rows.append(cids)
                self.units[tid] = (key, text)
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
        self.pieces_of_chars = Continuations(self.chars, vocab)
        self._lead_union: dict[int, Ids] = {}
        self._lead_counts: dict[tuple[Hashable, int], Counter[int]] = {}
        self._lead_arrays: dict[tuple[Hashable, int], Ids] = {}
        self._plans: dict[tuple[object, ...], dict[MetreState, _Plan]] = {}
        self._cond: dict[tuple[object, ...], dict[MetreState, _CondSet]] = {}
        self._bases: dict[bytes, Ids] = {}
        self._moves: dict[tuple[object, ...], dict[tuple[object, ...], Move]] = {}
        self._sig_moves: dict[
            tuple[object, ...], dict[tuple[MetreState, tuple[int, ...]], SigMove]
        ] = {}
        # token → bytes for every token the poem may use (no call into llama.cpp per token)
        self.pieces: dict[int, bytes] = {
            t: s.encode("utf-8")
            for t, s in zip(vocab.text_ids.tolist(), vocab.text_strs, strict=True)
        }
        self.pieces.update(zip(vocab.lead_ids.tolist(), vocab.lead_bytes, strict=True))
        self.pieces.update(zip(vocab.cont_ids.tolist(), vocab.cont_bytes, strict=True))
        # Caps: per allowed set, +inf where a token is allowed, -inf elsewhere; ``minimum``
        # with the logits masks them in one pass. The four forms' 2,300 states share
        # about 45 sets, and a rhyme group adds a few dozen (0.6 MB each for Qwen).
        self.max_caps = max_caps
        self.caps: OrderedDict[bytes, npt.NDArray[np.float32]] = OrderedDict()
        self.rhyme_caps: OrderedDict[bytes, npt.NDArray[np.float32]] = OrderedDict()
        self.seen: set[bytes] = set()  # rhyme-dependent sets asked for once already

    # ------------------------------------------------------------------ plans
    def plans_for(self, automaton: MetreAutomaton) -> dict[MetreState, _Plan]:
        """The plans of one automaton (by state), built as they are asked for."""
        got = self._plans.get(automaton.key)
        if got is None:
            got = self._plans[automaton.key] = {}
        return got

    def _plan(self, automaton: MetreAutomaton, metre: MetreState) -> _Plan:
        plans = self.plans_for(automaton)
        plan = plans.get(metre)
        if plan is None:
            plan = plans[metre] = self.build_plan(automaton, metre)
        return plan

    def build_plan(self, automaton: MetreAutomaton, metre: MetreState) -> _Plan:
        """Which tokens fit at ``metre``: a walk of the signature trie."""
        base: list[Ids] = []
        cond: list[tuple[SigGroup, tuple[int, ...]]] = []
        self._walk(automaton, self.root, metre, (), 0, base, cond)
        slot = automaton.slot(metre)
        base.append(self._leads(slot.plain))
        # Signature groups are disjoint, and lead pieces are no text tokens: no duplicates.
        by_offset: dict[int, list[SigGroup]] = defaultdict(list)
        multi: list[tuple[SigGroup, tuple[int, ...]]] = []
        for group, offsets in cond:
            if len(offsets) == 1:
                by_offset[offsets[0]].append(group)
            else:
                multi.append((group, offsets))
        merged = np.sort(np.concatenate(base)).astype(np.intp)
        digest = hashlib.blake2b(merged.tobytes(), digest_size=16).digest()
        merged = self._bases.setdefault(digest, merged)
        plan = _Plan(
            merged,
            digest,
            tuple(
                (
                    k,
                    np.concatenate([g.ids for g in groups]),
                    np.concatenate([g.cids[:, k] for g in groups]),
                )
                for k, groups in sorted(by_offset.items())
            ),
            tuple(multi),
            slot.rhyme,
            bool(by_offset or multi or slot.rhyme),
        )
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
    def allowed_parts(self, rules: PoemRules, state: PoemState) -> tuple[Ids, ...]:
        """Token ids that may come next in the poem at ``state``, as disjoint arrays (the
        cached part for the state, then what depends on the rhyme characters used)."""
        if state.pending:
            return (self.continuations(rules, state),)
        plan = self._plan(rules.automaton, state.metre)
        if not plan.conditional:
            return (plan.base,)
        got = self.extra(rules, state, plan)
        return (plan.base, got) if len(got) else (plan.base,)

    def conds_for(self, rules: PoemRules, rhyme: RhymeSet) -> dict[MetreState, _CondSet]:
        """The rhyme-dependent sets of one automaton and rhyme set, by state."""
        key = (rules.automaton.key, rhyme.key)
        got = self._cond.get(key)
        if got is None:
            got = self._cond[key] = {}
        return got

    def cond_set(
        self, rules: PoemRules, metre: MetreState, plan: _Plan, rhyme: RhymeSet
    ) -> _CondSet:
        """The :class:`_CondSet` of a conditional plan and a rhyme set."""
        conds = self.conds_for(rules, rhyme)
        got = conds.get(metre)
        if got is None:
            got = conds[metre] = self._build_cond(rules, metre, plan, rhyme)
        return got

    def _build_cond(
        self, rules: PoemRules, metre: MetreState, plan: _Plan, rhyme: RhymeSet
    ) -> _CondSet:
        member = rhyme.member
        ids = np.concatenate([t[member[c]] for _k, t, c in plan.by_offset] or [_EMPTY])
        cids = np.concatenate(
            [c[member[c]] for _k, _t, c in plan.by_offset] or [np.zeros(0, dtype=np.int32)]
        )
        by_char: dict[int, list[int]] = defaultdict(list)
        for tid, cid in zip(ids.tolist(), cids.tolist(), strict=True):
            by_char[cid].append(tid)
        leads = _EMPTY
        if plan.rhyme_leads:
            every_lead = self._rhyme_leads(rhyme, frozenset(), plan.rhyme_leads)
            plain = self._leads(rules.automaton.slot(metre).plain)
            leads = every_lead[~np.isin(every_lead, plain)]
        extra = np.sort(np.concatenate([ids.astype(np.intp), leads])).astype(np.intp)
        return _CondSet(
            plan.base,
            hashlib.blake2b(plan.base_key + extra.tobytes(), digest_size=16).digest(),
            extra,
            {cid: np.asarray(t, dtype=np.intp) for cid, t in by_char.items()},
            frozenset(leads.tolist()),
            plan.rhyme_leads,
            rhyme.key,
            rhyme.member,
        )

    def removed(self, cond: _CondSet, used: frozenset[str]) -> Ids:
        """The tokens of ``cond.extra`` the used rhyme characters take away."""
        index = self.chars.table.index
        parts: list[Ids] = []
        gone: Counter[int] = Counter()
        for ch in used:
            cid = index.get(ch)
            if cid is None:
                continue
            got = cond.by_char.get(cid)
            if got is not None:
                parts.append(got)
            if cond.leads and cond.member[cid] and cond.lead_bits >> self.chars.classes[cid] & 1:
                gone.update(self._char_leads(cid) & cond.leads)
        if gone:
            counts = self._lead_counts[cond.group, cond.lead_bits]
            dropped = [tid for tid, n in gone.items() if counts[tid] <= n]
            if dropped:
                parts.append(np.asarray(dropped, dtype=np.intp))
        if not parts:
            return _EMPTY
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def extra(self, rules: PoemRules, state: PoemState, plan: _Plan) -> Ids:
        """The rhyme-dependent part of a conditional plan, given the used characters."""
        rhyme = rules.rhyme_set(state)
        cond = self.cond_set(rules, state.metre, plan, rhyme)
        extra = cond.extra
        if state.used:
            gone = self.removed(cond, state.used)
            if len(gone):
                extra = extra[~np.isin(extra, gone)]
        if plan.multi and not rules.one_rhyme_per_token:
            extra = np.concatenate([extra, self._multi(rhyme, state, plan)]).astype(np.intp)
        return extra

    def allowed(self, rules: PoemRules, state: PoemState) -> Ids:
        """:meth:`allowed_parts` as one array."""
        parts = self.allowed_parts(rules, state)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def mask_logits(
        self, rules: PoemRules, state: PoemState, logits: npt.NDArray[np.float32]
    ) -> None:
        """Set the logits of every token not allowed at ``state`` to -inf, in place (see
        :class:`~app.compose.constraint.steps.MaskSteps`, which the engine uses)."""
        from app.compose.constraint.steps import MaskSteps

        MaskSteps(self, rules).mask(state, logits)

    def advance(self, rules: PoemRules, state: PoemState, token: int) -> PoemState | None:
        """:meth:`PoemRules.walk` for a token the mask allowed, from the table of moves."""
        from app.compose.constraint.steps import MaskSteps

        return MaskSteps(self, rules).advance(state, token)

    def cap(
        self, key: bytes, allowed: Ids, n: int, *, rhyme: bool = False
    ) -> npt.NDArray[np.float32]:
        """+inf where ``allowed`` (whose digest is ``key``), -inf elsewhere (``n``
        logits), shared by every state that allows the same set. Caps of the plain
        plans (``caps``) and of the rhyme-dependent sets (``rhyme_caps``, per group) are
        kept apart, the ``max_caps`` most recently made of each; the oldest one's memory
        is reused for a new one."""
        store = self.rhyme_caps if rhyme else self.caps
        cap = store.get(key)
        if cap is None:
            if len(store) >= self.max_caps:
                _old, cap = store.popitem(last=False)
            if cap is None or len(cap) != n:
                cap = np.empty(n, dtype=np.float32)
            cap.fill(_NEG_INF)
            cap[allowed] = _POS_INF
            store[key] = cap
        return cap

    def sig_moves_for(
        self, automaton: MetreAutomaton
    ) -> dict[tuple[MetreState, tuple[int, ...]], SigMove]:
        """Where each signature leads from each state, for one automaton."""
        got = self._sig_moves.get(automaton.key)
        if got is None:
            got = self._sig_moves[automaton.key] = {}
        return got

    @staticmethod
    def sig_move(automaton: MetreAutomaton, metre: MetreState, sig: tuple[int, ...]) -> SigMove:
        """Walk a signature from ``metre`` (as the trie walk of :meth:`build_plan` does):
        the state it leads to and the units that take a rhyme character, or None."""
        rhymes: list[int] = []
        for k, unit in enumerate(sig):
            if unit == NL:
                nxt = automaton.newline(metre)
                if nxt is None:
                    return None
                metre = nxt
                continue
            slot = automaton.slot(metre)
            bit = 1 << unit
            if bit & slot.plain:
                got = automaton.step(metre, unit, False)
            elif bit & slot.rhyme:
                got = automaton.step(metre, unit, True)
                rhymes.append(k)
            else:
                return None
            if got is None:
                return None
            metre = got[0]
        return metre, tuple(rhymes)

    def moves_for(self, rules: PoemRules) -> dict[tuple[object, ...], Move]:
        """The table of moves of one automaton and rhyme group (rules whose rhyme set
        varies key each move by the set as well)."""
        key = (rules.automaton.key, rules.group_id)
        got = self._moves.get(key)
        if got is None:
            got = self._moves[key] = {}
        return got

    def _multi(self, rhyme: RhymeSet, state: PoemState, plan: _Plan) -> Ids:
        """Tokens with two rhyme positions (a whole line and more): both unused, different."""
        parts: list[Ids] = []
        available = rhyme.member.copy()
        index = self.chars.table.index
        for ch in state.used:
            cid = index.get(ch)
            if cid is not None:
                available[cid] = False
        for group, offsets in plan.multi:
            ok = np.ones(len(group.ids), dtype=np.bool_)
            for k in offsets:
                ok &= available[group.cids[:, k]]
            for i, k in enumerate(offsets):  # two rhyme positions in one token: different chars
                for m in offsets[i + 1 :]:
                    ok &= group.cids[:, k] != group.cids[:, m]
            if ok.any():
                parts.append(group.ids[ok])
        return np.concatenate(parts).astype(np.intp) if parts else _EMPTY

    def _rhyme_leads(self, rhyme: RhymeSet, used: frozenset[str], bits: int) -> Ids:
        """Lead pieces of the group's characters of classes ``bits`` not used yet."""
        key = (rhyme.key, bits)
        counts = self._lead_counts.get(key)
        classes = self.chars.classes
        if counts is None:  # lead token → how many of the group's characters it starts
            counts = Counter()
            for cid in rhyme.ids:
                if bits >> classes[cid] & 1:
                    counts.update(self._char_leads(cid))
            self._lead_counts[key] = counts
        every = self._lead_arrays.get(key)
        if every is None:
            every = self._lead_arrays[key] = np.asarray(sorted(counts), dtype=np.intp)
        gone: Counter[int] = Counter()
        index = self.chars.table.index
        for ch in used:
            used_id = index.get(ch)
            if used_id is not None and rhyme.member[used_id] and bits >> classes[used_id] & 1:
                gone.update(self._char_leads(used_id))
        dropped = [tid for tid, n in gone.items() if counts[tid] <= n]
        return every[~np.isin(every, dropped)] if dropped else every

    def _char_leads(self, cid: int) -> set[int]:
        return {
            tid for p in self.chars.leads[cid] if (tid := self.lead_by_bytes.get(p)) is not None
        }

    def continuations(self, rules: PoemRules, state: PoemState) -> Ids:
        """Continuation pieces that take the pending bytes on toward (or to the end of) a
        character allowed here (:class:`~app.compose.constraint.pieces.Continuations`)."""
        return self.pieces_of_chars.allowed(rules, state)


def keep_only(logits: npt.NDArray[np.float32], parts: tuple[Ids, ...]) -> None:
    """Set every logit but those of the (disjoint) ``parts`` to -inf: gather, fill,
    scatter (for small allowed sets)."""
    kept = [np.take(logits, ids) for ids in parts]
    logits.fill(_NEG_INF)
    for ids, values in zip(parts, kept, strict=True):
        logits[ids] = values
