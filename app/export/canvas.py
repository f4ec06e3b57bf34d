"""Pages as display lists, painted with Qt's own PDF writer.

Layout code (poems, sheets) places :class:`Text` and :class:`Shape` items on
pages in points (1/72 inch, origin at the top-left of the printable area);
:func:`render` paints them with ``QPdfWriter``/``QPainter`` at 72 dpi, embeds the
face, and corrects the copy-out text (:mod:`app.export.tounicode`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPageLayout,
    QPageSize,
    QPainter,
    QPainterPath,
    QPdfWriter,
    QPen,
    QRawFont,
)

from app.export.tounicode import fix_tounicode

PageSizeName = Literal["A4", "Letter"]
_PAGE_IDS = {"A4": QPageSize.PageSizeId.A4, "Letter": QPageSize.PageSizeId.Letter}
DPI = 72  # one device pixel is one point


class Role(StrEnum):
    TITLE = "title"
    BODY = "body"
    SMALL = "small"
    HEADING = "heading"
    TINY = "tiny"


_SCALE = {Role.TITLE: 1.4, Role.BODY: 1.0, Role.SMALL: 0.62, Role.HEADING: 0.9, Role.TINY: 0.5}
_BOLD = {Role.TITLE, Role.HEADING}


@dataclass(frozen=True, slots=True)
class PageSetup:
    size: PageSizeName = "A4"
    margins_mm: tuple[float, float, float, float] = (20.0, 20.0, 20.0, 20.0)  # l, t, r, b

    def layout(self) -> QPageLayout:
        left, top, right, bottom = self.margins_mm
        return QPageLayout(
            QPageSize(_PAGE_IDS[self.size]),
            QPageLayout.Orientation.Portrait,
            QMarginsF(left, top, right, bottom),
            QPageLayout.Unit.Millimeter,
        )

    def area(self) -> tuple[float, float]:
        """Width and height of the printable area in points."""
        rect = self.layout().paintRect(QPageLayout.Unit.Point)
        return rect.width(), rect.height()


class FontSet:
    """The one embedded face in the sizes the layouts use, with metrics for the PDF device."""

    def __init__(self, family: str, body_pt: float, device: QPdfWriter | None = None) -> None:
        self.family = family
        self.body_pt = body_pt
        self._device = device
        self._fonts: dict[Role, QFont] = {}
        self._metrics: dict[Role, QFontMetricsF] = {}
        self._supported: dict[tuple[Role, str], bool] = {}

    def size(self, role: Role) -> float:
        return self.body_pt * _SCALE[role]

    def font(self, role: Role) -> QFont:
        f = self._fonts.get(role)
        if f is None:
            f = QFont(self.family)
            f.setPointSizeF(self.size(role))
            f.setBold(role in _BOLD)
            f.setKerning(False)
            f.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
            self._fonts[role] = f
        return f

    def metrics(self, role: Role) -> QFontMetricsF:
        m = self._metrics.get(role)
        if m is None:
            font = self.font(role)
            m = QFontMetricsF(font, self._device) if self._device else QFontMetricsF(font)
            self._metrics[role] = m
        return m

    def advance(self, role: Role, text: str) -> float:
        return self.metrics(role).horizontalAdvance(text)

    def raw_faces(self) -> list[QRawFont]:
        return [QRawFont.fromFont(self.font(r)) for r in self._fonts]

    def supports(self, role: Role, ch: str) -> bool:
        """Whether the face itself has a glyph for ``ch`` (no fallback face)."""
        key = (role, ch)
        known = self._supported.get(key)
        if known is None:
            raw = QRawFont.fromFont(self.font(role))
            known = len(ch) == 1 and raw.supportsCharacter(ord(ch))
            self._supported[key] = known
        return known


Align = Literal["left", "center", "right"]


@dataclass(frozen=True, slots=True)
class Text:
    """Text in a box; ``rotate`` 90 turns it clockwise about the box's centre."""

    x: float
    y: float
    w: float
    h: float
    text: str
    role: Role = Role.BODY
    align: Align = "left"
    rotate: int = 0
    color: str = "#000000"
    top: bool = False  # align to the top of the box (the baseline at y + ascent)
    actual: str = ""  # what the drawn text stands for when copied (︐ drawn for ，)


class ShapeKind(StrEnum):
    CIRCLE = "circle"  # 〇
    DISC = "disc"  # ●
    DOUBLE = "double"  # ◎
    TRIANGLE = "triangle"  # ▲
    CROSS = "cross"  # ×
    LINE = "line"  # from (x, y) to (x + w, y + h)
    DASHED = "dashed"  # dashed line, same geometry
    RECT = "rect"  # outline
    FILL = "fill"  # filled rectangle


@dataclass(frozen=True, slots=True)
class Shape:
    kind: ShapeKind
    x: float
    y: float
    w: float
    h: float
    color: str = "#000000"
    width: float = 0.6  # pen width in points


Item = Text | Shape


@dataclass(slots=True)
class Page:
    items: list[Item] = field(default_factory=list)

    def text(self) -> str:
        return "".join(i.text for i in self.items if isinstance(i, Text))

    def stand_ins(self) -> dict[str, str]:
        """Drawn text → the text it stands for (a vertical form → its mark)."""
        return {i.text: i.actual for i in self.items if isinstance(i, Text) and i.actual}


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    pages: int
    family: str
    missing: str = ""  # characters the face lacks (drawn by a fallback face, if any)


def _align_flag(align: Align, top: bool) -> Qt.AlignmentFlag:
    horizontal = {"left": Qt.AlignmentFlag.AlignLeft, "center": Qt.AlignmentFlag.AlignHCenter,
                  "right": Qt.AlignmentFlag.AlignRight}[align]  # fmt: skip
    return horizontal | (Qt.AlignmentFlag.AlignTop if top else Qt.AlignmentFlag.AlignVCenter)


def _paint_text(p: QPainter, fonts: FontSet, item: Text) -> None:
    p.setFont(fonts.font(item.role))
    p.setPen(QColor(item.color))
    flags = int(_align_flag(item.align, item.top))
    if item.rotate:
        p.save()
        p.translate(item.x + item.w / 2, item.y + item.h / 2)
        p.rotate(item.rotate)
        p.drawText(QRectF(-item.h / 2, -item.w / 2, item.h, item.w), flags, item.text)
        p.restore()
    else:
        p.drawText(QRectF(item.x, item.y, item.w, item.h), flags, item.text)


def _paint_shape(p: QPainter, s: Shape) -> None:
    color = QColor(s.color)
    pen = QPen(color, s.width)
    if s.kind is ShapeKind.DASHED:
        pen.setStyle(Qt.PenStyle.DashLine)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    rect = QRectF(s.x, s.y, s.w, s.h)
    if s.kind is ShapeKind.CIRCLE:
        p.drawEllipse(rect)
    elif s.kind is ShapeKind.DISC:
        p.setBrush(QBrush(color))
        p.drawEllipse(rect)
    elif s.kind is ShapeKind.DOUBLE:
        p.drawEllipse(rect)
        inset = s.w * 0.25
        p.drawEllipse(rect.adjusted(inset, inset, -inset, -inset))
    elif s.kind is ShapeKind.TRIANGLE:
        path = QPainterPath(QPointF(s.x + s.w / 2, s.y))
        path.lineTo(QPointF(s.x + s.w, s.y + s.h))
        path.lineTo(QPointF(s.x, s.y + s.h))
        path.closeSubpath()
        p.fillPath(path, QBrush(color))
    elif s.kind is ShapeKind.CROSS:
        p.drawLine(QPointF(s.x, s.y), QPointF(s.x + s.w, s.y + s.h))
        p.drawLine(QPointF(s.x + s.w, s.y), QPointF(s.x, s.y + s.h))
    elif s.kind in (ShapeKind.LINE, ShapeKind.DASHED):
        p.drawLine(QPointF(s.x, s.y), QPointF(s.x + s.w, s.y + s.h))
    elif s.kind is ShapeKind.RECT:
        p.drawRect(rect)
    elif s.kind is ShapeKind.FILL:
        p.fillRect(rect, color)


def new_writer(path: Path, setup: PageSetup, title: str) -> QPdfWriter:
    writer = QPdfWriter(str(path))
    writer.setResolution(DPI)
    writer.setPageLayout(setup.layout())
    writer.setTitle(title)
    writer.setCreator("诗笺 Shijian")
    return writer


def render(path: Path, pages: Sequence[Page], fonts: FontSet, writer: QPdfWriter) -> ExportResult:
    """Paint ``pages`` through ``writer`` (made by :func:`new_writer` for ``path``)."""
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot write {path}")
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for n, page in enumerate(pages):
            if n:
                writer.newPage()
            for item in page.items:
                if isinstance(item, Text):
                    _paint_text(painter, fonts, item)
                else:
                    _paint_shape(painter, item)
    finally:
        painter.end()
    drawn = [p.text() for p in pages]
    stand_for: dict[str, str] = {}
    for p in pages:
        stand_for.update(p.stand_ins())
    fix_tounicode(path, drawn, fonts.raw_faces(), stand_for)
    return ExportResult(path, len(pages), fonts.family)
