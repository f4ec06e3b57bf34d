"""The 平水韵 rhyme book: what tone and rhyme group every character has.

One ``RhymeBook`` holds the bundled table (resources/rhyme/, built by
tools/build_rhymebook.py) in plain dictionaries, so the checker's inner loop is
a dict lookup per character. The app loads one and passes it to whoever needs
it; tests may load as many as they like.

Resolution (meter-spec §1): a simplified character unites the readings of all
its traditional forms (发 → 發 髮; 听 → 聽, not the rare 听 yǐn); traditional
input resolves directly. Characters the book lacks carry a reading derived from
《廣韻》; Han characters known to neither get a guess: the tone of their Cantonese
reading (computed at build time, ``GuessMethod.CANTONESE``), or, last, a
Mandarin-tone guess (``GuessMethod.MANDARIN``), precomputed for common characters
and made lazily (pypinyin is imported on first use) for the rest. Derived and
guessed readings set ``UNCERTAIN_BIT``.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from app.bundled import resource
from app.prosody.books.kinds import BookKind
from app.prosody.chars import CharInfo
from app.prosody.groups import GROUPS, PING_GROUPS, RhymeGroup, group_by_name, neighbours
from app.prosody.rhymebook.encoding import FORMAT_VERSION, decode_readings
from app.prosody.rhymebook.han import is_compatibility, is_han
from app.prosody.rhymebook.rows import SortedRows
from app.prosody.tones import UNCERTAIN_BIT, GuessMethod, Source

if TYPE_CHECKING:
    from importlib.abc import Traversable

    from app.prosody.books.protocol import Settled

Script = Literal["simplified", "traditional"]


class RhymeBookError(RuntimeError):
    """The rhyme data is missing or not in the expected format."""


class RhymeBook:
    """Tone and rhyme-group lookups for Han characters (see the module docstring)."""

    __slots__ = (
        "_conversion",
        "_forms",
        "_group_lists",
        "_groups",
        "_info",
        "_masks",
        "_meta",
        "_root",
        "_rows",
        "_runtime_guesses",
    )

    def __init__(
        self,
        rows: SortedRows,
        groups: list[tuple[str, str]],
        meta: dict[str, object],
        root: Traversable | Path,
    ) -> None:
        self._rows = rows  # char → its whole chars.tsv line, parsed on first use
        self._masks: dict[str, int] = {}  # char → CharInfo.mask, filled on first use
        self._info: dict[str, CharInfo | None] = {}
        self._groups = groups  # per group: (traditional members, simplified members)
        self._group_lists: dict[tuple[int, Script], tuple[str, ...]] = {}  # built on use
        self._meta = meta
        self._root = root
        self._conversion: dict[str, dict[int, str]] = {}  # "s2t"/"t2s" → str.translate table
        self._forms: dict[str, tuple[str, ...]] | None = None  # script_forms, built once
        self._runtime_guesses = 0

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, folder: Traversable | Path | None = None) -> RhymeBook:
        """Load the table from ``folder`` (default: the bundled resources/rhyme).

        Rows are neither indexed nor parsed: the file is split into lines, which the
        build wrote sorted by character, so a row is found by binary search and decoded
        the first time it is asked for. Loading costs one read and one split.
        """
        root: Traversable | Path = resource("rhyme") if folder is None else folder
        try:
            # bytes + decode: a text-mode read (newline translation) took twice as long
            chars = (root / "chars.tsv").read_bytes().decode("utf-8")
            groups_text = (root / "groups.tsv").read_text(encoding="utf-8")
            meta_text = (root / "meta.json").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RhymeBookError(f"rhyme data not found or unreadable in {root}: {exc}") from exc
        if "\r" in chars:  # a checkout that rewrote line ends
            chars = chars.replace("\r\n", "\n")

        lines = chars.split("\n")
        header = lines[0].split("\t")
        if header[0] != "#shijian-rhymebook" or header[1] != FORMAT_VERSION:
            raise RhymeBookError(f"unexpected rhyme data format in {root}: {lines[0][:60]!r}")
        if lines[-1] == "":
            lines.pop()
        # Every row starts with its character (one code point) and a tab.
        rows = SortedRows(lines, start=1)

        groups: list[tuple[str, str]] = [("", "")] * len(GROUPS)
        for line in groups_text.split("\n")[1:]:
            if line:
                gid, _name, trad, simp = line.split("\t")
                groups[int(gid)] = (trad, simp)
        return cls(rows, groups, json.loads(meta_text), root)

    # ------------------------------------------------------------------ the Book interface
    @property
    def kind(self) -> BookKind:
        return BookKind.PINGSHUI

    @property
    def groups(self) -> tuple[RhymeGroup, ...]:
        return GROUPS

    @property
    def ping_groups(self) -> tuple[RhymeGroup, ...]:
        return PING_GROUPS

    def find_group(self, name: str) -> RhymeGroup | None:
        return group_by_name(name)

    def neighbours(self, group: RhymeGroup) -> tuple[RhymeGroup, ...]:
        """首句借邻韵 (meter-spec §5): 东冬, 江阳, 支微齐, 鱼虞, 佳灰, 真文元, 寒删先, 萧肴豪,
        庚青蒸, 覃盐咸."""
        return neighbours(group) if group.id < len(GROUPS) else ()

    def settle(self, chars: str) -> tuple[Settled, ...]:
        """The 平水韵 has no phrase data: a polyphone stays a polyphone."""
        return ()

    # ------------------------------------------------------------------ lookups
    def lookup(self, ch: str) -> CharInfo | None:
        """Every reading of ``ch``; None for anything but one Han character.

        A Han character missing from the table (so unknown to the book, 《廣韻》 and the
        Cantonese data) gets a lazily computed Mandarin guess (possibly with no readings
        at all, then ``mask == UNCERTAIN_BIT``).
        """
        try:
            return self._info[ch]
        except KeyError:
            pass
        info = self._make_info(ch)
        if len(ch) == 1:  # cache single characters only, Han or not (not arbitrary strings)
            self._info[ch] = info
            self._masks[ch] = 0 if info is None else info.mask
        return info

    def _make_info(self, ch: str) -> CharInfo | None:
        row = self._rows.get(ch)
        if row is not None:
            _ch, mask, readings, trad, _count = row.split("\t")
            return CharInfo(ch, decode_readings(readings), tuple(trad), int(mask, 16))
        if not is_han(ch):
            return None
        if is_compatibility(ch):
            unified = unicodedata.normalize("NFC", ch)
            if unified != ch:
                same = self.lookup(unified)
                if same is not None:
                    return CharInfo(ch, same.readings, same.traditional, same.mask)
        from app.prosody.rhymebook.guess import guess_readings

        self._runtime_guesses += 1
        guessed = guess_readings(ch)
        if guessed:
            return CharInfo(ch, guessed)
        return CharInfo(ch, (), (), UNCERTAIN_BIT)

    def mask(self, ch: str) -> int:
        """``lookup(ch).mask`` without building a CharInfo; 0 for non-Han."""
        m = self._masks.get(ch)
        if m is not None:
            return m
        row = self._rows.get(ch)
        if row is not None:
            m = int(row[2 : row.index("\t", 2)], 16)
            self._masks[ch] = m
            return m
        info = self.lookup(ch)
        return 0 if info is None else info.mask

    def frequency(self, ch: str) -> int:
        """How often the character occurs in Tang regulated verse (either script)."""
        row = self._rows.get(ch)
        if row is None and len(ch) == 1 and is_compatibility(ch):
            row = self._rows.get(unicodedata.normalize("NFC", ch))
        if row is None:
            return 0
        count = row[row.rindex("\t") + 1 :]
        return int(count) if count else 0

    def group_chars(self, group_id: int, script: Script = "simplified") -> tuple[str, ...]:
        """The book's members of a group, most used in Tang poetry first."""
        if not 0 <= group_id < len(GROUPS):
            raise IndexError(f"no rhyme group {group_id}")
        if script not in ("simplified", "traditional"):
            raise ValueError(f"script must be 'simplified' or 'traditional', not {script!r}")
        key = (group_id, script)
        members = self._group_lists.get(key)
        if members is None:
            trad, simp = self._groups[group_id]
            members = tuple(simp if script == "simplified" else trad)
            self._group_lists[key] = members
        return members

    @staticmethod
    def is_han(ch: str) -> bool:
        """One character from CJK Unified Ideographs (incl. Ext A–I) or a compatibility block."""
        return is_han(ch)

    # ------------------------------------------------------------------ conversion
    def to_simplified(self, text: str) -> str:
        """Character-level traditional → simplified (OpenCC's first candidate)."""
        return text.translate(self._table("t2s"))

    def to_traditional(self, text: str) -> str:
        """Character-level simplified → traditional (OpenCC's first candidate: 后 → 後)."""
        return text.translate(self._table("s2t"))

    def script_forms(self, ch: str) -> str:
        """Every form of ``ch`` in either script, ``ch`` first: 长 → 长長, 發 → 發发髮
        (the characters the conversion tables join to it, both ways)."""
        forms = self._forms_index().get(ch)
        if forms is None:
            return ch
        return ch + "".join(f for f in forms if f != ch)

    def _forms_index(self) -> dict[str, tuple[str, ...]]:
        index = self._forms
        if index is None:
            groups: dict[str, set[str]] = {}
            for name in ("t2s", "s2t"):
                for code, target in self._table(name).items():
                    if len(target) != 1:
                        continue
                    a, b = chr(code), target
                    merged = groups.get(a, {a}) | groups.get(b, {b})
                    for member in merged:
                        groups[member] = merged
            index = {ch: tuple(sorted(members)) for ch, members in groups.items()}
            self._forms = index
        return index

    def _table(self, name: str) -> dict[int, str]:
        table = self._conversion.get(name)
        if table is None:
            try:
                text = (self._root / f"{name}.tsv").read_text(encoding="utf-8")
            except OSError as exc:
                raise RhymeBookError(f"conversion table {name} not found in {self._root}") from exc
            table = {ord(line[0]): line[2:] for line in text.split("\n") if line}
            self._conversion[name] = table
        return table

    # ------------------------------------------------------------------ figures
    @property
    def stats(self) -> dict[str, int]:
        """Counts: characters by best source (guesses also split into ``cantonese`` and
        ``mandarin``), book size, polyphones, 入声, lazy guesses."""
        meta = self._meta
        by_source = meta.get("by_source", {})
        assert isinstance(by_source, dict)
        out = {
            "chars": len(self._rows),
            "book": int(by_source.get(Source.BOOK.name.lower(), 0)),
            "derived": int(by_source.get(Source.DERIVED.name.lower(), 0)),
            "guessed": int(by_source.get(Source.GUESSED.name.lower(), 0)),
        }
        by_method = meta.get("by_method", {})
        assert isinstance(by_method, dict)
        for method in GuessMethod:
            key = method.name.lower()
            out[key] = int(by_method.get(key, 0))
        for key in ("book_chars", "book_entries", "polyphones", "ru_chars", "s2t_pairs"):
            value = meta.get(key, 0)
            out[key] = int(value) if isinstance(value, int) else 0
        out["runtime_guesses"] = self._runtime_guesses
        return out

    def __repr__(self) -> str:
        return f"RhymeBook({len(self._rows)} characters from {self._root})"
