"""What every rhyme book offers: the interface the checker, suggestions, the scorer, the
rhyme lookup and the constraint's character tables take.

Two implementations: the 平水韵 :class:`~app.prosody.rhymebook.RhymeBook` (the bundled
classical table) and :class:`~app.prosody.books.modern.ModernBook` (中华新韵, 中华通韵:
official group tables applied to Mandarin readings). A book is built once and passed in
(constructor argument); nothing reaches for a global one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol

if TYPE_CHECKING:
    from app.prosody.books.kinds import BookKind
    from app.prosody.chars import CharInfo, Reading
    from app.prosody.groups import RhymeGroup

Script = Literal["simplified", "traditional"]


class Settled(NamedTuple):
    """A character whose reading the words around it settle (还乡: 还 huán)."""

    pos: int  # 0-based position in the line
    reading: Reading  # the reading the phrase gives
    phrase: str  # the phrase that settles it, as written in the line
    syllable: str  # the reading in tone-mark pinyin (huán)


class Book(Protocol):
    """A rhyme book: tones and rhyme groups of characters, and its groups."""

    @property
    def kind(self) -> BookKind: ...

    @property
    def groups(self) -> tuple[RhymeGroup, ...]:
        """Every group of the book (both tones)."""
        ...

    @property
    def ping_groups(self) -> tuple[RhymeGroup, ...]:
        """The groups regulated verse rhymes in (平声)."""
        ...

    def find_group(self, name: str) -> RhymeGroup | None:
        """A group of this book by any of its names (下平七阳 / 七阳 / 阳; 通韵十三昂 / 昂)."""
        ...

    def neighbours(self, group: RhymeGroup) -> tuple[RhymeGroup, ...]:
        """The groups line 1 may borrow from instead of ``group`` (首句借邻韵); none in the
        modern books."""
        ...

    def lookup(self, ch: str) -> CharInfo | None:
        """Every reading of one Han character; None for anything else."""
        ...

    def mask(self, ch: str) -> int:
        """``lookup(ch).mask`` (PING_BIT | ZE_BIT | RU_BIT | UNCERTAIN_BIT); 0 for non-Han."""
        ...

    def settle(self, chars: str) -> tuple[Settled, ...]:
        """The characters of a line whose reading the words around them settle (empty
        where the book has no phrase data: the 平水韵)."""
        ...

    def group_chars(self, group_id: int, script: Script = "simplified") -> tuple[str, ...]:
        """The group's characters, the most used first."""
        ...

    def frequency(self, ch: str) -> int: ...

    def to_simplified(self, text: str) -> str: ...

    def to_traditional(self, text: str) -> str: ...

    def is_han(self, ch: str) -> bool: ...

    @property
    def stats(self) -> dict[str, int]: ...
