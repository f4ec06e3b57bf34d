"""Poems onto pages: horizontal (横排) and vertical (竖排), and a contents page.

Both layouts print the text line by line as written (its punctuation kept), one
character per cell, with the title, a byline (author, date) and the rhyme group
under the title. A poem starts on a new page when it does not fit in what is
left of the current one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from app.export.canvas import FontSet, Item, Page, Role, Shape, ShapeKind, Text
from app.export.flow import Block, PageStack
from app.export.marks import legend_items, mark
from app.export.options import PdfOptions, PoemDoc
from app.export.vertical import cell_items, chinese_date
from app.prosody.analysis import CharResult, PoemAnalysis

GAP_LINES = 2.0  # space between poems, in body lines


@dataclass(frozen=True, slots=True)
class Placed:
    """Where a poem landed: its first page (0-based) among the layout's pages."""

    title: str
    author: str
    page: int


def byline(doc: PoemDoc, options: PdfOptions, *, vertical: bool = False) -> str:
    """Author and date; in 竖排 a date written 2024-03-01 is given in Chinese numerals."""
    parts = []
    if options.show_author and doc.author.strip():
        parts.append(doc.author.strip())
    if options.show_date and doc.date.strip():
        when = doc.date.strip()
        parts.append(chinese_date(when) if vertical else when)
    return "　".join(parts)


def group_line(analysis: PoemAnalysis | None, options: PdfOptions) -> str:
    if not options.show_group or analysis is None or analysis.rhyme_group is None:
        return ""
    if analysis.ze_yun:
        return ""
    g = analysis.rhyme_group
    return f"rhyme: {g.name}" if options.lang == "en" else f"押{g.name}韵"


def _by_offset(analysis: PoemAnalysis | None) -> dict[int, CharResult]:
    return {} if analysis is None else {c.offset: c for c in analysis.chars}


def _text_lines(text: str) -> list[tuple[int, str]]:
    """(offset of the line's first character, the line) for each non-empty line."""
    out: list[tuple[int, str]] = []
    offset = 0
    for raw in text.split("\n"):
        stripped = raw.rstrip("\r")
        lead = len(stripped) - len(stripped.lstrip())
        body = stripped.strip()
        if body:
            out.append((offset + lead, body))
        offset += len(raw) + 1
    return out


# ------------------------------------------------------------------ horizontal
def horizontal_block(
    doc: PoemDoc, analysis: PoemAnalysis | None, fonts: FontSet, width: float, options: PdfOptions
) -> Block:
    em = fonts.size(Role.BODY)
    items: list[Item] = []
    y = 0.0
    title_h = fonts.metrics(Role.TITLE).height() * 1.3
    items.append(Text(0, y, width, title_h, doc.title or "无题", Role.TITLE, align="center"))
    y += title_h
    small_h = fonts.metrics(Role.SMALL).height() * 1.4
    for line in (byline(doc, options), group_line(analysis, options)):
        if line:
            items.append(Text(0, y, width, small_h, line, Role.SMALL, align="center"))
            y += small_h
    y += em * 0.6
    cells = _by_offset(analysis)
    char_h = fonts.metrics(Role.BODY).height()
    row_h = char_h * (1.75 if options.marks else 1.45)
    d = em * 0.3
    lines = _text_lines(doc.text)
    block_w = min(width, max((fonts.advance(Role.BODY, ln) for _, ln in lines), default=0.0))
    x0 = (width - block_w) / 2
    for start, line in lines:
        x = x0
        for k, ch in enumerate(line):
            adv = fonts.advance(Role.BODY, ch)
            if x + adv > x0 + block_w + 0.5:  # wrap a line wider than the page
                x = x0
                y += row_h
            items.append(Text(x, y, adv, char_h, ch, Role.BODY, align="center"))
            c = cells.get(start + k)
            if options.marks and c is not None:
                items.append(mark(c, x + adv / 2, y + char_h + d * 0.9, d))
            x += adv
        y += row_h
    return Block(y, items)


def layout_horizontal(
    docs: Sequence[tuple[PoemDoc, PoemAnalysis | None]],
    fonts: FontSet,
    area: tuple[float, float],
    options: PdfOptions,
) -> tuple[list[Page], list[Placed]]:
    width, height = area
    stack = PageStack(height)
    placed: list[Placed] = []
    gap = fonts.metrics(Role.BODY).height() * GAP_LINES
    for n, (doc, analysis) in enumerate(docs):
        block = horizontal_block(doc, analysis, fonts, width, options)
        if n and options.one_per_page:
            stack.new_page()
        elif n:
            stack.space(gap)
        if stack.y + block.height > stack.height and stack.y > 0:
            stack.new_page()
        placed.append(Placed(doc.title, doc.author, len(stack.pages) - 1))
        stack.place(block)
    return stack.pages, placed


# ------------------------------------------------------------------ vertical
@dataclass(slots=True)
class _Column:
    role: Role
    cells: list[tuple[str, CharResult | None]]
    start: int = 0  # cells left blank at the top (an indent)


def _vertical_columns(
    doc: PoemDoc, analysis: PoemAnalysis | None, rows: dict[Role, int], options: PdfOptions
) -> list[_Column]:
    cols: list[_Column] = []

    def add(role: Role, text: str, start: int, offsets: list[CharResult | None] | None) -> None:
        per = rows[role] - start
        chars = list(text)
        cells = [(ch, offsets[i] if offsets else None) for i, ch in enumerate(chars)]
        for k in range(0, max(len(cells), 1), max(per, 1)):
            cols.append(_Column(role, cells[k : k + per], start))

    add(Role.TITLE, doc.title or "无题", 1, None)
    extra = [t for t in (byline(doc, options, vertical=True), group_line(analysis, options)) if t]
    for t in extra:
        add(Role.SMALL, t, 4, None)
    cells = _by_offset(analysis)
    for start, line in _text_lines(doc.text):
        add(Role.BODY, line, 0, [cells.get(start + k) for k in range(len(line))])
    return cols


def layout_vertical(
    docs: Sequence[tuple[PoemDoc, PoemAnalysis | None]],
    fonts: FontSet,
    area: tuple[float, float],
    options: PdfOptions,
) -> tuple[list[Page], list[Placed]]:
    width, height = area
    size = {r: fonts.size(r) * 1.12 for r in (Role.TITLE, Role.SMALL, Role.BODY)}
    pitch = {
        Role.TITLE: size[Role.TITLE] * 1.6,
        Role.SMALL: size[Role.SMALL] * 1.8,
        Role.BODY: size[Role.BODY] * (1.95 if options.marks else 1.6),
    }
    rows = {r: max(1, int(height // size[r])) for r in size}
    pages: list[Page] = [Page()]
    placed: list[Placed] = []
    x_right = width  # the right edge of the next column
    for n, (doc, analysis) in enumerate(docs):
        cols = _vertical_columns(doc, analysis, rows, options)
        need = sum(pitch[c.role] for c in cols)
        fresh = x_right >= width
        if n and not fresh:
            x_right -= pitch[Role.BODY]  # a blank column between poems
        if not fresh and (options.one_per_page or need > x_right):
            pages.append(Page())
            x_right = width
        placed.append(Placed(doc.title, doc.author, len(pages) - 1))
        for col in cols:
            p = pitch[col.role]
            if x_right - p < -0.5:
                pages.append(Page())
                x_right = width
            s = size[col.role]
            cx = x_right - p / 2
            x = cx - s / 2
            for k, (ch, c) in enumerate(col.cells):
                y = (col.start + k) * s
                pages[-1].items.extend(cell_items(ch, fonts, col.role, x, y, s))
                if options.marks and c is not None:
                    d = fonts.size(Role.BODY) * 0.3
                    pages[-1].items.append(mark(c, x + s + d * 0.9, y + s / 2, d))
            x_right -= p
    for page in pages:
        _center(page, width, height)
    return pages, placed


def _extent(item: Item) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of what an item may draw."""
    if isinstance(item, Shape):
        return (min(item.x, item.x + item.w), min(item.y, item.y + item.h),
                max(item.x, item.x + item.w), max(item.y, item.y + item.h))  # fmt: skip
    return item.x, item.y, item.x + item.w, item.y + item.h


def _center(page: Page, width: float, height: float) -> None:
    """Move a page's columns to the middle of the page: centred across, and a little
    above the middle down the page (where the eye expects a short poem)."""
    if not page.items:
        return
    boxes = [_extent(i) for i in page.items]
    left = min(b[0] for b in boxes)
    top = min(b[1] for b in boxes)
    right = max(b[2] for b in boxes)
    bottom = max(b[3] for b in boxes)
    dx = max(-left, (width - (right - left)) / 2 - left)
    dy = max(-top, (height - (bottom - top)) * 0.4 - top)
    if abs(dx) < 0.01 and abs(dy) < 0.01:
        return
    page.items[:] = [replace(i, x=i.x + dx, y=i.y + dy) for i in page.items]


# ------------------------------------------------------------------ contents, furniture
def contents_pages(
    placed: Sequence[Placed], first_number: int, fonts: FontSet, area: tuple[float, float],
    options: PdfOptions,
) -> list[Page]:  # fmt: skip
    """The contents, listing each poem with the page it starts on (``first_number`` + its
    page); its own length must be known beforehand (see :func:`contents_length`)."""
    width, height = area
    heading = options.title or ("Contents" if options.lang == "en" else "目录")
    head_h = fonts.metrics(Role.TITLE).height() * 2.0
    row_h = fonts.metrics(Role.BODY).height() * 1.3
    pages = [Page([Text(0, 0, width, head_h, heading, Role.TITLE, align="center")])]
    y = head_h
    for entry in placed:
        if y + row_h > height:
            pages.append(Page())
            y = 0.0
        number = str(first_number + entry.page)
        title = entry.title or "无题"
        tw = fonts.advance(Role.BODY, title)
        aw = fonts.advance(Role.SMALL, entry.author) if entry.author else 0.0
        nw = fonts.advance(Role.BODY, number)
        items = pages[-1].items
        items.append(Text(0, y, tw + 1, row_h, title, Role.BODY))
        x = tw + fonts.size(Role.BODY) * 0.6
        if entry.author:
            items.append(Text(x, y, aw + 1, row_h, entry.author, Role.SMALL))
            x += aw + fonts.size(Role.BODY) * 0.4
        right = width - nw - fonts.size(Role.BODY) * 0.4
        if right > x:
            mid = y + row_h * 0.62
            items.append(Shape(ShapeKind.DASHED, x, mid, right - x, 0, "#808080", 0.5))
        items.append(Text(width - nw - 1, y, nw + 1, row_h, number, Role.BODY, align="right"))
        y += row_h
    return pages


def contents_length(n_entries: int, fonts: FontSet, area: tuple[float, float]) -> int:
    _, height = area
    head_h = fonts.metrics(Role.TITLE).height() * 2.0
    row_h = fonts.metrics(Role.BODY).height() * 1.3
    first = int((height - head_h) // row_h)
    if n_entries <= first:
        return 1
    per = max(1, int(height // row_h))
    return 1 + -(-(n_entries - first) // per)


def add_page_numbers(pages: list[Page], fonts: FontSet, width: float, y: float) -> None:
    h = fonts.metrics(Role.SMALL).height()
    for n, page in enumerate(pages, 1):
        page.items.append(Text(0, y, width, h, str(n), Role.SMALL, align="center"))


def add_legend(pages: list[Page], fonts: FontSet, y: float, lang: str) -> None:
    """The marks' legend at ``y`` on every page that has marks."""
    for page in pages:
        if any(isinstance(i, Shape) and i.kind is not ShapeKind.DASHED for i in page.items):
            items, _ = legend_items(fonts, 0, y, lang)
            page.items.extend(items)
