"""The teacher's flow with real widgets: create an assignment in the wizard → write against
it in the real editor pane → grade a class folder and tagged library poems → export."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QDate
from PySide6.QtGui import QTextCharFormat
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from app.assign.grading import Status
from app.assign.model import FirstLine
from app.assign.persist import store_assignment
from app.export.fonts import find_cjk_family
from app.paths import AppPaths
from app.prosody.findings import Rule
from app.prosody.forms import Form
from app.prosody.groups import group_by_name
from app.storage.assignments import list_submissions
from app.storage.db import LibraryOptions
from app.storage.records import PoemData
from app.storage.repository import Library
from app.storage.worker import LibraryWorker
from app.ui.assignments.grading_dialog import GradingDialog
from app.ui.assignments.wizard import AssignmentWizard
from app.ui.assignments.writing import RequirementsPanel, write_against
from app.ui.editor import PoemEditorPane
from app.ui.i18n import Tr
from tests.support import assign_pdftools as pdf
from tests.support.assign_class import BAIDI, CHU_SAI, SHANXING, make_class_folder
from tests.support.editor_pane import (
    EditorServices,
    char_format,
)
from tests.support.storage_clock import StepClock


def fill_frontier(wizard: AssignmentWizard) -> None:
    """What a teacher types: 边塞七绝, 十五删, line 1 rhymes, one of 月/山/关, no 酒."""
    wizard.title_edit.setText("边塞七绝")
    wizard.form_combo.setCurrentIndex(wizard.form_combo.findData(Form.QIJUE))
    wizard.instructions_edit.setPlainText("以边塞为题，写一首七绝。")
    wizard.due_check.setChecked(True)
    wizard.due_edit.setDate(QDate(2025, 4, 1))
    group = group_by_name("上平十五删")
    assert group is not None
    wizard.group_combo.setCurrentIndex(wizard.group_combo.findData(group.id))
    wizard.first_combo.setCurrentIndex(wizard.first_combo.findData(FirstLine.REQUIRED))
    wizard.theme_edit.setText("边塞")
    wizard.imagery_edit.setText("月、山 关")
    wizard.imagery_min_spin.setValue(1)
    wizard.forbidden_edit.setText("酒")


def test_the_wizard_steps_show_the_sheet_live(
    qtbot: QtBot, editor_services: EditorServices
) -> None:
    wizard = AssignmentWizard(editor_services.book, Tr("zh"))
    qtbot.addWidget(wizard)
    wizard.show()
    seen: list[str] = []
    wizard.preview_changed.connect(seen.append)
    # step 1: Next stays off until there is a title
    assert wizard.currentPage() is wizard.basics
    assert not wizard.basics.isComplete()
    wizard.title_edit.setText("边塞七绝")
    assert wizard.basics.isComplete()
    assert seen and "边塞七绝" in seen[-1]
    assert "边塞七绝" in wizard.basics.preview.toPlainText()
    fill_frontier(wizard)
    # every step carries the same live preview, with the template of every line
    for page in wizard.steps:
        text = page.preview.toPlainText()
        assert "平仄格式（平起）" in text and "⊙平⊙仄仄平平（韵）" in text
        assert "上平十五删常用字" in text and "禁用字：酒" in text
    wizard.form_combo.setCurrentIndex(wizard.form_combo.findData(Form.WULV))
    preview = wizard.review.preview.toPlainText().split("\n")
    assert sum(1 for ln in preview if re.match(r"^ ?\d\. [⊙平仄]{5}", ln)) == 16  # 平起, 仄起
    wizard.form_combo.setCurrentIndex(wizard.form_combo.findData(Form.QIJUE))
    # walk to the review step and finish
    for _ in range(4):
        wizard.next()
    assert wizard.currentPage() is wizard.review
    assert wizard.review.problems.text() == ""
    a = wizard.assignment()
    assert (a.title, a.form, a.imagery, a.imagery_min, a.forbidden_chars, a.due) == (
        "边塞七绝", Form.QIJUE, ("月", "山", "关"), 1, "酒", date(2025, 4, 1),
    )  # fmt: skip
    assert a.rhyme.first_line is FirstLine.REQUIRED and a.rhyme.group == group_by_name("删")
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert wizard.result() == int(QWizard.DialogCode.Accepted)


def test_the_wizard_refuses_to_finish_with_problems(
    qtbot: QtBot, editor_services: EditorServices
) -> None:
    wizard = AssignmentWizard(editor_services.book, Tr("en"))
    qtbot.addWidget(wizard)
    wizard.show()
    fill_frontier(wizard)
    wizard.required_edit.setText("酒")  # both required and forbidden
    for s in wizard.weight_spins:
        s.setValue(0)
    for _ in range(4):
        wizard.next()
    problems = wizard.review.problems.text()
    assert "both required and forbidden" in problems and "weights" in problems
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert wizard.isVisible() and wizard.result() != int(QWizard.DialogCode.Accepted)
    # editing an existing assignment fills every field back
    fixed = AssignmentWizard(editor_services.book, Tr("zh"), assignment=wizard.assignment())
    qtbot.addWidget(fixed)
    assert fixed.assignment() == wizard.assignment()
    counted = fixed.assignment().policy.counted_rules
    assert Rule.CHU_YUN in counted and Rule.DUI_ZHANG not in counted


def test_the_wizard_sets_how_errors_are_scaled_and_capped(
    qtbot: QtBot, editor_services: EditorServices
) -> None:
    wizard = AssignmentWizard(editor_services.book, Tr("zh"))
    qtbot.addWidget(wizard)
    fill_frontier(wizard)
    policy = wizard.assignment().policy
    assert policy.scale_errors and policy.error_cap == 89.0 and policy.error_points == 4.0
    assert wizard.scale_box.isChecked() and wizard.cap_box.isChecked()
    wizard.scale_box.setChecked(False)
    wizard.cap_box.setChecked(False)
    assert not wizard.cap_spin.isEnabled()
    policy = wizard.assignment().policy
    assert not policy.scale_errors and policy.error_cap is None
    again = AssignmentWizard(editor_services.book, Tr("zh"), assignment=wizard.assignment())
    qtbot.addWidget(again)
    assert not again.scale_box.isChecked() and not again.cap_box.isChecked()
    assert again.assignment() == wizard.assignment()


def test_writing_against_the_assignment_in_the_editor(
    qtbot: QtBot, pane: PoemEditorPane, editor_services: EditorServices
) -> None:
    wizard = AssignmentWizard(editor_services.book, Tr("zh"))
    qtbot.addWidget(wizard)
    fill_frontier(wizard)
    a = wizard.assignment()
    session = write_against(pane, a, editor_services.book)
    panel = RequirementsPanel(Tr("zh"))
    qtbot.addWidget(panel)
    panel.follow(session)
    assert pane.is_locked() and pane.pinned_form() is Form.QIJUE
    assert pane.pinned_group() == a.rhyme.group
    # a poem with the forbidden 酒: painted on the character and listed
    text = BAIDI.replace("千里", "一壶酒")
    pane.set_text(text)
    pane.analyze_now()
    wine = text.index("酒")
    found = [f for f in pane.extra_findings() if f.rule is Rule.REQUIREMENT]
    assert [(f.offset, f.get("kind")) for f in found] == [(wine, "forbidden_chars")]
    fmt = char_format(pane, wine)
    assert fmt.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline
    assert panel.marks() == ["✓", "✓", "✓", "✓", "✗"]
    assert "禁用字" in panel.list.item(4).text()
    # a poem in the wrong group: the checker's 出韵 paints it, the panel says ✗
    pane.set_text(SHANXING)
    pane.analyze_now()
    assert any(f.rule is Rule.CHU_YUN for f in pane.findings())
    assert panel.marks()[1] == "✗"
    final = {r.kind.value: r.passed for r in session.final_results()}
    assert final["rhyme_group"] is False and final["forbidden_chars"] is True
    # done: the editor is itself again
    session.detach()
    assert not pane.is_locked() and pane.pinned_form() is None and pane.pinned_group() is None
    pane.set_text(text)
    pane.analyze_now()
    assert pane.extra_findings() == ()


def test_grading_a_class_folder_and_exporting(
    qtbot: QtBot, editor_services: EditorServices, tmp_path: Path
) -> None:
    wizard = AssignmentWizard(editor_services.book, Tr("zh"))
    qtbot.addWidget(wizard)
    fill_frontier(wizard)
    a = wizard.assignment()
    expected = make_class_folder(tmp_path / "class")
    dialog = GradingDialog(a, editor_services.checker, Tr("zh"))
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.csv_button.isEnabled()
    with qtbot.waitSignal(dialog.grading_finished, timeout=60_000) as blocker:
        dialog.folder_edit.setText(str(tmp_path / "class"))
        dialog.start_button.click()
    reports = blocker.args[0]
    assert not dialog.is_running() and dialog.csv_button.isEnabled()
    assert len(reports) == len(expected) == len(dialog.table_rows())
    rows = {row[1]: row for row in dialog.table_rows()}
    for name, (student, status) in expected.items():
        assert rows[name][0] == student
        assert rows[name][2] == Status(status).label("zh")
    problems = dialog.problem_rows()
    not_graded = [n for n, (_, s) in expected.items() if s != "graded"]
    assert len(problems) == len(not_graded)
    for name in not_graded:
        assert any(p.startswith(name) for p in problems), name
    summary = dialog.summary()
    assert summary is not None
    assert sum(c for _, c in dialog.chart.bars()) == summary.graded == 5
    assert dialog.faults_list.count() == len(summary.faults) > 0
    assert dialog.progress.value() == len(expected)
    # hovering a graded row says how its grade was reached
    graded_row = next(i for i, r in enumerate(reports) if r.graded and r.deductions)
    cell = dialog.table.item(graded_row, 0)
    assert cell is not None
    tip = cell.toolTip()
    assert (
        tip.startswith("基础分")
        and "错误" in tip
        and tip.endswith(f"{reports[graded_row].band()}。")
    )

    out = dialog.export_csv(tmp_path / "grades.csv")
    table = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    assert len(table) == 1 + len(expected)

    if find_cjk_family("") is None:
        pytest.skip("no CJK font installed: the PDF part needs one")
    pdf.need_poppler()
    result = dialog.export_class_pdf(tmp_path / "class.pdf")
    assert result is not None and pdf.page_count(result.path) == result.pages > len(expected)
    singles = dialog.export_student_pdfs(tmp_path / "each")
    assert singles is not None and len(singles) == len(expected)
    assert all(s.path.exists() for s in singles)


def test_grading_tagged_library_poems_and_keeping_the_results(
    qtbot: QtBot, editor_services: EditorServices, tmp_path: Path
) -> None:
    wizard = AssignmentWizard(editor_services.book, Tr("zh"))
    qtbot.addWidget(wizard)
    fill_frontier(wizard)
    a = wizard.assignment()
    options = LibraryOptions(clock=StepClock(), spool_folders=(tmp_path / "spool",))
    worker = LibraryWorker(AppPaths.under(tmp_path), options)
    try:
        worker.opened.result(timeout=30)
        record = worker.submit(store_assignment, a).result(timeout=30)
        for title, author, text in (("出塞", "王昌龄", CHU_SAI), ("山行", "杜牧", SHANXING)):
            poem = PoemData(title=title, author=author, text=text, tags=(record.tag,))
            worker.submit(Library.save_poem, poem).result(timeout=30)
        dialog = GradingDialog(a, editor_services.checker, Tr("zh"), library=worker,
                               assignment_id=record.id)  # fmt: skip
        qtbot.addWidget(dialog)
        assert dialog.tag_edit.text() == record.tag and dialog.tag_radio.isEnabled()
        with qtbot.waitSignal(dialog.grading_finished, timeout=60_000) as blocker:
            dialog.tag_radio.setChecked(True)
            dialog.start_button.click()
        reports = blocker.args[0]
        assert [r.student for r in reports] == ["王昌龄", "杜牧"]
        assert all(r.submission.poem_id is not None for r in reports)
        assert dialog.save_button.isEnabled()
        with qtbot.waitSignal(dialog.saved, timeout=30_000):
            dialog.save_to_library()
        kept = worker.submit(list_submissions, record.id).result(timeout=30)
        assert [(k.student, k.grade) for k in kept] == [(r.student, r.grade) for r in reports]
        # a tag nobody used: said plainly, nothing graded
        dialog.tag_edit.setText("作业·没有这个")
        dialog.grade_library("作业·没有这个")
        qtbot.waitUntil(lambda: "没有" in dialog.status.text(), timeout=30_000)
    finally:
        worker.shutdown()
