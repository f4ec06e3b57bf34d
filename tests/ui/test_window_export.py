"""文件 → 导出 PDF from the real window: the current poem, library selections, a whole tag.

Each PDF is read back with poppler's pdftotext.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from app.export.fonts import find_cjk_family
from app.prosody.rhymebook import RhymeBook
from app.storage.records import PoemData
from tests.support import assign_pdftools as pdf
from tests.support.shell_window import CHUNXIAO, DENG_GUANQUE, JINGYESI, type_text
from tests.support.window_app import open_app_window

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(autouse=True)
def pdf_tools() -> None:
    if find_cjk_family("") is None:
        pytest.skip("no CJK font installed: PDF export needs one")
    pdf.need_poppler()


def export_to(qtbot: QtBot, window: Any, trigger: Any, path: Path) -> Any:
    """Run a menu action that opens the export dialog, choose ``path``, press 导出."""
    with qtbot.waitSignal(window.exports.dialog_opened, timeout=30_000) as opened:
        trigger()
    dialog = opened.args[0]
    assert dialog.isVisible()
    dialog.path_edit.setText(str(path))
    buttons = dialog.findChild(QDialogButtonBox)
    with qtbot.waitSignal(dialog.accepted, timeout=30_000):
        buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    return dialog


def squeeze(path: Path) -> str:
    return "".join(pdf.text(path).split())


def store(qtbot: QtBot, window: Any, data: PoemData) -> Any:
    with qtbot.waitSignal(window.poem_saved, timeout=30_000) as saved:
        window.store_poem(data)
    return saved.args[0]


def test_export_the_current_poem(qtbot: QtBot, tmp_path: Path, book: RhymeBook) -> None:
    window = open_app_window(qtbot, tmp_path, book)
    exports = window.exports
    exports.current_action.trigger()  # nothing to export yet: said, no dialog
    assert "还没有诗" in window.notices.texts()["export"]
    assert exports.dialog is None

    window.meta.title_edit.setText("静夜思")
    window.meta.author_edit.setText("李白")
    type_text(window.pane.editor, JINGYESI)
    assert exports.current_action.shortcut().toString() == "Ctrl+Shift+E"
    dialog = export_to(qtbot, window, exports.current_action.trigger, tmp_path / "poem")
    result = dialog.result_value()
    assert result is not None and result.path == tmp_path / "poem.pdf" and result.pages == 1
    text = squeeze(result.path)
    assert "静夜思" in text and "李白" in text
    for line in JINGYESI.splitlines():
        assert line in text
    assert "下平七阳" in text  # the rhyme group of its final check, under the title
    assert "已导出" in window.notices.texts()["export"]


def test_export_a_tag_as_an_anthology_and_the_selected_poems(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_app_window(qtbot, tmp_path, book)
    poems = [
        store(qtbot, window, PoemData(title=title, author=author, text=text, tags=tags))
        for title, author, text, tags in (
            ("静夜思", "李白", JINGYESI, ("唐诗", "思乡")),
            ("春晓", "孟浩然", CHUNXIAO, ("唐诗",)),
            ("登鹳雀楼", "王之涣", DENG_GUANQUE, ("登临",)),
        )
    ]

    # a whole tag: pick it, then an anthology titled with it, with a contents page
    exports = window.exports
    with qtbot.waitSignal(exports.tag_picker_opened, timeout=30_000) as opened:
        exports.tag_action.trigger()
    picker = opened.args[0]
    assert "唐诗" in picker.values() and "登临" in picker.values()
    picker.select("唐诗")
    dialog = export_to(qtbot, window, picker.accept, tmp_path / "唐诗.pdf")
    assert dialog.title_edit.text() == "唐诗" and dialog.contents_box.isChecked()
    result = dialog.result_value()
    assert result is not None and pdf.page_count(result.path) == result.pages >= 2
    contents = "".join(pdf.text(result.path, first=1, last=1).split())
    assert contents.startswith("唐诗") and "静夜思李白" in contents and "春晓孟浩然" in contents
    text = squeeze(result.path)
    assert "床前明月光" in text and "春眠不觉晓" in text and "白日依山尽" not in text

    # the poems selected in the library panel (Ctrl-click selects several)
    panel = window.library_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=30_000)
    selection = panel.table.selectionModel()
    selection.clearSelection()
    for poem in (poems[0], poems[2]):
        row = panel.model.row_of(poem.id)
        selection.select(
            panel.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    assert sorted(panel.selected_ids()) == sorted([poems[0].id, poems[2].id])
    dialog = export_to(qtbot, window, exports.selected_action.trigger, tmp_path / "选.pdf")
    result = dialog.result_value()
    assert result is not None
    text = squeeze(result.path)
    assert "床前明月光" in text and "白日依山尽" in text and "春眠不觉晓" not in text


def test_the_export_dialog_opens_with_the_choices_last_used(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_app_window(qtbot, tmp_path, book)
    exports = window.exports
    type_text(window.pane.editor, JINGYESI)
    with qtbot.waitSignal(exports.dialog_opened, timeout=30_000) as opened:
        exports.current_action.trigger()
    first = opened.args[0]
    assert first.horizontal.isChecked() and not first.marks_box.isChecked()  # the defaults
    first.vertical.setChecked(True)
    first.page_combo.setCurrentIndex(first.page_combo.findData("Letter"))
    first.margin_spins[0].setValue(30)
    first.size_spin.setValue(22)
    first.marks_box.setChecked(True)
    first.date_box.setChecked(False)
    first.path_edit.setText(str(tmp_path / "one.pdf"))
    buttons = first.findChild(QDialogButtonBox)
    with qtbot.waitSignal(first.accepted, timeout=30_000):
        buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    # the next export opens as this one was left …
    with qtbot.waitSignal(exports.dialog_opened, timeout=30_000) as opened:
        exports.current_action.trigger()
    again = opened.args[0]
    assert again.vertical.isChecked() and again.page_combo.currentData() == "Letter"
    assert again.margin_spins[0].value() == 30 and again.size_spin.value() == 22
    assert again.marks_box.isChecked() and not again.date_box.isChecked()
    assert again.options().layout == "vertical" and again.options().marks
    again.reject()
    # … and so does the next run of the app: the choices are in the settings file
    saved = window.services.settings_store.load().settings.pdf_export
    assert saved.layout == "vertical" and saved.page == "Letter" and saved.font_pt == 22
    assert saved.margin_left == 30 and saved.marks and not saved.show_date
