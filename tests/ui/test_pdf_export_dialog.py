"""The poem export dialog: its fields become the PDF's options, OK writes the file, and a
machine without a CJK font gets the plain refusal instead of a file of empty boxes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.export.fonts import find_cjk_family
from app.export.options import PdfOptions, PoemDoc
from app.export.poem.pdf import PoemExporter
from app.prosody.checker import Checker
from app.prosody.rhymebook import RhymeBook
from app.ui.export.dialog import PoemExportDialog
from app.ui.i18n import Tr
from tests.support import assign_pdftools as pdf
from tests.support.assign_class import CHU_SAI, JINGYESI

POEMS = [PoemDoc("静夜思", JINGYESI, "李白"), PoemDoc("出塞", CHU_SAI, "王昌龄")]


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(RhymeBook.load())


def test_the_fields_are_the_options(qtbot: QtBot, checker: Checker, tmp_path: Path) -> None:
    one = PoemExportDialog(POEMS[:1], PoemExporter(checker), Tr("zh"))
    qtbot.addWidget(one)
    assert one.options() == PdfOptions(title="静夜思", contents=False)
    assert not one.contents_box.isEnabled()
    many = PoemExportDialog(POEMS, PoemExporter(checker), Tr("en"), font_family="Some Kai")
    qtbot.addWidget(many)
    many.vertical.setChecked(True)
    many.page_combo.setCurrentIndex(1)
    for spin, mm in zip(many.margin_spins, (10, 15, 20, 25), strict=True):
        spin.setValue(mm)
    many.size_spin.setValue(20)
    many.marks_box.setChecked(True)
    many.date_box.setChecked(False)
    many.title_edit.setText("Two poems")
    many.one_per_page_box.setChecked(True)
    o = many.options()
    assert (o.layout, o.page.size, o.page.margins_mm, o.font_pt) == (
        "vertical", "Letter", (10, 15, 20, 25), 20,
    )  # fmt: skip
    assert o.marks and o.show_group and o.show_author and not o.show_date
    assert (o.title, o.contents, o.one_per_page, o.font_family, o.lang) == (
        "Two poems", True, True, "Some Kai", "en",
    )  # fmt: skip


def test_ok_writes_the_pdf(qtbot: QtBot, checker: Checker, tmp_path: Path) -> None:
    if find_cjk_family("") is None:
        pytest.skip("no CJK font installed")
    pdf.need_poppler()
    dialog = PoemExportDialog(POEMS, PoemExporter(checker), Tr("zh"))
    qtbot.addWidget(dialog)
    assert dialog.export() is None and "保存位置" in dialog.error_label.text()
    dialog.path_edit.setText(str(tmp_path / "two"))  # the .pdf is added
    dialog.one_per_page_box.setChecked(True)
    result = dialog.export()
    assert result is not None and result.path == tmp_path / "two.pdf"
    assert pdf.page_count(result.path) == 3  # contents + one page each
    assert dialog.result_value() == result and dialog.error_label.text() == ""


def test_no_cjk_font_is_said_in_the_dialog(qtbot: QtBot, checker: Checker, tmp_path: Path) -> None:
    exporter = PoemExporter(checker, font_lookup=lambda _preferred: None)
    dialog = PoemExportDialog(POEMS[:1], exporter, Tr("en"), path=tmp_path / "x.pdf")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog._export_clicked()
    assert dialog.isVisible()  # not accepted
    assert "fonts-noto-cjk" in dialog.error_label.text()
    assert not (tmp_path / "x.pdf").exists()
