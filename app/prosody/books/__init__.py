"""Rhyme books as a choice: 平水韵 (the default), 中华新韵 and 中华通韵 behind one interface.

- :mod:`.kinds` — :class:`BookKind`, the stable key of a book;
- :mod:`.protocol` — :class:`Book`, what the checker and everything else read;
- :mod:`.tables` — the modern books' group tables and group ids;
- :mod:`.pinyin`, :mod:`.mandarin` — Mandarin readings and their finals;
- :mod:`.modern` — :class:`~app.prosody.books.modern.ModernBook`;
- :mod:`.shelf` — :class:`~app.prosody.books.shelf.Shelf`, the books of one app, built on use.

Only the light modules are imported here (``app.prosody.chars`` reads group ids from
:mod:`.tables`); import :mod:`.modern` and :mod:`.shelf` directly.
"""

from app.prosody.books.kinds import BookKind
from app.prosody.books.protocol import Book, Script, Settled
from app.prosody.books.tables import ModernGroup, book_of_group, group_by_id

__all__ = [
    "Book",
    "BookKind",
    "ModernGroup",
    "Script",
    "Settled",
    "book_of_group",
    "group_by_id",
]
