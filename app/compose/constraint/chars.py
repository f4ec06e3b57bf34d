"""Characters as the metre automaton sees them: a tone class and rhyme-group membership.

The rhyme book decides (meter-spec §1; 平水韵, 中华新韵 or 中华通韵, whichever the
request's rhyme group belongs to): a character with only 平 readings is ``P``, only 仄
``Z``, both ``E`` (a polyphone, admissible wherever one reading fits; in a modern book,
where the words around it may settle its reading, ``U``). Readings the book only
*guessed* (Cantonese or Mandarin tone) make ``U``:
such a character may stand only where either tone would do. Readings derived from
《廣韻》 count as known unless ``admit_derived`` is off (then they are ``U`` too).
A character outside the chosen script (see :func:`_script_filter`) is not admitted
at all.

Classifying a vocabulary's ~13,000 characters takes about a second (a few rare
ones need a run-time Mandarin guess), so a :class:`CharTable` can be stored next
to the vocabulary index, keyed by the vocabulary, the book (:func:`book_fingerprint`)
and the policy.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from app.compose.constraint.automaton import ToneClass
from app.prosody.rhymebook.han import is_compatibility
from app.prosody.tones import PING_BIT, ZE_BIT, Source, Tone

if TYPE_CHECKING:
    from app.prosody.books.protocol import Book
    from app.prosody.chars import CharInfo

__all__ = [
    "EXCLUDED",
    "CharPolicy",
    "CharTable",
    "Script",
    "book_fingerprint",
    "book_universe",
]

Script = Literal["simplified", "traditional", "any"]
EXCLUDED = -1  # the class of a character that is never admitted
TABLE_VERSION = 4


def ping_index(book: Book) -> dict[int, int]:
    """Group id → its bit in a table's ``ping_groups`` (the book's 平声 groups in order)."""
    return {g.id: i for i, g in enumerate(book.ping_groups)}


@dataclass(frozen=True, slots=True)
class CharPolicy:
    """Which characters may appear in a strict-metre poem."""

    script: Script = "simplified"
    admit_derived: bool = True

    def trusted(self, source: Source) -> bool:
        return source is Source.BOOK or (self.admit_derived and source is Source.DERIVED)

    @property
    def key(self) -> str:
        return f"{self.script}-{int(self.admit_derived)}"


def _classify(
    info: CharInfo | None, policy: CharPolicy, index: dict[int, int], settles: bool = False
) -> tuple[int, int]:
    """(tone class, bit mask over the book's 平 groups of trusted 平 readings).

    ``settles``: the book lets the words around a polyphone settle its reading (the modern
    books), which a mask cannot see, so a polyphone is ``U`` there (only where either tone
    would do) rather than ``E``."""
    if info is None or not info.readings:
        return EXCLUDED, 0
    mask = 0
    groups = 0
    for r in info.readings:
        if not policy.trusted(r.source):
            continue
        if r.tone is Tone.PING:
            mask |= PING_BIT
            if r.group_id in index:
                groups |= 1 << index[r.group_id]
        else:
            mask |= ZE_BIT
    if mask == PING_BIT:
        return ToneClass.P, groups
    if mask == ZE_BIT:
        return ToneClass.Z, 0
    if mask == PING_BIT | ZE_BIT:
        return (ToneClass.U, 0) if settles else (ToneClass.E, groups)
    return ToneClass.U, 0  # only guessed (or untrusted) readings


def book_universe(book: Book) -> set[str]:
    """Every character the book lists in a group (both scripts)."""
    out: set[str] = set()
    for g in book.groups:
        out.update(book.group_chars(g.id, "simplified"))
        out.update(book.group_chars(g.id, "traditional"))
    return out


def book_fingerprint(book: Book) -> str:
    """A digest of the rhyme book's data as seen through its public API (which book, its
    group lists in both scripts and its counts): it changes whenever the table is rebuilt
    with different content."""
    h = hashlib.sha256()
    h.update(book.kind.value.encode())
    h.update(json.dumps(book.stats, sort_keys=True).encode())
    for g in book.groups:
        h.update("".join(book.group_chars(g.id, "simplified")).encode())
        h.update(b"|")
        h.update("".join(book.group_chars(g.id, "traditional")).encode())
        h.update(b"\n")
    return h.hexdigest()


def _encodable(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def _script_filter(book: Book, script: Script) -> Callable[[str], bool]:
    """Which characters belong to ``script``. Compatibility ideographs (``U+F900``…,
    look-alikes of ordinary characters) never do. A simplified character is one the
    book's traditional→simplified table leaves alone and that GB 2312 or the book's
    simplified group lists contain, within the basic CJK block (U+4E00–U+9FFF, which
    every CJK font covers); a traditional one likewise with Big5 and the traditional
    lists. Rare and newly coded characters stay out; ``any`` admits them."""
    if script == "any":
        return lambda ch: not is_compatibility(ch)
    simplified = script == "simplified"
    listed: set[str] = set()
    for g in book.groups:
        listed.update(book.group_chars(g.id, "simplified" if simplified else "traditional"))
    codec = "gb2312" if simplified else "big5"
    convert = book.to_simplified if simplified else book.to_traditional

    def ok(ch: str) -> bool:
        if is_compatibility(ch) or convert(ch) != ch:
            return False
        return "\u4e00" <= ch <= "\u9fff" and (ch in listed or _encodable(ch, codec))

    return ok


class CharTable:
    """A fixed set of characters with their tone classes; char ids index numpy arrays."""

    def __init__(
        self,
        book: Book,
        chars: tuple[str, ...],
        classes: npt.NDArray[np.int8],
        ping_groups: npt.NDArray[np.int32],
        policy: CharPolicy,
    ) -> None:
        self.book = book
        self.policy = policy
        self.chars = chars
        self.index: dict[str, int] = {ch: i for i, ch in enumerate(chars)}
        self.classes = classes
        self.ping_groups = ping_groups  # bit i: a trusted 平 reading in book.ping_groups[i]
        self._index = ping_index(book)
        self._groups: dict[int, npt.NDArray[np.bool_]] = {}

    @classmethod
    def build(cls, book: Book, chars: Iterable[str], policy: CharPolicy) -> CharTable:
        """Classify ``chars`` with the rhyme book."""
        ordered = tuple(sorted(set(chars)))
        classes = np.full(len(ordered), EXCLUDED, dtype=np.int8)
        groups = np.zeros(len(ordered), dtype=np.int32)
        script_ok = _script_filter(book, policy.script)
        index = ping_index(book)
        settles = book.kind.is_modern
        for i, ch in enumerate(ordered):
            if script_ok(ch):
                classes[i], groups[i] = _classify(book.lookup(ch), policy, index, settles)
        return cls(book, ordered, classes, groups, policy)

    @classmethod
    def cached(
        cls,
        book: Book,
        chars: Iterable[str],
        policy: CharPolicy,
        cache_dir: Path | None,
        key: str,
    ) -> tuple[CharTable, bool]:
        """:meth:`build`, kept in ``cache_dir`` under ``key`` (which must identify the
        character set) together with the book's fingerprint and the policy. Returns the
        table and whether it came from the cache."""
        if cache_dir is None:
            return cls.build(book, chars, policy), False
        full = hashlib.sha256(
            f"{TABLE_VERSION}/{key}/{book_fingerprint(book)}/{policy.key}".encode()
        ).hexdigest()
        path = cache_dir / f"chars-{full[:32]}.npz"
        try:
            with np.load(path, allow_pickle=False) as data:
                if bytes(data["key"]).decode() == full:
                    text = bytes(data["chars"]).decode("utf-8")
                    table = cls(
                        book,
                        tuple(text),
                        data["classes"].astype(np.int8),
                        data["groups"].astype(np.int32),
                        policy,
                    )
                    return table, True
        except (OSError, ValueError, KeyError, UnicodeDecodeError):
            pass
        table = cls.build(book, chars, policy)
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".chars-", suffix=".npz", dir=cache_dir)
            with os.fdopen(fd, "wb") as f:
                np.savez(
                    f,
                    key=np.frombuffer(full.encode(), dtype=np.uint8),
                    chars=np.frombuffer("".join(table.chars).encode("utf-8"), dtype=np.uint8),
                    classes=table.classes,
                    groups=table.ping_groups,
                )
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache folder: work without it
        return table, False

    def __len__(self) -> int:
        return len(self.chars)

    def tone_class(self, ch: str) -> int:
        i = self.index.get(ch)
        return EXCLUDED if i is None else int(self.classes[i])

    def rhymes_in(self, group_id: int) -> npt.NDArray[np.bool_]:
        """Per char id: a trusted 平 reading in group ``group_id`` (so class P or E)."""
        got = self._groups.get(group_id)
        if got is not None:
            return got
        bit = self._index.get(group_id)
        if bit is None:
            member = np.zeros(len(self.chars), dtype=np.bool_)
        else:
            member = (self.ping_groups >> bit & 1).astype(np.bool_)
        member.setflags(write=False)
        self._groups[group_id] = member
        return member

    def group_members(self, group_id: int) -> tuple[str, ...]:
        """The admitted rhyme characters of a group, most used in Tang poetry first."""
        member = self.rhymes_in(group_id)
        chars = [self.chars[i] for i in np.flatnonzero(member)]
        chars.sort(key=lambda c: (-self.book.frequency(c), c))
        return tuple(chars)
