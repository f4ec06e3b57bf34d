"""Building a model from the model manager: the offer, the plan, the stages, pause, restart.

Real components: the local hub serves a tiny Qwen2 repository of original weights and
no GGUF; the manager finds none, offers 在本机制作, shows the plan, and the build
dialog runs the real pipeline (download, conversion, llama.cpp's quantizer in a child
process, verification, registration) with a progress bar per stage.
"""

from __future__ import annotations

import shutil
import sys
from collections import namedtuple

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.models.build.pipeline import BuildProgress
from app.models.build.state import find_builds
from app.models.download import Downloader
from app.models.machine import MachineInfo
from app.models.registry import ModelRegistry
from app.ui.i18n import Tr
from app.ui.models.build.dialog import BuildDialog
from app.ui.models.manager import ModelManagerDialog
from tests.support.build_fixtures import (  # noqa: F401
    TINY_REPO,
    build_catalog,
    build_hub_fixture,
    needs_llama,
    qwen2_vocab_fixture,
    tiny_repo_fixture,
    vocab_fixture,
)
from tests.support.fake_hub import FakeHub
from tests.support.model_manager import POLICY, open_manager, registry_fixture  # noqa: F401

pytestmark = [needs_llama, pytest.mark.model, pytest.mark.timeout(300)]

EN = Tr("en")
ZH = Tr("zh")
ENTRY = "tiny-poet-q8_0"
MACHINE = MachineInfo(ram_bytes=16 * 10**9, vram_bytes=None)
DiskUsage = namedtuple("DiskUsage", "total used free")


def _manager(
    qtbot: QtBot,
    hub: FakeHub,
    registry: ModelRegistry,
    tr: Tr = EN,
    **build_options: object,
) -> ModelManagerDialog:
    options = {"downloader": Downloader(POLICY), **build_options}
    dialog = open_manager(qtbot, hub.url, registry, build_catalog(), tr, MACHINE, options)
    assert dialog.select_entry(ENTRY)
    return dialog


def _open_plan(qtbot: QtBot, manager: ModelManagerDialog) -> BuildDialog:
    assert manager.build_button.isEnabled()
    with qtbot.waitSignal(manager.builds.opened, timeout=30000) as opened:
        manager.build_button.click()
    dialog = opened.args[0]
    assert isinstance(dialog, BuildDialog)
    qtbot.addWidget(dialog)
    return dialog


def _row_status(manager: ModelManagerDialog, key: str) -> str:
    return dict(manager.rows())[key][5]


def test_no_gguf_found_offers_a_build_with_its_estimate(
    qtbot: QtBot, build_hub: FakeHub, registry: ModelRegistry
) -> None:
    manager = _manager(qtbot, build_hub, registry)
    assert "Can be built here when no GGUF is published" in manager.details.text()
    assert "of disk at the peak" in manager.details.text()
    with qtbot.waitSignal(manager.failed, timeout=30000) as failed:
        manager.resolve_button.click()
    assert "No GGUF file" in failed.args[0]
    assert "Build it on this computer" in manager.message.text()
    assert manager.build_button.isEnabled() and manager.build_button.isDefault()
    zh = _manager(qtbot, build_hub, registry, ZH)
    assert zh.build_button.text() == "在本机制作…"
    assert "没有发布的 GGUF 时可在本机制作" in zh.details.text()


def test_the_plan_is_shown_before_anything_is_downloaded_then_the_build_runs(
    qtbot: QtBot, build_hub: FakeHub, registry: ModelRegistry
) -> None:
    manager = _manager(qtbot, build_hub, registry)
    dialog = _open_plan(qtbot, manager)
    plan_text = dialog.plan_text.toPlainText()
    repo = build_hub.repos[TINY_REPO]
    assert repo.sha[:12] in plan_text and "model-00001-of-00002.safetensors" in plan_text
    assert "Peak disk" in plan_text and "free in" in plan_text
    assert dialog.start_button.isEnabled() and not dialog.pause_button.isVisible()
    assert not any(r.path.endswith(".safetensors") for r in build_hub.requests())
    assert dialog.keep_box.isVisible() and not dialog.keep_box.isChecked()
    with qtbot.waitSignal(dialog.installed, timeout=240000) as done:
        dialog.start_button.click()
    model = done.args[0]
    assert registry.get(ENTRY) == model and model.source == "built"
    assert dialog.state == "done" and all(b.value() == 1000 for b in dialog.bars.values())
    # every stage showed its own progress, in order
    stages = [p.stage for p in dialog.seen]
    assert [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s] == [
        "download", "convert", "quantize", "verify", "register"
    ]  # fmt: skip
    assert any(p.stage == "download" and p.unit == "bytes" and p.total for p in dialog.seen)
    manager.refresh()
    assert manager.select_entry(ENTRY)
    assert _row_status(manager, f"entry:{ENTRY}") == "built here ✓"
    assert manager.use_button.isEnabled() and not manager.build_button.isEnabled()
    dialog.close_button.click()


def test_pause_close_restart_resume(
    qtbot: QtBot, build_hub: FakeHub, registry: ModelRegistry
) -> None:
    build_hub.fault("model-00001-of-00002.safetensors", delay_per_chunk_s=0.05, chunk=128 * 1024)
    manager = _manager(qtbot, build_hub, registry)
    dialog = _open_plan(qtbot, manager)

    def downloading(p: object) -> bool:
        return isinstance(p, BuildProgress) and p.stage == "download" and p.done > 6_000_000

    with qtbot.waitSignal(dialog._job.progress, timeout=60000, check_params_cb=downloading):
        dialog.start_button.click()
    assert dialog.pause_button.text() == "Pause"
    with qtbot.waitSignal(
        dialog.state_changed, timeout=30000, check_params_cb=lambda s: s == "paused"
    ):
        dialog.pause_button.click()
    assert "kept" in dialog.status_label.text() and dialog.pause_button.text() == "Resume"
    dialog.close_button.click()
    manager.close()
    build_hub.faults.clear()
    # the app is started again: a new manager finds the unfinished build
    again = _manager(qtbot, build_hub, registry)
    assert "build unfinished (stage 1" in _row_status(again, f"entry:{ENTRY}")
    assert again.build_button.text() == "Resume the build…"
    with qtbot.waitSignal(again.builds.opened, timeout=10000) as opened:
        again.build_button.click()
    resumed = opened.args[0]
    qtbot.addWidget(resumed)
    assert resumed.state == "paused" and not resumed.start_button.isVisible()
    with qtbot.waitSignal(resumed.installed, timeout=240000):
        resumed.pause_button.click()  # "Resume"
    assert registry.get(ENTRY) is not None and find_builds(registry.models_dir) == []
    shard = build_hub.repos[TINY_REPO].files["model-00001-of-00002.safetensors"]
    assert build_hub.bytes_served(shard.sha256) < shard.size * 1.2  # continued, not restarted


def test_a_failing_stage_is_shown_and_nothing_is_registered(
    qtbot: QtBot, build_hub: FakeHub, registry: ModelRegistry
) -> None:
    broken = [
        sys.executable,
        "-c",
        "import sys; print('quantizer crashed', file=sys.stderr); sys.exit(7)",
    ]
    manager = _manager(qtbot, build_hub, registry, command=broken)
    dialog = _open_plan(qtbot, manager)
    with qtbot.waitSignal(
        dialog.state_changed, timeout=240000, check_params_cb=lambda s: s == "failed"
    ):
        dialog.start_button.click()
    text = dialog.error_label.text()
    assert "stage 3 (quantize)" in text and "quantizer crashed" in text and "Resume" in text
    assert dialog.bars["download"].value() == 1000 and dialog.bars["convert"].value() == 1000
    assert registry.models() == []
    manager.refresh()
    assert "build failed (stage 3" in _row_status(manager, f"entry:{ENTRY}")


def test_discard_deletes_the_work(
    qtbot: QtBot, build_hub: FakeHub, registry: ModelRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_hub.fault("model-00001-of-00002.safetensors", delay_per_chunk_s=0.05, chunk=128 * 1024)
    manager = _manager(qtbot, build_hub, registry)
    dialog = _open_plan(qtbot, manager)
    with qtbot.waitSignal(dialog._job.progress, timeout=60000,
                          check_params_cb=lambda p: p.stage == "download" and p.done > 0):  # fmt: skip
        dialog.start_button.click()
    work = dialog.plan.work_dir
    assert work.exists()
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    dialog.discard_button.click()
    assert dialog.state == "discarded"
    assert not work.exists() and find_builds(registry.models_dir) == []
    manager.refresh()
    assert (
        manager.select_entry(ENTRY) and manager.build_button.text() == "Build it on this computer…"
    )


def test_a_folder_too_small_keeps_start_disabled(
    qtbot: QtBot, build_hub: FakeHub, registry: ModelRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: DiskUsage(10**12, 0, 40_000_000))
    manager = _manager(qtbot, build_hub, registry)
    dialog = _open_plan(qtbot, manager)
    assert not dialog.start_button.isEnabled()
    assert "Not enough disk space" in dialog.space_label.text()
    assert find_builds(registry.models_dir) == [] and registry.models() == []
