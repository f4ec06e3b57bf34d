"""The rhyme books of one app: the 平水韵 loaded at start, the modern books built on use.

The app (or a command, or a test) makes one :class:`Shelf` from its 平水韵
:class:`~app.prosody.rhymebook.RhymeBook` and passes it to whoever lets the user choose a
book; everything below takes a single :class:`~app.prosody.books.protocol.Book`.
Building a modern book reads the Mandarin tables (resources/rhyme/modern/, ~10 ms) the
first time either modern book is asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.prosody.books.kinds import BookKind
from app.prosody.books.mandarin import MandarinData
from app.prosody.books.modern import ModernBook

if TYPE_CHECKING:
    from importlib.abc import Traversable

    from app.prosody.books.protocol import Book
    from app.prosody.checker import Checker
    from app.prosody.rhymebook import RhymeBook
    from app.prosody.settings import CheckSettings


class Shelf:
    """Every rhyme book, each built once."""

    def __init__(
        self,
        pingshui: RhymeBook,
        *,
        mandarin: MandarinData | None = None,
        mandarin_folder: Traversable | Path | None = None,
    ) -> None:
        self.pingshui = pingshui
        self._mandarin = mandarin
        self._folder = mandarin_folder
        self._modern: dict[BookKind, ModernBook] = {}

    @property
    def mandarin(self) -> MandarinData:
        if self._mandarin is None:
            self._mandarin = MandarinData.load(self._folder)
        return self._mandarin

    def book(self, kind: BookKind | str | None = None) -> Book:
        """The book of ``kind`` (a BookKind or any of its names); 平水韵 for None."""
        k = kind if isinstance(kind, BookKind) else BookKind.from_name(kind)
        if kind is not None and k is None:
            raise ValueError(f"unknown rhyme book: {kind!r}")
        if k is None or k is BookKind.PINGSHUI:
            return self.pingshui
        book = self._modern.get(k)
        if book is None:
            book = self._modern[k] = ModernBook(k, self.pingshui, self.mandarin)
        return book

    def others(self, kind: BookKind) -> tuple[Book, ...]:
        """The books other than ``kind``, in BookKind order."""
        return tuple(self.book(k) for k in BookKind if k is not kind)

    def checker(
        self, kind: BookKind = BookKind.PINGSHUI, settings: CheckSettings | None = None
    ) -> Checker:
        """A checker of ``kind`` that also tries the other books on a poem that breaks it."""
        from app.prosody.checker import DEFAULT_SETTINGS, Checker

        return Checker(
            self.book(kind), settings or DEFAULT_SETTINGS, others=lambda: self.others(kind)
        )
