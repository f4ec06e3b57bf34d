"""A 词 assignment's sheet as PDF: the 体's rows of marks over writing cells, each as long
as its segment, 韵 and 读 marked, the pinned 部's characters (read back with poppler)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.assign.ci import CiAssignment, ci_sheet_lines
from app.assign.model import Assignment
from app.export.fonts import find_cjk_family
from app.export.sheet_pdf import SheetExporter, SheetOptions
from app.prosody.books.shelf import Shelf
from app.prosody.ci.books import CiBookKind, ci_book
from app.prosody.forms import Form
from app.prosody.rhymebook import RhymeBook
from tests.support import assign_pdftools as pdf
from tests.support.cipu_fixture import fixture_table


@pytest.fixture
def ready(qapp: object) -> None:
    pdf.need_poppler()
    if find_cjk_family("") is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")


def test_the_sheet_of_a_ci_shows_its_form_row_by_row(ready: None, tmp_path: Path) -> None:
    book = RhymeBook.load()
    tune = fixture_table(tmp_path / "cipu").find("采桑子")
    assert tune is not None
    form = tune.forms[1]  # 李清照's 体: a 叠句 and a 讀 in each 段
    a = Assignment("雨夜", Form.QIJUE, instructions="依李清照体填一首《采桑子》。",
                   ci=CiAssignment(form, CiBookKind.CILIN, (("A", 13),)))  # fmt: skip
    shelf = Shelf(book)
    out = tmp_path / "sheet.pdf"
    exporter = SheetExporter(book, ci_rhymes=lambda kind: ci_book(kind, shelf).rhymes)
    result = exporter.export(a, out, SheetOptions(grid="tianzige"))
    assert result.pages == pdf.page_count(out) >= 1
    text = " ".join(pdf.lines(out))
    for piece in (
        "雨夜",
        "词·采桑子",
        "词牌：采桑子",
        "A韵押第十三部",
        "词谱（",
        "A韵第十三部常用字",
    ):
        assert piece in text, piece
    assert "孤平" not in text
    # every segment's marks over as many cells, in order
    words = pdf.words(out)
    levels = [w for w in words if w.text in ("⊙", "平", "仄")]
    rows: dict[tuple[int, int], list[pdf.Word]] = {}
    for w in levels:
        rows.setdefault((w.page, round(w.y_min)), []).append(w)
    found = [
        "".join(w.text for w in sorted(r, key=lambda w: w.x_min))
        for _, r in sorted(rows.items())
        if len(r) > 1
    ]  # fmt: skip (the legend's lone ⊙)
    assert found == [row.template for row in ci_sheet_lines(form)]
    rhymes = sum(1 for row in ci_sheet_lines(form) if row.rhymes)
    pauses = sum(1 for row in ci_sheet_lines(form) if row.pause)
    assert sum(1 for w in words if w.text == "韵") == rhymes and pauses > 0
    assert sum(1 for w in words if w.text == "读") == pauses
