"""Marks drawn over the text: rhyme boxes, pin corners and the 入声 line (shared with the legend).

Rhyme positions get a box whose line style says the verdict, not only its colour:
in the group — a thin solid box; borrowed from a neighbouring group (首句借邻韵) —
dashed, with 借; out of the group — a thick red box with ✕; unknown (no book
reading) — dotted, with ?. A pinned polyphone gets a small filled corner in the
colour of the reading chosen.

A 入声 character gets a line just above its ink (:func:`draw_ru_mark`). Qt's own
overline sits at the top of the line box, which in CJK faces with a tall ascent
(Noto Sans CJK: 1.16 em) is nearer the character above than its own — it read as
that character's underline.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QPolygonF

from app.prosody.analysis import RhymeMark
from app.ui.editor.palette import TonePalette

_BADGES = {RhymeMark.BORROWED.value: "借", RhymeMark.OUT.value: "✕", RhymeMark.UNKNOWN.value: "?"}


def draw_rhyme_box(painter: QPainter, rect: QRectF, mark: str, palette: TonePalette) -> None:
    if not mark:
        return
    out = mark == RhymeMark.OUT.value
    pen = QPen(QColor(palette.rhyme_out if out else palette.rhyme))
    pen.setWidthF(2.0 if out else 1.1)
    if mark == RhymeMark.BORROWED.value:
        pen.setStyle(Qt.PenStyle.DashLine)
    elif mark == RhymeMark.UNKNOWN.value:
        pen.setStyle(Qt.PenStyle.DotLine)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(rect.adjusted(0.5, 1.0, -0.5, -1.0), 3.0, 3.0)
    badge = _BADGES.get(mark)
    if badge:
        font = QFont(painter.font())
        font.setPixelSize(max(7, int(rect.height() * 0.32)))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor(palette.rhyme_out if out else palette.rhyme))
        side = rect.height() * 0.42
        corner = QRectF(rect.right() - side * 0.55, rect.top() - side * 0.35, side, side)
        painter.drawText(corner, Qt.AlignmentFlag.AlignCenter, badge)
    painter.restore()


def draw_pin_corner(painter: QPainter, rect: QRectF, color: str) -> None:
    side = max(4.0, rect.height() * 0.22)
    tri = QPolygonF(
        [
            QPointF(rect.left(), rect.top()),
            QPointF(rect.left() + side, rect.top()),
            QPointF(rect.left(), rect.top() + side),
        ]
    )
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(color))
    painter.drawPolygon(tri)
    painter.restore()


def ru_mark_y(metrics: QFontMetricsF, baseline: float) -> float:
    """Where the 入声 line goes: just above the ink of a full-height ideograph."""
    ink_top = baseline + metrics.tightBoundingRect("国").top()
    em = metrics.horizontalAdvance("国")
    return ink_top - max(2.5, em * 0.14)  # a clear gap: 白 must not read as 百


def draw_ru_mark(
    painter: QPainter, left: float, right: float, baseline: float, metrics: QFontMetricsF,
    color: str,
) -> None:  # fmt: skip
    """The 入声 line over the character between ``left`` and ``right``."""
    y = ru_mark_y(metrics, baseline)
    inset = (right - left) * 0.08
    pen = QPen(QColor(color))
    pen.setWidthF(max(1.2, metrics.horizontalAdvance("国") * 0.06))
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    painter.setPen(pen)
    painter.drawLine(QPointF(left + inset, y), QPointF(right - inset, y))
    painter.restore()
