"""Half-way through a character: which continuation pieces may come next.

Byte-level vocabularies spell a character they lack (and sometimes one they have)
as its first bytes (a *lead* piece) and then continuation bytes. Once a lead piece
is in, the next token must continue the same character, toward one that is allowed
at this position and not yet used if it rhymes. :class:`Continuations` answers that
from tables built once per vocabulary and character set: per (pending bytes, tone
class) the continuation pieces that lead on, and per rhyme group how many of its
characters each piece serves (so a used rhyme character takes away only what no
other character of the group still needs).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable

import numpy as np
import numpy.typing as npt

from app.compose.constraint.automaton import ToneClass
from app.compose.constraint.chars import EXCLUDED
from app.compose.constraint.poem import CharBytes, PoemRules, PoemState
from app.compose.vocab.index import VocabIndex

__all__ = ["Continuations"]

Ids = npt.NDArray[np.intp]


class Continuations:
    """Continuation pieces by pending bytes, for one vocabulary and character set."""

    def __init__(self, chars: CharBytes, vocab: VocabIndex) -> None:
        self.chars = chars
        self.cont_by_bytes: dict[bytes, int] = dict(
            zip(vocab.cont_bytes, vocab.cont_ids.tolist(), strict=True)
        )
        self._conts_of: dict[int, dict[bytes, set[int]]] = {}
        self._union: dict[tuple[bytes, int], Ids] = {}
        self._rhyme: dict[tuple[Hashable, int], defaultdict[bytes, Counter[int]]] = {}
        # (pending bytes, tone class) → continuation pieces toward a character of that class
        self._index: dict[tuple[bytes, int], set[int]] = defaultdict(set)
        for cid, cls in enumerate(chars.classes):
            if cls != EXCLUDED:
                for prefix, conts in self.of_char(cid).items():
                    self._index[prefix, cls].update(conts)

    def allowed(self, rules: PoemRules, state: PoemState) -> Ids:
        """The continuation pieces allowed after ``state.pending`` at ``state``."""
        slot = rules.automaton.slot(state.metre)
        pending = state.pending
        key = (pending, slot.plain)
        plain = self._union.get(key)
        if plain is None:
            found: set[int] = set()
            for cls in ToneClass:
                if slot.plain >> cls & 1:
                    found.update(self._index.get((pending, cls), ()))
            plain = self._union[key] = np.asarray(sorted(found), dtype=np.intp)
        if not slot.rhyme:
            return plain
        rhyme = rules.rhyme_set(state)
        gkey = (rhyme.key, slot.rhyme)
        by_pending = self._rhyme.get(gkey)
        if by_pending is None:  # pending bytes → continuation → how many group chars it serves
            by_pending = defaultdict(Counter)
            classes = self.chars.classes
            for cid in rhyme.ids:
                if slot.rhyme >> classes[cid] & 1:
                    for prefix, conts in self.of_char(cid).items():
                        by_pending[prefix].update(conts)
            self._rhyme[gkey] = by_pending
        counts = by_pending.get(pending)
        if not counts:
            return plain
        gone: Counter[int] = Counter()
        index = self.chars.table.index
        for ch in state.used:
            used_id = index.get(ch)
            if used_id is not None and rhyme.member[used_id]:
                gone.update(self.of_char(used_id).get(pending, ()))
        more = [tid for tid, n in counts.items() if n > gone[tid]]
        return np.union1d(plain, np.asarray(more, dtype=np.intp)).astype(np.intp)

    def of_char(self, cid: int) -> dict[bytes, set[int]]:
        """For one character: pending bytes → the continuation pieces that fit next (the
        bytes after them can still be written)."""
        got = self._conts_of.get(cid)
        if got is None:
            raw = self.chars.encoded[cid]
            ok = set(self.chars.leads[cid])
            got = {}
            for prefix in self.chars.leads[cid]:
                for j in range(1, len(raw) - len(prefix) + 1):
                    nxt = raw[: len(prefix) + j]
                    tid = self.cont_by_bytes.get(nxt[len(prefix) :])
                    if tid is not None and (nxt == raw or nxt in ok):
                        got.setdefault(prefix, set()).add(tid)
            self._conts_of[cid] = got
        return got
