"""Python string offsets ↔ Qt document positions (no Qt).

The checker indexes text by code point; Qt counts UTF-16 units, so a character
outside the Basic Multilingual Plane (CJK Extension B and beyond: 𠀀, 𪚥 …) takes
two Qt positions. Poems are nearly always BMP-only, so the maps are identities
unless the text holds such a character.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def has_astral(text: str) -> bool:
    return _ASTRAL.search(text) is not None


def utf16_len(text: str) -> int:
    """How many Qt positions ``text`` takes."""
    if not has_astral(text):
        return len(text)
    return len(text) + len(_ASTRAL.findall(text))


class OffsetMap:
    """Offsets of one text: ``to_qt(offset)`` and ``to_py(position)``."""

    __slots__ = ("_astral", "_astral_qt")

    def __init__(self, text: str) -> None:
        self._astral = [m.start() for m in _ASTRAL.finditer(text)]
        self._astral_qt = [a + i for i, a in enumerate(self._astral)]

    @property
    def identity(self) -> bool:
        return not self._astral

    def to_qt(self, offset: int) -> int:
        if not self._astral:
            return offset
        return offset + bisect_left(self._astral, offset)

    def to_py(self, position: int) -> int:
        """The character a Qt position falls in (the low half of a pair maps to its char)."""
        if not self._astral:
            return position
        q = self._astral_qt
        k = bisect_right(q, position - 2)  # astral characters wholly before the position
        if k < len(q) and q[k] == position - 1:
            return self._astral[k]
        return position - k


def block_utf16_starts(text: str) -> list[int] | None:
    """Per character of one block: its UTF-16 index, or None when the block is BMP-only."""
    if not has_astral(text):
        return None
    out: list[int] = []
    n = 0
    for ch in text:
        out.append(n)
        n += 2 if ord(ch) > 0xFFFF else 1
    out.append(n)
    return out
