"""Fixtures for the build tests: tiny original-weight repositories on the local hub.

``tiny_repo`` is a 64-wide, 2-layer Qwen2 checkpoint (bf16, two shards and an index,
the real Qwen2 tokenizer; about 44 MB); ``wide_repo`` the same at 256 wide with a
512-wide feed-forward, so that Q4_K_M really uses k-quant blocks (256 weights per
row block) rather than llama.cpp's fallbacks for narrow rows. On the hub the shards
are in LFS (SHA-256) and the JSON files in git (blob ids), as on the real hub.

Import what a module needs (pytest finds fixtures in the module's namespace)::

    from tests.support.build_fixtures import build_hub_fixture, tiny_repo_fixture  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models.catalog import Catalog, parse_catalog
from tests.support.engine_fixtures import needs_llama, qwen2_vocab_fixture
from tests.support.fake_hub import FakeHub
from tests.support.hf_checkpoint import (
    GGUFVocab,
    TinyCheckpoint,
    TinyShape,
    read_gguf_vocab,
    repo_files,
    write_qwen2_checkpoint,
)

TINY_REPO = "test/Tiny-Poet"
WIDE_REPO = "test/Wide-Poet"
WIDE_SHAPE = TinyShape(n_embd=256, n_head=4, n_head_kv=2, n_ff=512)

CATALOG_TEXT = f"""
schema = 1

[[model]]
id = "tiny-poet-q8_0"
name.zh = "小诗人（Q8_0）"
name.en = "Tiny poet (Q8_0)"
kind = "poetry"
original = "{TINY_REPO}"
quant = "Q8_0"
size_bytes = 26_700_000
memory.vram_bytes = 100_000_000
memory.ram_bytes = 200_000_000
context_length = 32768
prompt_style = "qpm-r1"
license = "test"
build = {{ architecture = "qwen2", download_bytes = 44_300_000, peak_disk_bytes = 126_000_000, ram_bytes = 600_000_000, time_s = 10 }}

[[model]]
id = "wide-poet-q4_k_m"
name.zh = "宽诗人（Q4_K_M）"
name.en = "Wide poet (Q4_K_M)"
kind = "poetry"
original = "test/Old-Name"
also_known_as = ["{WIDE_REPO}"]
quant = "Q4_K_M"
size_bytes = 50_000_000
memory.vram_bytes = 200_000_000
memory.ram_bytes = 300_000_000
context_length = 32768
prompt_style = "qpm-r1"
license = "test"
build = {{ architecture = "qwen2", download_bytes = 160_000_000, peak_disk_bytes = 380_000_000, ram_bytes = 900_000_000, time_s = 20 }}
"""


def build_catalog() -> Catalog:
    return parse_catalog(CATALOG_TEXT, "test-models.toml")


def in_lfs(name: str) -> bool:
    return name.endswith(".safetensors")


@pytest.fixture(scope="session", name="vocab")
def vocab_fixture(qwen2_vocab: Path) -> GGUFVocab:
    return read_gguf_vocab(qwen2_vocab)


@pytest.fixture(scope="session", name="tiny_repo")
def tiny_repo_fixture(
    qwen2_vocab: Path, vocab: GGUFVocab, tmp_path_factory: pytest.TempPathFactory
) -> TinyCheckpoint:
    folder = tmp_path_factory.mktemp("original") / "Tiny-Poet"
    return write_qwen2_checkpoint(folder, qwen2_vocab, vocab=vocab, seed=5)


@pytest.fixture(scope="session", name="wide_repo")
def wide_repo_fixture(
    qwen2_vocab: Path, vocab: GGUFVocab, tmp_path_factory: pytest.TempPathFactory
) -> TinyCheckpoint:
    folder = tmp_path_factory.mktemp("original") / "Wide-Poet"
    return write_qwen2_checkpoint(folder, qwen2_vocab, vocab=vocab, shape=WIDE_SHAPE, seed=6)


@pytest.fixture(name="build_hub")
def build_hub_fixture(
    monkeypatch: pytest.MonkeyPatch, tiny_repo: TinyCheckpoint
) -> Iterator[FakeHub]:
    """The local hub with the tiny repository (others can be added); HF_ENDPOINT set."""
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with FakeHub() as hub:
        hub.add_repo(TINY_REPO, repo_files(tiny_repo.folder), lfs=in_lfs)
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        yield hub


__all__ = [
    "CATALOG_TEXT",
    "TINY_REPO",
    "WIDE_REPO",
    "build_catalog",
    "build_hub_fixture",
    "in_lfs",
    "needs_llama",
    "qwen2_vocab_fixture",
    "tiny_repo_fixture",
    "vocab_fixture",
    "wide_repo_fixture",
]
