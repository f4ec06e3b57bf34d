"""The model pipeline in the real main window: the engine process on the tiny model.

Compose from the window's own panel (the model chosen in the model manager, loaded on
a worker thread), reasoning streaming into the side panel, the poem inserted into the
editor and saved with its model, sampling and reasoning, reopened with them; cancel;
SIGKILL of the engine mid-stream (the window, and the editor's text, survive; restart
works); closing the window stops the engine process; a remote server chosen in the
settings dialog; nothing heavy imported at start-up.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.engine.requests import Sampling
from app.prosody.forms import Form
from app.prosody.groups import group_by_name
from app.prosody.rhymebook import RhymeBook
from app.storage.records import PoemData
from app.ui.compose.feature import generated_data
from tests.support.compose_run import generate
from tests.support.engine_fixtures import (  # noqa: F401
    qwen2_vocab_fixture,
    tiny_model_fixture,
    tiny_qwen3_fixture,
)
from tests.support.engine_http import ScriptedServer
from tests.support.shell_window import events, save_and_wait, settings_on_disk, type_text
from tests.support.window_app import (
    add_in_manager,
    answer_modal,
    open_app_window,
    process_gone,
    small_context,
)

pytestmark = pytest.mark.timeout(240)

ROOT = Path(__file__).resolve().parents[2]


def qt_plain(text: str) -> str:
    """Text as Qt's plain-text widgets give it back (CR, separators → newline, NBSP → space)."""
    for ch in ("\r\n", "\r", "\u2028", "\u2029"):
        text = text.replace(ch, "\n")
    return text.replace("\u00a0", " ")


def group_id(name: str) -> int:
    group = group_by_name(name)
    assert group is not None
    return group.id


def fill_form(panel: Any, *, strict: bool = False, form: Form = Form.QIJUE) -> None:
    panel.form.theme.setText("秋思")
    panel.form.form.setCurrentIndex(panel.form.form.findData(form))
    panel.form.select_group(group_id("下平十一尤"))
    panel.form.strict.setChecked(strict)


# ---------------------------------------------------------------- start-up stays light
def test_start_up_imports_neither_llama_cpp_nor_huggingface_hub(tmp_path: Path) -> None:
    """The window (with its model, assignment and export menus) is built in a fresh
    process: none of the heavy modules is imported; the compose panel then brings the
    engine *client* in, but llama.cpp only ever runs in the engine process."""
    script = textwrap.dedent(
        f"""
        import json, sys
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from app.prosody.rhymebook import RhymeBook
        from app.ui.launch import HEAVY_MODULES
        from tests.support.window_app import make_app_services
        from app.ui.window.main_window import MainWindow
        services = make_app_services(__import__("pathlib").Path({str(tmp_path)!r}),
                                     RhymeBook.load())
        window = MainWindow(services)
        window.show()
        app.processEvents()
        names = HEAVY_MODULES + ("sqlalchemy",)
        built = [m for m in names if m in sys.modules]
        window.compose.show()
        app.processEvents()
        composing = [m for m in names if m in sys.modules]
        pid = window.services.models.engine().pid
        window.close()
        print(json.dumps({{"built": built, "composing": composing, "engine_started": pid}}))
        """
    )
    env = {"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120,
        cwd=ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found["built"] == []
    assert "llama_cpp" not in found["composing"] and "huggingface_hub" not in found["composing"]
    assert "app.engine" in found["composing"]  # the client, to run the panel
    assert found["engine_started"] is None  # no model chosen: no engine process either


# ---------------------------------------------------------------- compose → insert → save
@pytest.mark.model
def test_compose_insert_save_and_reopen_with_model_and_reasoning(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook, tiny_model: Path
) -> None:
    window = open_app_window(qtbot, tmp_path, book, settings=small_context())
    assert window.side_panel("compose") is None  # built on first use only
    added, info = add_in_manager(qtbot, window, tiny_model)

    # The choice is the current model, kept in the settings; it is loaded on the CPU.
    engine = settings_on_disk(tmp_path)["engine"]
    assert engine["model_key"] == added.key and engine["model_path"] == str(added.path)
    assert engine["backend"] == "local"
    assert info.backend == "cpu" and info.n_ctx == 2048
    panel = window.compose.panel
    assert panel is not None and window.side_panel("compose") is window.compose.host
    assert window.side_dock.isVisible()
    assert "就绪" in panel.status.summary.text() and "CPU" in panel.status.summary.text()
    assert "就绪" in window.status.engine.text() and window.status.engine.isVisible()
    assert "格律诗专用模型" in window.compose.host.model_line.text()
    loaded = events(window, "model_loaded")
    assert loaded and loaded[-1]["engine_pid"] == window.models_ui.local_backend().client.pid

    # Strict metre flows through to the engine: the tiny random model writes a real 七绝.
    panel.sampling = Sampling(max_tokens=160, seed=5)
    fill_form(panel, strict=True)
    assert panel.form.strict_metre
    with qtbot.waitSignal(panel.run_finished, timeout=120_000):
        panel.form.generate_button.click()
        qtbot.waitUntil(lambda: bool(panel.reasoning.text()), timeout=60_000)  # streams in
    poem = panel.result.poem()
    assert poem is not None, panel.result.status.text()
    assert len(poem.lines) == 4 and all(len(line) == 7 for line in poem.lines)
    analysis = panel.result.analysis()
    assert analysis is not None and analysis.form is Form.QIJUE and not analysis.errors
    assert qt_plain(poem.reasoning) == qt_plain(panel.reasoning.text())

    # Insert: a new poem in the editor, carrying the model, sampling and reasoning.
    panel.result.insert_button.click()
    assert window.pane.text() == poem.text
    assert window.meta.values()[0] == "秋思"
    assert window.doc.saved.origin == "generated" and window.doc.poem_id is None
    info_panel = window.side_panel("generated")
    assert info_panel is not None and added.path.name in info_panel.model_label.text()

    record = save_and_wait(qtbot, window)
    expected = generated_data(poem).cleaned()
    assert record.origin == "generated" and record.text == poem.text
    assert record.model_id == added.path.name == poem.model_id
    assert record.sampling is not None and record.sampling["max_tokens"] == 160
    assert record.sampling["seed"] == poem.sampling["seed"]
    assert record.reasoning == expected.reasoning and record.reasoning
    assert record.form == "七绝" and record.rhyme_group == "下平十一尤"

    # Reopen: the window shows how it was written.
    window.new_document()
    assert window.side_panel("generated") is None  # a poem the poet writes has none
    with qtbot.waitSignal(window.document_loaded, timeout=30_000):
        window.open_poem(record.id)
    shown = window.side_panel("generated")
    assert shown is not None and record.model_id in shown.model_label.text()
    assert "max_tokens=160" in shown.sampling_label.text()
    assert qt_plain(shown.reasoning.toPlainText()) == qt_plain(record.reasoning)

    # 存入诗库 keeps the candidate without opening it.
    with qtbot.waitSignal(window.poem_saved, timeout=30_000) as kept:
        panel.result.save_button.click()
    stored: Any = kept.args[0]
    assert stored.id != record.id and stored.origin == "generated"
    assert stored.model_id == record.model_id and stored.scores.total is not None
    assert window.doc.poem_id == record.id  # the editor did not change


@pytest.mark.model
def test_cancel_from_the_window_and_the_engine_starts_on_first_generate(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook, tiny_model: Path
) -> None:
    window = open_app_window(
        qtbot, tmp_path, book, settings=small_context(model_path=str(tiny_model))
    )
    window.compose.action.trigger()  # 模型 → 作诗 (Ctrl+G)
    panel = window.compose.panel
    assert panel is not None and panel.isVisibleTo(window)
    client = window.models_ui.local_backend().client
    assert client.pid is None  # nothing started yet: the first Generate loads the model
    assert "未登记" in window.compose.host.model_line.text()
    panel.sampling = Sampling(max_tokens=1800, seed=11)
    fill_form(panel)
    panel.form.generate_button.click()
    qtbot.waitUntil(lambda: len(panel.reasoning.text()) > 20, timeout=90_000)
    pid = client.pid
    assert pid is not None and client.state == "ready"
    with qtbot.waitSignal(panel.run_finished, timeout=30_000):
        panel.form.stop_button.click()
    run = panel.runs[0]
    assert run.cancelled and run.stats is not None and run.stats.completion_tokens < 1800
    assert panel.result.status.text() == "已停止。"
    assert client.state == "ready" and client.pid == pid  # the same process goes on
    assert window.pane.text() == ""  # the editor was never touched

    window.close()  # the window's close stops the engine: no orphan process
    assert process_gone(pid)
    assert not client.running
    assert events(window, "engine_stopped")[-1]["engine_pid"] == pid


@pytest.mark.model
def test_engine_killed_mid_stream_leaves_the_window_and_the_text_then_restarts(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook, tiny_model: Path
) -> None:
    window = open_app_window(
        qtbot, tmp_path, book, settings=small_context(model_path=str(tiny_model))
    )
    type_text(window.pane.editor, "床前明月光\n疑是地上霜")
    typed = window.pane.text()
    panel = window.compose.show()
    panel.sampling = Sampling(max_tokens=1800, seed=11)
    fill_form(panel)
    panel.form.generate_button.click()
    qtbot.waitUntil(lambda: len(panel.reasoning.text()) > 10, timeout=90_000)
    client = window.models_ui.local_backend().client
    old_pid = client.pid
    assert old_pid is not None
    with qtbot.waitSignal(panel.run_finished, timeout=30_000):
        client.send_signal(signal.SIGKILL)
    status = panel.status
    assert window.isVisible() and window.pane.text() == typed  # the editor is untouched
    assert status.problem.isVisible() and status.restart_button.isVisible()
    assert "SIGKILL" in status.problem.text()
    qtbot.waitUntil(lambda: "崩溃" in window.status.engine.text(), timeout=5_000)
    assert events(window, "engine_crashed")[-1]["signal"] == "SIGKILL"
    assert process_gone(old_pid)

    status.restart_button.click()
    qtbot.waitUntil(lambda: client.state == "ready" and status.state == "ready", timeout=60_000)
    assert client.pid not in (None, old_pid) and not status.problem.isVisible()
    panel.sampling = Sampling(max_tokens=5, seed=2)
    generate(qtbot, panel, 60_000)
    assert panel.runs[0].stats is not None and panel.runs[0].stats.completion_tokens == 5
    assert window.pane.text() == typed
    new_pid = client.pid
    assert new_pid is not None and not status.problem.isVisible()

    client.send_signal(signal.SIGKILL)  # dying while idle is shown too, with Restart
    qtbot.waitUntil(status.restart_button.isVisible, timeout=10_000)
    assert "SIGKILL" in status.problem.text() and process_gone(new_pid)
    window.close()
    assert not client.running


# ---------------------------------------------------------------- remote, general models
def test_remote_server_chosen_in_the_settings_dialog(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_app_window(qtbot, tmp_path, book)
    with ScriptedServer("poem") as srv:
        dialog = window.support.open_settings()
        dialog.show_page("model")
        page = dialog.model_page
        assert dialog.tabs.currentWidget() is page
        page.remote_radio.setChecked(True)
        assert page.problem_label.isVisibleTo(dialog)  # no address yet
        page.url_edit.setText(srv.url)
        page.model_edit.setText("qpm-1k-32b-r1")
        page.key_edit.setText("sk-secret")
        page.constraint_combo.setCurrentIndex(page.constraint_combo.findData("gbnf"))
        assert not page.problem_label.isVisibleTo(dialog)
        dialog.accept()
        remote = settings_on_disk(tmp_path)["engine"]
        assert remote["backend"] == "remote" and remote["remote"]["url"] == srv.url
        assert remote["remote"]["api_key"] == "sk-secret"
        assert remote["remote"]["constraint_mode"] == "gbnf"
        mode = (tmp_path / "config" / "settings.json").stat().st_mode & 0o777
        assert mode == 0o600  # the key is readable only by its owner
        assert window.models_ui.remote_action.isChecked()

        panel = window.compose.show()
        assert panel.status.state == "remote"
        assert "qpm-1k-32b-r1@127.0.0.1" in window.compose.host.model_line.text()
        assert "远程" in window.status.engine.text()
        fill_form(panel, form=Form.WUJUE)
        panel.form.select_group(group_id("下平七阳"))
        generate(qtbot, panel, 30_000)
        assert srv.headers[0].get("Authorization") == "Bearer sk-secret"
        poem = panel.result.poem()
        assert poem is not None and poem.lines[0] == "床前明月光"
        # the run is in the log: what was asked, what came back (never the poet's words)
        started = events(window, "generation_started")[-1]
        assert started["form"] == "五绝" and started["candidates"] == 1
        assert started["rhyme_group"] == group_id("下平七阳")
        finished = events(window, "generation_finished")[-1]
        assert finished["poems"] == 1 and finished["candidates"] == 1
        assert finished["model"].startswith("qpm-1k-32b-r1@") and finished["failures"] == []
        type_text(window.pane.editor, "春眠不觉晓")  # the poet's own lines, not yet saved
        panel.result.insert_button.click()
        assert window.pane.text().startswith("床前明月光")
        assert window.doc.saved.model_id == poem.model_id
        notice = window.notices.notice("inserted")  # their poem was kept: back to it
        assert notice is not None and "草稿" in notice.text
        notice.buttons[0].click()
        assert window.pane.text() == "春眠不觉晓" and window.doc.saved.origin == "written"
    assert not window.services.models.engine().running  # the local engine never started

    # Back to the local engine from the 模型 menu (persisted).
    window.models_ui.local_action.trigger()
    assert settings_on_disk(tmp_path)["engine"]["backend"] == "local"
    assert panel.status.state != "remote"
    assert "模型：未选择" in window.compose.host.model_line.text()


@pytest.mark.model
def test_the_status_line_says_ready_when_the_engine_is_ready_before_the_load_is_recorded(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook, tiny_model: Path, monkeypatch: Any
) -> None:
    """The engine's "ready" reaches the GUI (a queued signal) before the worker records
    which model it holds: the line must neither say "another model is loaded" meanwhile
    nor keep saying it once the load is known to have succeeded."""
    import time as time_module

    from app.engine.client import EngineClient

    seen: list[str] = []
    plain_load = EngineClient.load

    def load_then_linger(self: EngineClient, *args: Any, **kwargs: Any) -> Any:
        info = plain_load(self, *args, **kwargs)
        time_module.sleep(0.4)  # the GUI thread handles "ready" in this gap
        return info

    monkeypatch.setattr(EngineClient, "load", load_then_linger)
    window = open_app_window(qtbot, tmp_path, book, settings=small_context())
    window.models_ui.engine_state.connect(lambda _s: seen.append(window.models_ui.status_text()))
    add_in_manager(qtbot, window, tiny_model)
    assert "就绪" in window.status.engine.text()
    assert seen and not any("已加载其他模型" in text for text in seen), seen


def test_a_general_model_is_labelled_as_not_the_poetry_model(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    from tests.support.gguf_samples import write_gguf  # a small valid GGUF file

    window = open_app_window(qtbot, tmp_path, book, lang="en")
    model_file = write_gguf(tmp_path / "qwen2.5-7b-instruct-q4_k_m.gguf")[0]
    registry = window.services.models.registry()
    general = registry.add_local(model_file, kind="general", prompt_style="chatml-general")
    window.models_ui.choose(general)  # and loads it
    qtbot.waitUntil(lambda: not window.models_ui.loading, timeout=60_000)
    line = window.compose.host.model_line.text()
    assert "general model (not the poetry model)" in line
    assert "not the poetry model" in window.status.engine.text()
    assert window.models_ui.prompt_style() == "general"
    assert window.compose.panel.prompt_style.value == "general"
    assert events(window, "model_chosen")[-1]["kind"] == "general"


def test_nothing_chosen_says_where_to_choose(qtbot: QtBot, tmp_path: Path, book: RhymeBook) -> None:
    window = open_app_window(qtbot, tmp_path, book)
    assert not window.models_ui.load_current()
    assert "模型管理" in window.notices.texts()["model"]
    assert window.services.models.has_engine is False  # nothing started for it


def test_generated_data_keeps_what_the_library_needs() -> None:
    from app.compose.session import ComposedPoem

    poem = ComposedPoem("一\n二", ("一", "二"), "m.gguf", {"seed": 3}, "想", "秋", "", "五绝", 1)
    data = generated_data(poem)
    assert data == PoemData(title="秋", text="一\n二", origin="generated", model_id="m.gguf",
                            sampling={"seed": 3}, reasoning="想")  # fmt: skip


# ---------------------------------------------------------------- downloading a model
@pytest.mark.model
def test_a_downloaded_model_becomes_current_and_loads_then_deleting_it_lets_go(
    qtbot: QtBot,
    tmp_path: Path,
    book: RhymeBook,
    tiny_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The hub mirror from the settings is where the manager looks; the downloaded file
    (the tiny model, served as the small general model of the catalog) is installed,
    becomes the current model and is loaded; deleting it clears the choice."""
    from PySide6.QtWidgets import QMessageBox

    from app.settings import HubSettings
    from tests.support.fake_hub import FakeHub

    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with FakeHub() as hub:
        hub.add_repo(
            "Qwen/Qwen2.5-1.5B-Instruct-GGUF",
            {"qwen2.5-1.5b-instruct-q4_k_m.gguf": tiny_model.read_bytes()},
        )
        settings = replace(small_context(), hub=HubSettings(endpoint=hub.url))
        window = open_app_window(qtbot, tmp_path, book, settings=settings)
        models = window.models_ui
        dialog = models.open_manager()
        assert dialog.select_entry("qwen2.5-1.5b-instruct-q4_k_m")
        with qtbot.waitSignal(models.loaded, timeout=120_000) as loaded:
            dialog.download_button.click()  # looks it up on the mirror, then downloads
        assert dialog.download_dialog is not None and dialog.download_dialog.state == "done"
        dialog.download_dialog.accept()
    installed = window.services.models.registry().for_entry("qwen2.5-1.5b-instruct-q4_k_m")
    assert installed is not None and installed.path.is_relative_to(tmp_path / "models")
    assert settings_on_disk(tmp_path)["engine"]["model_key"] == installed.key
    assert loaded.args[0].model_path == str(installed.path)
    line = window.compose.host.model_line.text()
    assert "通用模型（非格律诗专用）" in line  # labelled: not the poetry model
    assert window.compose.panel.prompt_style.value == "general"

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog.select_entry("qwen2.5-1.5b-instruct-q4_k_m")
    with qtbot.waitSignal(models.model_changed, timeout=30_000):
        dialog.delete_button.click()
    assert not installed.path.exists()
    assert settings_on_disk(tmp_path)["engine"]["model_key"] == ""
    assert models.current() is None and "未选择" in window.compose.host.model_line.text()
    client = models.local_backend().client
    qtbot.waitUntil(lambda: client.state == "idle", timeout=10_000)  # unloaded


# ---------------------------------------------------------------- a Qwen3 model
@pytest.mark.model
def test_a_qwen3_model_thinks_within_its_budget_and_the_window_remembers_the_choice(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook, tiny_qwen3: Path
) -> None:
    """A Qwen3 file added from disk (its header says qwen3: the style is preselected) is a
    general model that thinks; the compose form offers the switch with the model's own
    default budget; the budget ends the thinking and the panel says so; the choice is
    kept in the settings."""
    window = open_app_window(qtbot, tmp_path, book, settings=small_context())
    models = window.models_ui
    models.manager_action.trigger()
    dialog = models.manager
    assert dialog is not None

    def as_qwen3(local: Any) -> None:
        assert local.style_box.currentData() == "qwen3-think"  # from the header
        assert local.kind_box.currentData() == "general"
        local.accept()

    answer_modal(lambda: getattr(dialog, "local_dialog", None), as_qwen3)
    with qtbot.waitSignal(models.loaded, timeout=90_000):
        added = dialog.add_local_file(tiny_qwen3)
    assert added is not None and added.prompt_style == "qwen3-think"
    assert models.prompt_style() == "qwen3" and models.default_think_budget() == 512
    panel = window.compose.ensure_panel()
    assert panel.prompt_style.value == "qwen3"
    assert "会思考的通用模型（非格律诗专用）" in window.compose.host.model_line.text()
    form = panel.form
    assert form.thinking.isEnabled() and form.budget.text() == "自动（512 词元）"
    panel.sampling = Sampling(max_tokens=30, seed=4)
    fill_form(panel)
    form.budget.setValue(9)
    generate(qtbot, panel, 60_000)
    run = panel.runs[0]
    assert run.stats is not None and run.stats.think_tokens == 9
    assert panel.reasoning.note.isVisible() and "9 词元" in panel.reasoning.note.text()
    engine = settings_on_disk(tmp_path)["engine"]
    assert (engine["thinking"], engine["think_budget"]) == (True, 9)
    form.thinking.setChecked(False)
    form.budget.setValue(-1)
    generate(qtbot, panel, 60_000)
    assert panel.runs[0].stats is not None and panel.runs[0].stats.think_tokens == 0
    engine = settings_on_disk(tmp_path)["engine"]
    assert (engine["thinking"], engine["think_budget"]) == (False, None)
