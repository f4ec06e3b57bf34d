"""Export poems to PDF: one poem, a selection, or a tag/collection as an anthology.

.. code-block:: python

    exporter = PoemExporter(checker)                      # font lookup injectable
    result = exporter.export([PoemDoc("静夜思", text, "李白")], Path("poem.pdf"),
                             PdfOptions(layout="vertical", marks=True))

A contents page comes first when there is more than one poem (``PdfOptions.contents``);
page numbers are printed when the document has more than one page. Everything
is drawn with one embedded CJK face; without one, :class:`NoCjkFontError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from app.export.canvas import ExportResult, FontSet, Page, Role, new_writer, render
from app.export.fonts import FontLookup, find_cjk_family, missing_glyphs, resolve_family
from app.export.options import PdfOptions, PoemDoc
from app.export.poem.layout import (
    add_legend,
    add_page_numbers,
    contents_length,
    contents_pages,
    layout_horizontal,
    layout_vertical,
)
from app.prosody.analysis import PoemAnalysis
from app.prosody.books.kinds import BookKind
from app.prosody.checker import Checker


class PoemExporter:
    """Writes poem PDFs. ``checker`` gives the marks and the rhyme group line;
    ``checker_for`` the checker of another rhyme book, for a poem stored with one (by
    default such a poem is checked with ``checker``)."""

    def __init__(
        self,
        checker: Checker,
        *,
        font_lookup: FontLookup = find_cjk_family,
        checker_for: Callable[[BookKind], Checker] | None = None,
    ) -> None:
        self._checker = checker
        self._lookup = font_lookup
        self._checker_for = checker_for

    def _analyse(self, doc: PoemDoc) -> PoemAnalysis | None:
        if not doc.text.strip():
            return None
        checker = self._checker
        if doc.book is not checker.book.kind and self._checker_for is not None:
            checker = self._checker_for(doc.book)
        return checker.analyze(doc.text, form=doc.form, group=doc.group)

    def export(self, poems: Sequence[PoemDoc], path: Path, options: PdfOptions) -> ExportResult:
        """Write ``poems`` to ``path``; raises NoCjkFontError before writing anything."""
        if not poems:
            raise ValueError("nothing to export")
        family = resolve_family(self._lookup, options.font_family)
        title = options.title or (poems[0].title if len(poems) == 1 else "诗选")
        writer = new_writer(path, options.page, title)
        fonts = FontSet(family, options.font_pt, writer)
        width, height = options.page.area()
        line = fonts.metrics(Role.SMALL).height()
        footer = line * 1.6 * (2 if options.marks else 1)  # page number (and the legend)
        body_area = (width, height - footer)
        docs = [(d, self._analyse(d)) for d in poems]
        if options.layout == "vertical":
            pages, placed = layout_vertical(docs, fonts, body_area, options)
        else:
            pages, placed = layout_horizontal(docs, fonts, body_area, options)
        if options.marks:
            add_legend(pages, fonts, body_area[1] + line * 0.4, options.lang)
        front: list[Page] = []
        if options.wants_contents(len(poems)):
            n_front = contents_length(len(placed), fonts, body_area)
            front = contents_pages(placed, n_front + 1, fonts, body_area, options)
        everything = front + pages
        if len(everything) > 1:
            add_page_numbers(everything, fonts, width, height - line * 1.1)
        result = render(path, everything, fonts, writer)
        text = "".join(d.title + d.text + d.author for d in poems)
        return replace(result, missing=missing_glyphs(family, text))
