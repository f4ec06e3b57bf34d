"""Thinking in the compose panel with the tiny qwen3 model in the engine process: the
switch and the budget in the form, the reasoning streamed, and the panel saying that the
budget ended the thinking."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.compose.prompt import PromptStyle
from app.engine.client import EngineClient
from app.engine.requests import Sampling
from app.prosody.checker import Checker
from app.prosody.groups import group_by_name
from app.prosody.rhymebook import RhymeBook
from app.ui.compose.panel import ComposePanel
from app.ui.i18n import Tr
from tests.support.compose_run import generate
from tests.support.engine_fixtures import (  # noqa: F401
    qwen2_vocab_fixture,
    started_engine,
    tiny_qwen3_fixture,
)

pytestmark = [pytest.mark.timeout(180), pytest.mark.model]


@pytest.fixture(scope="module")
def checker(book: RhymeBook) -> Checker:
    return Checker(book)


@pytest.fixture(scope="module")
def client(tiny_qwen3: Path) -> Iterator[EngineClient]:
    yield from started_engine(tiny_qwen3)


def _panel(
    qtbot: QtBot, book: RhymeBook, checker: Checker, client: EngineClient, *,
    style: PromptStyle = PromptStyle.QWEN3, budget: int = 16, max_tokens: int = 40,
    lang: str = "zh",
) -> ComposePanel:  # fmt: skip
    panel = ComposePanel(Tr(lang), book, checker, client, client=client, style=style,  # type: ignore[arg-type]
                         sampling=Sampling(max_tokens=max_tokens, seed=5), batch_ms=20,
                         think_budget=budget)  # fmt: skip
    qtbot.addWidget(panel)
    panel.show()
    group = group_by_name("下平十一尤")
    assert group is not None
    panel.form.theme.setText("秋思")
    panel.form.select_group(group.id)
    return panel


def test_the_budget_ends_the_thinking_and_the_panel_says_so(
    qtbot: QtBot, book: RhymeBook, checker: Checker, client: EngineClient
) -> None:
    panel = _panel(qtbot, book, checker, client, budget=16)
    form = panel.form
    assert form.thinking.isEnabled() and form.thinking.isChecked()
    assert form.budget.isEnabled() and form.budget.text() == "自动（16 词元）"
    assert not panel.reasoning.note.isVisible()
    generate(qtbot, panel, 60000)
    run = panel.runs[0]
    assert run.request.thinking is True and run.request.think_budget == 16
    assert run.budget_ended_thinking and run.stats is not None
    assert run.stats.think_tokens == 16 and run.stats.think_end == "budget"
    assert run.result is not None and run.result.think and run.result.saw_think_close
    assert panel.reasoning.text().replace("\ufeff", "") == run.result.think.replace("\ufeff", "")
    note = panel.reasoning.note
    assert note.isVisible()
    assert note.text() == "思考预算（16 词元）已用完：引擎结束了思考，模型开始作答。"
    # the answer went to the result view, not into the reasoning
    assert run.result.answer and run.result.answer not in panel.reasoning.text()


def test_a_budget_of_our_own_and_english(
    qtbot: QtBot, book: RhymeBook, checker: Checker, client: EngineClient
) -> None:
    panel = _panel(qtbot, book, checker, client, lang="en")
    panel.form.budget.setValue(5)
    assert panel.form.thinking_choice() == (True, 5)
    generate(qtbot, panel, 60000)
    run = panel.runs[0]
    assert run.stats is not None and run.stats.think_tokens == 5
    assert panel.reasoning.note.text().startswith("The thinking budget (5 tokens) ran out")


def test_thinking_off_answers_at_once(
    qtbot: QtBot, book: RhymeBook, checker: Checker, client: EngineClient
) -> None:
    panel = _panel(qtbot, book, checker, client)
    panel.form.thinking.setChecked(False)
    assert not panel.form.budget.isEnabled()
    assert panel.form.thinking_choice() == (False, None)
    generate(qtbot, panel, 60000)
    run = panel.runs[0]
    assert run.request.thinking is False and run.request.think_budget is None
    assert run.request.sampling.max_tokens == 40  # sampling the poet set stays as set
    assert run.stats is not None and run.stats.think_tokens == 0
    assert not run.budget_ended_thinking and not panel.reasoning.note.isVisible()
    assert run.result is not None and run.result.think == "" and run.result.answer
    assert panel.reasoning.text() == ""


def test_thinking_that_never_ends_is_said_too(
    qtbot: QtBot, book: RhymeBook, checker: Checker, client: EngineClient
) -> None:
    panel = _panel(qtbot, book, checker, client, budget=500, max_tokens=12)
    generate(qtbot, panel, 60000)
    run = panel.runs[0]
    assert run.result is not None and run.result.ended_in_think and run.poem() is None
    assert panel.reasoning.note.text().startswith("模型没有结束思考")


def test_the_controls_follow_the_model(
    qtbot: QtBot, book: RhymeBook, checker: Checker, client: EngineClient
) -> None:
    panel = _panel(qtbot, book, checker, client, style=PromptStyle.REASONING, budget=2048)
    form = panel.form
    assert not form.thinking.isEnabled() and form.thinks  # the poetry model always thinks
    assert form.budget.isEnabled() and form.request().think_budget == 2048
    panel.set_backend(client, style=PromptStyle.GENERAL, think_budget=512)
    assert not form.thinking.isEnabled() and not form.thinks and not form.budget.isEnabled()
    assert form.request().think_budget is None
    panel.set_backend(client, style=PromptStyle.QWEN3, think_budget=768)
    assert form.thinking.isEnabled() and form.budget.text() == "自动（768 词元）"
    form.set_thinking(False, 300)
    assert form.budget.value() == 300 and not form.thinks
    assert form.request().thinking is False and form.request().think_budget is None
