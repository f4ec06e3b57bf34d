"""No network: the model manager in the window says the hub cannot be reached, logs it,
and its 设置镜像地址 opens the settings at the mirror field; a mirror set there is used."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.prosody.rhymebook import RhymeBook
from app.settings import HubSettings, Settings
from tests.support.fake_hub import FakeHub
from tests.support.shell_window import events
from tests.support.window_app import open_app_window


def test_an_unreachable_hub_is_logged_and_the_mirror_is_one_click_away(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = replace(Settings(), hub=HubSettings(endpoint=f"http://127.0.0.1:{port}"))
    window = open_app_window(qtbot, tmp_path, book, settings=settings)
    manager = window.models_ui.open_manager()
    manager.select_entry("qpm-1k-32b-r1-q4_k_m")
    with qtbot.waitSignal(manager.hub_unreachable, timeout=30_000):
        manager.resolve_button.click()
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
        settings = replace(Settings(), hub=HubSettings(endpoint=hub.url))
        window = open_app_window(qtbot, tmp_path, book, settings=settings)
        manager = window.models_ui.open_manager()
        manager.select_entry("qpm-1k-32b-r1-q4_k_m")
        with qtbot.waitSignal(manager.failed, timeout=30_000):
            manager.resolve_button.click()
    logged = events(window, "model_resolve_failed")
    assert logged and logged[-1]["entry"] == "qpm-1k-32b-r1-q4_k_m"
    assert logged[-1]["error"] and logged[-1]["message"]
    assert not events(window, "hub_unreachable")  # the hub answered: not an offline error
