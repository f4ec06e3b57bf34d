"""The compose form and panel with real backends: the engine process on the tiny model,
and a reasoning model's reply over loopback HTTP."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.compose.prompt import ComposeRequest
from app.compose.session import ComposedPoem
from app.engine.client import EngineClient
from app.engine.remote import RemoteBackend
from app.engine.requests import Sampling
from app.prosody.checker import Checker
from app.prosody.forms import Form
from app.prosody.groups import GROUPS, group_by_name
from app.prosody.rhymebook import RhymeBook
from app.ui.compose.form import ComposeForm
from app.ui.compose.panel import ComposePanel
from app.ui.i18n import Tr
from tests.support.compose_run import generate
from tests.support.engine_fixtures import (  # noqa: F401
    qwen2_vocab_fixture,
    started_engine,
    tiny_config,
    tiny_model_fixture,
)
from tests.support.engine_http import ScriptedServer
from tests.support.tiny_model import write_qwen2_model

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def checker(book: RhymeBook) -> Checker:
    return Checker(book)


@pytest.fixture
def client(tiny_model: Path) -> Iterator[EngineClient]:
    yield from started_engine(tiny_model)


def qt_plain(text: str) -> str:
    """Text as QPlainTextEdit.toPlainText() gives it back (the random model writes any
    character: Qt turns line/paragraph separators and CR into newlines, NBSP into a space,
    and drops a U+FEFF inserted on its own, as a streamed piece can be)."""
    for ch in ("\r\n", "\r", "\u2028", "\u2029"):
        text = text.replace(ch, "\n")
    return text.replace("\u00a0", " ").replace("\ufeff", "")


def gid(name: str) -> int:
    g = group_by_name(name)
    assert g is not None
    return g.id


# ---------------------------------------------------------------- the form
def test_form_builds_the_request(qtbot: QtBot, book: RhymeBook) -> None:
    form = ComposeForm(Tr("zh"), book, strict_available=False)
    qtbot.addWidget(form)
    assert not form.generate_button.isEnabled()  # no theme or title yet
    form.theme.setText("秋夜思乡")
    form.title.setText("月夜")
    form.form.setCurrentIndex(form.form.findData(Form.WULV))
    form.select_group(gid("下平七阳"))
    form.imagery.setText("雁、霜 孤舟，寒砧")
    form.instructions.setPlainText("末联用问句")
    form.candidates.setValue(3)
    assert form.generate_button.isEnabled() and not form.stop_button.isEnabled()
    with qtbot.waitSignal(form.generate_requested) as blocker:
        form.generate_button.click()
    req = blocker.args[0]
    assert req == ComposeRequest(
        theme="秋夜思乡", form=Form.WULV, rhyme_group=gid("下平七阳"), title="月夜",
        imagery=("雁", "霜", "孤舟", "寒砧"), instructions="末联用问句", candidates=3,
        thinking=True, think_budget=1024,  # every thinking request carries a budget
    )  # fmt: skip
    form.set_running(True)
    assert not form.generate_button.isEnabled() and form.stop_button.isEnabled()


def test_rhyme_picker_lists_level_groups_first_with_examples(qtbot: QtBot, book: RhymeBook) -> None:
    form = ComposeForm(Tr("zh"), book)
    qtbot.addWidget(form)
    ids = [form.rhyme.itemData(i) for i in range(form.rhyme.count())]
    real = [i for i in ids if isinstance(i, int)]
    assert ids[0] is None  # "any level-tone group"
    assert sorted(real) == list(range(106))
    assert all(GROUPS[i].is_ping for i in real[:30])
    assert not any(GROUPS[i].is_ping for i in real[30:])
    first = form.rhyme.itemText(1)
    assert first.startswith("上平一东") and " ".join(book.group_chars(0)[:3]) in first


def test_strict_metre_is_disabled_without_the_constraint_module(
    qtbot: QtBot, book: RhymeBook
) -> None:
    form = ComposeForm(Tr("en"), book, strict_available=False)
    qtbot.addWidget(form)
    assert not form.strict.isEnabled() and not form.strict_metre
    assert "not installed" in form.strict.toolTip()
    form2 = ComposeForm(Tr("en"), book, strict_available=True)
    qtbot.addWidget(form2)
    form2.strict.setChecked(True)
    assert form2.strict_metre


# ---------------------------------------------------------------- a reasoning reply over HTTP
def test_reply_streams_into_reasoning_and_result_then_is_checked(
    qtbot: QtBot, book: RhymeBook, checker: Checker
) -> None:
    with ScriptedServer("poem") as srv:
        backend = RemoteBackend(srv.url, "qpm-1k-32b-r1")
        panel = ComposePanel(Tr("zh"), book, checker, backend, batch_ms=20)
        qtbot.addWidget(panel)
        panel.status.show_remote(backend.model_id, srv.url)
        panel.form.theme.setText("静夜思")
        panel.form.form.setCurrentIndex(panel.form.form.findData(Form.WUJUE))
        panel.form.select_group(gid("下平七阳"))
        generate(qtbot, panel, 20000)
    # The system prompt and the user prompt went to the server.
    sent = srv.requests[0]["messages"]
    assert sent[0]["content"].startswith("Respond in the following format:<think>")
    assert "「阳」韵（平声）" in sent[1]["content"]
    assert panel.reasoning.text() == "用户要一首五言绝句，押下平七阳。先定韵脚：光、霜、乡。"
    poem = panel.result.poem()
    assert poem is not None
    assert poem.lines == ("床前明月光", "疑是地上霜", "举头望明月", "低头思故乡")
    assert poem.model_id.startswith("qpm-1k-32b-r1@") and poem.sampling["temperature"] == 0.6
    assert poem.reasoning == panel.reasoning.text() and poem.form == "五绝"
    analysis = panel.result.analysis()
    assert analysis is not None and analysis.form is Form.WUJUE
    assert analysis.summary_zh in panel.result.status.text()
    assert panel.result.stack.currentWidget() is panel.result.checked_view
    assert "床前明月光" in panel.result.checked_view.toPlainText()
    assert panel.result.insert_button.isEnabled()
    with qtbot.waitSignal(panel.insert_requested) as ins:
        panel.result.insert_button.click()
    with qtbot.waitSignal(panel.save_requested) as sav:
        panel.result.save_button.click()
    assert isinstance(ins.args[0], ComposedPoem) and ins.args[0] == sav.args[0] == poem
    assert panel.form.generate_button.isEnabled()


def test_candidates_run_one_after_another(qtbot: QtBot, book: RhymeBook, checker: Checker) -> None:
    with ScriptedServer("poem") as srv:
        panel = ComposePanel(Tr("en"), book, checker, RemoteBackend(srv.url, "m"), batch_ms=20)
        qtbot.addWidget(panel)
        with qtbot.waitSignal(panel.run_finished, timeout=30000):
            panel.start(ComposeRequest("月", Form.WUJUE, gid("下平七阳"), candidates=2))
    assert len(srv.requests) == 2
    assert panel.result.count == 2 and panel.result.tabs.isVisibleTo(panel.result)
    assert all(panel.result.poem(i) is not None for i in range(2))
    assert [r.index for r in panel.runs] == [0, 1]


# ---------------------------------------------------------------- the real engine
def start_engine_run(panel: ComposePanel) -> None:
    """Fill the form and press Generate, as the poet does."""
    panel.form.theme.setText("秋思")
    panel.form.select_group(gid("下平十一尤"))
    panel.form.generate_button.click()


@pytest.mark.model
def test_engine_stream_fills_the_reasoning_panel(
    qtbot: QtBot, book: RhymeBook, checker: Checker, client: EngineClient
) -> None:
    panel = ComposePanel(Tr("zh"), book, checker, client, client=client,
                         sampling=Sampling(max_tokens=40, seed=3), batch_ms=20)  # fmt: skip
    qtbot.addWidget(panel)
    assert "CPU" in panel.status.summary.text() and "就绪" in panel.status.summary.text()
    with qtbot.waitSignal(panel.run_finished, timeout=30000):
        start_engine_run(panel)
    run = panel.runs[0]
    assert run.stats is not None and run.stats.completion_tokens == 40
    assert run.prompt_tokens == run.stats.prompt_tokens  # the engine said when it took it
    # Random weights write no tags: a reasoning model's untagged text is its thinking.
    assert panel.reasoning.text() and run.result is not None
    assert qt_plain(panel.reasoning.text()) == qt_plain(run.result.think)
    assert not panel.running and not panel.form.stop_button.isEnabled()
    assert panel.form.generate_button.isEnabled()


@pytest.mark.model
def test_stop_cancels_the_engine_run(
    qtbot: QtBot, book: RhymeBook, checker: Checker, client: EngineClient
) -> None:
    panel = ComposePanel(Tr("en"), book, checker, client, client=client,
                         sampling=Sampling(max_tokens=1800, seed=11), batch_ms=20)  # fmt: skip
    qtbot.addWidget(panel)
    start_engine_run(panel)
    qtbot.waitUntil(lambda: len(panel.reasoning.text()) > 20, timeout=20000)
    assert panel.form.stop_button.isEnabled()
    with qtbot.waitSignal(panel.run_finished, timeout=20000):
        panel.form.stop_button.click()
    run = panel.runs[0]
    assert run.cancelled and run.stats is not None and run.stats.completion_tokens < 1800
    assert panel.result.status.text() == "Stopped."
    assert client.state == "ready"


@pytest.mark.model
def test_engine_killed_mid_stream_shows_the_crash_and_restarts(
    qtbot: QtBot, book: RhymeBook, checker: Checker, client: EngineClient
) -> None:
    panel = ComposePanel(Tr("en"), book, checker, client, client=client,
                         sampling=Sampling(max_tokens=1800, seed=11), batch_ms=20)  # fmt: skip
    qtbot.addWidget(panel)
    panel.show()
    old_pid = client.pid
    start_engine_run(panel)
    qtbot.waitUntil(lambda: len(panel.reasoning.text()) > 10, timeout=20000)
    with qtbot.waitSignal(panel.run_finished, timeout=20000):
        client.send_signal(signal.SIGKILL)
    status = panel.status
    assert status.problem.isVisible() and status.restart_button.isVisible()
    assert "SIGKILL" in status.problem.text()
    assert "crashed" in status.summary.text()
    assert panel.form.generate_button.isEnabled()
    status.restart_button.click()
    qtbot.waitUntil(lambda: client.state == "ready" and status.state == "ready", timeout=30000)
    qtbot.waitUntil(lambda: "CPU" in status.summary.text(), timeout=5000)
    assert client.pid != old_pid and not status.problem.isVisible()
    panel.sampling = Sampling(max_tokens=5)
    with qtbot.waitSignal(panel.run_finished, timeout=30000):
        start_engine_run(panel)
    assert panel.runs[0].stats is not None and panel.runs[0].stats.completion_tokens == 5


def test_a_model_whose_template_does_not_work_is_used_with_a_notice(
    qtbot: QtBot,
    book: RhymeBook,
    checker: Checker,
    qwen2_vocab: Path,
    tmp_path: Path,
) -> None:
    model = write_qwen2_model(tmp_path / "bad-template.gguf", qwen2_vocab, chat_template="{% if %}")
    with EngineClient() as engine:
        info = engine.load(tiny_config(model), timeout=60)
        panel = ComposePanel(Tr("en"), book, checker, engine, client=engine,
                             sampling=Sampling(max_tokens=4, seed=3), batch_ms=20)  # fmt: skip
        qtbot.addWidget(panel)
        panel.show()
        panel.status.set_loaded(info)
        assert "does not work" in panel.status.detail.text()
        assert "ChatML" in panel.status.detail.text()
        with qtbot.waitSignal(panel.run_finished, timeout=30000):
            start_engine_run(panel)
        assert panel.runs[0].stats is not None and panel.runs[0].stats.completion_tokens == 4
