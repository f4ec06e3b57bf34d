"""Composing a 词 from the compose form: the 词牌 and 体, the rhyme book and a 部 per group,
then the real engine on the tiny model with strict metre; the answer is checked against
the 体 (a small 词谱 written by the tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.compose.ci.prompt import CiRequest
from app.engine.client import EngineClient
from app.engine.requests import Sampling
from app.prosody.checker import Checker
from app.prosody.ci import CiAnalysis, CiChecker
from app.prosody.ci.books import CiBookKind
from app.prosody.rhymebook import RhymeBook
from app.ui.compose.feature import generated_data
from app.ui.compose.form import ComposeForm
from app.ui.compose.panel import ComposePanel
from app.ui.editor.tune_picker import TunePickerDialog
from app.ui.i18n import Tr
from tests.support.cipu_fixture import (  # noqa: F401
    ci_checker_fixture,
    cilin_fixture,
    cipu_table_fixture,
)
from tests.support.compose_run import generate_poem
from tests.support.engine_fixtures import (  # noqa: F401
    qwen2_vocab_fixture,
    started_engine,
    tiny_model_fixture,
)

pytestmark = pytest.mark.timeout(180)


def test_the_form_asks_for_a_ci_by_tune(qtbot: QtBot, book: RhymeBook, ci: CiChecker) -> None:
    form = ComposeForm(Tr("zh"), book, strict_available=True, ci_checker=lambda: ci)
    qtbot.addWidget(form)
    form.show()
    form.theme.setText("秋思")
    assert form.ci is not None and not form.ci.isVisible() and form.rhyme.isVisible()
    form.form.setCurrentIndex(form.form.findData("词"))
    assert form.is_ci and form.ci.isVisible() and not form.rhyme.isVisible()
    assert not form.generate_button.isEnabled()  # no tune yet, and the form says so
    assert "先选一个词牌" in form.hint.text() and form.hint.isVisible()

    def pick() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, TunePickerDialog)
        dialog.search.setText("菩萨蛮")
        dialog.forms.setCurrentRow(0)  # 按字数与句式自动选体: a 词 to write takes the 正体
        dialog.accept()

    QTimer.singleShot(0, pick)
    assert form.ci.choose()
    chosen = form.ci.form()
    assert chosen is not None and chosen.key == "菩薩蠻#0"
    assert "菩薩蠻" in form.ci.tune_button.text() and form.generate_button.isEnabled()
    assert sorted(form.ci.combos) == ["A", "B", "C", "D"]  # 换韵: four groups
    combo_a = form.ci.combos["A"]
    assert combo_a.itemData(0) is None  # the model's choice
    assert combo_a.itemText(combo_a.findData(17)).startswith("第十七部")
    combo_a.setCurrentIndex(combo_a.findData(17))
    form.strict.setChecked(True)
    with qtbot.waitSignal(form.generate_requested) as blocker:
        form.generate_button.click()
    request = blocker.args[0]
    assert isinstance(request, CiRequest) and request.form.key == "菩薩蠻#0"
    assert request.bu == {"A": 17} and request.book is CiBookKind.CILIN
    assert request.theme == "秋思" and request.think_budget == 1024
    # another book: its groups in the combos
    form.ci.book.setCurrentIndex(form.ci.book.findData("pingshui"))
    assert form.ci.combos["B"].itemText(1).startswith("上平一东")
    req2 = form.request()
    assert isinstance(req2, CiRequest) and req2.book is CiBookKind.PINGSHUI and req2.bu == {}
    # back to 诗
    form.form.setCurrentIndex(0)
    assert not form.is_ci and form.rhyme.isVisible() and not form.ci.isVisible()


def test_no_ci_without_a_checker(qtbot: QtBot, book: RhymeBook) -> None:
    form = ComposeForm(Tr("zh"), book)
    qtbot.addWidget(form)
    assert form.ci is None and form.form.findData("词") < 0


@pytest.fixture
def client(tiny_model: Path) -> Iterator[EngineClient]:
    yield from started_engine(tiny_model)


@pytest.mark.model
def test_a_strict_ci_through_the_engine_is_checked_against_its_form(
    qtbot: QtBot, book: RhymeBook, ci: CiChecker, client: EngineClient
) -> None:
    panel = ComposePanel(
        Tr("zh"), book, Checker(book), client, client=client, batch_ms=20,
        sampling=Sampling(max_tokens=700, seed=3), ci_checker=lambda: ci,
    )  # fmt: skip
    qtbot.addWidget(panel)
    form = ci.table.form("清平樂#0")
    assert form is not None
    panel.form.theme.setText("春别")
    assert panel.form.select_ci(form)
    panel.form.strict.setChecked(True)
    panel.form.budget.setValue(16)
    poem = generate_poem(qtbot, panel, 120_000)
    assert poem.form == "词" and poem.ci_form == "清平樂#0" and poem.ci_book == "cilin"
    analysis = panel.result.analysis()
    assert isinstance(analysis, CiAnalysis) and analysis.choice is not None
    assert analysis.choice.form.key == "清平樂#0" and not analysis.errors, poem.text
    assert "合谱" in panel.result.status.text()
    assert poem.text.count("\n") == 1 and poem.text.endswith("。")
    data = generated_data(poem)  # what insert and save keep: a 词 of its tune and 体
    assert (data.form, data.tune, data.ci_form) == ("词", "清平樂", "清平樂#0")
