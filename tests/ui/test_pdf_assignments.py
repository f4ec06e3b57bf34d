"""The assignment sheet and the grading reports as PDFs, read back with poppler."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.assign.grading import Status, grade_all
from app.assign.intake import read_folder
from app.assign.sheet import sheet_content
from app.export.canvas import PageSetup
from app.export.fonts import NoCjkFontError, find_cjk_family
from app.export.report_pdf import ReportExporter
from app.export.sheet_pdf import SheetExporter, SheetOptions
from app.prosody.checker import Checker
from app.prosody.forms import Form
from app.prosody.rhymebook import RhymeBook
from tests.support import assign_pdftools as pdf
from tests.support.assign_class import frontier_assignment, make_class_folder


@pytest.fixture(scope="module")
def book() -> RhymeBook:
    return RhymeBook.load()


@pytest.fixture
def ready(qapp: object) -> None:
    pdf.need_poppler()
    if find_cjk_family("") is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")


def test_the_sheet_has_a_template_and_a_grid_for_every_line(
    ready: None, book: RhymeBook, tmp_path: Path
) -> None:
    a = replace(frontier_assignment(), form=Form.QILV)
    out = tmp_path / "sheet.pdf"
    result = SheetExporter(book).export(a, out, SheetOptions(grid="tianzige"))
    assert result.pages == pdf.page_count(out) >= 1
    text = " ".join(pdf.lines(out))
    for piece in (
        "边塞七绝",
        "以边塞为题，写一首七绝。",
        "押上平十五删韵",
        "禁用字",
        "上平十五删常用字",
    ):
        assert piece in text, piece
    content = sheet_content(a, book)
    # every template appears, in order, its 7 levels spread over the 7 cells
    words = pdf.words(out)
    levels = [w for w in words if w.text in ("⊙", "平", "仄") and len(w.text) == 1]
    rows: dict[tuple[int, int], list[pdf.Word]] = {}
    for w in levels:
        rows.setdefault((w.page, round(w.y_min)), []).append(w)
    templates = ["".join(w.text for w in sorted(r, key=lambda w: w.x_min))
                 for _, r in sorted(rows.items()) if len(r) == 7]  # fmt: skip
    assert templates == [ln.template for ln in content.lines]
    for ch in content.rhyme_chars[:10]:
        assert ch in text
    # the rhyming lines are marked 韵 (lines 1, 2, 4, 6, 8 of a 七律 whose line 1 rhymes)
    assert sum(1 for w in words if w.text == "韵") == 5


def test_the_sheet_in_english_with_plain_squares(
    ready: None, book: RhymeBook, tmp_path: Path
) -> None:
    out = tmp_path / "sheet-en.pdf"
    options = SheetOptions(grid="fangge", lang="en", page=PageSetup("Letter"))
    SheetExporter(book).export(frontier_assignment(), out, options)
    assert pdf.page_size(out) == (612.0, 792.0)
    text = " ".join(pdf.lines(out))
    assert "Requirements" in text and "Tone template" in text and "Name" in text


def test_class_and_student_reports(ready: None, book: RhymeBook, tmp_path: Path) -> None:
    make_class_folder(tmp_path / "class")
    a = frontier_assignment()
    reports = list(grade_all(read_folder(tmp_path / "class"), a, Checker(book)))
    exporter = ReportExporter()
    out = tmp_path / "class.pdf"
    result = exporter.class_report(reports, a, out)
    assert result.pages == pdf.page_count(out) > len(reports)  # summary, then one per student
    first = " ".join(pdf.lines(out, first=1, last=2))
    assert "全班汇总" in first and "成绩分布" in first and "常见问题" in first
    for r in reports:
        assert r.student in first
    assert "未评分的作业" in first and "PNG" in first
    singles = exporter.students(reports, a, tmp_path / "students")
    assert len(singles) == len(reports)
    for r, single in zip(reports, singles, strict=True):
        text = " ".join(pdf.lines(single.path))
        assert r.student in text and r.submission.source in text
        if r.status is Status.GRADED:
            assert r.submission.text is not None
            assert r.submission.text.split("\n")[0] in text.replace(" ", "")
            assert f"{r.grade:.1f}" in text
            # how the grade was reached, step by step
            assert "成绩怎样算出" in text and "基础分" in text
            assert text.replace(" ", "").count("成绩") >= 2
            for d in r.deductions:
                assert f"−{d.points:g}" in text.replace(" ", "")
        else:
            assert r.reason is not None and r.reason.zh[:6] in text


def test_reports_refuse_without_a_cjk_font(book: RhymeBook, tmp_path: Path, qapp: object) -> None:
    reports = list(grade_all([], frontier_assignment(), Checker(book)))
    with pytest.raises(NoCjkFontError):
        ReportExporter(font_lookup=lambda _preferred: None).class_report(
            reports, frontier_assignment(), tmp_path / "x.pdf"
        )
    with pytest.raises(NoCjkFontError):
        SheetExporter(book, font_lookup=lambda _preferred: None).export(
            frontier_assignment(), tmp_path / "y.pdf"
        )
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "y.pdf").exists()
