"""The poem at the level of characters and bytes: the automaton plus the rhyme group.

:class:`PoemRules` is the reference for what may come next inside the
``<answer>``: :meth:`PoemRules.walk` takes one token's bytes and says whether it
fits, and where it leaves the poem. The precomputed masks
(:mod:`app.compose.constraint.masks`) must agree with it token for token (a test
holds them to that).

A token either holds whole characters and line breaks only, or is a piece of one
character (its first bytes, or continuation bytes). A token that would fill
several positions must fit every one of them; a piece of a character is allowed
only if some character allowed at that position continues it and the rest of its
bytes can still be written with the vocabulary's continuation tokens, so a poem
never reaches a dead end half-way through a character.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterator
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from app.compose.constraint.automaton import ToneClass
from app.compose.constraint.chars import EXCLUDED, CharTable
from app.compose.vocab.index import utf8_len

__all__ = ["CharBytes", "PoemRules", "PoemState", "RhymeSet"]


class PoemState(NamedTuple):
    metre: Any  # the automaton's state (MetreState for 诗, CiState for 词)
    used: frozenset[str] = frozenset()  # rhyme characters already used
    pending: bytes = b""  # the first bytes of a character not yet complete
    rhymes: tuple[str, ...] = ()  # the rhyme characters in order (when the rules track them)


class RhymeSet:
    """The characters that may take the next rhyme position: a rhyme group's members.

    ``key`` identifies the set (masks and tables built for it are kept under it); a 诗
    has one set for the whole poem, a 词 one per rhyme group and 部 still possible."""

    __slots__ = ("ids", "key", "member", "member_list")

    def __init__(self, key: Hashable, member: npt.NDArray[np.bool_]) -> None:
        self.key = key
        self.member = member
        self.ids: tuple[int, ...] = tuple(int(i) for i in np.flatnonzero(member))
        # a plain list: the per-token walk reads single items, which numpy arrays do slowly
        self.member_list: list[bool] = member.tolist()


def segmentable(rest: bytes, pieces: Collection[bytes]) -> bool:
    """Can ``rest`` be written as a sequence of ``pieces``? (a few bytes: plain recursion)"""
    if not rest:
        return True
    return any(
        rest[:k] in pieces and segmentable(rest[k:], pieces)
        for k in range(1, min(3, len(rest)) + 1)
    )


class CharBytes:
    """The UTF-8 side of a :class:`CharTable`: which byte prefixes can still become an
    admitted character of each tone class, given the vocabulary's continuation tokens."""

    def __init__(self, chars: CharTable, cont_pieces: Collection[bytes]) -> None:
        self.table = chars
        self.cont = frozenset(cont_pieces)
        self.encoded: tuple[bytes, ...] = tuple(ch.encode("utf-8") for ch in chars.chars)
        by_class: list[set[bytes]] = [set() for _ in ToneClass]
        memo: dict[bytes, bool] = {}
        leads: list[tuple[bytes, ...]] = []
        for cid, raw in enumerate(self.encoded):
            ok: list[bytes] = []
            for k in range(1, len(raw)):
                rest = raw[k:]
                fits = memo.get(rest)
                if fits is None:
                    fits = memo[rest] = segmentable(rest, self.cont)
                if fits:
                    ok.append(raw[:k])
            leads.append(tuple(ok))
            cls = int(chars.classes[cid])
            if cls != EXCLUDED:
                by_class[cls].update(ok)
        # per char id: the proper prefixes its remaining bytes can still be written after
        self.leads: tuple[tuple[bytes, ...], ...] = tuple(leads)
        self.classes: list[int] = chars.classes.tolist()
        self.prefixes: tuple[frozenset[bytes], ...] = tuple(frozenset(s) for s in by_class)

    def completable(self, cid: int, prefix: bytes) -> bool:
        return prefix in self.leads[cid]


class PoemRules:
    """Strict metre for one request: form and settings (the automaton), rhyme group.

    The rhyme characters allowed next are :meth:`rhyme_set` of the state: one group for a
    诗 (``varies`` False: every state has the same set); rules whose set depends on the
    rhymes written so far (a 词's groups and 部) override it, set ``varies`` and
    ``one_rhyme_per_token`` (a token may then fill at most one rhyme position, whose set
    is known before the token)."""

    varies = False
    one_rhyme_per_token = False

    def __init__(self, automaton: Any, chars: CharBytes, group_id: int) -> None:
        self.automaton = automaton
        self.chars = chars
        self.group_id = group_id
        self.fixed = RhymeSet(group_id, chars.table.rhymes_in(group_id))
        self.member: npt.NDArray[np.bool_] = self.fixed.member
        self.rhyme_ids: tuple[int, ...] = self.fixed.ids
        # plain lists: the per-token walk reads single items, which numpy arrays do slowly
        self._classes: list[int] = chars.classes

    def rhyme_set(self, state: PoemState) -> RhymeSet:
        """The characters the next rhyme position may take (before removing used ones)."""
        return self.fixed

    # ------------------------------------------------------------------ states
    def start(self) -> PoemState:
        return PoemState(self.automaton.start())

    def is_final(self, state: PoemState) -> bool:
        return not state.pending and self.automaton.is_final(state.metre)

    # ------------------------------------------------------------------ characters
    def add_char(self, state: PoemState, ch: str) -> PoemState | None:
        """``state`` with one more whole character, or None if it may not stand there."""
        cid = self.chars.table.index.get(ch)
        if cid is None:
            return None
        cls = self._classes[cid]
        if cls == EXCLUDED:
            return None
        rhyme_ok = self.rhyme_set(state).member_list[cid] and ch not in state.used
        got = self.automaton.step(state.metre, cls, rhyme_ok)
        if got is None:
            return None
        metre, as_rhyme = got
        if not as_rhyme:
            return PoemState(metre, state.used, b"", state.rhymes)
        return PoemState(metre, state.used | {ch}, b"", (*state.rhymes, ch))

    def add_break(self, state: PoemState) -> PoemState | None:
        metre = self.automaton.newline(state.metre)
        return None if metre is None else PoemState(metre, state.used, b"", state.rhymes)

    def rhyme_available(self, state: PoemState) -> Iterator[int]:
        """Char ids of the group's characters not used yet."""
        table = self.chars.table
        for cid in self.rhyme_set(state).ids:
            if table.chars[cid] not in state.used:
                yield cid

    def prefix_ok(self, state: PoemState, prefix: bytes) -> bool:
        """Can ``prefix`` still become a character allowed at this position?"""
        slot = self.automaton.slot(state.metre)
        for cls in ToneClass:
            if slot.plain >> cls & 1 and prefix in self.chars.prefixes[cls]:
                return True
        if slot.rhyme:
            classes = self.chars.table.classes
            for cid in self.rhyme_available(state):
                if slot.rhyme >> int(classes[cid]) & 1 and self.chars.completable(cid, prefix):
                    return True
        return False

    def allowed_chars(self, state: PoemState) -> list[str]:
        """Every character that may come next (slow; for tests and tools)."""
        return [ch for ch in self.chars.table.chars if self.add_char(state, ch) is not None]

    # ------------------------------------------------------------------ tokens
    def walk(self, state: PoemState, piece: bytes) -> PoemState | None:
        """Where one token's bytes leave the poem, or None if the token does not fit."""
        if not piece:
            return None
        if state.pending:
            if not all(0x80 <= b <= 0xBF for b in piece):
                return None
            full = state.pending + piece
            need = utf8_len(full[0])
            if len(full) > need:
                return None
            base = PoemState(state.metre, state.used, b"", state.rhymes)
            if len(full) == need:
                try:
                    ch = full.decode("utf-8")
                except UnicodeDecodeError:
                    return None
                return self.add_char(base, ch)
            if not self.prefix_ok(base, full):
                return None
            return PoemState(state.metre, state.used, full, state.rhymes)
        try:
            text = piece.decode("utf-8")
        except UnicodeDecodeError:
            need = utf8_len(piece[0])
            if need <= len(piece) or not all(0x80 <= b <= 0xBF for b in piece[1:]):
                return None  # not a lone lead piece: a mixed token is never allowed
            if not self.prefix_ok(state, piece):
                return None
            return PoemState(state.metre, state.used, piece, state.rhymes)
        got: PoemState | None = state
        for ch in text:
            assert got is not None
            got = self.add_break(got) if ch == "\n" else self.add_char(got, ch)
            if got is None:
                return None
        if got is not None and self.one_rhyme_per_token and len(got.rhymes) > len(state.rhymes) + 1:
            return None  # the second rhyme's set depends on the first: one token, one rhyme
        return got
