"""The local model registry: install from the hub, register a user's own GGUF, remove."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models.catalog import load_catalog
from app.models.download import Downloader, DownloadPolicy
from app.models.errors import DownloadCancelled, GGUFError, ModelError
from app.models.hub import HubConfig
from app.models.registry import ModelRegistry
from app.models.resolve import Resolver
from app.paths import AppPaths
from tests.support.fake_hub import FakeHub
from tests.support.gguf_samples import gguf_bytes, write_gguf

POLICY = DownloadPolicy(disk_margin_bytes=0, backoff_base_s=0.01)
SMALL_REPO = "Qwen/Qwen2.5-1.5B-Instruct-GGUF"
SMALL_FILE = "qwen2.5-1.5b-instruct-q4_k_m.gguf"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with FakeHub() as server:
        yield server


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(AppPaths.under(tmp_path / "base").ensure().models)


def test_install_from_the_hub(hub: FakeHub, registry: ModelRegistry, tmp_path: Path) -> None:
    entry = load_catalog().get("qwen2.5-1.5b-instruct-q4_k_m")
    model_bytes = gguf_bytes(tmp_path, name="Qwen2.5-1.5B-Instruct", context_length=32768)
    hub.add_repo(
        "Qwen/Qwen2.5-1.5B-Instruct-GGUF", {"qwen2.5-1.5b-instruct-q4_k_m.gguf": model_bytes}
    )
    resolved = Resolver(HubConfig(endpoint=hub.url)).resolve(entry)
    installed = registry.install(entry, resolved, Downloader(POLICY))
    assert installed.key == entry.id and installed.entry_id == entry.id
    assert installed.source == "hub" and installed.managed and installed.verified
    assert (
        installed.path
        == registry.models_dir / "Qwen--Qwen2.5-1.5B-Instruct-GGUF" / resolved.files[0].basename
    )
    assert installed.path.read_bytes() == model_bytes
    assert installed.kind == "general" and installed.prompt_style == "chatml-general"
    assert installed.context_length == 32768 and installed.architecture == "qwen2"
    assert installed.revision == resolved.revision
    # a fresh registry object (another run of the app) reads the same
    again = ModelRegistry(registry.models_dir)
    assert again.for_entry(entry.id) == installed
    assert again.problems(installed) == []
    stored = json.loads(registry.file.read_text(encoding="utf-8"))
    assert not Path(stored["models"][0]["path"]).is_absolute()  # portable inside the folder


def test_install_refuses_a_download_that_is_not_gguf(hub: FakeHub, registry: ModelRegistry) -> None:
    entry = load_catalog().get("qwen2.5-1.5b-instruct-q4_k_m")
    hub.add_repo(
        "Qwen/Qwen2.5-1.5B-Instruct-GGUF",
        {"qwen2.5-1.5b-instruct-q4_k_m.gguf": b"not a model" * 100},
    )
    resolved = Resolver(HubConfig(endpoint=hub.url)).resolve(entry)
    with pytest.raises(GGUFError):
        registry.install(entry, resolved, Downloader(POLICY))
    assert registry.models() == []
    folder = registry.folder_for(resolved)
    assert not folder.exists() or list(folder.iterdir()) == []


def test_remove_deletes_downloaded_files(
    hub: FakeHub, registry: ModelRegistry, tmp_path: Path
) -> None:
    entry = load_catalog().get("qwen2.5-1.5b-instruct-q4_k_m")
    hub.add_repo(
        "Qwen/Qwen2.5-1.5B-Instruct-GGUF",
        {"qwen2.5-1.5b-instruct-q4_k_m.gguf": gguf_bytes(tmp_path)},
    )
    resolved = Resolver(HubConfig(endpoint=hub.url)).resolve(entry)
    installed = registry.install(entry, resolved, Downloader(POLICY))
    folder = installed.path.parent
    assert registry.remove(installed.key) == installed
    assert not folder.exists()
    assert registry.models() == [] and registry.remove(installed.key) is None


def test_a_users_own_gguf_is_registered_in_place_and_never_deleted(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    own = tmp_path / "my models" / "poet.gguf"
    own.parent.mkdir()
    write_gguf(own, name="My Poet", q8_weights=True, file_type=7, context_length=16384)
    info = registry.inspect_local(own)
    assert info.quantization == "Q8_0" and info.context_length == 16384
    model = registry.add_local(
        own, kind="poetry", prompt_style="qpm-r1", info=info, hash_files=True
    )
    assert model.source == "local" and not model.managed and model.path == own.resolve()
    assert model.kind == "poetry" and model.quant == "Q8_0"
    assert model.name.en == "My Poet (local file)" and "本地文件" in model.name.zh
    assert model.files[0].sha256 is not None and model.verified
    assert registry.get(model.key) == model
    registry.remove(model.key)
    assert own.exists() and registry.models() == []


def test_local_split_set(registry: ModelRegistry, tmp_path: Path) -> None:
    parts = write_gguf(tmp_path / "big.gguf", split_max_tensors=9)
    model = registry.add_local(parts[1])
    assert model.path == parts[0].resolve()
    assert [f.name for f in model.files] == [p.name for p in parts]
    assert model.paths() == [p.resolve() for p in parts]
    parts[2].write_bytes(b"cut")
    problems = registry.problems(model)
    assert len(problems) == 1 and "size changed" in problems[0]
    parts[2].unlink()
    assert "missing" in registry.problems(model)[0]


def test_a_bad_local_file_is_refused(registry: ModelRegistry, tmp_path: Path) -> None:
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"GGUF" + b"\xff" * 100)
    with pytest.raises(GGUFError):
        registry.add_local(junk)
    assert registry.models() == []


def test_damaged_registry_file_is_reported(registry: ModelRegistry) -> None:
    registry.file.write_text("{ not json", encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        registry.models()
    assert "registry" in caught.value.en and "损坏" in caught.value.zh


def test_a_paused_install_can_be_discarded(
    hub: FakeHub, registry: ModelRegistry, tmp_path: Path
) -> None:
    entry = load_catalog().get("qwen2.5-1.5b-instruct-q4_k_m")
    hub.add_repo(SMALL_REPO, {SMALL_FILE: gguf_bytes(tmp_path, n_vocab=2000)})
    hub.fault(SMALL_FILE, chunk=4096, delay_per_chunk_s=0.005)
    resolved = Resolver(HubConfig(endpoint=hub.url)).resolve(entry)
    cancel = threading.Event()
    with pytest.raises(DownloadCancelled):
        registry.install(
            entry,
            resolved,
            Downloader(POLICY),
            lambda p: cancel.set() if p.done_bytes > 20_000 else None,
            cancel,
        )
    folder = registry.folder_for(resolved)
    assert any(p.name.endswith(".part") for p in folder.iterdir())
    assert registry.models() == []
    registry.discard_partial(resolved)
    assert not folder.exists()
