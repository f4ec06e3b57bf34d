"""Which rhyme book a 词 is judged by: the 词林正韵 (the default), or the books of 诗.

A 词's rhymes are judged per rhyme group of its 体 (A, B … ; a 换韵 tune has several): all
positions of one group rhyme in one **部**. What a 部 is depends on the book:

========  =====================================  =========================================
book      a 部                                   tones
========  =====================================  =========================================
词林正韵  one of its 19 部: 平上去 of 第一–十四部   the 平水韵 (classical readings, 入声 apart)
          rhyme together, 第十五–十九部 are 入声
平水韵    one 平水 group: a 平 rhyme in a 平声      the 平水韵
          group, a 仄 rhyme in one 上/去/入 group
          (no 上去 通押; a 叶 position is judged
          by its own tone's group)
中华新韵  one of the 14 groups, 平 and 仄 halves    the modern book (Mandarin, no 入声)
中华通韵  one of the 16 groups, likewise           the modern book
========  =====================================  =========================================

:class:`CiRhymes` is what the 词 checker, the scorer, the prompt and the strict-metre
constraint read; :class:`CiBook` pairs it with the :class:`~app.prosody.books.Book` whose
tones the 词 is checked with. Build one with :func:`ci_book`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from app.prosody.books.kinds import BookKind
from app.prosody.books.tables import MODERN_GROUPS, ModernGroup, group_by_id
from app.prosody.rhymebook.cilin import BU_NAMES, RU_BU, CilinBook, ToneClass, parse_bu
from app.prosody.tones import Tone

if TYPE_CHECKING:
    from app.prosody.books.protocol import Book
    from app.prosody.books.shelf import Shelf

__all__ = [
    "BookRhymes",
    "CiBook",
    "CiBookKind",
    "CiRhymes",
    "CilinRhymes",
    "ci_book",
]


class CiBookKind(StrEnum):
    """A rhyme book for 词, by a stable key (stored with a 词 and with an assignment)."""

    CILIN = "cilin"
    PINGSHUI = "pingshui"
    XINYUN = "xinyun"
    TONGYUN = "tongyun"

    @property
    def zh(self) -> str:
        return "词林正韵" if self is CiBookKind.CILIN else BookKind(self.value).zh

    @property
    def en(self) -> str:
        if self is CiBookKind.CILIN:
            return "Cilin Zhengyun (classical rhymes of ci, 19 bu)"
        return BookKind(self.value).en

    @property
    def short_zh(self) -> str:
        return "词林" if self is CiBookKind.CILIN else BookKind(self.value).short_zh

    @property
    def tone_book(self) -> BookKind:
        """The book whose tones the 词 is checked with (the 平水韵 for the 词林正韵)."""
        return BookKind.PINGSHUI if self is CiBookKind.CILIN else BookKind(self.value)

    @classmethod
    def from_name(cls, name: str | None) -> CiBookKind | None:
        """cilin / 词林正韵 / 词林 / 詞林正韻, or any name of a book of 诗 (None otherwise)."""
        if not name:
            return None
        key = name.strip()
        if key.lower() in ("cilin", "词林正韵", "詞林正韻", "词林", "詞林", "clzy"):
            return cls.CILIN
        kind = BookKind.from_name(key)
        return None if kind is None else cls(kind.value)


DEFAULT_CI_BOOK = CiBookKind.CILIN


class CiRhymes(Protocol):
    """The 部 a character can rhyme in, as a rhyme of a 词 of one kind (平, or 仄)."""

    @property
    def kind(self) -> CiBookKind: ...

    @property
    def joins_tones(self) -> bool:
        """A 部 holds both tones (平仄通叶 within it); False: a group's 平 and 仄 positions
        are judged as two groups (the 平水韵)."""
        ...

    def bu_of(self, ch: str, kind: ToneClass) -> frozenset[int]: ...

    def bu_name(self, bu: int) -> str: ...

    def bu_name_en(self, bu: int) -> str: ...

    def members(self, bu: int, kind: ToneClass) -> str:
        """The 部's characters of one kind, most used first (for the prompt)."""
        ...

    def all_bu(self, kind: ToneClass) -> tuple[int, ...]:
        """Every 部 a rhyme of ``kind`` may use."""
        ...

    def find_bu(self, name: int | str) -> int | None:
        """A 部 by its number or id, or any of its names (None when it names none)."""
        ...


class CilinRhymes:
    """The 词林正韵 (:class:`~app.prosody.rhymebook.cilin.CilinBook`) as :class:`CiRhymes`."""

    __slots__ = ("cilin",)

    def __init__(self, cilin: CilinBook) -> None:
        self.cilin = cilin

    @property
    def kind(self) -> CiBookKind:
        return CiBookKind.CILIN

    @property
    def joins_tones(self) -> bool:
        return True

    def bu_of(self, ch: str, kind: ToneClass) -> frozenset[int]:
        return self.cilin.bu_of(ch, kind)

    def bu_name(self, bu: int) -> str:
        return BU_NAMES.get(bu, "")

    def bu_name_en(self, bu: int) -> str:
        return f"bu {bu}" if bu in BU_NAMES else ""

    def members(self, bu: int, kind: ToneClass) -> str:
        return self.cilin.members(bu, "平" if kind == "平" else ("入" if bu in RU_BU else "仄"))

    def all_bu(self, kind: ToneClass) -> tuple[int, ...]:
        return tuple(b for b in BU_NAMES if kind == "仄" or b not in RU_BU)

    def find_bu(self, name: int | str) -> int | None:
        if isinstance(name, int):
            return name if name in BU_NAMES else None
        return parse_bu(name)


class BookRhymes:
    """A book of 诗 (平水韵, 中华新韵, 中华通韵) judging the rhymes of a 词.

    A 部 is a group id of the book: for the modern books the id of the group's 平 half,
    whose 仄 half rhymes with it; for the 平水韵 the group itself."""

    __slots__ = ("_cache", "_half", "book")

    def __init__(self, book: Book) -> None:
        self.book = book
        self._cache: dict[tuple[str, str], frozenset[int]] = {}
        # a modern 仄 half → its 平 half (the 部's id)
        self._half: dict[int, int] = {}
        if book.kind.is_modern:
            groups = MODERN_GROUPS[book.kind]
            n = len(groups) // 2
            for i in range(n):
                self._half[groups[n + i].id] = groups[i].id
                self._half[groups[i].id] = groups[i].id

    @property
    def kind(self) -> CiBookKind:
        return CiBookKind(self.book.kind.value)

    @property
    def joins_tones(self) -> bool:
        return self.book.kind.is_modern

    def bu_of(self, ch: str, kind: ToneClass) -> frozenset[int]:
        key = (ch, kind)
        got = self._cache.get(key)
        if got is not None:
            return got
        info = self.book.lookup(ch)
        out: set[int] = set()
        if info is not None:
            for r in info.readings:
                if (r.tone is Tone.PING) != (kind == "平") or r.group_id < 0:
                    continue
                out.add(self._half.get(r.group_id, r.group_id))
        got = frozenset(out)
        if len(ch) == 1:
            self._cache[key] = got
        return got

    def bu_name(self, bu: int) -> str:
        group = group_by_id(bu)
        if isinstance(group, ModernGroup):
            return f"{group.section}{group.short}"
        return group.name

    def bu_name_en(self, bu: int) -> str:
        return group_by_id(bu).name_en

    def _group(self, bu: int, kind: ToneClass) -> int:
        if not self.book.kind.is_modern or kind == "平":
            return bu
        groups = MODERN_GROUPS[self.book.kind]
        n = len(groups) // 2
        return next((g.id + n for g in groups[:n] if g.id == bu), bu)

    def members(self, bu: int, kind: ToneClass) -> str:
        return "".join(self.book.group_chars(self._group(bu, kind), "simplified"))

    def all_bu(self, kind: ToneClass) -> tuple[int, ...]:
        if self.book.kind.is_modern:
            return tuple(g.id for g in self.book.ping_groups)
        return tuple(g.id for g in self.book.groups if g.is_ping == (kind == "平"))

    def find_bu(self, name: int | str) -> int | None:
        if isinstance(name, int):
            ids = {g.id for g in self.book.groups}
            gid: int | None = name if name in ids else None
        else:
            group = self.book.find_group(name)
            gid = group.id if group is not None else None
        if gid is None:
            return None
        return self._half.get(gid, gid)


@dataclass(frozen=True, slots=True)
class CiBook:
    """What a 词 is checked with: the book of its tones and the judge of its rhymes."""

    tones: Book
    rhymes: CiRhymes

    @property
    def kind(self) -> CiBookKind:
        return self.rhymes.kind


def ci_book(kind: CiBookKind | str | None, shelf: Shelf, cilin: CilinBook | None = None) -> CiBook:
    """The book of ``kind`` (any of its names; None: the 词林正韵). ``cilin`` is loaded
    when not given and needed. ValueError for a name that is no book."""
    k = kind if isinstance(kind, CiBookKind) else CiBookKind.from_name(kind)
    if kind is not None and k is None:
        raise ValueError(f"unknown rhyme book for ci: {kind!r}")
    if k is None or k is CiBookKind.CILIN:
        return CiBook(shelf.pingshui, CilinRhymes(cilin if cilin is not None else CilinBook.load()))
    book = shelf.book(k.tone_book)
    return CiBook(book, BookRhymes(book))
