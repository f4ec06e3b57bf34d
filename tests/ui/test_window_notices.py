"""Notices belong to the poem they were raised for: they go when it is left, and their
buttons never act on a poem that is not on screen."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.compose.session import ComposedPoem
from app.prosody.rhymebook import RhymeBook
from app.ui.library import ops
from tests.support.shell_window import (
    CHUNXIAO,
    DENG_GUANQUE,
    JINGYESI,
    call,
    open_and_wait,
    open_window,
    save_poem,
    save_revised,
    save_two,
)


def test_the_restore_notice_goes_with_its_poem_and_never_reverts_another(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    changed = CHUNXIAO.replace("花落知多少", "花落知几何")
    a = save_revised(qtbot, window, "春晓", CHUNXIAO, changed)
    oldest = call(window, ops.revisions, a.id)[-1]
    window.support.restore_revision(oldest)
    qtbot.waitUntil(lambda: window.notices.notice("restored") is not None, timeout=10_000)
    undo = window.notices.notice("restored")
    assert undo is not None and undo.buttons

    # Ctrl+N, write and save poem B: the notice about poem A is gone
    window.actions_.new.trigger()
    assert window.notices.notice("restored") is None
    b = save_poem(qtbot, window, JINGYESI)
    assert "restored" not in window.notices.texts()
    # and undoing that restore while B is on screen does nothing to poem A
    before_restore = call(window, ops.revisions, a.id)[1]  # the version the restore replaced
    assert before_restore.text == changed
    window.support.undo_restore(before_restore.id, a.id)
    qtbot.wait(300)
    assert call(window, ops.get, a.id).text == CHUNXIAO
    assert call(window, ops.revisions, a.id)[0].reason == "restore"
    assert window.doc.poem_id == b.id and window.pane.text() == JINGYESI


def test_the_back_to_that_poem_notice_goes_when_the_generated_poem_is_left(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    first, second = save_two(qtbot, window, JINGYESI, CHUNXIAO)
    open_and_wait(qtbot, window, first.id)

    poem = ComposedPoem(
        DENG_GUANQUE, tuple(DENG_GUANQUE.split("\n")), "m.gguf", {}, "", "登楼", "", "五绝", None
    )
    window.compose.insert(poem)
    assert "inserted" in window.notices.texts()
    open_and_wait(qtbot, window, second.id)  # the poet moves on to another poem
    assert "inserted" not in window.notices.texts()
    window.new_document()
    assert "inserted" not in window.notices.texts()


def test_a_window_wide_notice_stays_across_poems(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    window.notices.show_notice("restart", "重新启动后生效")
    window.new_document()
    window.new_document()
    assert "restart" in window.notices.texts()


def test_a_notice_coming_and_going_moves_neither_the_title_row_nor_the_text(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    window.resize(1280, 800)
    window.pane.set_text(JINGYESI)
    window.pane.analyze_now()  # the header's verdict is in: its labels take their widths now
    qtbot.wait(100)  # and the window lays the docks out around the header's new minimum
    fields = (
        window.meta.title_edit,
        window.meta.author_edit,
        window.pane.editor.viewport(),
    )

    def places() -> list[tuple[int, int]]:
        QApplication.processEvents()
        return [(p.x(), p.y()) for p in (f.mapTo(window, QPoint(0, 0)) for f in fields)]

    before = places()
    window.notices.show_notice(
        "restored",
        "已恢复到 2024-05-01 10:00 的版本（恢复本身也是一次保存）。" * 2,
        actions=[("撤销恢复", lambda: None)],
    )
    window.notices.show_notice("drafts", "另有 2 份未保存的草稿。")
    qtbot.waitUntil(window.notices.isVisible, timeout=5_000)
    assert places() == before
    window.notices.dismiss("restored")
    window.notices.dismiss("drafts")
    assert places() == before
