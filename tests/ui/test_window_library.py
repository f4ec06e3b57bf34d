"""The library list follows the poem on screen; 删除 says what went, with 撤销."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.prosody.rhymebook import RhymeBook
from app.ui.library import ops
from tests.support.shell_window import (
    CHUNXIAO,
    JINGYESI,
    call,
    open_and_wait,
    open_window,
    save_two,
)


def two_poems(qtbot: QtBot, w: Any) -> tuple[Any, Any]:
    a, b = save_two(qtbot, w, JINGYESI, CHUNXIAO, titles=("静夜思", "春晓"))
    panel = w.library_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=10_000)
    return a, b


def test_the_selection_follows_the_open_poem(qtbot: QtBot, tmp_path: Path, book: RhymeBook) -> None:
    window = open_window(qtbot, tmp_path, book)
    a, b = two_poems(qtbot, window)
    panel = window.library_panel
    assert panel.selected_ids() == [b.id]
    open_and_wait(qtbot, window, a.id)
    assert panel.selected_ids() == [a.id]
    window.actions_.new.trigger()  # a new poem: no row stays highlighted
    assert panel.selected_ids() == []
    with qtbot.waitSignal(panel.refreshed, timeout=10_000):
        panel.refresh_now()
    assert panel.selected_ids() == []
    # 删除 with nothing selected deletes nothing
    panel.delete_button.click()
    qtbot.wait(200)
    assert not call(window, ops.get, a.id).in_trash and not call(window, ops.get, b.id).in_trash


def test_deleting_a_row_that_is_not_the_poem_on_screen_asks_naming_it(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    a, _b = two_poems(qtbot, window)  # 春晓 is open
    panel = window.library_panel
    asked: list[str] = []

    def refuse(question: str) -> bool:
        asked.append(question)
        return False

    panel.confirm = refuse
    panel.select_poem(a.id)
    panel.delete_button.click()
    assert len(asked) == 1 and "《静夜思》" in asked[0]
    qtbot.wait(200)
    assert not call(window, ops.get, a.id).in_trash  # the poet said no


def test_deleting_the_poem_on_screen_says_which_went_and_undo_brings_it_back(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    a, b = two_poems(qtbot, window)  # 春晓 (b) is open
    window.pane.replace_all(CHUNXIAO.replace("花落", "叶落"))  # unsaved: saved before it goes
    panel = window.library_panel
    panel.confirm = lambda _question: pytest.fail("the poem on screen needs no question")
    with qtbot.waitSignal(panel.trashed, timeout=10_000):
        window.actions_.delete_poem.trigger()
    assert call(window, ops.get, b.id).in_trash
    assert call(window, ops.get, b.id).text == CHUNXIAO.replace("花落", "叶落")
    assert window.doc.poem_id is None and window.pane.text() == ""
    notice = window.notices.notice("trashed")
    assert notice is not None and "《春晓》" in notice.text and "回收站" in notice.text
    assert not call(window, ops.get, a.id).in_trash
    notice.buttons[0].click()  # 撤销
    qtbot.waitUntil(lambda: window.doc.poem_id == b.id, timeout=10_000)
    assert not call(window, ops.get, b.id).in_trash
    assert window.pane.text() == CHUNXIAO.replace("花落", "叶落")
    assert panel.selected_ids() == [b.id]
