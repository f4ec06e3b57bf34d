"""The teacher's flow from the main window's 作业 menu, on real services.

新建作业 (the wizard) → stored in the library → 按作业写诗 (the editor locked to the
form and group, the requirements painted and ticked off, the poem tagged) → save →
结束作业 → 批改 a class folder and the tagged library poems → CSV and class PDF →
导出作业纸 PDF. PDFs are read back with poppler.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QTextCharFormat
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from app.assign.grading import Status
from app.export.fonts import find_cjk_family
from app.prosody.findings import Rule
from app.prosody.forms import Form
from app.prosody.groups import group_by_name
from app.prosody.rhymebook import RhymeBook
from app.storage.records import PoemQuery
from app.ui.assignments.feature import list_assignments
from app.ui.library import ops
from tests.support import assign_pdftools as pdf
from tests.support.assign_class import BAIDI, CHU_SAI, frontier_assignment, make_class_folder
from tests.support.editor_pane import char_format
from tests.support.shell_window import call, events, save_and_wait, type_text
from tests.support.window_app import open_app_window

pytestmark = pytest.mark.timeout(180)

TAG = "作业·边塞七绝"


def need_pdf_tools() -> None:
    if find_cjk_family("") is None:
        pytest.skip("no CJK font installed: the PDF part needs one")
    pdf.need_poppler()


def create_in_wizard(qtbot: QtBot, window: Any) -> Any:
    """作业 → 新建作业…: fill the wizard as a teacher would, step through, Finish."""
    feature = window.assignments
    feature.new_action.trigger()
    wizard = feature.wizard
    assert wizard is not None and wizard.isVisible()
    wizard.load(frontier_assignment())  # the fields a teacher fills (see assign_class)
    for _ in range(4):
        wizard.next()
    assert wizard.currentPage() is wizard.review and wizard.review.problems.text() == ""
    with qtbot.waitSignal(feature.stored, timeout=30_000) as stored:
        wizard.button(QWizard.WizardButton.FinishButton).click()
    return stored.args[0]


def choose_in_picker(qtbot: QtBot, window: Any, action: Any, assignment_id: int) -> None:
    """Trigger a menu action that asks which assignment, and choose ``assignment_id``."""
    with qtbot.waitSignal(window.assignments.picker_opened, timeout=30_000) as opened:
        action.trigger()
    picker = opened.args[0]
    assert picker.isVisible() and assignment_id in picker.values()
    assert picker.select(assignment_id)
    picker.buttons.button(picker.buttons.StandardButton.Ok).click()


def test_set_write_grade_and_print_an_assignment_from_the_menus(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_app_window(qtbot, tmp_path, book)
    feature = window.assignments
    assert window.menu("assign").title() == "作业(&A)"
    assert not feature.end_action.isEnabled()

    # -- set it: stored in the library, with its tag
    record = create_in_wizard(qtbot, window)
    assert record.title == "边塞七绝" and record.form == "七绝" and record.tag == TAG
    listed = call(window, list_assignments)
    assert [(i, a.title if a else None) for i, _label, a in listed] == [(record.id, "边塞七绝")]
    assert TAG in window.notices.texts()["assignment"]

    # -- write against it: locked editor, requirements painted and ticked off
    choose_in_picker(qtbot, window, feature.write_action, record.id)
    session = feature.session
    assert session is not None and feature.end_action.isEnabled()
    pane = window.pane
    group = group_by_name("上平十五删")
    assert pane.is_locked() and pane.pinned_form() is Form.QIJUE and pane.pinned_group() == group
    panel = window.side_panel("assignment")
    assert panel is feature.requirements and window.side_dock.isVisible()
    assert TAG in window.meta.values()[2]  # the poem carries the assignment's tag
    window.pin_form("")  # the form menu cannot unpin it while the assignment holds it
    assert pane.pinned_form() is Form.QIJUE

    text = BAIDI.replace("千里", "一壶酒")  # 酒 is forbidden
    type_text(pane.editor, text)
    pane.analyze_now()
    wine = pane.text().index("酒")
    found = [f for f in pane.extra_findings() if f.rule is Rule.REQUIREMENT]
    assert [(f.offset, f.get("kind")) for f in found] == [(wine, "forbidden_chars")]
    fmt = char_format(pane, wine)
    assert fmt.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline
    assert panel.marks() == ["✓", "✓", "✓", "✓", "✗"]

    window.meta.author_edit.setText("李白")
    window.meta.edited.emit()
    saved = save_and_wait(qtbot, window)
    assert TAG in saved.tags and saved.form == "七绝" and saved.author == "李白"

    window.new_document()  # a new poem while writing against it is tagged too
    assert TAG in window.meta.values()[2] and pane.is_locked()
    type_text(pane.editor, CHU_SAI)
    window.meta.author_edit.setText("王昌龄")
    window.meta.edited.emit()
    second = save_and_wait(qtbot, window)
    assert TAG in second.tags

    feature.end_action.trigger()  # 结束作业: the editor is itself again
    assert feature.session is None and not feature.end_action.isEnabled()
    assert not pane.is_locked() and pane.pinned_form() is None
    assert window.side_panel("assignment") is None and pane.extra_findings() == ()
    tagged = call(window, ops.search, PoemQuery(tag=TAG))
    assert {p.id for p in tagged} == {saved.id, second.id}

    # -- grade a class folder from the menu
    expected = make_class_folder(tmp_path / "class")
    choose_in_picker(qtbot, window, feature.grade_action, record.id)
    dialog = feature.grading
    assert dialog is not None and dialog.isVisible()
    with qtbot.waitSignal(dialog.grading_finished, timeout=60_000) as graded:
        dialog.folder_edit.setText(str(tmp_path / "class"))
        dialog.start_button.click()
    reports = graded.args[0]
    assert len(reports) == len(expected) == len(dialog.table_rows())
    rows = {row[1]: row for row in dialog.table_rows()}
    for name, (student, status) in expected.items():
        assert rows[name][0] == student and rows[name][2] == Status(status).label("zh")
    gradebook = dialog.export_csv(tmp_path / "grades.csv")
    table = list(csv.reader(io.StringIO(gradebook.read_bytes().decode("utf-8-sig"), newline="")))
    assert len(table) == 1 + len(expected)

    # ... and the poems written against it in the window, by their tag
    with qtbot.waitSignal(dialog.grading_finished, timeout=60_000) as graded:
        dialog.tag_radio.setChecked(True)
        dialog.start_button.click()
    by_tag = graded.args[0]
    assert sorted(r.student for r in by_tag) == ["李白", "王昌龄"]
    with qtbot.waitSignal(dialog.saved, timeout=30_000):
        dialog.save_to_library()

    need_pdf_tools()
    result = dialog.export_class_pdf(tmp_path / "class.pdf")
    assert result is not None and pdf.page_count(result.path) == result.pages
    assert "李白" in pdf.text(result.path) and "王昌龄" in pdf.text(result.path)
    dialog.reject()
    # every grading run and export is in the log
    runs = events(window, "grading_finished")
    assert [r["submissions"] for r in runs] == [len(expected), 2]
    assert runs[0]["assignment_id"] == record.id and runs[0]["statuses"]["graded"] >= 1
    assert len(events(window, "grading_started")) == 2
    assert events(window, "gradebook_exported")[0]["rows"] == len(expected)
    assert events(window, "report_pdf_exported")[0]["pages"] == result.pages

    # -- the assignment sheet
    sheet_path = tmp_path / "out" / "边塞七绝-作业纸"
    sheet_path.parent.mkdir()
    feature.files.save_path = lambda *_args: sheet_path  # what the file dialog would answer
    choose_in_picker(qtbot, window, feature.sheet_action, record.id)
    written = sheet_path.with_name(sheet_path.name + ".pdf")
    qtbot.waitUntil(written.exists, timeout=30_000)
    sheet = pdf.text(written)
    assert "边塞七绝" in sheet and "上平十五删" in sheet and "禁用" in sheet and "⊙" in sheet


def test_editing_an_assignment_keeps_its_tag_and_an_empty_library_says_so(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_app_window(qtbot, tmp_path, book, lang="en")
    feature = window.assignments
    with qtbot.waitSignal(feature.picker_opened, timeout=30_000) as opened:
        feature.grade_action.trigger()
    empty = opened.args[0]
    assert empty.values() == [] and "no assignments yet" in empty.prompt.text()
    empty.reject()

    record = create_in_wizard(qtbot, window)
    with qtbot.waitSignal(feature.picker_opened, timeout=30_000) as opened:
        feature.edit_action.trigger()
    picker = opened.args[0]
    picker.select(record.id)
    picker.accept()
    wizard = feature.wizard
    assert wizard is not None and wizard.title_edit.text() == "边塞七绝"
    wizard.title_edit.setText("边塞七绝（改）")
    for _ in range(4):
        wizard.next()
    with qtbot.waitSignal(feature.stored, timeout=30_000) as stored:
        wizard.button(QWizard.WizardButton.FinishButton).click()
    edited = stored.args[0]
    assert edited.id == record.id and edited.title == "边塞七绝（改）"
    assert edited.tag == TAG  # renaming never loses the poems already tagged
    assert [a.title for _i, _l, a in call(window, list_assignments) if a] == ["边塞七绝（改）"]


def test_writing_against_an_assignment_starts_a_new_poem(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_app_window(qtbot, tmp_path, book)
    feature = window.assignments
    record = create_in_wizard(qtbot, window)
    # a poem of one's own is open, saved, then edited further (a generated one alike)
    window.meta.title_edit.setText("自己的诗")
    type_text(window.pane.editor, CHU_SAI)
    mine = save_and_wait(qtbot, window)
    type_text(window.pane.editor, "\n")  # an unsaved edit
    choose_in_picker(qtbot, window, feature.write_action, record.id)
    # a new, empty poem for the assignment, tagged and locked
    assert window.doc.poem_id is None and window.pane.text() == ""
    assert TAG in window.meta.values()[2] and window.pane.is_locked()
    # the poem that was open is untouched: not tagged, its edit kept as a draft
    stored = call(window, ops.get, mine.id)
    assert TAG not in stored.tags and stored.tags == mine.tags
    _reopened, draft = call(window, ops.open_poem, mine.id)
    assert draft is not None and TAG not in draft.poem.tags
    assert draft.poem.text == CHU_SAI + "\n"
