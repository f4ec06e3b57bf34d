"""The editor in 词 mode: the 词牌 picker, checking against the chosen tune, the grid, and
the message when no 词谱 is installed (a small 词谱 written by the tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.prosody.ci import CiAnalysis, CiChecker, CipuError, CipuTable, CiTarget
from app.prosody.ci.table import missing_error
from app.prosody.findings import Severity
from app.prosody.forms import Form
from app.ui.editor.header import TUNE_ITEM
from app.ui.editor.tune_picker import TunePickerDialog, form_grid
from app.ui.i18n import Tr
from tests.support.cipu_fixture import (  # noqa: F401
    PUSAMAN_LINES,
    cilin_fixture,
    cipu_table_fixture,
)
from tests.support.editor_pane import EditorServices, PaneFactory, editor_ci_fixture  # noqa: F401


def test_a_ci_is_checked_against_its_tune(make_pane: PaneFactory, ci: CiChecker) -> None:
    pane = make_pane(text=PUSAMAN_LINES)
    assert not isinstance(pane.analysis(), CiAnalysis)  # a 诗 until a tune is chosen
    tune = ci.table.find("菩萨蛮")
    pane.set_ci_target(CiTarget(ci, tune))
    a = pane.analyze_now()
    assert isinstance(a, CiAnalysis) and a.choice is not None
    assert a.choice.form.tune == "菩薩蠻" and not a.errors
    assert "菩薩蠻" in pane.header.form_label.text() and pane.header.verdict_label.text() == "合谱"
    assert pane.grid.isVisible()  # the 填词 grid, filled with what is written
    assert pane.grid.toPlainText().startswith("平林漠漠烟如织。")
    # a 仄 where the 体 needs 平 is painted and listed
    pane.set_text(PUSAMAN_LINES.replace("有人楼上愁", "有客楼上愁"))
    b = pane.analyze_now()
    bad = [c for c in b.chars if c.severity is Severity.ERROR]
    assert [c.char for c in bad] == ["客"]
    assert any("谱中此处应平" in f.message() for f in pane.findings())
    # while typing, the unwritten end is not missing
    pane.set_text("平林漠漠烟如织，寒山一带")
    assert not pane.analyze_now().errors
    assert pane.grid.toPlainText().splitlines()[2].startswith("寒山一带□□□。")
    assert pane.check_final().errors  # the finished text is short
    # choosing a form of 诗 goes back to 诗
    pane.header.form_combo.setCurrentIndex(pane.header.form_combo.findData(Form.QIJUE.value))
    assert pane.ci_target() is None
    assert not isinstance(pane.analyze_now(), CiAnalysis)
    assert not pane.grid.isVisible()


def test_the_picker_finds_tunes_and_forms(qtbot: QtBot, table: CipuTable) -> None:
    dialog = TunePickerDialog(table, Tr("zh"))
    qtbot.addWidget(dialog)
    assert dialog.tunes.count() == len(table)
    assert dialog.chosen_tune() is not None and dialog.chosen_tune().simplified == "水调歌头"  # type: ignore[union-attr]
    dialog.search.setText("psm")
    assert dialog.tunes.count() == 1 and dialog.chosen_tune().name == "菩薩蠻"  # type: ignore[union-attr]
    assert dialog.forms.count() == 3  # 自动 + two 体
    assert dialog.chosen_form() is not None and dialog.chosen_form().index == 0  # type: ignore[union-attr]
    dialog.forms.setCurrentRow(2)
    assert dialog.chosen_form().author == "朱敦儒"  # type: ignore[union-attr]
    assert dialog.template.toPlainText().startswith("□□□□□□□。")
    dialog.forms.setCurrentRow(0)
    assert dialog.chosen_form() is None  # the checker chooses
    dialog.search.setText("子夜歌")  # an alias
    assert dialog.chosen_tune().name == "菩薩蠻"  # type: ignore[union-attr]
    dialog.search.setText("没有这样的词牌")
    assert dialog.tunes.count() == 0 and "没有" in dialog.info.text()
    dialog.search.setText("")
    dialog.sort.setCurrentIndex(2)  # by length
    lengths = [t.forms[0].chars for t in dialog._shown]
    assert lengths == sorted(lengths)


def test_grid_fills_as_written(table: CipuTable) -> None:
    form = table.find("清平乐").forms[0]  # type: ignore[union-attr]
    empty = form_grid(form).splitlines()
    assert empty[0] == "□□□□。" and empty[1].startswith("⊙平⊙仄韵")
    filled = form_grid(form, "别来春半触目").splitlines()
    assert filled[0] == "别来春半。" and filled[2].startswith("触目□□□。")


def test_choosing_a_tune_through_the_header(
    make_pane: PaneFactory,
    ci: CiChecker,
) -> None:
    pane = make_pane(text=PUSAMAN_LINES)
    pane.set_ci_provider(lambda: ci)

    def choose() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, TunePickerDialog)
        dialog.search.setText("菩萨蛮")
        dialog.accept()

    QTimer.singleShot(0, choose)
    combo = pane.header.form_combo
    before = combo.currentIndex()
    combo.setCurrentIndex(combo.findData(TUNE_ITEM))  # the 词牌… item opens the picker
    assert combo.currentIndex() == before
    target = pane.ci_target()
    assert target is not None and target.tune is not None and target.tune.name == "菩薩蠻"
    assert target.form is not None and target.form.index == 0
    assert isinstance(pane.analyze_now(), CiAnalysis)


def test_no_cipu_installed_says_how_to_build(qtbot: QtBot, make_pane: PaneFactory) -> None:
    pane = make_pane(text=PUSAMAN_LINES)

    def missing() -> CiChecker:
        raise missing_error(str(Path("nowhere")))

    pane.set_ci_provider(missing)
    with qtbot.waitSignal(pane.ci_unavailable) as signal:
        assert pane.choose_tune() is False
    assert "build-cipu" in signal.args[0] and "没有安装词谱" in signal.args[0]
    assert pane.ci_target() is None
    with pytest.raises(CipuError):
        missing()
