"""竖排: one character in one cell, top to bottom, columns right to left.

Punctuation follows the mainland convention for vertical text: sentence marks
(，。、；：！？) sit in the upper right of their cell; brackets, dashes and
ellipses turn 90° clockwise (「 reads as ﹁); Latin letters and digits turn too.
"""

from __future__ import annotations

from app.export.canvas import FontSet, Item, Role, Text
from app.prosody.text import is_han

CORNER_PUNCT = frozenset("，。、；：！？．,.;:!?")
ROTATED = frozenset("「」『』（）《》〈〉【】〔〕—…～－-()[]<>~_")


def cell_items(
    ch: str, fonts: FontSet, role: Role, x: float, y: float, size: float, color: str = "#000000"
) -> list[Item]:
    """Items drawing ``ch`` in the square cell at (x, y) of side ``size``."""
    if ch in CORNER_PUNCT:
        m = fonts.metrics(role)
        tight = m.tightBoundingRect(ch)
        pad = size * 0.1
        origin_x = x + size - pad - tight.right()
        baseline = y + pad - tight.top()
        return [Text(origin_x, baseline - m.ascent(), size, size, ch, role, align="left",
                     color=color, top=True)]  # fmt: skip
    if ch in ROTATED or (ch.isascii() and not ch.isspace()):
        return [Text(x, y, size, size, ch, role, align="center", rotate=90, color=color)]
    return [Text(x, y, size, size, ch, role, align="center", color=color)]


def is_drawable(ch: str) -> bool:
    return not ch.isspace() and (is_han(ch) or ch.isprintable())
