"""One Mandarin syllable in tone-mark pinyin → its tone and its final (韵母).

The modern books keep pypinyin's readings as written (``huán``, ``lǜ``, ``zhī``) and need
two facts from each: the tone (1–4, or 5 for the neutral tone 轻声) and the final the
group tables are written in (``uan``, ``ü``, ``-i``). Zero-initial spellings are undone
(yu → ü, wei → uei, you → iou), the abbreviations iu/ui/un are restored to iou/uei/uen,
u after j q x y is ü, and i after zh ch sh r z c s is the apical vowel ``-i``.
Syllables without a vowel (m, n, ng, hm, hng) have no final (``""``).
tools/build_mandarin.py checks this parser against pypinyin's own for every reading.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

_MARKS: dict[str, tuple[str, int]] = {}
for _base, _marked in (
    ("a", "āáǎà"),
    ("e", "ēéěè"),
    ("i", "īíǐì"),
    ("o", "ōóǒò"),
    ("u", "ūúǔù"),
    ("ü", "ǖǘǚǜ"),
    ("n", "\u0144\u0148\u01f9"),  # ń ň ǹ (no first-tone form)
    ("m", "\u1e3f"),  # ḿ
):
    tones = (1, 2, 3, 4) if _base not in "nm" else ((2, 3, 4) if _base == "n" else (2,))
    for _ch, _tone in zip(_marked, tones, strict=True):
        _MARKS[_ch] = (_base, _tone)
_COMBINING = {"\u0304": 1, "\u0301": 2, "\u030c": 3, "\u0300": 4}  # ê̄ ế ê̌ ề, m̄ m̀
_MARKS.update({"ế": ("ê", 2), "ề": ("ê", 4)})

_INITIALS2 = ("zh", "ch", "sh")
_INITIALS1 = frozenset("bpmfdtnlgkhjqxrzcs")
_APICAL = frozenset({"zh", "ch", "sh", "r", "z", "c", "s"})
_Y = {"yi": "i", "yin": "in", "ying": "ing", "yu": "ü", "yue": "üe", "yuan": "üan", "yun": "ün",
      "you": "iou"}  # fmt: skip
_W = {"wu": "u", "wei": "uei", "wen": "uen", "weng": "ueng"}
_NO_VOWEL = frozenset({"m", "n", "ng", "hm", "hng"})


class Syllable(NamedTuple):
    plain: str  # without tone marks, ü kept: huan, lü, zhi
    tone: int  # 1–4; 5 for the neutral tone
    final: str  # uan, ü, -i; "" for a syllable without a vowel


@cache
def parse(syllable: str) -> Syllable:
    """``huán`` → ('huan', 2, 'uan'); ``lǜ`` → ('lü', 4, 'ü'); ``zhī`` → ('zhi', 1, '-i')."""
    tone = 5
    plain: list[str] = []
    for ch in syllable.strip().lower():
        mark = _MARKS.get(ch)
        if mark is not None:
            plain.append(mark[0])
            tone = mark[1]
        elif ch in _COMBINING:
            tone = _COMBINING[ch]
        elif ch == "v":
            plain.append("ü")
        else:
            plain.append(ch)
    text = "".join(plain)
    return Syllable(text, tone, final_of(text))


def final_of(plain: str) -> str:
    """The final of a toneless syllable (see the module docstring)."""
    if plain in _NO_VOWEL or not plain:
        return ""
    if plain.startswith("y"):
        if plain in _Y:
            return _Y[plain]
        rest = plain[1:]
        if rest.startswith("u"):  # yue, yuan, yun handled above; anything else is ü + rest
            return "ü" + rest[1:]
        if rest == "o":  # yo (哟), as pypinyin has it
            return "o"
        return "i" + rest if not rest.startswith("i") else rest  # ya → ia, yao → iao
    if plain.startswith("w"):
        if plain in _W:
            return _W[plain]
        if plain == "wong":  # a dialect syllable pypinyin lists; its final as pypinyin has it
            return "ong"
        return "u" + plain[1:]  # wa → ua, wo → uo, wai → uai, wan → uan, wang → uang
    initial = plain[:2] if plain[:2] in _INITIALS2 else plain[:1] if plain[0] in _INITIALS1 else ""
    if initial == "h" and plain in _NO_VOWEL:
        return ""
    rest = plain[len(initial) :]
    if not rest:
        return ""
    if initial in _APICAL and rest == "i":
        return "-i"
    if initial in ("j", "q", "x") and rest.startswith("u"):
        rest = "ü" + rest[1:]
    if initial and rest == "iu":
        return "iou"
    if initial and rest == "ui":
        return "uei"
    if initial and rest == "un":
        return "uen"
    if rest == "ue":  # nue, lue (written for nüe, lüe)
        return "üe"
    return rest


_TONE_MARKED = {
    "a": "āáǎà", "e": "ēéěè", "i": "īíǐì", "o": "ōóǒò", "u": "ūúǔù", "ü": "ǖǘǚǜ",
}  # fmt: skip


def marked(plain: str, tone: int) -> str:
    """Put the tone mark back (for display): ('huan', 2) → huán."""
    if not 1 <= tone <= 4:
        return plain
    for vowel in ("a", "e"):
        i = plain.find(vowel)
        if i >= 0:
            break
    else:
        i = plain.find("ou")
        if i < 0:
            i = max((plain.rfind(v) for v in "iouü"), default=-1)
    if i < 0:
        return plain
    return plain[:i] + _TONE_MARKED[plain[i]][tone - 1] + plain[i + 1 :]
