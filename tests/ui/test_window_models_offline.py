"""No network: the model manager in the window says the hub cannot be reached, logs it,
and its 设置镜像地址 opens the settings at the mirror field; a mirror set there is used."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.prosody.rhymebook import RhymeBook
from app.settings import HubSettings, Settings
from tests.support.fake_hub import FakeHub, closed_port
from tests.support.shell_window import events
from tests.support.window_app import open_app_window


def _look_up(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook, endpoint: str, outcome: str
) -> tuple[Any, Any]:
    """The window on the hub at ``endpoint``, its model manager looking up the poetry model
    until the manager's signal ``outcome``: the window and the manager."""
    settings = replace(Settings(), hub=HubSettings(endpoint=endpoint))
    window = open_app_window(qtbot, tmp_path, book, settings=settings)
    manager = window.models_ui.open_manager()
    manager.select_entry("qpm-1k-32b-r1-q4_k_m")
    with qtbot.waitSignal(getattr(manager, outcome), timeout=30_000):
        manager.resolve_button.click()
    return window, manager


def test_an_unreachable_hub_is_logged_and_the_mirror_is_one_click_away(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    port = closed_port()
    window, manager = _look_up(qtbot, tmp_path, book, f"http://127.0.0.1:{port}", "hub_unreachable")
    logged = events(window, "hub_unreachable")
    assert logged and "Connection refused" in logged[-1]["detail"]
    assert logged[-1]["endpoint"] == f"http://127.0.0.1:{port}"
    assert "Errno" not in manager.message.text()
    assert not manager.download_button.isEnabled()

    manager.mirror_button.click()
    dialog = window.support.settings_dialog
    assert dialog is not None and dialog.isVisible()
    page = dialog.model_page
    assert dialog.tabs.currentWidget() is dialog._pages["model"]
    page.hub_endpoint_edit.setText("https://hf-mirror.example")
    dialog.apply()
    assert manager.resolver.hub.url == "https://hf-mirror.example"
    assert manager.download_button.isEnabled() and not manager.offline_bar.isVisible()
    dialog.close()


def test_a_lookup_that_fails_for_any_reason_is_logged(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    with FakeHub() as hub:  # a hub that answers, but has none of the catalog's repositories
        window, _manager = _look_up(qtbot, tmp_path, book, hub.url, "failed")
    logged = events(window, "model_resolve_failed")
    assert logged and logged[-1]["entry"] == "qpm-1k-32b-r1-q4_k_m"
    assert logged[-1]["error"] and logged[-1]["message"]
    assert not events(window, "hub_unreachable")  # the hub answered: not an offline error
