"""平仄 marks beside characters: 〇 平, ● 仄, ▲ 入声 (a 仄 of its own kind), ◎ either, × unknown.

Marks are drawn as shapes, not text, so copying a poem out of the PDF gives the
poem alone. A guessed reading (not in the rhyme book) is drawn grey.
"""

from __future__ import annotations

from app.export.canvas import FontSet, Item, Role, Shape, ShapeKind, Text
from app.prosody.analysis import CharResult
from app.prosody.forms import EITHER, PING, ZE

GREY = "#8a8a8a"
INK = "#000000"


def mark_kind(c: CharResult) -> ShapeKind:
    if c.code == PING:
        return ShapeKind.CIRCLE
    if c.code == ZE:
        return ShapeKind.TRIANGLE if c.is_ru else ShapeKind.DISC
    if c.code == EITHER:
        return ShapeKind.DOUBLE
    return ShapeKind.CROSS


def mark(c: CharResult, cx: float, cy: float, d: float) -> Shape:
    """The mark for ``c`` centred on (cx, cy), ``d`` points across."""
    color = GREY if c.uncertain else INK
    return Shape(mark_kind(c), cx - d / 2, cy - d / 2, d, d, color, width=max(0.4, d / 8))


LEGEND: tuple[tuple[ShapeKind, str, str], ...] = (
    (ShapeKind.CIRCLE, "平", "level"),
    (ShapeKind.DISC, "仄", "oblique"),
    (ShapeKind.TRIANGLE, "入声", "entering"),
    (ShapeKind.DOUBLE, "两读", "either"),
    (ShapeKind.CROSS, "未详", "unknown"),
)


def legend_items(fonts: FontSet, x: float, y: float, lang: str = "zh") -> tuple[list[Item], float]:
    """A one-line legend in the SMALL role with its top-left at (x, y); returns (items, width)."""
    items: list[Item] = []
    size = fonts.size(Role.SMALL)
    h = fonts.metrics(Role.SMALL).height()
    d = size * 0.6
    cursor = x
    for kind, zh, en in LEGEND:
        label = en if lang == "en" else zh
        items.append(Shape(kind, cursor, y + (h - d) / 2, d, d, INK, width=max(0.4, d / 8)))
        cursor += d + size * 0.25
        w = fonts.advance(Role.SMALL, label) + 1
        items.append(Text(cursor, y, w, h, label, Role.SMALL))
        cursor += w + size
    return items, cursor - x - size
