"""The assignment sheet and the grading reports as PDFs, read back with poppler."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

from app.assign.grading import Status, grade_all
from app.assign.sheet import sheet_content
from app.assign.summary import summarize
from app.export.canvas import PageSetup
from app.export.fonts import NoCjkFontError, find_cjk_family
from app.export.report_pdf import BAR_COLOR, ReportExporter, ReportOptions, student_html
from app.export.sheet_pdf import SheetExporter, SheetOptions
from app.prosody.checker import Checker
from app.prosody.forms import Form
from app.prosody.rhymebook import RhymeBook
from tests.support import assign_pdftools as pdf
from tests.support.assign_class import frontier_assignment, graded_class


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
    # either start is allowed: the 平起 and the 仄起 template over every line's cells
    assert content.qis == ("平起", "仄起")
    assert templates == [t for ln in content.lines for t in ln.templates]
    assert sum(1 for w in words if w.text == "仄起") == len(content.lines)
    assert "孤平" in text
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
    a, reports = graded_class(tmp_path / "class", Checker(book))
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
            # a 七绝 asks for no couplet: its 对仗 is shown as —, not a free 100
            scores = re.findall(r">([^<]*)</td>", student_html(r, a, "zh", break_before=False))
            assert scores[2] == "—" and scores[0] != "—"
            # how the grade was reached, step by step
            assert "成绩怎样算出" in text and "基础分" in text
            assert text.replace(" ", "").count("成绩") >= 2
            for d in r.deductions:
                assert f"−{d.points:g}" in text.replace(" ", "")
        else:
            assert r.reason is not None and r.reason.zh[:6] in text


def _bar_lengths(png: Path) -> list[int]:
    """The length in pixels of each bar of the chart (runs of the bar colour), top down."""
    image = QImage(str(png))
    assert not image.isNull()
    bar = QColor(BAR_COLOR)
    lengths: list[int] = []
    previous = 0
    for y in range(image.height()):
        run = 0
        for x in range(image.width()):
            c = QColor(image.pixel(x, y))
            if (
                abs(c.red() - bar.red()) + abs(c.green() - bar.green()) + abs(c.blue() - bar.blue())
                < 40
            ):
                run += 1
        if run and not previous:
            lengths.append(run)
        elif run and previous:
            lengths[-1] = max(lengths[-1], run)
        previous = run
    return lengths


def test_the_distribution_bars_are_in_proportion(
    ready: None, book: RhymeBook, tmp_path: Path
) -> None:
    a, reports = graded_class(tmp_path / "class", Checker(book))
    counts = [b.count for b in summarize(reports).distribution if b.count]
    assert sorted(set(counts)) == [1, 3]  # one band with 1 student, one with 3
    out = tmp_path / "class.pdf"
    ReportExporter().class_report(reports, a, out)
    stem = tmp_path / "page1"
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile",
                    str(out), str(stem)], check=True)  # fmt: skip
    lengths = _bar_lengths(Path(f"{stem}.png"))
    assert len(lengths) == len(counts)
    unit = max(lengths) / max(counts)
    for n, length in zip(counts, lengths, strict=True):
        assert abs(length - n * unit) <= 2, (counts, lengths)


def test_the_class_table_stays_inside_the_margins(
    ready: None, book: RhymeBook, tmp_path: Path
) -> None:
    a, reports = graded_class(tmp_path / "class", Checker(book))
    setup = PageSetup("A4", (60.0, 20.0, 60.0, 20.0))  # a narrow column of text
    out = tmp_path / "class.pdf"
    ReportExporter().class_report(reports, a, out, ReportOptions(lang="en", page=setup))
    width, _ = pdf.page_size(out)
    right = width - 60.0 * 72 / 25.4
    first = [w for w in pdf.words(out) if w.page == 1]
    assert first and max(w.x_max for w in first) <= right + 0.5
    texts = {w.text for w in first}
    # figures and statuses are whole, not broken letter by letter to fit
    assert {"excellent", "unreadable", "100.0", "Band"} <= texts, texts


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
