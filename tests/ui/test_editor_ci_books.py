"""The rhyme book of a 词 in the editor: 词林正韵 by default on the header's book button,
the books of 诗 on request, kept with the poem and restored with it (a small 词谱 written by
the tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.prosody.books.kinds import BookKind
from app.prosody.ci import CiAnalysis, CiChecker, CipuTable, CiTarget
from app.prosody.ci.books import CiBookKind
from app.prosody.findings import Rule
from app.prosody.forms import Form
from app.prosody.rhymebook import RhymeBook
from app.storage.records import PoemData
from tests.support.cipu_fixture import (  # noqa: F401
    PUSAMAN_LINES,
    cilin_fixture,
    cipu_table_fixture,
)
from tests.support.editor_pane import EditorServices, PaneFactory, editor_ci_fixture  # noqa: F401
from tests.support.shell_window import save_and_wait
from tests.support.window_app import open_app_window


def _out_of_rhyme(pane: Any) -> list[str]:
    """The 出韵 of the finished 词 (while typing, the last rhyme is not judged yet)."""
    analysis = pane.check_final()
    assert isinstance(analysis, CiAnalysis)
    return [f.char for f in analysis.findings if f.rule is Rule.CHU_YUN]


def test_the_book_of_a_ci_in_the_header(
    make_pane: PaneFactory,
    table: CipuTable,
    ci: CiChecker,
) -> None:
    pane = make_pane(text=PUSAMAN_LINES)
    pane.set_ci_provider(lambda: ci)
    header = pane.header
    cilin = pane._ci_book.cilin_action
    assert not cilin.isVisible()  # 诗: the books of 诗 only
    pane.set_ci_target(CiTarget(ci, table.find("菩萨蛮")))
    assert pane.ci_book_kind() is CiBookKind.CILIN
    assert cilin.isVisible() and cilin.isChecked() and header.book_button.text() == "词林"
    assert _out_of_rhyme(pane) == []
    changes: list[object] = []
    pane.book_changed.connect(changes.append)
    header.choose_book(BookKind.PINGSHUI)  # the 平水韵 judges 碧 and 亭 out of their groups
    assert pane.ci_book_kind() is CiBookKind.PINGSHUI and changes == [CiBookKind.PINGSHUI]
    assert header.book_button.text() == "平水" and "词的韵书" in header.book_button.toolTip()
    assert _out_of_rhyme(pane) == ["碧", "亭"]
    assert pane.book_kind() is BookKind.PINGSHUI  # the 诗 checker's book is not touched
    header.choose_book(BookKind.TONGYUN)
    assert pane.ci_book_kind() is CiBookKind.TONGYUN and pane.book_kind() is BookKind.PINGSHUI
    cilin.trigger()
    assert pane.ci_book_kind() is CiBookKind.CILIN and _out_of_rhyme(pane) == []
    # a form of 诗: the 词林正韵 goes from the menu, the button shows the poem's book
    header.form_combo.setCurrentIndex(header.form_combo.findData(Form.QIJUE.value))
    assert pane.ci_target() is None and not cilin.isVisible()
    assert header.book_button.text() == "平水"


@pytest.mark.timeout(180)
def test_a_ci_is_saved_and_reopened_with_its_book(
    qtbot: QtBot, tmp_path: Path, table: CipuTable
) -> None:
    window: Any = open_app_window(qtbot, tmp_path, RhymeBook.load())
    data_dir = window.services.default_data_dir
    assert data_dir is not None
    table.dump(data_dir / "cipu")
    window.new_document(PoemData(title="菩萨蛮", text=PUSAMAN_LINES, form="词", tune="菩薩蠻",
                                 ci_form="菩薩蠻#0"))  # fmt: skip
    pane = window.pane
    assert pane.ci_book_kind() is CiBookKind.CILIN
    pane.header.choose_book(BookKind.TONGYUN)
    assert window.is_dirty()
    record = save_and_wait(qtbot, window)
    assert (record.form, record.tune, record.rhyme_book) == ("词", "菩薩蠻", "tongyun")
    window.new_document()
    with qtbot.waitSignal(window.document_loaded, timeout=30_000):
        window.open_poem(record.id)
    assert pane.ci_book_kind() is CiBookKind.TONGYUN
    assert pane.header.book_button.text() == "通韵"
    pane._ci_book.cilin_action.trigger()  # back to the default: nothing stored for the book
    again = save_and_wait(qtbot, window)
    assert again.rhyme_book is None and again.form == "词"
    window.new_document()
    with qtbot.waitSignal(window.document_loaded, timeout=30_000):
        window.open_poem(record.id)
    assert pane.ci_book_kind() is CiBookKind.CILIN
