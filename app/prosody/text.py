"""Splitting any text into verse lines of Han characters, keeping every offset."""

from __future__ import annotations

import re
from typing import NamedTuple

# Where a verse line ends: Chinese and Western sentence punctuation, and line breaks.
LINE_BREAKS = frozenset("，。？！；：、,.?!;:\n\r\u2028\u2029\u3002\uff0c\uff1f\uff01\uff1b\uff1a")

_HAN_RANGES = (
    (0x3400, 0x4DBF),  # Extension A
    (0x4E00, 0x9FFF),  # Unified Ideographs
    (0xF900, 0xFAFF),  # Compatibility Ideographs
    (0x20000, 0x2A6DF),  # Extension B
    (0x2A700, 0x2EBEF),  # Extensions C–F, I
    (0x2F800, 0x2FA1F),  # Compatibility Supplement
    (0x30000, 0x323AF),  # Extensions G–H
)


def is_han(ch: str) -> bool:
    """A CJK ideograph (any extension, compatibility forms included) or 〇."""
    cp = ord(ch)
    if 0x4E00 <= cp <= 0x9FFF:  # the common case first
        return True
    if cp == 0x3007:
        return True
    return any(lo <= cp <= hi for lo, hi in _HAN_RANGES)


class TextLine(NamedTuple):
    """One verse line: its Han characters and where each sits in the original text."""

    chars: str
    offsets: tuple[int, ...]
    start: int  # offset of the first character of the segment (Han or not)
    end: int  # offset just past the segment's last character


_SEGMENT = re.compile("[^" + re.escape("".join(sorted(LINE_BREAKS))) + "]+")
_HAN_CLASS = (
    "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002a6df\U0002a700-\U0002ebef\U0002f800-\U0002fa1f\U00030000-\U000323af"
)
_NOT_HAN = re.compile(f"[^{_HAN_CLASS}]")
_HAN = re.compile(f"[{_HAN_CLASS}]")


def split_lines(text: str) -> list[TextLine]:
    """Split ``text`` at punctuation and line breaks; keep only segments with Han characters.

    Everything that is not a Han character (spaces, quotes, Latin, emoji, combining
    marks) is skipped but offsets stay those of the original string, so the editor can
    paint the right characters.
    """
    lines: list[TextLine] = []
    for m in _SEGMENT.finditer(text):
        seg = m.group()
        start = m.start()
        if _NOT_HAN.search(seg) is None:  # the common case: nothing but Han characters
            lines.append(TextLine(seg, tuple(range(start, m.end())), start, m.end()))
            continue
        found = [(h.start(), h.group()) for h in _HAN.finditer(seg)]
        if found:
            lines.append(
                TextLine(
                    "".join(ch for _, ch in found),
                    tuple(start + i for i, _ in found),
                    start,
                    m.end(),
                )
            )
    return lines
