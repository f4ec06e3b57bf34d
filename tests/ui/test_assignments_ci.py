"""A 词 assignment with real widgets: set in the wizard (词牌 and 体, rhyme book, a pinned
部), written against in the editor pane (词 mode, requirements ticked), graded from a class
folder (a small 词谱 written by the tests)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from app.assign.grading import Status
from app.assign.model import Assignment
from app.prosody.ci import CiAnalysis, CiChecker
from app.prosody.ci.books import CiBookKind
from app.prosody.findings import Rule
from app.ui.assignments.grading_dialog import GradingDialog
from app.ui.assignments.wizard import CI_ITEM, AssignmentWizard
from app.ui.assignments.writing import RequirementsPanel, write_against
from app.ui.i18n import Tr
from tests.support.cipu_fixture import (  # noqa: F401
    PUSAMAN_LINES,
    cilin_fixture,
    cipu_table_fixture,
)
from tests.support.editor_pane import EditorServices, PaneFactory, editor_ci_fixture  # noqa: F401

CHU_SAI = "秦时明月汉时关，万里长征人未还。但使龙城飞将在，不教胡马度阴山。"


def _wizard(qtbot: QtBot, services: EditorServices, ci: CiChecker) -> AssignmentWizard:
    wizard = AssignmentWizard(services.book, Tr("zh"), ci_checker=lambda: ci)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.title_edit.setText("秋思")
    wizard.form_combo.setCurrentIndex(wizard.form_combo.findData(CI_ITEM))
    return wizard


def _pusaman_assignment(
    qtbot: QtBot, services: EditorServices, ci: CiChecker, **bu: int
) -> Assignment:
    """The assignment the wizard sets for 菩萨蛮's 正体 (with ``bu`` pinned, when given)."""
    wizard = _wizard(qtbot, services, ci)
    assert wizard.ci_fields is not None
    wizard.ci_fields.set_form(ci.table.form("菩薩蠻#0"))
    if bu:
        wizard.ci_fields.set_bu(bu)
    return wizard.assignment()


def test_the_wizard_sets_a_ci_by_tune(
    qtbot: QtBot,
    editor_services: EditorServices,
    ci: CiChecker,
) -> None:
    wizard = _wizard(qtbot, editor_services, ci)
    fields = wizard.ci_fields
    assert fields is not None and wizard.is_ci
    wizard.next()  # the rhyme step: the 词 fields instead of the 诗 rhyme group
    assert fields.isVisible() and not wizard.group_combo.isVisible()
    assert "请选择词牌" in wizard.review.problems.text()
    assert wizard.rhyme_page.preview.toPlainText() == "（先选择词牌）"
    form = ci.table.form("菩薩蠻#0")
    fields.set_form(form)
    fields.combos["B"].setCurrentIndex(fields.combos["B"].findData(12))
    text = wizard.rhyme_page.preview.toPlainText()
    assert "词牌：菩薩蠻·正体（44字），2段（4句、4句）" in text
    assert "用韵：押词林正韵；B韵押第十二部" in text and "词谱（菩薩蠻·正体（44字））：" in text
    assert "⊙平⊙仄平平仄（韵）" in text and "B韵第十二部常用字" in text
    a = wizard.assignment()
    assert a.ci is not None and a.ci.form == form and a.ci.bu == (("B", 12),)
    assert a.ci.book is CiBookKind.CILIN and a.rhyme.group is None and a.qi is None
    for _ in range(3):
        wizard.next()
    assert wizard.currentPage() is wizard.review and wizard.review.problems.text() == ""
    # editing it again fills every 词 field back
    again = AssignmentWizard(editor_services.book, Tr("zh"), assignment=a, ci_checker=lambda: ci)
    qtbot.addWidget(again)
    assert again.is_ci and again.assignment() == a
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert wizard.result() == int(QWizard.DialogCode.Accepted)


def test_writing_a_ci_against_the_assignment(
    qtbot: QtBot,
    make_pane: PaneFactory,
    editor_services: EditorServices,
    ci: CiChecker,
) -> None:
    a = _pusaman_assignment(qtbot, editor_services, ci, B=1)  # 第一部: 楼/愁 are out of it
    pane = make_pane()
    session = write_against(pane, a, editor_services.book, ci)
    panel = RequirementsPanel(Tr("zh"))
    qtbot.addWidget(panel)
    panel.follow(session)
    assert "菩薩蠻" in panel.heading.text()
    target = pane.ci_target()
    assert target is not None and target.form is not None and target.form.key == "菩薩蠻#0"
    pane.set_text(PUSAMAN_LINES)
    analysis = pane.analyze_now()
    assert isinstance(analysis, CiAnalysis)
    assert [f.char for f in pane.findings() if f.rule is Rule.CHU_YUN] == ["楼", "愁"]
    assert panel.marks() == ["✓", "✗"]  # the 体 kept; B out of its 部
    session.detach()
    assert pane.ci_target() is None and not isinstance(pane.analyze_now(), CiAnalysis)


def test_grading_a_class_of_ci(
    qtbot: QtBot,
    editor_services: EditorServices,
    ci: CiChecker,
    tmp_path: Path,
) -> None:
    a = _pusaman_assignment(qtbot, editor_services, ci)
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "01_李白.txt").write_text(PUSAMAN_LINES, encoding="utf-8")
    slip = PUSAMAN_LINES.replace("长亭更短亭", "长亭更短天")
    (folder / "02_张三.txt").write_text(slip, encoding="utf-8")
    (folder / "03_李四.txt").write_text(CHU_SAI, encoding="utf-8")
    dialog = GradingDialog(a, ci, Tr("zh"))
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.grading_finished, timeout=60_000) as blocker:
        dialog.folder_edit.setText(str(folder))
        dialog.start_button.click()
    reports = {r.student: r for r in blocker.args[0]}
    assert reports["李白"].status is Status.GRADED and reports["李白"].grade == 100.0
    assert reports["张三"].status is Status.GRADED and reports["张三"].grade is not None
    assert reports["张三"].grade <= 89.0
    assert reports["李四"].status is Status.WRONG_FORM
    rows = {row[0]: row for row in dialog.table_rows()}
    assert rows["李四"][2] == Status.WRONG_FORM.label("zh")
    slipped = next(i for i, row in enumerate(dialog.table_rows()) if row[0] == "张三")
    cell = dialog.table.item(slipped, 0)
    assert cell is not None and "《菩薩蠻》44字" in cell.toolTip()
