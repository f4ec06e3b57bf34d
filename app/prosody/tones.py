"""Tones (四声), tone classes (平/仄) and where a reading came from."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Tone(IntEnum):
    """The four tones of the rhyme book."""

    PING = 0  # 平
    SHANG = 1  # 上
    QU = 2  # 去
    RU = 3  # 入

    @property
    def is_ping(self) -> bool:
        return self is Tone.PING

    @property
    def zh(self) -> str:
        return "平上去入"[self.value]


class Source(IntEnum):
    """Where a reading came from, most trustworthy first."""

    BOOK = 0  # the 平水韵 itself
    DERIVED = 1  # derived from 《广韵》 by the standard 同用 merges
    GUESSED = 2  # a guess (Cantonese or Mandarin tone: GuessMethod); never silences an error

    @property
    def zh(self) -> str:
        return ("韵书", "广韵推得", "推测")[self.value]

    @property
    def en(self) -> str:
        # a guess's method (粤 Cantonese / 普 Mandarin) is on Reading.guess
        return ("rhyme book", "derived from Guangyun", "guess")[self.value]


class GuessMethod(StrEnum):
    """How a guessed reading (``Source.GUESSED``) was guessed; still only a guess."""

    CANTONESE = "粤"  # the tone of a Cantonese (Jyutping) reading: keeps 平/仄 and 入声
    MANDARIN = "普"  # the Mandarin tone (pypinyin): 入声 is lost; the last resort

    @property
    def zh(self) -> str:
        return {"粤": "粤语推测", "普": "普通话推测"}[self.value]

    @property
    def en(self) -> str:
        return {"粤": "Cantonese guess", "普": "Mandarin guess"}[self.value]


class Level(StrEnum):
    """What a position asks for: 平, 仄, or either (⊙)."""

    PING = "平"
    ZE = "仄"
    FREE = "⊙"


# Bit flags of a character's tone mask (see CharInfo.mask): precomputed so the
# checker's inner loop does integer tests, not attribute walks.
PING_BIT = 1  # some reading is 平
ZE_BIT = 2  # some reading is 仄 (上/去/入)
RU_BIT = 4  # some reading is 入
UNCERTAIN_BIT = 8  # no reading from the book itself (derived or guessed)
