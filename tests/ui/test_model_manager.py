"""The model manager dialog against the local hub, a real registry and real GGUF files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.models.catalog import load_catalog
from app.models.hub import HubConfig
from app.models.machine import MachineInfo
from app.models.registry import InstalledModel, ModelRegistry
from app.models.resolve import ResolvedModel, Resolver
from app.ui.i18n import Tr
from app.ui.models.manager import ModelManagerDialog
from tests.support.fake_hub import FakeHub, closed_port, make_bytes
from tests.support.gguf_samples import gguf_bytes, write_gguf
from tests.support.model_manager import open_manager, registry_fixture  # noqa: F401

SMALL_REPO = "Qwen/Qwen2.5-1.5B-Instruct-GGUF"
SMALL_FILE = "qwen2.5-1.5b-instruct-q4_k_m.gguf"
ZH = Tr("zh")
LAPTOP = MachineInfo(ram_bytes=8 * 10**9, vram_bytes=None)
WORKSTATION = MachineInfo(ram_bytes=64 * 10**9, vram_bytes=24 * 10**9, gpu_name="RTX 4090")


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with FakeHub() as server:
        yield server


def _manager(
    qtbot: QtBot,
    hub: FakeHub,
    registry: ModelRegistry,
    machine: MachineInfo = LAPTOP,
    tr: Tr = ZH,
) -> ModelManagerDialog:
    return open_manager(qtbot, hub.url, registry, load_catalog(), tr, machine)


def _row(dialog: ModelManagerDialog, key: str) -> list[str]:
    return dict(dialog.rows())[key]


def test_lists_the_catalog_with_kinds_sizes_and_what_fits(
    qtbot: QtBot, hub: FakeHub, registry: ModelRegistry
) -> None:
    dialog = _manager(qtbot, hub, registry)
    keys = [key for key, _ in dialog.rows()]
    assert keys[0] == "entry:qpm-1k-32b-r1-q4_k_m"  # the poetry model first, default first
    assert keys[-2:] == ["entry:qwen2.5-7b-instruct-q4_k_m", "entry:qwen2.5-1.5b-instruct-q4_k_m"]
    q4 = _row(dialog, "entry:qpm-1k-32b-r1-q4_k_m")
    assert q4[1] == "格律诗专用模型" and q4[2] == "19.90 GB"
    assert q4[3] == "显存 23.20 GB / 内存 24.20 GB"
    assert q4[4] == "无法运行" and q4[5] == "未下载"
    assert "需要约 24.11 GB 内存" in dialog.tree.topLevelItem(0).toolTip(4)  # type: ignore[union-attr]
    small = _row(dialog, "entry:qwen2.5-1.5b-instruct-q4_k_m")
    assert small[1] == "通用模型（非格律诗专用）"
    assert small[4] == "仅用 CPU · 快"
    thinker = _row(dialog, "entry:qwen3-1.7b-q4_k_m")
    assert thinker[1] == "会思考的通用模型（非格律诗专用）" and thinker[4] == "仅用 CPU · 快"
    assert _row(dialog, "entry:qwen3-8b-q4_k_m")[4] == "无法运行"
    assert "8.00 GB" in dialog.machine_label.text()
    dialog.select_entry("qwen2.5-1.5b-instruct-q4_k_m")
    assert "不是格律诗专用模型" in dialog.details.text()
    assert not dialog.use_button.isEnabled() and not dialog.delete_button.isEnabled()
    assert dialog.download_button.isEnabled()


def test_english_and_a_bigger_machine(qtbot: QtBot, hub: FakeHub, registry: ModelRegistry) -> None:
    dialog = _manager(qtbot, hub, registry, WORKSTATION, Tr("en"))
    q4 = _row(dialog, "entry:qpm-1k-32b-r1-q4_k_m")
    assert q4[1] == "poetry model" and q4[4] == "★ recommended · fully on the GPU · fast"
    q5 = _row(dialog, "entry:qpm-1k-32b-r1-q5_k_m")
    assert q5[4].startswith("partly on the GPU (") and q5[4].endswith("/64 layers) · slow")
    q8 = _row(dialog, "entry:qpm-1k-32b-r1-q8_0")
    assert q8[4].startswith("partly on the GPU") and q8[4].endswith("very slow")
    assert dialog.selected_entry() == load_catalog().get("qpm-1k-32b-r1-q4_k_m")
    assert "Recommended: QPM-1K-32B-R1 (Q4_K_M" in dialog.recommend_label.text()
    assert dialog.recommend_button.text() == "Download the recommended model"
    assert (
        _row(dialog, "entry:qwen2.5-7b-instruct-q4_k_m")[1]
        == "general model (not the poetry model)"
    )
    assert "RTX 4090" in dialog.machine_label.text()


def test_first_run_recommends_one_download_and_says_why(
    qtbot: QtBot, hub: FakeHub, registry: ModelRegistry, tmp_path: Path
) -> None:
    """No model yet on an 8 GB laptop: Qwen3-4B is preselected, the reason names the poetry
    model it passed over, and one button downloads it; then it offers to use it."""
    data = gguf_bytes(tmp_path, arch="qwen3", name="Qwen3-4B")
    hub.add_repo("Qwen/Qwen3-4B-GGUF", {"Qwen3-4B-Q4_K_M.gguf": data}, tags=["gguf"])
    dialog = _manager(qtbot, hub, registry)
    assert dialog.selected_entry() == load_catalog().get("qwen3-4b-q4_k_m")
    text = dialog.recommend_label.text()
    assert text.startswith("还没有模型。推荐Qwen3-4B")
    assert "仅用 CPU，中等" in text and "含 1024 词元思考" in text
    assert "雅韵 QPM-1K-32B-R1（Q4_K_M，推荐）在本机无法运行" in text
    assert _row(dialog, "entry:qwen3-4b-q4_k_m")[4] == "★ 推荐 · 仅用 CPU · 中等"
    assert "本机：仅用 CPU，中等" in dialog.details.text()
    button = dialog.recommend_button
    assert button.isVisibleTo(dialog) and button.text() == "下载推荐的模型"
    with qtbot.waitSignal(dialog.models_changed, timeout=15000):
        button.click()
    assert dialog.download_dialog is not None and dialog.download_dialog.state == "done"
    dialog.download_dialog.accept()
    assert _row(dialog, "entry:qwen3-4b-q4_k_m")[5] == "已下载 ✓"
    assert button.text() == "使用推荐的模型" and not dialog.recommend_label.text().startswith("还")
    with qtbot.waitSignal(dialog.model_chosen) as chosen:
        button.click()
    assert chosen.args[0].entry_id == "qwen3-4b-q4_k_m"
    assert chosen.args[0].prompt_style == "qwen3-think"


def test_a_machine_too_small_for_anything(
    qtbot: QtBot, hub: FakeHub, registry: ModelRegistry
) -> None:
    dialog = _manager(qtbot, hub, registry, MachineInfo(ram_bytes=2 * 10**9, vram_bytes=None))
    assert dialog.recommendation is None and not dialog.recommend_button.isVisibleTo(dialog)
    assert "远程服务器" in dialog.recommend_label.text()
    unknown = _manager(qtbot, hub, registry, MachineInfo(None, None))
    assert _row(unknown, "entry:qwen3-4b-q4_k_m")[4] == "未知"


def test_find_shows_what_the_hub_has_before_downloading(
    qtbot: QtBot, hub: FakeHub, registry: ModelRegistry
) -> None:
    data = make_bytes(5000, 3)
    hub.add_repo(
        "quantizer/QPM-1K-32B-R1-GGUF",
        {"QPM-1K-32B-R1-Q4_K_M.gguf": data},
        tags=["gguf", "base_model:quantized:ricardozhy/QPM-1K-32B-R1"],
    )
    dialog = _manager(qtbot, hub, registry)
    dialog.select_entry("qpm-1k-32b-r1-q4_k_m")
    with qtbot.waitSignal(dialog.resolved, timeout=10000) as blocker:
        dialog.resolve_button.click()
    found = blocker.args[0]
    assert isinstance(found, ResolvedModel) and found.repo_id == "quantizer/QPM-1K-32B-R1-GGUF"
    assert "在仓库 quantizer/QPM-1K-32B-R1-GGUF" in dialog.message.text()
    assert found.files[0].sha256 is not None
    assert found.files[0].sha256[:12] in dialog.details.text()
    assert not any(r.server == "cdn" for r in hub.log)  # nothing downloaded yet


def test_find_failure_is_a_plain_message(
    qtbot: QtBot, hub: FakeHub, registry: ModelRegistry
) -> None:
    dialog = _manager(qtbot, hub, registry)
    dialog.select_entry("qpm-1k-32b-r1-q5_k_m")
    with qtbot.waitSignal(dialog.failed, timeout=10000) as blocker:
        dialog.resolve_button.click()
    assert "找不到" in blocker.args[0] and "Q5_K_M" in blocker.args[0]
    assert dialog.message.text() == blocker.args[0]
    assert dialog.resolve_button.isEnabled()


def test_an_unreachable_hub_offers_the_mirror_and_a_local_file_and_disables_downloads(
    qtbot: QtBot, registry: ModelRegistry
) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    dialog = open_manager(qtbot, endpoint, registry, load_catalog(), ZH, LAPTOP)
    dialog.select_entry("qpm-1k-32b-r1-q4_k_m")
    assert dialog.download_button.isEnabled()
    with qtbot.waitSignal(dialog.hub_unreachable, timeout=30_000) as blocker:
        dialog.download_button.click()  # a download asks the hub first
    text = dialog.message.text()
    assert "连不上模型仓库" in text and "Errno" not in text and "ConnectError" not in text
    assert "Connection refused" in blocker.args[0].detail
    # what cannot work is disabled; what can is offered
    assert not dialog.download_button.isEnabled() and not dialog.resolve_button.isEnabled()
    assert not dialog.recommend_button.isEnabled()
    assert dialog.offline_bar.isVisible()
    assert dialog.offline_local_button.isEnabled() and dialog.local_button.isEnabled()
    with qtbot.waitSignal(dialog.mirror_requested, timeout=1000):
        dialog.mirror_button.click()
    # a mirror set in the settings: finding and downloading are offered again
    dialog.set_resolver(Resolver(HubConfig(endpoint="https://hf-mirror.example")))
    assert not dialog.offline_bar.isVisible()
    assert dialog.resolve_button.isEnabled() and dialog.download_button.isEnabled()


def test_download_from_the_list_then_use_and_delete(
    qtbot: QtBot, hub: FakeHub, registry: ModelRegistry, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    hub.add_repo(SMALL_REPO, {SMALL_FILE: gguf_bytes(tmp_path, name="Qwen2.5-1.5B-Instruct")})
    dialog = _manager(qtbot, hub, registry)
    dialog.select_entry("qwen2.5-1.5b-instruct-q4_k_m")
    with qtbot.waitSignal(dialog.models_changed, timeout=15000):
        dialog.download_button.click()  # finds it first, then downloads
    assert dialog.download_dialog is not None and dialog.download_dialog.state == "done"
    dialog.download_dialog.accept()
    assert _row(dialog, "entry:qwen2.5-1.5b-instruct-q4_k_m")[5] == "已下载 ✓"
    dialog.select_entry("qwen2.5-1.5b-instruct-q4_k_m")
    assert dialog.use_button.isEnabled() and not dialog.download_button.isEnabled()
    with qtbot.waitSignal(dialog.model_chosen) as chosen:
        dialog.use_button.click()
    model = chosen.args[0]
    assert isinstance(model, InstalledModel) and model.path.is_file()

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(dialog.models_changed):
        dialog.delete_button.click()
    assert not model.path.exists() and registry.models() == []
    assert _row(dialog, "entry:qwen2.5-1.5b-instruct-q4_k_m")[5] == "未下载"


def test_use_a_gguf_file_i_already_have(
    qtbot: QtBot, hub: FakeHub, registry: ModelRegistry, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    own = tmp_path / "QPM-mine-Q8_0.gguf"
    write_gguf(own, name="QPM mine", q8_weights=True, file_type=7, context_length=16384)
    dialog = _manager(qtbot, hub, registry)
    seen: dict[str, str] = {}

    def accept_header_dialog() -> None:
        header = dialog.local_dialog
        seen.update(header.fields)
        header.accept()

    QTimer.singleShot(0, accept_header_dialog)
    model = dialog.add_local_file(own)
    assert model is not None
    assert seen["架构"] == "qwen2" and seen["量化"] == "Q8_0" and seen["上下文长度"] == "16384"
    assert seen["对话模板"] == "有"
    assert model.kind == "poetry" and model.prompt_style == "qpm-r1"  # guessed from the name
    row = _row(dialog, f"model:{model.key}")
    assert row[0] == "QPM mine（本地文件）" and row[1] == "格律诗专用模型" and row[5] == "本地文件"
    assert dialog.selected_key() == f"model:{model.key}"

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog.delete_button.click()
    assert own.exists()  # a user's own file is never deleted
    assert registry.models() == []


def test_a_file_that_is_not_gguf_is_refused(
    qtbot: QtBot, hub: FakeHub, registry: ModelRegistry, tmp_path: Path
) -> None:
    junk = tmp_path / "holiday.gguf"
    junk.write_bytes(b"\x89PNG" + bytes(200))
    dialog = _manager(qtbot, hub, registry)
    with qtbot.waitSignal(dialog.failed) as blocker:
        assert dialog.add_local_file(junk) is None
    assert "不是可用的 GGUF 模型文件" in blocker.args[0]
    assert registry.models() == []


def test_cancelled_header_dialog_adds_nothing(
    qtbot: QtBot, hub: FakeHub, registry: ModelRegistry, tmp_path: Path
) -> None:
    own = tmp_path / "general.gguf"
    write_gguf(own, chat_template=None)
    dialog = _manager(qtbot, hub, registry)

    def reject() -> None:
        assert dialog.local_dialog.kind == "general"
        assert dialog.local_dialog.prompt_style == "chatml-general"
        dialog.local_dialog.reject()

    QTimer.singleShot(0, reject)
    assert dialog.add_local_file(own) is None
    assert registry.models() == []
