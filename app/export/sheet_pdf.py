"""The assignment sheet as PDF: what to write, the 平仄 template, a writing grid, rhyme words.

Each line of the form gets its template (⊙平⊙仄仄平平; both the 平起 and the 仄起
one, labelled, when the assignment allows either start) above a row of writing
cells — 田字格 (a square with dashed centre lines) or 方格 (a plain square) — with
the right number of cells; lines that rhyme are marked 韵. The rhyme group's most
used characters close the sheet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from app.assign.model import Assignment
from app.assign.sheet import SheetContent, gu_ping_note, sheet_content, template_note
from app.export.canvas import (
    ExportResult,
    FontSet,
    Item,
    PageSetup,
    Role,
    Shape,
    ShapeKind,
    Text,
    new_writer,
    render,
)
from app.export.flow import Block, PageStack, join, text_block
from app.export.fonts import FontLookup, find_cjk_family, resolve_family

if TYPE_CHECKING:
    from app.prosody.books.protocol import Book
    from app.prosody.ci.books import CiBookKind, CiRhymes

GridStyle = Literal["tianzige", "fangge"]
GRID_GREY = "#9a9a9a"


@dataclass(frozen=True, slots=True)
class SheetOptions:
    page: PageSetup = field(default_factory=PageSetup)
    font_pt: float = 12.0
    grid: GridStyle = "tianzige"
    lang: str = "zh"
    font_family: str = ""
    show_grading: bool = True  # how the poem is graded, in a few lines
    name_line: bool = True  # 姓名 / 班级 blanks for the student


def _label(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def grid_row(
    fonts: FontSet, templates: Sequence[str], rhymes: bool, width: float, options: SheetOptions,
    number: int, labels: Sequence[str] = (), pause: bool = False, given: str = "",
) -> Block:  # fmt: skip
    """One verse line: its template(s) over a row of writing cells; with several
    templates (平起 and 仄起 both allowed) each row of levels is labelled. ``pause``: a 词's
    讀 (the 句 goes on in the next row), labelled 读. ``given``: characters printed in the
    cells (a 对联's given 上联)."""
    em = fonts.size(Role.BODY)
    cell = em * 2.2
    n = len(templates[0])
    x0 = (width - n * cell) / 2
    items: list[Item] = []
    th = fonts.metrics(Role.SMALL).height() * 1.1
    y = 0.0
    for t, template in enumerate(templates):
        if len(templates) > 1 and t < len(labels):
            items.append(Text(0, y, x0 - em * 0.4, th, labels[t], Role.SMALL, align="right",
                              color="#808080"))  # fmt: skip
        for k, level in enumerate(template):
            items.append(Text(x0 + k * cell, y, cell, th, level, Role.SMALL, align="center",
                              color="#505050"))  # fmt: skip
        y += th
    y += 1
    items.append(Text(0, y, x0 - em * 0.4, cell, f"{number}", Role.SMALL, align="right",
                      color="#505050"))  # fmt: skip
    for k in range(n):
        x = x0 + k * cell
        items.append(Shape(ShapeKind.RECT, x, y, cell, cell, "#303030", 0.8))
        if options.grid == "tianzige":
            items.append(Shape(ShapeKind.DASHED, x + cell / 2, y, 0, cell, GRID_GREY, 0.4))
            items.append(Shape(ShapeKind.DASHED, x, y + cell / 2, cell, 0, GRID_GREY, 0.4))
        if k < len(given):
            items.append(Text(x, y, cell, cell, given[k], Role.BODY, align="center"))
    if rhymes or pause:
        label = (
            _label(options.lang, "韵", "rhyme") if rhymes else _label(options.lang, "读", "pause")
        )
        items.append(Text(x0 + n * cell + em * 0.4, y, em * 3, cell, label, Role.SMALL,
                          color="#505050"))  # fmt: skip
    return Block(y + cell + em * 0.5, items)


def sheet_pages(
    content: SheetContent, assignment: Assignment, fonts: FontSet, area: tuple[float, float],
    options: SheetOptions,
) -> PageStack:  # fmt: skip
    width, height = area
    lang = options.lang
    stack = PageStack(height)
    em = fonts.size(Role.BODY)
    title_h = fonts.metrics(Role.TITLE).height() * 1.4
    head = Block(title_h, [Text(0, 0, width, title_h, content.title, Role.TITLE, align="center")])
    stack.place(head)
    sub = content.form + (f"　{_label(lang, '截止', 'due')} {content.due}" if content.due else "")
    stack.place(text_block(fonts, Role.SMALL, sub, width, align="center"))
    if options.name_line:
        h = fonts.metrics(Role.BODY).height() * 1.8
        items: list[Item] = []
        x = 0.0
        for label in (_label(lang, "姓名", "Name"), _label(lang, "班级", "Class")):
            lw = fonts.advance(Role.BODY, label + "：") + 1
            items.append(Text(x, 0, lw, h, label + "：", Role.BODY))
            items.append(Shape(ShapeKind.LINE, x + lw, h * 0.75, em * 8, 0, "#303030", 0.6))
            x += lw + em * 10
        stack.place(Block(h, items))
    stack.space(em * 0.5)
    if content.instructions:
        stack.place(text_block(fonts, Role.BODY, content.instructions, width))
        stack.space(em * 0.5)
    stack.place(text_block(fonts, Role.HEADING, _label(lang, "要求", "Requirements"), width))
    for line in content.requirements:
        stack.place(text_block(fonts, Role.BODY, "· " + line, width, indent=em))
    if options.show_grading:
        stack.space(em * 0.3)
        stack.place(text_block(fonts, Role.HEADING, _label(lang, "评分", "Grading"), width))
        form = assignment.ci.form if assignment.ci is not None else assignment.form
        for line in assignment.policy.describe(lang, form):
            stack.place(text_block(fonts, Role.SMALL, line, width, indent=em))
    stack.space(em)
    starts = "、".join(content.qis) if lang != "en" else " or ".join(content.qis)
    either = len(content.qis) > 1
    heading = _label(
        lang,
        f"平仄格式（{starts}{'任选其一' if either else ''}）与书写格",
        f"Tone template ({starts}{', either' if either else ''}) and writing grid",
    )
    if assignment.ci is not None:  # a 词: its 体, a row per 句 and 讀
        heading = _label(lang, f"词谱（{starts}）与书写格", f"Pattern ({starts}) and writing grid")
    rows = [grid_row(fonts, ln.templates, ln.rhymes, width, options, i, content.qis, ln.pause,
                     ln.given)
            for i, ln in enumerate(content.lines, 1)]  # fmt: skip
    stack.place(join(text_block(fonts, Role.HEADING, heading, width), Block(em * 0.3), rows[0]))
    for row in rows[1:]:
        stack.place(row)
    legend = _label(lang, "⊙ 可平可仄。", "⊙ either tone. ")
    if not content.line_len:
        legend = template_note(0, lang)
    elif content.form != "对联":  # the 孤平 note is about a poem's 平平仄仄平 lines
        legend += gu_ping_note(content.line_len, lang)
    stack.place(text_block(fonts, Role.SMALL, legend, width))
    if content.rhyme_chars:
        stack.space(em * 0.5)
        title = _label(lang, f"{content.rhyme_group}常用字",
                       f"Common characters of {content.rhyme_group}")  # fmt: skip
        spaced = "　".join(content.rhyme_chars)
        stack.place(join(text_block(fonts, Role.HEADING, title, width),
                         text_block(fonts, Role.BODY, spaced, width, spacing=1.6)))  # fmt: skip
    return stack


class SheetExporter:
    """Writes assignment sheets. ``book`` supplies the rhyme group's characters;
    ``ci_rhymes`` (a 词 assignment's book) the pinned 部's."""

    def __init__(
        self,
        book: Book,
        *,
        font_lookup: FontLookup = find_cjk_family,
        ci_rhymes: Callable[[CiBookKind], CiRhymes | None] | None = None,
    ) -> None:
        self._book = book
        self._lookup = font_lookup
        self._ci_rhymes = ci_rhymes

    def export(
        self, assignment: Assignment, path: Path, options: SheetOptions | None = None
    ) -> ExportResult:
        options = options or SheetOptions()
        family = resolve_family(self._lookup, options.font_family)
        rhymes = None
        if assignment.ci is not None and self._ci_rhymes is not None:
            rhymes = self._ci_rhymes(assignment.ci.book)
        content = sheet_content(assignment, self._book, options.lang, ci_rhymes=rhymes)
        writer = new_writer(path, options.page, assignment.title)
        fonts = FontSet(family, options.font_pt, writer)
        stack = sheet_pages(content, assignment, fonts, options.page.area(), options)
        return render(path, stack.pages, fonts, writer)
