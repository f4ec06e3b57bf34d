"""竖排: one character in one cell, top to bottom, columns right to left.

Punctuation takes its vertical form: the face's own vertical presentation forms
(U+FE10…, U+FE30…) when it has them — ，。、；：！？ drawn in the upper right of
their cell as the face designs them, 「」（）《》【】 turned, … and — upright along
the column — and they copy out of the PDF as the marks they stand for (``Text.actual``).
A face without them gets the same by hand: sentence marks placed in the upper
right quarter of the cell, brackets and dashes turned 90° clockwise. Latin letters
and digits turn too; a date written 2024-03-01 is printed in Chinese numerals
(二〇二四年三月一日, :func:`chinese_date`), which stand upright.
"""

from __future__ import annotations

import re

from app.export.canvas import FontSet, Item, Role, Text
from app.prosody.text import is_han

CORNER_PUNCT = frozenset("，。、；：！？．,.;:!?")
ROTATED = frozenset("「」『』（）《》〈〉【】〔〕〖〗—…～－-()[]<>~_")
# Horizontal mark → its vertical presentation form (Unicode's CJK Compatibility Forms
# and Vertical Forms blocks).
VERTICAL_FORMS: dict[str, str] = {
    "，": "︐", "、": "︑", "。": "︒", "：": "︓", "；": "︔", "！": "︕", "？": "︖",
    "（": "︵", "）": "︶", "｛": "︷", "｝": "︸", "〔": "︹", "〕": "︺", "【": "︻", "】": "︼",
    "《": "︽", "》": "︾", "〈": "︿", "〉": "﹀", "「": "﹁", "」": "﹂", "『": "﹃", "』": "﹄",
    "〖": "︗", "〗": "︘", "…": "︙", "—": "︱", "–": "︲", "_": "︳",
}  # fmt: skip

_DIGITS = "〇一二三四五六七八九"
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


def _number(n: int) -> str:
    """1–31 as a Chinese number: 一 … 十 … 二十一 … 三十一."""
    tens, ones = divmod(n, 10)
    if not tens:
        return _DIGITS[ones]
    head = "" if tens == 1 else _DIGITS[tens]
    return head + "十" + (_DIGITS[ones] if ones else "")


def chinese_date(text: str) -> str:
    """Dates written 2024-03-01 (or 2024/3/1, 2024.3.1) in Chinese numerals:
    二〇二四年三月一日; anything else (甲辰春, 七六七年) as it is."""

    def one(m: re.Match[str]) -> str:
        year, month, day = m.group(1), int(m.group(2)), int(m.group(3))
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return m.group(0)
        return "".join(_DIGITS[int(d)] for d in year) + f"年{_number(month)}月{_number(day)}日"

    return _ISO_DATE.sub(one, text)


def cell_items(
    ch: str, fonts: FontSet, role: Role, x: float, y: float, size: float, color: str = "#000000"
) -> list[Item]:
    """Items drawing ``ch`` in the square cell at (x, y) of side ``size``."""
    vertical = VERTICAL_FORMS.get(ch)
    if vertical is not None and fonts.supports(role, vertical):
        return [Text(x, y, size, size, vertical, role, align="center", color=color, actual=ch)]
    if ch in CORNER_PUNCT:
        # The ink in the middle of the cell's upper right quarter, inside the column.
        m = fonts.metrics(role)
        tight = m.tightBoundingRect(ch)
        origin_x = x + size * 0.72 - (tight.left() + tight.right()) / 2
        baseline = y + size * 0.28 - (tight.top() + tight.bottom()) / 2
        return [Text(origin_x, baseline - m.ascent(), size, size, ch, role, align="left",
                     color=color, top=True)]  # fmt: skip
    if ch in ROTATED or (ch.isascii() and not ch.isspace()):
        return [Text(x, y, size, size, ch, role, align="center", rotate=90, color=color)]
    return [Text(x, y, size, size, ch, role, align="center", color=color)]


def is_drawable(ch: str) -> bool:
    return not ch.isspace() and (is_han(ch) or ch.isprintable())
