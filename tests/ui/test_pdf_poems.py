"""Poem PDFs read back with poppler: the text is the poem, the face is embedded, 竖排 reads
from the top right, anthologies have a contents page, and no CJK font means a plain refusal."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from app.export.canvas import PageSetup
from app.export.fonts import NoCjkFontError, find_cjk_family
from app.export.options import PdfOptions, PoemDoc
from app.export.poem.pdf import PoemExporter
from app.export.vertical import chinese_date
from app.prosody.checker import Checker
from app.prosody.forms import Form
from app.prosody.rhymebook import RhymeBook
from app.prosody.text import is_han
from tests.support import assign_pdftools as pdf
from tests.support.assign_class import CHU_SAI, DENGGAO, JINGYESI

JING = PoemDoc("静夜思", JINGYESI, "李白", "701")


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(RhymeBook.load())


@pytest.fixture
def exporter(qapp: object, checker: Checker) -> PoemExporter:
    pdf.need_poppler()
    if find_cjk_family("") is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    return PoemExporter(checker)


def test_a_poem_copies_out_as_itself(exporter: PoemExporter, tmp_path: Path) -> None:
    out = tmp_path / "jing.pdf"
    result = exporter.export([JING], out, PdfOptions())
    assert result.pages == pdf.page_count(out) == 1
    # title, byline, rhyme group, then the poem exactly (月 not the radical ⽉, 页 not ⻚)
    assert pdf.lines(out) == ["静夜思", "李白 701", "押下平七阳韵", *JINGYESI.split("\n")]
    assert result.missing == ""


def test_the_cjk_face_is_embedded_with_a_unicode_map(
    exporter: PoemExporter, tmp_path: Path
) -> None:
    out = tmp_path / "jing.pdf"
    result = exporter.export([JING], out, PdfOptions())
    found = pdf.fonts(out)
    assert found, "no fonts in the PDF"
    assert all(f.embedded and f.unicode for f in found), found
    squashed = result.family.replace(" ", "").casefold()
    assert any(squashed[:8] in f.name.replace("-", "").casefold() for f in found), (found, squashed)


def test_vertical_starts_at_the_top_right(exporter: PoemExporter, tmp_path: Path) -> None:
    out = tmp_path / "v.pdf"
    exporter.export([JING], out, PdfOptions(layout="vertical", marks=True))
    assert pdf.page_count(out) == 1
    words = [w for w in pdf.words(out) if len(w.text) >= 1]
    by_char: dict[str, list[pdf.Word]] = {}
    for w in words:
        for ch in w.text:
            by_char.setdefault(ch, []).append(w)
    first = by_char["床"][0]
    poem_chars = [
        w for w in words if any(ch in "床前明月光疑是地上霜举头望低故乡" for ch in w.text)
    ]
    # the first character of line 1 is the rightmost poem character and the top of its column
    assert all(first.x_min >= w.x_min - 0.5 for w in poem_chars)
    column = [w for w in poem_chars if abs(w.x_min - first.x_min) < 1]
    assert first.y_min == min(w.y_min for w in column)
    assert [w.text[0] for w in sorted(column, key=lambda w: w.y_min)][:5] == list("床前明月光")
    # line 2 is the next column to the left; the title stands to the right of the poem
    second = by_char["举"][0]
    assert second.x_max < first.x_min and abs(second.y_min - first.y_min) < 1
    title = by_char["静"][0]
    assert title.x_min > first.x_max
    # characters run top to bottom
    assert by_char["前"][0].y_min > first.y_min


def _ink_centre(png: Path, box: tuple[float, float, float, float], dpi: int) -> tuple[float, float]:
    """The centre of the dark pixels inside ``box`` (PDF points), in points."""
    image = QImage(str(png))
    assert not image.isNull()
    k = dpi / 72
    xs: list[int] = []
    ys: list[int] = []
    for py in range(int(box[1] * k), int(box[3] * k) + 1):
        for px in range(int(box[0] * k), int(box[2] * k) + 1):
            if QColor(image.pixel(px, py)).lightness() < 128:
                xs.append(px)
                ys.append(py)
    assert xs, f"no ink in {box}"
    return sum(xs) / len(xs) / k, sum(ys) / len(ys) / k


def test_vertical_punctuation_stands_in_the_upper_right_of_its_cell(
    exporter: PoemExporter, tmp_path: Path
) -> None:
    out = tmp_path / "v.pdf"
    exporter.export([JING], out, PdfOptions(layout="vertical"))
    # the marks copy out as themselves (the vertical forms drawn stand for them)
    text = pdf.text(out)
    assert text.count("，") == 2 and text.count("。") == 2 and "︐" not in text
    dpi = 144
    png = tmp_path / "v"
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(out), str(png)],
                   check=True)  # fmt: skip
    words = pdf.words(out)
    marks = [w for w in words if w.text in ("，", "。")]
    assert len(marks) == 4
    for w in marks:
        # the mark's own box is its cell's em box (the column's width, one character high)
        above = [c for c in words if len(c.text) == 1 and abs(c.x_min - w.x_min) < 1
                 and c.y_max <= w.y_min + 1]  # fmt: skip
        assert above, w  # a character above it in the same column
        box = (w.x_min - 2, w.y_min - 4, w.x_max + 2, w.y_max)
        cx, cy = _ink_centre(Path(f"{png}.png"), box, dpi)
        # in the upper right quarter, inside the column: not a horizontal comma's lower left
        middle_x = (w.x_min + w.x_max) / 2
        middle_y = (w.y_min + w.y_max) / 2
        assert middle_x < cx < w.x_max, (w.text, cx, w)
        assert cy < middle_y, (w.text, cy, w)


def test_the_vertical_page_gives_the_date_in_chinese_and_centres_the_poem(
    exporter: PoemExporter, tmp_path: Path
) -> None:
    out = tmp_path / "v.pdf"
    exporter.export([PoemDoc("登高", DENGGAO, "杜甫", "2024-03-01")], out,
                    PdfOptions(layout="vertical", marks=True))  # fmt: skip
    text = pdf.text(out).replace("\n", "")
    assert "二〇二四年三月一日" in text and not any(ch.isdigit() for ch in text if ch.isascii())
    words = [w for w in pdf.words(out) if any(is_han(ch) for ch in w.text)]
    legend = {"平", "仄", "入声", "两读", "未详"}
    body = [w for w in words if w.text not in legend]
    page_w, page_h = pdf.page_size(out)
    left = min(w.x_min for w in body)
    right = max(w.x_max for w in body)
    top = min(w.y_min for w in body)
    bottom = max(w.y_max for w in body)
    # across: the columns sit in the middle of the page, not against its right margin
    assert abs((page_w - right) - left) < 40, (left, right, page_w)
    # down: a short poem does not hug the top margin either
    assert top > page_h * 0.2 and bottom < page_h * 0.8, (top, bottom, page_h)


def test_chinese_dates() -> None:
    assert chinese_date("2024-03-01") == "二〇二四年三月一日"
    assert chinese_date("2025/12/25") == "二〇二五年十二月二十五日"
    assert chinese_date("1999.10.10") == "一九九九年十月十日"
    assert chinese_date("甲辰春") == "甲辰春" and chinese_date("七六七年") == "七六七年"
    assert chinese_date("2024-13-01") == "2024-13-01"  # not a date: as written


def test_an_anthology_has_contents_with_the_right_pages(
    exporter: PoemExporter, tmp_path: Path
) -> None:
    poems = [JING, PoemDoc("登高", DENGGAO, "杜甫"), PoemDoc("出塞", CHU_SAI, "王昌龄")] * 3
    out = tmp_path / "anthology.pdf"
    result = exporter.export(poems, out, PdfOptions(title="唐诗小集", one_per_page=True))
    assert result.pages == pdf.page_count(out) == 1 + len(poems)
    contents = [w for w in pdf.words(out) if w.page == 1]
    heading = min(contents, key=lambda w: w.y_min)
    assert heading.text == "唐诗小集"
    body = [w for w in contents if w is not heading and w.y_max < 760]  # not the page number
    left = min(w.x_min for w in body)
    titles = sorted((w for w in body if w.x_min < left + 1), key=lambda w: w.y_min)
    assert [t.text for t in titles] == [p.title for p in poems]

    def centre(w: pdf.Word) -> float:
        return (w.y_min + w.y_max) / 2

    for n, title in enumerate(titles):
        same_row = sorted((w for w in body if abs(centre(w) - centre(title)) < 6),
                          key=lambda w: w.x_min)  # fmt: skip
        assert [w.text for w in same_row][1] == poems[n].author
        page = int(same_row[-1].text)
        assert page == n + 2 and same_row[-1].x_max > 400  # right-aligned page numbers
        assert pdf.lines(out, first=page, last=page)[0] == poems[n].title
    # page numbers at the foot of every page
    assert pdf.lines(out, first=3, last=3)[-1] == "3"


def test_page_size_and_margins(exporter: PoemExporter, tmp_path: Path) -> None:
    out = tmp_path / "letter.pdf"
    exporter.export([JING], out, PdfOptions(page=PageSetup("Letter", (40.0, 30.0, 40.0, 30.0))))
    assert pdf.page_size(out) == (612.0, 792.0)
    words = pdf.words(out)
    left_mm = min(w.x_min for w in words) * 25.4 / 72
    top_mm = min(w.y_min for w in words) * 25.4 / 72
    assert left_mm >= 40 - 0.5 and top_mm >= 30 - 0.5
    a4 = tmp_path / "a4.pdf"
    exporter.export([JING], a4, PdfOptions())
    assert pdf.page_size(a4) == (595.0, 842.0)


def test_marks_are_shapes_so_the_text_stays_the_poem(
    exporter: PoemExporter, tmp_path: Path
) -> None:
    out = tmp_path / "marks.pdf"
    exporter.export([JING], out, PdfOptions(marks=True, show_group=False, show_date=False))
    got = pdf.lines(out)
    assert got[:2] == ["静夜思", "李白"]
    assert got[2:4] == JINGYESI.split("\n")
    assert " ".join(got[4:]).split() == ["平", "仄", "入声", "两读", "未详"]  # the legend
    plain = tmp_path / "plain.pdf"
    exporter.export([JING], plain, PdfOptions(marks=False))
    assert out.stat().st_size != plain.stat().st_size


def test_without_a_cjk_font_the_export_refuses_plainly(checker: Checker, tmp_path: Path,
                                                      qtbot: QtBot) -> None:  # fmt: skip
    asked: list[str] = []

    def no_fonts(preferred: str) -> str | None:
        asked.append(preferred)
        return None

    out = tmp_path / "nothing.pdf"
    with pytest.raises(NoCjkFontError) as caught:
        PoemExporter(checker, font_lookup=no_fonts).export(
            [JING], out, PdfOptions(font_family="Some Kai")
        )
    assert asked == ["Some Kai"]
    assert not out.exists()
    message = caught.value.message
    assert "中文字体" in message.zh and "fonts-noto-cjk" in message.zh
    assert "Chinese" in message.en and "fonts-noto-cjk" in message.en


def test_a_face_that_cannot_draw_chinese_is_not_taken(qapp: object) -> None:
    if find_cjk_family("") is None:
        pytest.skip("no CJK font installed")
    assert find_cjk_family("No Such Family 12345") == find_cjk_family("")


def test_a_tag_from_the_library_becomes_an_anthology(
    exporter: PoemExporter, tmp_path: Path
) -> None:
    from app.paths import AppPaths
    from app.storage.db import LibraryOptions, open_library
    from app.storage.records import PoemData, PoemQuery

    library, _ = open_library(
        AppPaths.under(tmp_path / "lib"), LibraryOptions(spool_folders=(tmp_path / "spool",))
    )
    try:
        library.save_poem(PoemData(title="出塞", author="王昌龄", text=CHU_SAI, form="七绝",
                                   rhyme_group="上平十五删", tags=("边塞",)))  # fmt: skip
        library.save_poem(PoemData(title="静夜思", author="李白", text=JINGYESI, tags=("思乡",)))
        records = library.search(PoemQuery(tag="边塞"))
    finally:
        library.close()
    docs = [PoemDoc.from_record(r) for r in records]
    assert [(d.title, d.author, d.form, d.group and d.group.name) for d in docs] == [
        ("出塞", "王昌龄", Form.QIJUE, "上平十五删")
    ]
    assert docs[0].date == records[0].created_at.date().isoformat()
    out = tmp_path / "tag.pdf"
    exporter.export(docs, out, PdfOptions(title="边塞", contents=True))
    assert pdf.page_count(out) == 2 and pdf.lines(out, first=2, last=2)[0] == "出塞"
