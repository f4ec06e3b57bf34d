"""A poem stored with a modern rhyme book prints its marks and group line in that book."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.export.fonts import find_cjk_family
from app.export.options import PdfOptions, PoemDoc
from app.export.poem.pdf import PoemExporter
from app.prosody.books import BookKind
from app.prosody.books.shelf import Shelf
from app.prosody.forms import PING, ZE
from app.prosody.rhymebook import RhymeBook
from app.storage.records import PoemRecord
from tests.support import assign_pdftools as pdf

SHAN_XING = "远上寒山石径斜\n白云生处有人家\n停车坐爱枫林晚\n霜叶红于二月花"


@pytest.fixture(scope="module")
def shelf() -> Shelf:
    return Shelf(RhymeBook.load())


def _exporter(shelf: Shelf) -> PoemExporter:
    return PoemExporter(shelf.checker(), checker_for=shelf.checker)


def test_the_marks_follow_the_poems_book(shelf: Shelf) -> None:
    exporter = _exporter(shelf)
    classical = exporter._analyse(PoemDoc("山行", SHAN_XING))
    modern = exporter._analyse(PoemDoc("山行", SHAN_XING, book=BookKind.TONGYUN))
    assert classical is not None and modern is not None
    assert (classical.book, modern.book) == (BookKind.PINGSHUI, BookKind.TONGYUN)
    # 石 (入声, 仄) and 白 are 平 today; 斜 is 出韵 only in the modern book
    at = {c.char: c for c in classical.chars}
    now = {c.char: c for c in modern.chars}
    assert (at["石"].code, now["石"].code) == (ZE, PING)
    assert at["白"].is_ru and not now["白"].is_ru
    assert not classical.errors and [f.char for f in modern.errors] == ["斜"]


def test_a_record_brings_its_book_and_group(shelf: Shelf) -> None:
    from datetime import UTC, datetime

    from app.storage.records import Scores

    now = datetime(2024, 1, 1, tzinfo=UTC)
    rec = PoemRecord(
        id=1, title="山行", text=SHAN_XING, author="杜牧", notes="", form="七绝",
        rhyme_group="通韵一啊", rhyme_book="tongyun", tune=None, ci_form=None, tags=(),
        origin="written", model_id=None, sampling_json=None, reasoning=None, scores=Scores(),
        created_at=now, updated_at=now, deleted_at=None,
    )  # fmt: skip
    doc = PoemDoc.from_record(rec)
    assert doc.book is BookKind.TONGYUN and doc.group is not None
    assert doc.group.name == "通韵一啊"


def test_the_group_line_prints_the_modern_group(qapp: object, shelf: Shelf, tmp_path: Path) -> None:
    pdf.need_poppler()
    if find_cjk_family("") is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    out = tmp_path / "shanxing.pdf"
    doc = PoemDoc("山行", SHAN_XING, "杜牧", book=BookKind.TONGYUN)
    _exporter(shelf).export([doc], out, PdfOptions(marks=True))
    assert "押通韵一啊韵" in pdf.lines(out)
