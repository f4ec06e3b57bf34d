"""中华新韵 and 中华通韵 as rhyme books: the official group tables applied to Mandarin readings.

A character's readings are its Mandarin readings in use (resources/rhyme/modern/, from
pypinyin; see tools/build_mandarin.py). Each becomes a :class:`~app.prosody.chars.Reading`:
阴平 and 阳平 are 平 (``Tone.PING``), 上声 and 去声 仄 (``Tone.SHANG`` / ``Tone.QU``), never
入声; its group is the half-group (平 or 仄) of the book whose finals include the reading's
final; ``via`` holds the reading in pinyin (huán) and ``source`` is ``Source.BOOK``. The
neutral tone (轻声) counts only where a character has no other reading, and then it is
no tone at all: such a character (们) is unknown, never an error. Several readings of
different tone class make a polyphone, as in the 平水韵; the words around a character may
settle it (:meth:`ModernBook.settle`, from pypinyin's phrase table).

Frequencies (for ranking) and the script conversion come from the 平水韵 book passed in.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from app.prosody.books.kinds import BookKind
from app.prosody.books.mandarin import MandarinData, iter_rows
from app.prosody.books.phrases import PhraseIndex
from app.prosody.books.pinyin import parse
from app.prosody.books.protocol import Script, Settled
from app.prosody.books.tables import MODERN_GROUPS, ModernGroup, group_for, modern_group_by_name
from app.prosody.chars import CharInfo, Reading
from app.prosody.rhymebook.han import is_compatibility, is_han
from app.prosody.tones import UNCERTAIN_BIT, Source, Tone

if TYPE_CHECKING:
    from app.prosody.groups import RhymeGroup
    from app.prosody.rhymebook import RhymeBook

_TONES = {1: Tone.PING, 2: Tone.PING, 3: Tone.SHANG, 4: Tone.QU}
_MEMO_LIMIT = 8192  # settled lines kept (a line is re-analysed on every keystroke)


class ModernBook:
    """中华新韵 or 中华通韵 (``kind``), reading Mandarin from ``data``."""

    __slots__ = (
        "_base",
        "_data",
        "_groups",
        "_info",
        "_kind",
        "_lists",
        "_masks",
        "_phrases",
        "_readings",
        "_settled",
    )

    def __init__(self, kind: BookKind, base: RhymeBook, data: MandarinData) -> None:
        if not kind.is_modern:
            raise ValueError(f"{kind.zh} is not a modern rhyme book")
        self._kind = kind
        self._base = base
        self._data = data
        self._groups: tuple[ModernGroup, ...] = MODERN_GROUPS[kind]
        self._info: dict[str, CharInfo | None] = {}
        self._masks: dict[str, int] = {}
        self._readings: dict[str, Reading | None] = {}  # syllable → reading
        self._lists: dict[Script, dict[int, tuple[str, ...]]] = {}
        self._settled: dict[str, tuple[Settled, ...]] = {}
        self._phrases: PhraseIndex | None = None  # read on the first line settled

    # ------------------------------------------------------------------ groups
    @property
    def kind(self) -> BookKind:
        return self._kind

    @property
    def groups(self) -> tuple[RhymeGroup, ...]:
        return self._groups

    @property
    def ping_groups(self) -> tuple[RhymeGroup, ...]:
        return self._groups[: len(self._groups) // 2]

    def find_group(self, name: str) -> RhymeGroup | None:
        return modern_group_by_name(self._kind, name)

    def neighbours(self, group: RhymeGroup) -> tuple[RhymeGroup, ...]:
        """None: each group already unites every final that rhymes with the others (同身同韵),
        and neither book provides for a first line borrowing another group (docs/prosody.md)."""
        return ()

    # ------------------------------------------------------------------ readings
    def reading(self, syllable: str) -> Reading | None:
        """One pinyin syllable as a reading of this book; None for the neutral tone."""
        try:
            return self._readings[syllable]
        except KeyError:
            pass
        s = parse(syllable)
        tone = _TONES.get(s.tone)
        reading: Reading | None = None
        if tone is not None:
            group = group_for(self._kind, s.final, tone is Tone.PING)
            reading = Reading(tone, group.id if group is not None else -1, Source.BOOK, syllable)
        self._readings[syllable] = reading
        return reading

    def lookup(self, ch: str) -> CharInfo | None:
        try:
            return self._info[ch]
        except KeyError:
            pass
        info = self._make_info(ch)
        if len(ch) == 1:
            self._info[ch] = info
            self._masks[ch] = 0 if info is None else info.mask
        return info

    def _make_info(self, ch: str) -> CharInfo | None:
        if not is_han(ch):
            return None
        syllables = self._data.readings(ch)
        if not syllables and is_compatibility(ch):
            syllables = self._data.readings(unicodedata.normalize("NFC", ch))
        readings: list[Reading] = []
        for syllable in syllables:
            r = self.reading(syllable)
            if r is not None and r not in readings:
                readings.append(r)
        if not readings:  # unknown, or only the neutral tone: no tone to go by
            return CharInfo(ch, (), (), UNCERTAIN_BIT)
        return CharInfo(ch, tuple(readings))

    def mask(self, ch: str) -> int:
        m = self._masks.get(ch)
        if m is not None:
            return m
        info = self.lookup(ch)
        return 0 if info is None else info.mask

    def settle(self, chars: str) -> tuple[Settled, ...]:
        """Characters whose reading pypinyin's phrase table settles in this line.

        Only characters whose readings in use differ in tone class or group can be settled
        (还: hái / huán; 看: kàn / kān). One is settled when every phrase of the table
        (2–4 characters) found in the line around it gives it the same reading (还乡: 还
        huán; 看守: 看 kān); where phrases disagree, or none is found (还有), it keeps all
        its readings, as a polyphone does in the 平水韵.
        """
        memo = self._settled.get(chars)  # the editor re-analyses every line per keystroke
        if memo is not None:
            return memo
        index = self._phrases
        if index is None:
            index = self._phrases = self._data.index()
        out: list[Settled] = []
        if not index.settleable.isdisjoint(chars):  # half the lines: nothing to settle
            for pos, syllable, phrase in index.settle(chars):
                reading = self.reading(syllable)
                if reading is not None:
                    out.append(Settled(pos, reading, phrase, syllable))
        result = tuple(out)
        if len(self._settled) >= _MEMO_LIMIT:
            self._settled.clear()
        self._settled[chars] = result
        return result

    # ------------------------------------------------------------------ group lists
    def group_chars(self, group_id: int, script: Script = "simplified") -> tuple[str, ...]:
        """The half-group's characters in ``script`` (GB 2312 for simplified, Big5 for
        traditional), the most used in Tang verse first, then by code point."""
        if script not in ("simplified", "traditional"):
            raise ValueError(f"script must be 'simplified' or 'traditional', not {script!r}")
        if not any(g.id == group_id for g in self._groups):
            raise IndexError(f"no rhyme group {group_id} in {self._kind.zh}")
        lists = self._lists.get(script)
        if lists is None:
            lists = self._lists[script] = self._build_lists(script)
        return lists.get(group_id, ())

    def _build_lists(self, script: Script) -> dict[int, tuple[str, ...]]:
        codec = "gb2312" if script == "simplified" else "big5"
        members: dict[int, list[str]] = {}
        reading = self.reading
        for line in iter_rows(self._data):
            ch = line[0]
            if not "\u4e00" <= ch <= "\u9fff":
                continue
            try:
                ch.encode(codec)
            except UnicodeEncodeError:
                continue
            gids = {r.group_id for s in line[2:].split(" ") if (r := reading(s)) is not None}
            for gid in gids:
                if gid >= 0:
                    members.setdefault(gid, []).append(ch)
        freq = self._base.frequency
        return {
            gid: tuple(sorted(chars, key=lambda c: (-freq(c), c))) for gid, chars in members.items()
        }

    # ------------------------------------------------------------------ the rest
    def frequency(self, ch: str) -> int:
        """How often Tang poets used the character (the 平水韵 book's count): the ranking."""
        return self._base.frequency(ch)

    def to_simplified(self, text: str) -> str:
        return self._base.to_simplified(text)

    def to_traditional(self, text: str) -> str:
        return self._base.to_traditional(text)

    @staticmethod
    def is_han(ch: str) -> bool:
        return is_han(ch)

    @property
    def stats(self) -> dict[str, int]:
        meta = self._data.meta
        out = {"chars": len(self._data), "groups": len(self._groups) // 2}
        for key in ("readings_kept", "chars_several_meanings", "chars_ping_and_ze", "phrases"):
            value = meta.get(key, 0)
            out[key] = int(value) if isinstance(value, int) else 0
        return out

    def __repr__(self) -> str:
        return f"ModernBook({self._kind.zh}, {len(self._data)} characters)"


__all__ = ["ModernBook"]
