"""The 词林正韵 (戈載, 19 部): which 部 a character rhymes in when it ends a line of 词.

平上去 of one 部 rhyme together in 词 (第一部 … 第十四部); 入声 has five 部 of its own
(第十五部 … 第十九部). The table (resources/cilin/, built by tools/build_cilin.py from
《廣韻》 and the project's rhyme book) gives each character the 部 of every reading.

A rhyme of 平 kind needs a 平 reading in the 部; one of 仄 kind a 上 or 去 reading in the
部 (第一 … 第十四部) or an 入 reading in an 入声 部 (第十五 … 第十九部).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from app.bundled import resource
from app.prosody.rhymebook.rows import SortedRows
from app.prosody.tones import Tone

if TYPE_CHECKING:
    from importlib.abc import Traversable

ToneClass = Literal["平", "仄"]
FORMAT_VERSION = "1"
TONE_LETTERS = {"p": 0, "s": 1, "q": 2, "r": 3}
_LETTER_OF = {Tone(v): k for k, v in TONE_LETTERS.items()}
_NUM = "一二三四五六七八九十"
BU_NAMES: dict[int, str] = {
    n: f"第{_NUM[n - 1] if n <= 10 else '十' + _NUM[n - 11]}部" for n in range(1, 20)
}
RU_BU = frozenset(range(15, 20))
# what each 部 spans, by the 平水 groups' names (for people; the table is by 《廣韻》 rhyme)
BU_SPANS: dict[int, str] = {
    1: "东冬 董肿 送宋",
    2: "江阳 讲养 绛漾",
    3: "支微齐 灰(灰) 纸尾荠贿 寘未霁队 泰(合口)",
    4: "鱼虞 语麌 御遇",
    5: "佳(半)灰(咍) 蟹(半)贿(海) 泰(开口)卦(半)队(代)",
    6: "真文 元(魂痕) 轸吻 阮(混很) 震问 愿(慁恨)",
    7: "元 寒删先 阮旱潸铣 愿翰谏霰",
    8: "萧肴豪 筱巧皓 啸效号",
    9: "歌 哿 个",
    10: "佳(半)麻 蟹(半)马 卦(半)祃",
    11: "庚青蒸 梗迥 敬径",
    12: "尤 有 宥",
    13: "侵 寝 沁",
    14: "覃盐咸 感琰豏 勘艳陷",
    15: "屋沃",
    16: "觉药",
    17: "质陌锡职缉",
    18: "物月曷黠屑叶",
    19: "合洽",
}


class CilinError(RuntimeError):
    """The 词林正韵 data is missing or not in the expected format."""


def encode_parts(parts: Iterable[tuple[int, Tone]]) -> str:
    """``[(7, 平), (6, 平), (7, 去)]`` → ``7p 6p 7q``."""
    return " ".join(f"{bu}{_LETTER_OF[tone]}" for bu, tone in parts)


def decode_parts(text: str) -> tuple[tuple[int, Tone], ...]:
    return tuple((int(t[:-1]), Tone(TONE_LETTERS[t[-1]])) for t in text.split(" ") if t)


def bu_name(bu: int) -> str:
    return BU_NAMES.get(bu, "")


def parse_bu(name: str) -> int | None:
    """``第七部``, ``七部``, ``七`` or ``7`` → 7; None when it names no 部."""
    text = name.strip().removeprefix("第").removesuffix("部")
    if text.isdigit():
        n = int(text)
        return n if 1 <= n <= 19 else None
    for n, full in BU_NAMES.items():
        if full == f"第{text}部":
            return n
    return None


class CilinBook:
    """部 lookups for rhyme characters of 词 (see the module docstring)."""

    __slots__ = ("_cache", "_members", "_meta", "_rows")

    def __init__(
        self, rows: SortedRows, members: dict[tuple[int, str], str], meta: dict[str, object]
    ) -> None:
        self._rows = rows
        self._members = members  # (部, "平"/"仄"/"入") → characters, most used first
        self._meta = meta
        self._cache: dict[str, tuple[tuple[int, Tone], ...]] = {}

    @classmethod
    def load(cls, folder: Traversable | Path | None = None) -> CilinBook:
        root: Traversable | Path = resource("cilin") if folder is None else folder
        try:
            chars = (root / "chars.tsv").read_bytes().decode("utf-8").replace("\r\n", "\n")
            bu_text = (root / "bu.tsv").read_text(encoding="utf-8")
            meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise CilinError(f"词林正韵 data not found or unreadable in {root}: {exc}") from exc
        lines = chars.split("\n")
        header = lines[0].split("\t")
        if header[0] != "#shijian-cilin" or header[1] != FORMAT_VERSION:
            raise CilinError(f"unexpected 词林正韵 data format in {root}: {lines[0][:60]!r}")
        if lines[-1] == "":
            lines.pop()
        members: dict[tuple[int, str], str] = {}
        for line in bu_text.split("\n")[1:]:
            if line:
                bu, _name, ping, ze, ru = line.split("\t")
                members[int(bu), "平"], members[int(bu), "仄"] = ping, ze
                members[int(bu), "入"] = ru
        return cls(SortedRows(lines, start=1), members, meta)

    def parts(self, ch: str) -> tuple[tuple[int, Tone], ...]:
        """Every (部, tone) of ``ch``; empty when the table has no 部 for it."""
        try:
            return self._cache[ch]
        except KeyError:
            pass
        row = self._rows.get(ch)
        parts = decode_parts(row.split("\t")[1]) if row is not None else ()
        if len(ch) == 1:
            self._cache[ch] = parts
        return parts

    def bu_of(self, ch: str, kind: ToneClass) -> frozenset[int]:
        """The 部 in which ``ch`` can rhyme as a rhyme of ``kind`` (平, or 仄 = 上去入)."""
        if kind == "平":
            return frozenset(bu for bu, tone in self.parts(ch) if tone is Tone.PING)
        return frozenset(bu for bu, tone in self.parts(ch) if tone is not Tone.PING)

    def members(self, bu: int, kind: str) -> str:
        """The 部's characters of one kind (平, 仄 = 上去 of 第一–十四部, 入), most used first."""
        return self._members.get((bu, kind), "")

    @property
    def meta(self) -> dict[str, object]:
        return self._meta

    def __len__(self) -> int:
        return len(self._rows)
