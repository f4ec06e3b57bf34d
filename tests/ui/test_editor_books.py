"""The editor and the window with a choice of rhyme book: the book in the header, the marks
follow it, it is stored with the poem, an assignment locks it, compose writes in it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.assign.model import Assignment, RhymeRequirement
from app.prosody.books import BookKind
from app.prosody.books.shelf import Shelf
from app.prosody.checker import Checker
from app.prosody.findings import Rule
from app.prosody.forms import PING, ZE, Form
from app.prosody.rhymebook import RhymeBook
from app.prosody.suggest import Suggester
from app.ui.editor.pane import PoemEditorPane
from app.ui.i18n import Tr
from app.ui.library import ops
from tests.support.editor_pane import cjk_font
from tests.support.shell_window import (
    call,
    open_and_wait,
    open_window,
    save_and_wait,
    save_poem,
)

SHAN_XING = "远上寒山石径斜\n白云生处有人家\n停车坐爱枫林晚\n霜叶红于二月花"
SHI = SHAN_XING.index("石")
XIE = SHAN_XING.index("斜")


@pytest.fixture(scope="module")
def shelf(book: RhymeBook) -> Shelf:
    return Shelf(book)


def _pane(qtbot: QtBot, shelf: Shelf) -> PoemEditorPane:
    checker = shelf.checker()
    pane = PoemEditorPane(checker, Suggester(shelf.pingshui), shelf.pingshui, Tr("zh"),
                          shelf=shelf)  # fmt: skip
    qtbot.addWidget(pane, before_close_func=lambda w: w.shutdown())
    pane.set_poem_font(cjk_font())
    pane.resize(900, 520)
    pane.show()
    return pane


def _bold(pane: PoemEditorPane, offset: int) -> bool:
    from tests.support.editor_pane import char_format

    return char_format(pane, offset).fontWeight() >= 700


def test_switching_the_book_in_the_header_changes_the_marks(qtbot: QtBot, shelf: Shelf) -> None:
    pane = _pane(qtbot, shelf)
    header = pane.header
    assert header.book_button.text() == "平水" and header.book_button.isEnabled()
    assert header.book_actions[BookKind.PINGSHUI].isChecked()
    pane.set_text(SHAN_XING)
    a = pane.analyze_now()
    assert a.book is BookKind.PINGSHUI and not a.errors
    assert a.char_at_offset(SHI).code == ZE and _bold(pane, SHI)  # type: ignore[union-attr]
    assert header.group_label.text() == "押下平六麻"
    groups_before = header.group_combo.count()
    changed: list[object] = []
    pane.book_changed.connect(changed.append)
    # the poet picks 中华通韵 in the header
    header.choose_book(BookKind.TONGYUN)
    assert header.book_button.text() == "通韵" and "中华通韵" in header.book_button.toolTip()
    assert changed == [BookKind.TONGYUN] and pane.book_kind() is BookKind.TONGYUN
    b = pane.analyze_now()
    assert b.book is BookKind.TONGYUN
    assert b.char_at_offset(SHI).code == PING and not _bold(pane, SHI)  # type: ignore[union-attr]
    assert [(f.rule, f.char) for f in b.errors] == [(Rule.CHU_YUN, "斜")]
    assert b.char_at_offset(XIE).severity is not None  # type: ignore[union-attr]
    assert header.group_label.text() == "押通韵一啊"
    assert header.verdict_label.text() == "1处错误"
    # the group picker lists this book's groups; the tooltip reads the pinyin
    assert header.group_combo.count() < groups_before
    assert header.group_combo.itemText(1) == "通韵一啊"
    tip = pane.tooltip_at(XIE)
    assert "xié · 平声 · 通韵三鹅 · 今音" in tip and "出韵" in tip
    # the note that another book keeps the poem
    assert any(f.rule is Rule.OTHER_BOOK for f in pane.check_final().findings)
    # pinning a group of the new book, then going back: the old marks return
    pane.set_pinned_group(shelf.book(BookKind.TONGYUN).find_group("十三昂"))
    assert pane.analyze_now().rhyme_group.name == "通韵十三昂"  # type: ignore[union-attr]
    header.choose_book(BookKind.PINGSHUI)
    c = pane.analyze_now()
    assert c.book is BookKind.PINGSHUI and not c.errors and pane.pinned_group() is None
    assert _bold(pane, SHI)


def test_a_pane_with_one_book_cannot_switch(qtbot: QtBot, book: RhymeBook) -> None:
    pane = PoemEditorPane(Checker(book), Suggester(book), book, Tr("zh"))
    qtbot.addWidget(pane, before_close_func=lambda w: w.shutdown())
    assert not pane.header.book_button.isEnabled()
    with pytest.raises(ValueError):
        pane.set_book(BookKind.TONGYUN)


def test_the_book_is_stored_with_the_poem_and_comes_back(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    first = save_poem(qtbot, window, SHAN_XING, "山行")
    assert first.rhyme_book is None and first.rhyme_group == "下平六麻"
    header = window.pane.header
    header.choose_book(BookKind.TONGYUN)
    assert window.is_dirty()  # another book is an edit: saved, autosaved, undone by revert
    record = save_and_wait(qtbot, window)
    assert record.rhyme_book == "tongyun" and record.rhyme_group == "通韵一啊"
    assert record.scores.rhymes is not None and record.scores.rhymes < 100
    revisions = call(window, ops.revisions, record.id)
    assert {r.rhyme_book for r in revisions} == {None, "tongyun"}
    # a new poem is 平水韵 again; reopening the stored one brings its book back
    window.new_document()
    assert window.pane.book_kind() is BookKind.PINGSHUI
    assert window.pane.header.book_button.text() == "平水"
    open_and_wait(qtbot, window, record.id, timeout=20_000)
    assert window.pane.book_kind() is BookKind.TONGYUN
    assert window.pane.header.book_button.text() == "通韵"
    assert window.pane.analyze_now().book is BookKind.TONGYUN
    assert not window.is_dirty()


def test_writing_against_a_tongyun_assignment_locks_the_book(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    tong = window.services.books().book(BookKind.TONGYUN)
    a = Assignment("秋日", Form.QIJUE, rhyme=RhymeRequirement(tong.find_group("一啊").id),
                   book=BookKind.TONGYUN)  # fmt: skip
    window.assignments.write_against(1, a)  # a new poem, locked to the assignment
    pane = window.pane
    pane.set_text(SHAN_XING)
    assert pane.book_kind() is BookKind.TONGYUN and pane.is_locked()
    assert not pane.header.book_button.isEnabled()
    analysis = pane.analyze_now()
    assert analysis.rhyme_group is not None and analysis.rhyme_group.name == "通韵一啊"
    assert [f.char for f in analysis.errors] == ["斜"]
    window.assignments.end_session(quiet=True)
    assert pane.book_kind() is BookKind.PINGSHUI and pane.header.book_button.isEnabled()


def test_the_wizard_sets_a_book_and_prints_its_groups(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    wizard = window.assignments.new_assignment()
    wizard.title_edit.setText("今音绝句")
    wizard.book_combo.setCurrentIndex(wizard.book_combo.findData("tongyun"))
    assert wizard.group_combo.itemText(1) == "通韵一啊"
    wizard.group_combo.setCurrentIndex(wizard.group_combo.findText("通韵十三昂"))
    a = wizard.assignment()
    assert a.book is BookKind.TONGYUN and a.rhyme.group.name == "通韵十三昂"
    assert wizard.problems() == []
    preview = wizard.preview_text()
    assert "韵书：中华通韵" in preview and "通韵十三昂常用字：" in preview
    wizard.reject()


def test_the_wizard_sets_a_couplet_with_its_first_line(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    wizard = window.assignments.new_assignment()
    wizard.title_edit.setText("对下联")
    wizard.form_combo.setCurrentIndex(wizard.form_combo.findData(Form.DUILIAN))
    form = wizard.rhyme_page.form
    assert wizard.is_couplet and form.isRowVisible(wizard.couplet_first_edit)
    assert form.isRowVisible(wizard.book_combo)  # a couplet keeps its book: the tones
    assert not form.isRowVisible(wizard.group_combo) and not form.isRowVisible(wizard.qi_combo)
    wizard.group_combo.setCurrentIndex(1)  # left over from a 绝句: a couplet ignores it
    wizard.couplet_length_spin.setValue(5)
    a = wizard.assignment()
    assert a.form is Form.DUILIAN and a.couplet_first == "" and a.couplet_length == 5
    assert a.rhyme.group is None and a.qi is None and wizard.problems() == []
    assert "上下联各5字" in wizard.preview_text()
    wizard.couplet_first_edit.setText("书山有路勤为径")
    assert not wizard.couplet_length_spin.isEnabled()
    wizard.book_combo.setCurrentIndex(wizard.book_combo.findData("tongyun"))
    a = wizard.assignment()
    assert a.couplet_first == "书山有路勤为径" and a.book is BookKind.TONGYUN
    preview = wizard.preview_text()
    assert "出句（上联）：「书山有路勤为径」" in preview and "韵书：中华通韵" in preview
    again = window.assignments.new_assignment()
    again.load(a)
    assert again.is_couplet and again.couplet_first_edit.text() == "书山有路勤为径"
    assert again.assignment().couplet_first == a.couplet_first
    again.reject()
    wizard.reject()


def test_compose_writes_in_the_poems_book(qtbot: QtBot, tmp_path: Path, book: RhymeBook) -> None:
    window = open_window(qtbot, tmp_path, book)
    window.pane.set_text(SHAN_XING)
    header = window.pane.header
    header.choose_book(BookKind.TONGYUN)
    window.pane.analyze_now()
    panel = window.compose.ensure_panel()
    window.compose.follow_editor()
    form = panel.form
    assert form.rhyme_book() is BookKind.TONGYUN
    assert form.rhyme.currentData() == window.pane.analysis().rhyme_group.id
    form.theme.setText("秋山")
    request = form.request()
    assert request.book is BookKind.TONGYUN and request.group.name == "通韵一啊"
    form.book.setCurrentIndex(form.book.findData("pingshui"))
    assert form.request().book is BookKind.PINGSHUI
    assert form.rhyme.itemText(1).startswith("上平一东")


def test_compose_answers_a_first_line(qtbot: QtBot, tmp_path: Path, book: RhymeBook) -> None:
    window = open_window(qtbot, tmp_path, book)
    form = window.compose.ensure_panel().form
    form.form.setCurrentIndex(form.form.findData(Form.DUILIAN))
    assert form.is_couplet and not form.generate_button.isEnabled()
    assert form._fields.isRowVisible(form.first_line)
    assert not form._fields.isRowVisible(form.rhyme)
    form.first_line.setText("书山有路勤为径")
    assert form.generate_button.isEnabled()
    request = form.request()
    assert request.form is Form.DUILIAN and request.couplet_first == "书山有路勤为径"
    assert request.rhyme_group is None
    form.form.setCurrentIndex(form.form.findData(Form.QIJUE))
    assert form._fields.isRowVisible(form.rhyme) and not form._fields.isRowVisible(form.first_line)


def test_the_f2_popup_and_the_tooltip_follow_the_book(qtbot: QtBot, shelf: Shelf) -> None:
    """替换字 and the rhyme list come from the poem's book; the tooltip of a reading the
    words settle says so."""
    pane = _pane(qtbot, shelf)
    pane.set_text(SHAN_XING)
    pane.analyze_now()

    def popup_lists() -> tuple[list[str], list[str]]:
        popup = pane.open_char_popup(XIE)
        assert popup is not None and popup.rhyme_list is not None
        sugg = [popup.suggestion_list.item(i).text() for i in range(popup.suggestion_list.count())]
        rhymes = [popup.rhyme_list.item(i).text() for i in range(popup.rhyme_list.count())]
        popup.close()
        return sugg, rhymes

    _sugg, rhymes = popup_lists()
    ma = shelf.pingshui.find_group("下平六麻")
    assert ma is not None
    assert rhymes[:40] == list(shelf.pingshui.group_chars(ma.id, "simplified"))[:40]
    header = pane.header
    header.choose_book(BookKind.TONGYUN)
    pane.analyze_now()
    tongyun = shelf.book(BookKind.TONGYUN)
    a_group = tongyun.find_group("一啊")
    assert a_group is not None
    sugg, rhymes = popup_lists()
    assert rhymes == list(tongyun.group_chars(a_group.id, "simplified"))
    # 斜 (xié) is 出韵 in 通韵一啊: every suggestion is read in that group today
    assert sugg and all(
        any(r.group == a_group for r in tongyun.lookup(ch[:1]).readings)  # type: ignore[union-attr]
        for ch in sugg
    ), sugg
    # a reading the words around settle: the tooltip says which phrase and why
    pane.set_text("少小离家老大回\n乡音无改鬓毛衰\n儿童相见不相识\n笑问客从何处来")
    pane.analyze_now()
    tip = pane.tooltip_at(pane.text().index("识"))
    assert "在「相识」中读 shí（平），按此读音检查（据 pypinyin 词语读音）" in tip
