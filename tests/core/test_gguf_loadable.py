"""GGUF files whose header reads well but that llama.cpp cannot load (some abort its
process): refused by the header check with the reason, by the registry as by the loader.

The files are small models written with ``gguf`` (tests/support/gguf_samples.py) whose
metadata is then changed. That llama.cpp really aborts on the first kinds is shown on
the real engine in tests/core/test_engine_bad_models.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models.errors import GGUFError
from app.models.gguf.header import read_gguf
from app.models.gguf.loadable import check_loadable, read_model
from app.models.registry import ModelRegistry
from tests.support.gguf_edit import MetaEdit, edit_metadata
from tests.support.gguf_samples import write_gguf


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gguf") / "good.gguf"
    write_gguf(path, n_layers=3, n_vocab=48, tied_output=False)
    return path


def test_a_sound_model_passes(good: Path) -> None:
    info = read_model(good)
    assert info.block_count == 3
    check_loadable(read_gguf(good))  # the same check, on a header already read


BAD: list[tuple[str, dict[str, MetaEdit], str]] = [
    ("no-layers", {"qwen2.block_count": 0}, "qwen2.block_count is 0; it must be from 1 to 512"),
    ("too-many", {"qwen2.block_count": 1000}, "qwen2.block_count is 1000"),
    ("more-than-held", {"qwen2.block_count": 5}, "says 5 layers, but the file holds tensors for 3"),
    (
        "fewer-than-held",
        {"qwen2.block_count": 2},
        "says 2 layers, but the file holds tensors for 3",
    ),
    ("no-count", {"qwen2.block_count": None}, "does not say how many layers"),
    ("no-arch", {"general.architecture": None}, "names no architecture"),
    ("zero-width", {"qwen2.embedding_length": 0}, "qwen2.embedding_length is 0"),
    ("narrow", {"qwen2.embedding_length": 32}, "token_embd.weight is 64 wide"),
    ("zero-kv", {"qwen2.attention.head_count_kv": 0}, "4 attention heads and 0 key/value"),
    ("more-kv", {"qwen2.attention.head_count_kv": 8}, "4 attention heads and 8 key/value"),
    ("uneven-kv", {"qwen2.attention.head_count_kv": 3}, "must be at least 1, at most the heads"),
    (
        "uneven-heads",
        {"qwen2.attention.head_count": 6, "qwen2.attention.head_count_kv": 3},
        "64 is not a multiple of the 6 heads",
    ),
    ("heads-per-layer", {"qwen2.attention.head_count": [4, 4]}, "one per layer (3 layers)"),
    (
        "vocab",
        {"tokenizer.ggml.tokens": [f"t{i}" for i in range(40)]},
        "the vocabulary has 40 tokens but token_embd.weight has 48 rows",
    ),
    ("rope", {"qwen2.rope.scaling.type": "bogus"}, "unknown RoPE scaling type"),
    ("experts", {"qwen2.expert_count": 2, "qwen2.expert_used_count": 4}, "2 experts with 4 used"),
    ("unused-experts", {"qwen2.expert_count": 4}, "4 experts with 0 used"),
    ("nextn", {"qwen2.nextn_predict_layers": 5}, "nextn_predict_layers is 5, more than the 3"),
]


@pytest.mark.parametrize(("name", "changes", "reason"), BAD, ids=[b[0] for b in BAD])
def test_impossible_headers_are_refused_with_the_reason(
    good: Path, tmp_path: Path, name: str, changes: dict[str, MetaEdit], reason: str
) -> None:
    bad = edit_metadata(good, tmp_path / f"{name}.gguf", changes)
    read_gguf(bad)  # well formed: the plain header reader accepts it
    with pytest.raises(GGUFError) as caught:
        read_model(bad)
    assert reason in caught.value.en
    assert f"{name}.gguf cannot be loaded as a model" in caught.value.en
    assert "damaged, or not a model this app supports" in caught.value.en
    assert f"{name}.gguf 无法作为模型加载" in caught.value.zh


def test_per_layer_head_counts_are_accepted(good: Path, tmp_path: Path) -> None:
    ok = edit_metadata(
        good,
        tmp_path / "per-layer.gguf",
        {"qwen2.attention.head_count": [4, 4, 4], "qwen2.attention.head_count_kv": [2, 1, 4]},
    )
    assert read_model(ok).block_count == 3


def test_the_registry_refuses_them_too(good: Path, tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    bad = edit_metadata(good, tmp_path / "bc1000.gguf", {"qwen2.block_count": 1000})
    with pytest.raises(GGUFError) as caught:
        registry.inspect_local(bad)
    assert "block_count is 1000" in caught.value.en
    with pytest.raises(GGUFError):
        registry.add_local(bad)
    assert registry.models() == []
    assert registry.add_local(good).architecture == "qwen2"


# ------------------------------------------------------------------ what is not a file
def test_a_missing_file_is_called_missing(tmp_path: Path) -> None:
    with pytest.raises(GGUFError) as caught:
        read_gguf(tmp_path / "qpm-q4_k_m.gguf")
    assert caught.value.en.startswith("Model file not found:")
    assert "split" not in caught.value.en
    assert caught.value.zh.startswith("找不到模型文件")


def test_a_folder_is_called_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "Qwen2.5-32B.gguf"
    folder.mkdir()
    for target in (folder, tmp_path):
        with pytest.raises(GGUFError) as caught:
            ModelRegistry(tmp_path / "models").inspect_local(target)
        assert "This is a folder, not a model file" in caught.value.en
        assert "split" not in caught.value.en


def test_a_device_is_not_a_model_file(tmp_path: Path) -> None:
    if not Path("/dev/null").exists():
        pytest.skip("no /dev/null here")
    with pytest.raises(GGUFError) as caught:
        read_gguf("/dev/null")
    assert "Not a regular file" in caught.value.en


def test_a_split_set_still_names_its_missing_parts(tmp_path: Path) -> None:
    parts = write_gguf(tmp_path / "big.gguf", n_layers=3, split_max_tensors=12)
    assert len(parts) >= 3
    parts[1].unlink()
    with pytest.raises(GGUFError) as caught:
        read_gguf(parts[0])
    assert f"Parts of the split model are missing: {parts[1].name}" in caught.value.en
    with pytest.raises(GGUFError) as caught:
        read_gguf(parts[1])  # asking for the missing part itself names it the same way
    assert parts[1].name in caught.value.en
