"""The download window against the local hub: progress, pause/resume, errors, cancel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.models.catalog import CatalogEntry, load_catalog
from app.models.download import Downloader, DownloadPolicy
from app.models.download.partfile import part_path
from app.models.hub import HubConfig
from app.models.registry import InstalledModel, ModelRegistry
from app.models.resolve import ResolvedModel, Resolver
from app.ui.i18n import Tr
from app.ui.models.download_dialog import DownloadDialog
from tests.support.fake_hub import FakeHub
from tests.support.gguf_samples import gguf_bytes

REPO = "Qwen/Qwen2.5-1.5B-Instruct-GGUF"
FILE = "qwen2.5-1.5b-instruct-q4_k_m.gguf"
ZH = Tr("zh")
POLICY = DownloadPolicy(disk_margin_bytes=0, backoff_base_s=0.01, progress_interval_s=0.02)


class Setup(NamedTuple):
    hub: FakeHub
    entry: CatalogEntry
    resolved: ResolvedModel
    registry: ModelRegistry
    data: bytes


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    data = gguf_bytes(tmp_path, n_vocab=400, name="Qwen2.5-1.5B-Instruct")
    with FakeHub() as hub:
        hub.add_repo(REPO, {FILE: data}, tags=["gguf"])
        entry = load_catalog().get("qwen2.5-1.5b-instruct-q4_k_m")
        resolved = Resolver(HubConfig(endpoint=hub.url)).resolve(entry)
        yield Setup(hub, entry, resolved, ModelRegistry(tmp_path / "models"), data)


def _dialog(qtbot: QtBot, s: Setup, tr: Tr = ZH) -> DownloadDialog:
    dialog = DownloadDialog(s.entry, s.resolved, s.registry, Downloader(POLICY), tr)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def _kind_text(dialog: DownloadDialog) -> str:
    label = dialog.findChild(QLabel, "kindLabel")
    assert label is not None
    return label.text()


def _slow(s: Setup) -> None:
    s.hub.fault(FILE, chunk=8 * 1024, delay_per_chunk_s=0.03)


def test_download_shows_progress_and_registers_the_model(qtbot: QtBot, setup: Setup) -> None:
    dialog = _dialog(qtbot, setup)
    assert "通用模型" in _kind_text(dialog)
    assert REPO in dialog.found_label.text()
    values: list[int] = []
    dialog.bar.valueChanged.connect(values.append)
    with qtbot.waitSignal(dialog.installed, timeout=15000) as blocker:
        dialog.start()
    model = blocker.args[0]
    assert isinstance(model, InstalledModel)
    assert setup.registry.for_entry(setup.entry.id) == model
    assert model.path.read_bytes() == setup.data
    assert dialog.state == "done" and dialog.bar.value() == 1000
    assert values == sorted(values) and values[-1] == 1000
    assert "SHA-256" in dialog.phase_label.text()
    assert dialog.cancel_button.text() == "完成" and not dialog.pause_button.isVisible()
    size_text = dialog.bytes_label.text()
    assert size_text.endswith("KB") and size_text.split(" / ")[0] == size_text.split(" / ")[1]


def test_pause_keeps_the_part_and_resume_continues(qtbot: QtBot, setup: Setup) -> None:
    _slow(setup)
    dialog = _dialog(qtbot, setup)
    dialog.start()
    qtbot.waitUntil(
        lambda: dialog.last_progress is not None and dialog.last_progress.done_bytes > 40_000,
        timeout=10000,
    )
    assert dialog.speed_label.text().endswith("/s") and "剩余" in dialog.eta_label.text()
    dialog.pause_button.click()
    qtbot.waitUntil(lambda: dialog.state == "paused", timeout=5000)
    part = part_path(setup.registry.folder_for(setup.resolved) / FILE)
    kept = part.stat().st_size
    assert kept > 40_000
    assert dialog.pause_button.text() == "继续" and "已暂停" in dialog.phase_label.text()
    setup.hub.faults.clear()
    with qtbot.waitSignal(dialog.installed, timeout=15000):
        dialog.pause_button.click()
    ranges = [r.range for r in setup.hub.requests("cdn", "GET")]
    assert f"bytes={kept}-" in ranges
    assert not part.exists()


def test_errors_are_shown_as_plain_messages_and_retry_works(qtbot: QtBot, setup: Setup) -> None:
    setup.hub.fault(FILE, corrupt=True)
    dialog = _dialog(qtbot, setup)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state == "failed", timeout=10000)
    assert "校验失败" in dialog.error_label.text() and "Traceback" not in dialog.error_label.text()
    assert dialog.retry_button.isVisible()
    assert setup.registry.models() == []
    setup.hub.faults.clear()
    with qtbot.waitSignal(dialog.installed, timeout=15000):
        dialog.retry_button.click()
    assert dialog.error_label.text() == ""


def test_messages_in_english(qtbot: QtBot, setup: Setup) -> None:
    setup.hub.repos[REPO].token = "hf_needed"
    dialog = _dialog(qtbot, setup, Tr("en"))
    assert "general model" in _kind_text(dialog)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state == "failed", timeout=10000)
    assert "HF_TOKEN" in dialog.error_label.text() and "401" in dialog.error_label.text()
    assert dialog.retry_button.text() == "Retry"


def test_cancel_stops_closes_and_keeps_the_part(qtbot: QtBot, setup: Setup) -> None:
    _slow(setup)
    dialog = _dialog(qtbot, setup)
    dialog.start()
    qtbot.waitUntil(
        lambda: dialog.last_progress is not None and dialog.last_progress.done_bytes > 20_000,
        timeout=10000,
    )
    with qtbot.waitSignal(dialog.rejected, timeout=5000):
        dialog.cancel_button.click()
    assert not dialog.isVisible()
    assert part_path(setup.registry.folder_for(setup.resolved) / FILE).stat().st_size > 20_000
    assert setup.registry.models() == []


def test_closing_the_window_stops_the_download(qtbot: QtBot, setup: Setup) -> None:
    _slow(setup)
    dialog = _dialog(qtbot, setup)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.last_progress is not None, timeout=10000)
    dialog.close()
    assert dialog.wait_stopped(5)
    assert not dialog.isVisible()
