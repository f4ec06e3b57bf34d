"""Resolving catalog entries against a local hub that speaks the real hub's API."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from app.models.catalog import CatalogEntry, LocalText, load_catalog
from app.models.errors import (
    AccessDeniedError,
    NetworkError,
    NoMatchingFileError,
    RepoNotFoundError,
)
from app.models.hub import HubConfig, hub_endpoint
from app.models.resolve import RemoteFile, ResolvedModel, Resolver, match_files, pick_group
from tests.support.fake_hub import FakeHub, closed_port, make_bytes

ORIGINAL = "ricardozhy/QPM-1K-32B-R1"
TREE_TAGS = ["gguf", f"base_model:quantized:{ORIGINAL}"]


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with FakeHub() as server:
        yield server


def _entry(**changes: Any) -> CatalogEntry:
    return dataclasses.replace(load_catalog().default, **changes)


def _resolver(hub: FakeHub) -> Resolver:
    return Resolver(HubConfig(endpoint=hub.url))


def _quants(prefix: str, seed: int = 0) -> dict[str, bytes]:
    return {
        f"{prefix}-Q3_K_M.gguf": make_bytes(3000, seed + 1),
        f"{prefix}-Q4_K_M.gguf": make_bytes(4000, seed + 2),
        f"{prefix}-Q4_K_S.gguf": make_bytes(3900, seed + 3),
        f"{prefix}-IQ4_XS.gguf": make_bytes(3500, seed + 4),
        "README.md": b"# quantized\n",
    }


def test_resolves_through_the_model_tree(hub: FakeHub) -> None:
    hub.add_repo(ORIGINAL, {"model-00001-of-00002.safetensors": b"x" * 10}, tags=["qwen2"])
    repo = hub.add_repo("quantizer/QPM-1K-32B-R1-GGUF", _quants("QPM-1K-32B-R1"), tags=TREE_TAGS,
                        downloads=50)  # fmt: skip
    hub.add_repo("other/unrelated-GGUF", _quants("Unrelated", 10), tags=["gguf"], downloads=999)
    resolved = _resolver(hub).resolve(_entry())
    assert resolved.repo_id == "quantizer/QPM-1K-32B-R1-GGUF"
    assert resolved.via == "model-tree"
    assert resolved.revision == repo.sha
    assert [f.name for f in resolved.files] == ["QPM-1K-32B-R1-Q4_K_M.gguf"]
    expected = repo.files["QPM-1K-32B-R1-Q4_K_M.gguf"]
    assert resolved.files[0].sha256 == expected.sha256
    assert resolved.total_size == expected.size == 4000
    assert resolved.endpoint == hub.url
    # the listing asked the hub for the model tree, most downloaded first
    paths = [r.path for r in hub.requests("hub", "GET")]
    listing = next(p for p in paths if p.startswith("/api/models?"))
    assert "base_model%3Aquantized%3Aricardozhy%2FQPM-1K-32B-R1" in listing
    assert "sort=downloads" in listing
    assert "/api/models/quantizer/QPM-1K-32B-R1-GGUF?blobs=true" in paths


def test_resolves_through_search_when_the_tree_is_empty(hub: FakeHub) -> None:
    hub.add_repo("someone/Xunzi-Yayun-R1-GGUF", _quants("Xunzi-Yayun-R1"), tags=["gguf"])
    resolved = _resolver(hub).resolve(_entry())
    assert (resolved.repo_id, resolved.via) == ("someone/Xunzi-Yayun-R1-GGUF", "search")
    assert resolved.files[0].name == "Xunzi-Yayun-R1-Q4_K_M.gguf"


def test_the_tree_of_an_alias_counts_too(hub: FakeHub) -> None:
    hub.add_repo("q/yayun-gguf", _quants("yayun"),
                 tags=["gguf", "base_model:quantized:ricardozhy/Xunzi-Yayun-R1"])  # fmt: skip
    resolved = _resolver(hub).resolve(_entry())
    assert (resolved.repo_id, resolved.via) == ("q/yayun-gguf", "model-tree")


def test_preferred_repository_comes_first(hub: FakeHub) -> None:
    hub.add_repo("quantizer/QPM-1K-32B-R1-GGUF", _quants("QPM-1K-32B-R1"), tags=TREE_TAGS)
    hub.add_repo("me/my-QPM-quants", _quants("qpm", 20), tags=[])
    resolved = _resolver(hub).resolve(_entry(repo="me/my-QPM-quants"))
    assert (resolved.repo_id, resolved.via) == ("me/my-QPM-quants", "repo")
    assert len(hub.requests("hub", "GET")) == 1  # no listing was needed


def test_missing_preferred_repository_falls_back_to_the_tree(hub: FakeHub) -> None:
    hub.add_repo("quantizer/QPM-1K-32B-R1-GGUF", _quants("QPM-1K-32B-R1"), tags=TREE_TAGS)
    resolved = _resolver(hub).resolve(_entry(repo="gone/away-GGUF"))
    assert resolved.repo_id == "quantizer/QPM-1K-32B-R1-GGUF"


def test_qwen3_official_repositories_then_the_model_tree(hub: FakeHub) -> None:
    """Qwen3 entries try Qwen/Qwen3-<size>-GGUF, then ggml-org's, then the model tree of
    Qwen/Qwen3-<size>: a quant the official repositories lack is still found."""
    q8 = load_catalog().get("qwen3-0.6b-q8_0")
    q4 = load_catalog().get("qwen3-0.6b-q4_k_m")
    hub.add_repo("Qwen/Qwen3-0.6B-GGUF", {"Qwen3-0.6B-Q8_0.gguf": make_bytes(6390, 1)},
                 tags=["gguf"])  # fmt: skip
    hub.add_repo("ggml-org/Qwen3-0.6B-GGUF", {"Qwen3-0.6B-Q4_0.gguf": make_bytes(4290, 2),
                 "Qwen3-0.6B-Q8_0.gguf": make_bytes(6391, 3)}, tags=["gguf"])  # fmt: skip
    hub.add_repo("someone/Qwen3-0.6B-GGUF", {"Qwen3-0.6B-Q4_K_M.gguf": make_bytes(3970, 4)},
                 tags=["gguf", "base_model:quantized:Qwen/Qwen3-0.6B"])  # fmt: skip
    resolver = _resolver(hub)
    official = resolver.resolve(q8)
    assert (official.repo_id, official.via) == ("Qwen/Qwen3-0.6B-GGUF", "repo")
    assert [r.repo_id for r in resolver.resolve_all(q8, limit=3)] == [
        "Qwen/Qwen3-0.6B-GGUF",
        "ggml-org/Qwen3-0.6B-GGUF",
    ]
    tree = resolver.resolve(q4)
    assert (tree.repo_id, tree.via) == ("someone/Qwen3-0.6B-GGUF", "model-tree")
    assert tree.files[0].name == "Qwen3-0.6B-Q4_K_M.gguf"
    paths = [r.path for r in hub.requests("hub", "GET")]
    assert "/api/models/ggml-org/Qwen3-0.6B-GGUF?blobs=true" in paths
    assert any("base_model%3Aquantized%3AQwen%2FQwen3-0.6B" in p for p in paths)


def test_a_fixed_repository_that_is_missing_is_an_error(hub: FakeHub) -> None:
    entry = _entry(repo="Qwen/Qwen2.5-7B-Instruct-GGUF", original=None, also_known_as=())
    with pytest.raises(RepoNotFoundError) as caught:
        _resolver(hub).resolve(entry)
    assert "Qwen/Qwen2.5-7B-Instruct-GGUF" in caught.value.en
    assert "找不到模型仓库" in caught.value.zh


def test_official_split_files_resolve_as_one_model(hub: FakeHub) -> None:
    entry = load_catalog().get("qwen2.5-7b-instruct-q4_k_m")
    parts = {
        f"qwen2.5-7b-instruct-q4_k_m-0000{i}-of-00002.gguf": make_bytes(3000, i) for i in (1, 2)
    }
    hub.add_repo(entry.repo or "", {**parts, "qwen2.5-7b-instruct-q8_0.gguf": b"y" * 99},
                 tags=["gguf"])  # fmt: skip
    resolved = _resolver(hub).resolve(entry)
    assert resolved.is_split
    assert [f.name for f in resolved.files] == sorted(parts)
    assert resolved.total_size == 6000
    assert resolved.first_file.basename.endswith("-00001-of-00002.gguf")


def test_split_set_in_a_folder_and_incomplete_sets(hub: FakeHub) -> None:
    files = {
        f"QPM-Q8_0/QPM-1K-32B-R1-Q8_0-0000{i}-of-00003.gguf": make_bytes(2000, i) for i in (1, 2, 3)
    }
    files["broken/QPM-1K-32B-R1-Q8_0-00001-of-00002.gguf"] = b"z" * 10  # part 2 missing
    hub.add_repo("quantizer/QPM-1K-32B-R1-GGUF", files, tags=TREE_TAGS)
    entry = load_catalog().get("qpm-1k-32b-r1-q8_0")
    resolved = _resolver(hub).resolve(entry)
    assert [f.name for f in resolved.files] == sorted(k for k in files if k.startswith("QPM-Q8_0/"))
    assert resolved.files[0].basename == "QPM-1K-32B-R1-Q8_0-00001-of-00003.gguf"


def test_nothing_found_lists_what_was_searched(hub: FakeHub) -> None:
    hub.add_repo("quantizer/QPM-1K-32B-R1-GGUF", {"QPM-1K-32B-R1-Q2_K.gguf": b"q" * 10},
                 tags=TREE_TAGS)  # fmt: skip
    with pytest.raises(NoMatchingFileError) as caught:
        _resolver(hub).resolve(_entry())
    assert caught.value.searched == ["quantizer/QPM-1K-32B-R1-GGUF"]
    assert "Q4_K_M" in caught.value.en and "quantizer/QPM-1K-32B-R1-GGUF" in caught.value.zh


def test_gated_candidates_are_skipped_then_reported(hub: FakeHub) -> None:
    hub.add_repo("gated/QPM-1K-32B-R1-GGUF", _quants("QPM-1K-32B-R1"), tags=TREE_TAGS,
                 downloads=100, token="secret", gated=True)  # fmt: skip
    hub.add_repo("open/QPM-1K-32B-R1-GGUF", _quants("QPM-1K-32B-R1", 5), tags=TREE_TAGS)
    assert _resolver(hub).resolve(_entry()).repo_id == "open/QPM-1K-32B-R1-GGUF"
    del hub.repos["open/QPM-1K-32B-R1-GGUF"]
    with pytest.raises(AccessDeniedError) as caught:
        _resolver(hub).resolve(_entry())
    assert caught.value.gated and caught.value.status == 401
    assert "accept the licence" in caught.value.en
    with_token = Resolver(HubConfig(endpoint=hub.url, token="secret")).resolve(_entry())
    assert with_token.repo_id == "gated/QPM-1K-32B-R1-GGUF"


def test_pagination_is_followed(hub: FakeHub) -> None:
    hub.page_size = 2
    for i in range(5):
        hub.add_repo(
            f"n{i}/QPM-1K-32B-R1-GGUF", {"notes.txt": b"-"}, tags=TREE_TAGS, downloads=100 - i
        )
    hub.add_repo("last/QPM-1K-32B-R1-GGUF", _quants("QPM"), tags=TREE_TAGS, downloads=1)
    resolved = _resolver(hub).resolve(_entry())
    assert resolved.repo_id == "last/QPM-1K-32B-R1-GGUF"
    assert any("cursor=" in r.path for r in hub.requests("hub", "GET"))


def test_resolve_all_returns_alternatives_in_order(hub: FakeHub) -> None:
    hub.add_repo("a/QPM-1K-32B-R1-GGUF", _quants("QPM", 1), tags=TREE_TAGS, downloads=30)
    hub.add_repo("b/QPM-1K-32B-R1-GGUF", _quants("QPM", 2), tags=TREE_TAGS, downloads=20)
    hub.add_repo("c/QPM-1K-32B-R1-GGUF", _quants("QPM", 3), tags=["gguf"], downloads=90)
    found = _resolver(hub).resolve_all(_entry(), limit=5)
    assert [(r.repo_id, r.via) for r in found] == [
        ("a/QPM-1K-32B-R1-GGUF", "model-tree"),
        ("b/QPM-1K-32B-R1-GGUF", "model-tree"),
        ("c/QPM-1K-32B-R1-GGUF", "search"),
    ]


def test_pinned_sha256_selects_the_right_build(hub: FakeHub) -> None:
    wanted = make_bytes(4000, 77)
    hub.add_repo("a/QPM-1K-32B-R1-GGUF", _quants("QPM", 1), tags=TREE_TAGS, downloads=30)
    b = hub.add_repo("b/QPM-1K-32B-R1-GGUF", {"QPM-Q4_K_M.gguf": wanted}, tags=TREE_TAGS)
    pinned = (b.files["QPM-Q4_K_M.gguf"].sha256,)
    resolved = _resolver(hub).resolve(_entry(sha256=pinned))
    assert resolved.repo_id == "b/QPM-1K-32B-R1-GGUF"


def test_endpoint_from_the_environment_is_read_at_call_time(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """huggingface_hub was imported long ago; HF_ENDPOINT set now must still be used."""
    import huggingface_hub.constants

    hub.add_repo("quantizer/QPM-1K-32B-R1-GGUF", _quants("QPM"), tags=TREE_TAGS)
    monkeypatch.setenv("HF_ENDPOINT", hub.url + "/")
    assert hub.url != huggingface_hub.constants.ENDPOINT
    assert hub_endpoint() == hub.url
    resolved = Resolver().resolve(_entry())
    assert resolved.endpoint == hub.url and resolved.repo_id == "quantizer/QPM-1K-32B-R1-GGUF"


def test_unreachable_hub_is_a_network_error() -> None:
    with pytest.raises(NetworkError) as caught:
        Resolver(HubConfig(endpoint=f"http://127.0.0.1:{closed_port()}")).resolve(_entry())
    assert "网络" in caught.value.zh


@pytest.mark.parametrize(
    ("endpoint", "reason"),
    [
        ("http://127.0.0.1:{port}", "连接被拒绝"),
        ("http://no-such-hub.invalid", "找不到这个服务器地址"),
    ],
)
def test_an_unreachable_hub_is_said_plainly_with_what_to_do(endpoint: str, reason: str) -> None:
    url = endpoint.format(port=closed_port())
    with pytest.raises(NetworkError) as caught:
        Resolver(HubConfig(endpoint=url)).resolve(_entry())
    error = caught.value
    for text in (error.zh, error.en):
        assert url in text  # which address
        assert "Errno" not in text and "ConnectError" not in text  # no transport text
    assert reason in error.zh
    assert "镜像" in error.zh and "GGUF" in error.zh  # what to do instead
    assert "mirror" in error.en and "GGUF" in error.en
    assert "Error" in getattr(error, "detail", "")  # the transport's text, for the log


# ---------------------------------------------------------------- pure matching


def _files(*names: str, size: int = 100) -> list[RemoteFile]:
    return [RemoteFile(n, size, f"{i:064x}") for i, n in enumerate(names)]


def test_quant_token_matching() -> None:
    files = _files(
        "m-Q4_K_M.gguf", "m.q4_k_m.gguf", "m-IQ4_K_M.gguf", "m-Q4_K_M_L.gguf", "m-Q4_K_S.gguf",
        "m-Q4_K_M.bin", "mmproj-m-Q4_K_M.gguf", "m-Q4_K_MX.gguf", "sub/m-Q4_K_M.gguf",
    )  # fmt: skip
    names = sorted(g[0].name for g in match_files(files, "Q4_K_M"))
    assert names == ["m-Q4_K_M.gguf", "m.q4_k_m.gguf", "sub/m-Q4_K_M.gguf"]
    assert [g[0].name for g in match_files(files, "Q4_K_M", pattern="m.*.gguf")] == [
        "m.q4_k_m.gguf"
    ]


def test_group_choice_prefers_the_closest_size() -> None:
    small = tuple(_files("a-Q8_0.gguf", size=100))
    split = tuple(_files("b-Q8_0-00001-of-00002.gguf", "b-Q8_0-00002-of-00002.gguf", size=500))
    assert pick_group([small, split], 1000) == split
    assert pick_group([small, split], 150) == small


def test_resolved_model_round_trips_and_describes_itself() -> None:
    resolved = ResolvedModel(
        entry_id="e", repo_id="o/r", revision="0123456789abcdef", endpoint="http://x",
        files=(RemoteFile("d/m-00001-of-00002.gguf", 2_000_000_000, "ab" * 32),
               RemoteFile("d/m-00002-of-00002.gguf", 1_000_000_000, "cd" * 32)),
        via="search", quant="Q8_0",
    )  # fmt: skip
    assert ResolvedModel.from_dict(resolved.to_dict()) == resolved
    zh, en = resolved.describe("zh"), resolved.describe("en")
    assert "o/r" in zh and "3.00 GB" in zh and "abababab" in zh and "2 个分卷" in zh
    assert "Found m-00001-of-00002.gguf, 2 parts in o/r (via search" in en
    assert LocalText("a", "b").get("en") == "b"
