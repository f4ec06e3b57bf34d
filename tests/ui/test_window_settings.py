"""The settings the model pipeline adds: the dialog's 模型 page, persisted and used; the
hub mirror and token; the data folder; version 2 files migrated."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.paths import AppPaths
from app.prosody.rhymebook import RhymeBook
from app.settings import (
    SETTINGS_VERSION,
    EngineSettings,
    HubSettings,
    RemoteEndpoint,
    Settings,
    SettingsStore,
    migrate_settings,
)
from app.ui.i18n import Tr
from app.ui.services import effective_paths
from app.ui.settings_dialog import SettingsDialog
from tests.support.engine_fixtures import qwen2_vocab_fixture, tiny_model_fixture  # noqa: F401
from tests.support.shell_window import settings_on_disk
from tests.support.window_app import open_app_window

pytestmark = pytest.mark.timeout(120)


def test_the_model_page_shows_and_returns_the_engine_settings(qtbot: QtBot) -> None:
    start = replace(
        Settings(),
        engine=EngineSettings(
            backend="remote",
            model_key="local-abc",
            n_gpu_layers=24,
            context_length=4096,
            remote=RemoteEndpoint(
                url="http://h:8080/v1",
                model="qpm",
                api_key="k",
                prompt_style="general",
                constraint_mode="vllm-regex",
            ),
        ),
        hub=HubSettings(endpoint="https://hf-mirror.com", token="hf_x"),
    )
    dialog = SettingsDialog(start, Tr("zh"))
    qtbot.addWidget(dialog)
    page = dialog.model_page
    assert page.remote_radio.isChecked() and page.remote_box.isEnabled()
    assert not page.local_box.isEnabled()
    assert page.gpu_combo.currentData() == "manual" and page.gpu_spin.value() == 24
    assert page.context_combo.currentData() == 4096
    assert page.key_edit.echoMode() != page.key_edit.EchoMode.Normal  # masked
    assert dialog.settings() == start  # unchanged: the same settings back

    page.local_radio.setChecked(True)
    page.gpu_combo.setCurrentIndex(page.gpu_combo.findData("cpu"))
    page.context_combo.setCurrentIndex(page.context_combo.findData(8192))
    page.hub_endpoint_edit.setText("")
    new = dialog.settings()
    assert new.engine.backend == "local" and new.engine.n_gpu_layers == 0
    assert new.engine.context_length == 8192 and new.engine.model_key == "local-abc"
    assert new.engine.remote == start.engine.remote  # kept for later
    assert new.hub == HubSettings(endpoint="", token="hf_x")
    for mode, layers in (("auto", None), ("all", -1)):
        page.gpu_combo.setCurrentIndex(page.gpu_combo.findData(mode))
        assert not page.gpu_spin.isEnabled()
        assert dialog.settings().engine.n_gpu_layers == layers


def test_engine_settings_apply_to_the_next_load_and_persist(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_app_window(qtbot, tmp_path, book, lang="en")
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    dialog = window.support.open_settings()
    page = dialog.model_page
    page.gpu_combo.setCurrentIndex(page.gpu_combo.findData("manual"))
    page.gpu_spin.setValue(12)
    page.context_combo.setCurrentIndex(page.context_combo.findData(4096))
    page.hub_endpoint_edit.setText("http://127.0.0.1:9/mirror")
    page.hub_token_edit.setText("hf_token")
    dialog.accept()
    on_disk = settings_on_disk(tmp_path)
    assert on_disk["version"] == SETTINGS_VERSION
    assert on_disk["engine"]["n_gpu_layers"] == 12 and on_disk["engine"]["context_length"] == 4096
    assert on_disk["hub"] == {"endpoint": "http://127.0.0.1:9/mirror", "token": "hf_token"}

    models = window.services.models
    hub = models.hub_config()
    assert (hub.url, hub.token) == ("http://127.0.0.1:9/mirror", "hf_token")
    assert models.resolver().hub == hub and models.downloader().token == "hf_token"
    window.services.save_settings(
        replace(window.services.settings,
                engine=replace(window.services.settings.engine, model_path=str(model)))
    )  # fmt: skip
    assert window.models_ui.current(refresh=True) is not None
    config = window.models_ui.load_config()
    assert config is not None
    assert (config.model_path, config.n_gpu_layers, config.n_ctx) == (str(model), 12, 4096)


def test_without_hub_settings_the_environment_decides(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9/env-mirror")
    window = open_app_window(qtbot, tmp_path, book)
    hub = window.services.models.hub_config()
    assert hub.endpoint is None and hub.token is None  # huggingface-hub reads HF_TOKEN itself
    assert hub.url == "http://127.0.0.1:9/env-mirror"


@pytest.mark.model
def test_a_changed_context_length_offers_to_reload_the_model(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook, tiny_model: Path
) -> None:
    start = replace(
        Settings(),
        engine=EngineSettings(model_path=str(tiny_model), context_length=2048),
    )
    window = open_app_window(qtbot, tmp_path, book, settings=start)
    models = window.models_ui
    with qtbot.waitSignal(models.loaded, timeout=90_000) as first:
        models.load_action.trigger()
    assert first.args[0].n_ctx == 2048
    dialog = window.support.open_settings()
    dialog.model_page.context_combo.setCurrentIndex(dialog.model_page.context_combo.findData(4096))
    dialog.accept()
    assert "重新加载" in window.notices.texts()["model-reload"]
    notice = window.notices.notice("model-reload")
    assert notice is not None
    with qtbot.waitSignal(models.loaded, timeout=90_000) as second:
        notice.buttons[0].click()
    assert second.args[0].n_ctx == 4096


@pytest.mark.model
def test_a_reload_asked_for_the_moment_a_load_ends_is_not_refused(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook, tiny_model: Path
) -> None:
    """``loaded`` arrives before the load worker's thread has wound down: a reload the
    poet asks for then (here: from inside the ``loaded`` handler) must start, not be
    refused as "another model is loading"."""
    start = replace(
        Settings(),
        engine=EngineSettings(model_path=str(tiny_model), context_length=2048),
    )
    window = open_app_window(qtbot, tmp_path, book, settings=start)
    models = window.models_ui
    refused: list[str] = []
    models.load_failed.connect(refused.append)
    started: list[bool] = []

    def reload_at_once(info: object) -> None:
        models.loaded.disconnect(reload_at_once)
        engine = replace(window.services.settings.engine, context_length=4096)
        window.services.save_settings(replace(window.services.settings, engine=engine))
        started.append(models.load_current())

    loads: list[int] = []
    models.loaded.connect(lambda info: loads.append(info.n_ctx))
    models.loaded.connect(reload_at_once)
    models.load_action.trigger()
    qtbot.waitUntil(lambda: len(loads) == 2, timeout=90_000)
    assert started == [True] and refused == []
    assert loads == [2048, 4096]
    qtbot.waitUntil(lambda: not models.loading, timeout=10_000)


def test_the_data_folder_is_resolved_from_the_settings(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    assert effective_paths(paths, Settings()) == paths
    relative = effective_paths(paths, replace(Settings(), data_dir=" 诗库 "))
    assert relative.data == tmp_path / "诗库" and relative.database.parent == tmp_path / "诗库"
    assert relative.config == paths.config and relative.models == paths.models
    absolute = effective_paths(paths, replace(Settings(), data_dir=str(tmp_path / "x" / "y")))
    assert absolute.backups == tmp_path / "x" / "y" / "backups"
    home = effective_paths(paths, replace(Settings(), data_dir="~/诗笺数据"))
    assert home.data == Path.home() / "诗笺数据"


def test_the_settings_dialog_offers_the_default_data_folder(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_app_window(qtbot, tmp_path, book)
    dialog = window.support.open_settings()
    assert dialog.data_dir_edit.placeholderText() == str(tmp_path / "data")
    dialog.data_dir_edit.setText("诗库")
    dialog.accept()
    assert settings_on_disk(tmp_path)["data_dir"] == "诗库"
    assert "重新启动" in window.notices.texts()["restart"]


# ---------------------------------------------------------------- the file, version 2 → 3
def test_a_version_2_file_with_a_remote_url_keeps_using_the_server(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({
        "version": 2,
        "engine": {"model_path": "m.gguf", "remote": {"url": "http://h/v1", "model": "x"}},
        "ui": {"language": "en"},
    }), encoding="utf-8")  # fmt: skip
    loaded = SettingsStore(path).load()
    assert loaded.from_version == 2 and loaded.notices == ()
    engine = loaded.settings.engine
    assert engine.backend == "remote" and engine.remote.url == "http://h/v1"
    assert engine.model_path == "m.gguf" and engine.remote.constraint_mode == "off"
    assert loaded.settings.hub == HubSettings()


def test_migration_to_version_3_touches_only_what_it_must() -> None:
    assert migrate_settings({"engine": {"remote": {"url": ""}}}, 2) == {
        "engine": {"remote": {"url": ""}}
    }
    assert migrate_settings({"engine": {"backend": "local", "remote": {"url": "u"}}}, 2) == {
        "engine": {"backend": "local", "remote": {"url": "u"}}
    }
    assert migrate_settings({"remote_url": "http://h"}, 1)["engine"]["backend"] == "remote"
    assert migrate_settings({}, 3) == {}
