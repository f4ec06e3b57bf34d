"""The Mandarin readings the modern books share (resources/rhyme/modern/, built by
tools/build_mandarin.py from pypinyin's data).

Loading splits the readings table into sorted lines (a row is found by binary search, as
in the 平水韵 table); the phrase table is read, and indexed for settling a line's
polyphones (:class:`~app.prosody.books.phrases.PhraseIndex`), the first time a phrase is
asked for.
Both modern books read one :class:`MandarinData`: load it once and pass it in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from app.bundled import resource
from app.prosody.books.phrases import PhraseIndex
from app.prosody.rhymebook.rows import SortedRows

if TYPE_CHECKING:
    from importlib.abc import Traversable

FORMAT = "1"


class MandarinDataError(RuntimeError):
    """The Mandarin reading tables are missing or not in the expected format."""


class MandarinData:
    """Readings per character and readings settled by phrases."""

    __slots__ = ("_index", "_phrases", "_root", "_rows", "meta")

    def __init__(self, rows: SortedRows, meta: dict[str, object], root: Traversable | Path):
        self._rows = rows
        self._root = root
        self._phrases: dict[str, tuple[str, ...]] | None = None
        self._index: PhraseIndex | None = None
        self.meta = meta

    @classmethod
    def load(cls, folder: Traversable | Path | None = None) -> MandarinData:
        root: Traversable | Path = resource("rhyme", "modern") if folder is None else folder
        try:
            text = (root / "readings.tsv").read_bytes().decode("utf-8")
            meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise MandarinDataError(
                f"Mandarin readings not found or unreadable in {root}: {exc}"
            ) from exc
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        lines = text.split("\n")
        head = lines[0].split("\t")
        if head[0] != "#shijian-mandarin" or head[1:2] != [FORMAT]:
            raise MandarinDataError(f"unexpected Mandarin data format in {root}: {lines[0][:60]!r}")
        if lines[-1] == "":
            lines.pop()
        return cls(SortedRows(lines, start=1), meta, root)

    def readings(self, ch: str) -> tuple[str, ...]:
        """The character's readings in use, tone-mark pinyin, the usual one first."""
        row = self._rows.get(ch)
        if row is None:
            return ()
        return tuple(row[2:].split(" "))

    def phrase(self, text: str) -> tuple[str, ...] | None:
        """A phrase's readings per character ("-" where the phrase settles nothing), or None."""
        return self.phrases().get(text)

    def phrases(self) -> dict[str, tuple[str, ...]]:
        """Every phrase of the table (read on first use)."""
        phrases = self._phrases
        if phrases is None:
            phrases = self._phrases = self._read_phrases()
        return phrases

    def index(self) -> PhraseIndex:
        """The phrase table indexed for settling a line's polyphones (built on first use)."""
        index = self._index
        if index is None:
            index = self._index = PhraseIndex(self.phrases())
        return index

    def settleable(self) -> frozenset[str]:
        """The characters some phrase settles (those with a reading in a phrase row)."""
        return self.index().settleable

    def _read_phrases(self) -> dict[str, tuple[str, ...]]:
        try:
            text = (self._root / "phrases.tsv").read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise MandarinDataError(f"phrase readings not found in {self._root}: {exc}") from exc
        out: dict[str, tuple[str, ...]] = {}
        for line in text.split("\n")[1:]:
            phrase, sep, said = line.rstrip("\r").partition("\t")
            if sep:
                out[phrase] = tuple(said.split(" "))
        return out

    def __len__(self) -> int:
        return len(self._rows)


def iter_rows(data: MandarinData) -> list[str]:
    """Every row of the readings table (``char TAB readings``), in code-point order."""
    return data._rows._lines[data._rows._start :]
