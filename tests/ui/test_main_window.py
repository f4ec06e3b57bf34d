"""The main window with real services: saving, revisions, drafts, panels, theme, state."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from app.prosody.forms import Form
from app.prosody.rhymebook import RhymeBook
from app.storage.records import PoemData, PoemQuery
from app.ui.library import ops
from app.ui.library.diff import ADDED_COLOR, REMOVED_COLOR
from app.ui.theme import is_dark_palette
from tests.support.shell_window import (
    CHUNXIAO,
    DENGGAO,
    JINGYESI,
    call,
    events,
    open_and_wait,
    open_window,
    save_and_wait,
    save_poem,
    save_revised,
    save_two,
    settings_on_disk,
    type_text,
    wait_draft,
)


def test_the_window_has_its_panels_menus_and_status(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    assert set(window.actions_.menus) == {"file", "edit", "view", "poem", "model", "assign", "help"}
    assert window.actions_.menus["file"].title() == "文件(&F)"
    assert window.library_dock.isVisible() and window.findings_dock.isVisible()
    assert not window.side_dock.isVisible()  # nothing hosted yet

    panel = QLabel("推理过程")
    window.add_side_panel("reasoning", panel, "推理")
    assert window.side_dock.isVisible()
    assert window.side_panel("reasoning") is panel
    assert window.side_tabs.tabText(window.side_tabs.indexOf(panel)) == "推理"
    assert any(a.text() == "推理" for a in window.menu("model").actions())

    window.pane.set_text(DENGGAO)
    window.pane.analyze_now()
    status = window.status
    assert status.form.text() == "七律"
    assert status.qi.text() in ("平起", "仄起")
    assert status.group.text() == "上平十灰"
    assert status.saved.text() == "新诗，未保存"


def test_shortcuts_are_bound(qtbot: QtBot, tmp_path: Path, book: RhymeBook) -> None:
    window = open_window(qtbot, tmp_path, book)
    a = window.actions_
    bound = {
        a.new: "Ctrl+N",
        a.open_library: "Ctrl+O",
        a.save: "Ctrl+S",
        a.save_as_new: "Ctrl+Shift+S",
        a.revisions: "Ctrl+Shift+H",
        a.find: "Ctrl+F",
        a.settings: "Ctrl+,",
        a.quit: "Ctrl+Q",
        a.toggle_library: "Ctrl+1",
        a.toggle_findings: "Ctrl+2",
        a.toggle_side: "Ctrl+3",
    }
    for action, keys in bound.items():
        assert action.shortcut().toString() == keys, action.objectName()
    # a shortcut really toggles the panel
    window.activateWindow()
    a.toggle_library.trigger()
    assert not window.library_dock.isVisible()
    a.toggle_library.trigger()
    assert window.library_dock.isVisible()


def test_save_stores_the_poem_with_form_group_and_score(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    window.meta.title_edit.setText("登高")
    window.meta.author_edit.setText("杜甫")
    window.meta.tags_edit.setText("秋, 登临、七律")
    record = save_poem(qtbot, window, DENGGAO)
    assert record.title == "登高" and record.author == "杜甫"
    assert record.tags == ("七律", "登临", "秋")
    assert record.text == DENGGAO
    assert record.form == "七律"
    assert record.rhyme_group == "上平十灰"
    assert record.scores.total is not None and record.scores.total > 80
    assert window.doc.poem_id == record.id
    assert window.status.saved.text().startswith("已保存")
    assert not window.is_dirty()
    assert events(window, "poem_saved")[-1]["poem_id"] == record.id
    # listed in the library, with its score
    qtbot.waitUntil(lambda: window.library_panel.model.rowCount() == 1, timeout=10_000)
    assert window.library_panel.model.index(0, 3).data() == f"{record.scores.total:.0f}"


def test_the_library_search_matches_across_scripts(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    window.meta.title_edit.setText("登高")
    window.pane.set_text(DENGGAO)  # simplified: 不尽长江滚滚来
    save_and_wait(qtbot, window)
    panel = window.library_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=10_000)
    for typed, found in (("長江", 1), ("長江 滾滾", 1), ("黃河", 0)):
        with qtbot.waitSignal(panel.refreshed, timeout=30_000):
            panel.search_edit.setText(typed)
        assert panel.model.rowCount() == found, typed


def formatted_runs(document: QTextDocument) -> list[tuple[str, str]]:
    """(text, added / removed / same) for every fragment of a diff view."""
    out: list[tuple[str, str]] = []
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            color = fmt.foreground().color().name()
            if fmt.fontStrikeOut() and color == REMOVED_COLOR:
                kind = "removed"
            elif fmt.fontUnderline() and color == ADDED_COLOR:
                kind = "added"
            else:
                kind = "same"
            out.append((fragment.text(), kind))
            it += 1
        block = block.next()
    return out


def test_every_save_keeps_a_revision_and_restoring_one_is_undoable(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    changed = CHUNXIAO.replace("花落知多少", "花落知几何")
    first = save_revised(qtbot, window, "春晓", CHUNXIAO, changed)
    revisions = call(window, ops.revisions, first.id)
    assert [r.text for r in revisions] == [changed, CHUNXIAO]

    dialog = window.support.show_revisions()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.list.count() == 2, timeout=10_000)
    dialog.list.setCurrentRow(1)
    assert dialog.preview.toPlainText() == CHUNXIAO
    # what restoring it would change: 多少 comes back (green), 几何 goes (struck through)
    assert dialog.tabs.currentWidget() is dialog.diff
    runs = formatted_runs(dialog.diff.document())
    assert ("多少", "added") in runs and ("几何", "removed") in runs
    assert all(kind == "same" for text, kind in runs if "春眠不觉晓" in text)
    dialog.list.setCurrentRow(0)
    assert "当前版本" in dialog.diff.toPlainText()
    dialog.list.setCurrentRow(1)
    assert dialog.restore_button.isEnabled()
    dialog.restore_button.click()
    qtbot.waitUntil(lambda: window.pane.text() == CHUNXIAO, timeout=10_000)
    assert not window.is_dirty()
    revisions = call(window, ops.revisions, first.id)
    assert [r.reason for r in revisions] == ["restore", "save", "create"]
    assert call(window, ops.get, first.id).text == CHUNXIAO

    # the restore is one undo step in the editor …
    window.pane.editor.undo()
    assert window.pane.text() == changed
    window.pane.editor.redo()
    assert window.pane.text() == CHUNXIAO
    # … and the notice's button restores the version from before, in the library too
    notice = window.notices.notice("restored")
    assert notice is not None and notice.buttons
    notice.buttons[0].click()
    qtbot.waitUntil(lambda: window.pane.text() == changed, timeout=10_000)
    assert call(window, ops.get, first.id).text == changed
    assert call(window, ops.revisions, first.id)[0].reason == "restore"
    # the log has the restore and its undoing
    assert events(window, "revision_restored")[-1]["poem_id"] == first.id
    qtbot.waitUntil(lambda: bool(events(window, "revision_restore_undone")), timeout=10_000)
    assert events(window, "revision_restore_undone")[-1]["poem_id"] == first.id


def test_restoring_saves_unsaved_edits_first(qtbot: QtBot, tmp_path: Path, book: RhymeBook) -> None:
    window = open_window(qtbot, tmp_path, book)
    record = save_poem(qtbot, window, CHUNXIAO)
    unsaved = CHUNXIAO + "\n"  # an edit not yet saved
    window.pane.replace_all(CHUNXIAO.replace("春眠", "秋眠"))
    assert window.is_dirty()
    unsaved = window.pane.text()
    oldest = call(window, ops.revisions, record.id)[-1]
    window.support.restore_revision(oldest)
    qtbot.waitUntil(
        lambda: window.pane.text() == CHUNXIAO and not window.is_dirty(), timeout=10_000
    )
    texts = [r.text for r in call(window, ops.revisions, record.id)]
    assert unsaved in texts  # the unsaved edit became a revision, not lost


def test_typing_autosaves_a_draft_that_comes_back_after_a_restart(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    window.pane.editor.setFocus()
    type_text(window.pane.editor, "白日依山尽")
    draft = wait_draft(qtbot, window)
    assert draft is not None and draft.poem.text == "白日依山尽"
    assert window.status.saved.text().startswith("草稿已自动保存")
    assert events(window, "draft_saved")[-1]["chars"] == 5
    type_text(window.pane.editor, "，黄河入海流")  # not yet autosaved when closing
    window.close()  # close writes the last state
    window.services.library.shutdown()

    again = open_window(qtbot, tmp_path, book)
    assert again.pane.text() == "白日依山尽，黄河入海流"
    assert again.doc.poem_id is None and again.doc.restored_draft
    assert "已恢复" in again.notices.texts()["draft"]
    assert again.status.saved.text() == "已恢复草稿，未保存"
    assert events(again, "draft_restored")[-1]["chars"] == 11
    # saving it turns the draft into a poem; the draft is gone
    record = save_and_wait(qtbot, again)
    assert record.text == "白日依山尽，黄河入海流"
    assert call(again, ops.load_drafts) == []


def test_a_stored_poems_unsaved_edits_come_back_when_it_is_reopened(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    first, second = save_two(qtbot, window, JINGYESI, CHUNXIAO)

    open_and_wait(qtbot, window, first.id)
    assert window.pane.text() == JINGYESI
    window.pane.editor.moveCursor(window.pane.editor.textCursor().MoveOperation.End)
    type_text(window.pane.editor, "。")
    # switching poems writes the draft at once, without waiting for the timer
    open_and_wait(qtbot, window, second.id)
    open_and_wait(qtbot, window, first.id)
    assert window.pane.text() == JINGYESI + "。"
    assert window.is_dirty() and window.doc.restored_draft
    # 放弃这些改动 brings back the saved text and clears the draft
    notice = window.notices.notice("draft")
    assert notice is not None
    notice.buttons[0].click()
    assert window.pane.text() == JINGYESI and not window.is_dirty()
    qtbot.waitUntil(lambda: call(window, ops.load_drafts) == [], timeout=10_000)


def test_several_drafts_the_newest_is_shown_the_others_listed(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    window.pane.editor.setFocus()
    type_text(window.pane.editor, "春眠不觉晓")
    window.new_document()  # the first new poem's draft is written on leaving it
    type_text(window.pane.editor, "白日依山尽")
    window.close()
    window.services.library.shutdown()

    again = open_window(qtbot, tmp_path, book)
    assert again.pane.text() == "白日依山尽"
    menu = again.actions_.drafts_menu
    assert menu is not None and menu.isEnabled()
    assert [a.text().split(" — ")[0] for a in menu.actions()] == ["春眠不觉晓"]
    menu.actions()[0].trigger()
    assert again.pane.text() == "春眠不觉晓"


def test_deletes_emptying_the_trash_and_shown_errors_are_logged(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    record = save_poem(qtbot, window, CHUNXIAO)
    with qtbot.waitSignal(window.library_panel.trashed, timeout=10_000):
        window.trash.delete_current()
    assert events(window, "poems_trashed")[-1]["poem_ids"] == [record.id]
    window.library_panel.confirm = lambda _question: True  # the question's answer: yes
    with qtbot.waitSignal(window.library_panel.trash_emptied, timeout=10_000):
        window.library_panel.empty_trash()
    qtbot.waitUntil(lambda: bool(events(window, "trash_emptied")), timeout=10_000)
    assert events(window, "trash_emptied")[-1]["poems"] == 1
    window.show_error(OSError(28, "No space left on device"))
    shown = events(window, "error_shown")
    assert shown and "No space left" in shown[-1]["error"]


def test_deleting_the_open_poem_moves_it_to_the_trash_and_clears_the_editor(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    record = save_poem(qtbot, window, JINGYESI)
    panel = window.library_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=10_000)
    with qtbot.waitSignal(panel.poem_deleted, timeout=10_000):
        panel.delete_poem(record.id)
    assert window.doc.poem_id is None and window.pane.text() == ""
    assert call(window, ops.get, record.id).in_trash


def test_a_generated_poem_keeps_its_origin_when_saved(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    generated = PoemData(
        title="秋思",
        text=CHUNXIAO,
        origin="generated",
        model_id="qpm-1k-32b-r1",
        sampling={"temperature": 0.7},
        reasoning="先定韵部……",
    )
    window.new_document(generated)
    assert window.pane.text() == CHUNXIAO and window.is_dirty()
    record = save_and_wait(qtbot, window)
    assert record.origin == "generated" and record.model_id == "qpm-1k-32b-r1"
    assert record.reasoning == "先定韵部……" and record.sampling == {"temperature": 0.7}


def test_pinning_the_form_from_the_menu_reaches_the_checker(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    window.pane.set_text(CHUNXIAO)
    window.actions_.forms[Form.QIJUE.value].trigger()
    assert window.pane.pinned_form() is Form.QIJUE
    assert window.pane.analyze_now().form is Form.QIJUE
    window.actions_.forms[""].trigger()
    assert window.pane.pinned_form() is None
    assert window.pane.analyze_now().form is Form.WUJUE


def test_theme_switch_applies_and_persists(qtbot: QtBot, tmp_path: Path, book: RhymeBook) -> None:
    window = open_window(qtbot, tmp_path, book)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        window.actions_.themes["dark"].trigger()
        assert window.dark and is_dark_palette(app.palette())
        assert settings_on_disk(tmp_path)["ui"]["theme"] == "dark"
        window.actions_.themes["light"].trigger()
        assert not window.dark and not is_dark_palette(app.palette())
        assert settings_on_disk(tmp_path)["ui"]["theme"] == "light"
        assert [e["theme"] for e in events(window, "theme_changed")] == ["dark", "light"]
    finally:
        window.support.set_theme("light", save=False)


def test_window_state_is_remembered_between_runs(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    window.findings_dock.hide()
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, window.library_dock)
    QApplication.processEvents()  # the layout takes the docks' new places
    # a size within the offscreen screen (800×600) and at least this layout's minimum
    window.resize(max(720, window.minimumSizeHint().width()), 520)
    size = (window.size().width(), window.size().height())
    assert size[0] <= 800
    window.close()
    window.services.library.shutdown()
    saved = settings_on_disk(tmp_path)
    assert saved["window_geometry"] and saved["window_state"]

    again = open_window(qtbot, tmp_path, book)
    assert not again.findings_dock.isVisible()
    assert again.dockWidgetArea(again.library_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert (again.size().width(), again.size().height()) == size
    assert size[1] == 520


def test_english_interface(qtbot: QtBot, tmp_path: Path, book: RhymeBook) -> None:
    window = open_window(qtbot, tmp_path, book, lang="en")
    assert window.actions_.menus["file"].title() == "&File"
    assert window.actions_.save.text() == "Save"
    window.pane.set_text(JINGYESI)
    window.pane.analyze_now()
    assert window.status.form.text() == "five-character quatrain"
    assert window.status.saved.text() == "New poem, not saved"


def test_store_poem_keeps_a_candidate_without_opening_it(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    type_text(window.pane.editor, "未完")
    candidate = PoemData(title="秋夕", text=JINGYESI, origin="generated", model_id="m")
    with qtbot.waitSignal(window.poem_saved, timeout=30_000) as saved:
        window.store_poem(candidate)
    record = saved.args[0]
    assert record.origin == "generated" and record.form == "五绝"
    assert record.scores.total is not None
    assert window.pane.text() == "未完" and window.doc.poem_id is None  # the editor is untouched
    qtbot.waitUntil(lambda: window.library_panel.model.rowCount() == 1, timeout=10_000)


def test_closing_right_after_save_leaves_no_stray_draft(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    type_text(window.pane.editor, "春眠不觉晓")
    window.save()  # Ctrl+S …
    window.close()  # … and Ctrl+Q before the save's answer reached the window
    window.services.library.shutdown()
    again = open_window(qtbot, tmp_path, book)
    assert again.pane.text() == ""  # nothing to restore: the poem was saved
    assert not again.doc.restored_draft
    assert [r.text for r in call(again, ops.search, PoemQuery())] == ["春眠不觉晓"]


def test_the_app_icon_has_every_size(qapp: object) -> None:
    from app.ui.launch import app_icon

    icon = app_icon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} >= {16, 32, 64, 256, 512}
