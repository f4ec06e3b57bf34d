"""Building a model from original weights: plan, stages, pause, resume, refusals.

Real components throughout: the local hub serves a tiny Qwen2 repository (shards in
LFS, JSON in git), the real downloader fetches it, the converter converts it,
llama.cpp's quantizer quantizes it in a child process, llama.cpp loads the result to
verify it, and the registry records it. The built files then run strict metre.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections import namedtuple
from pathlib import Path
from typing import Any

import pytest

from app.compose.constraint import ConstraintFactory, metre_spec
from app.compose.stream import parse_text
from app.convert import UnsupportedArchitectureError, convert_checkpoint
from app.engine.requests import Sampling
from app.models.build.errors import BuildError, BuildPaused, NotEnoughSpaceError
from app.models.build.pipeline import Builder, BuildProgress
from app.models.build.plan import BuildPlan, plan_from_folder, plan_from_hub
from app.models.build.state import find_builds
from app.models.build.verify import VerifyFailedError, check_metadata, verify_build
from app.models.download import Downloader, DownloadPolicy
from app.models.gguf.header import read_gguf
from app.models.hub import HubConfig
from app.models.registry import ModelRegistry
from app.models.resolve import Resolver
from app.prosody.checker import Checker
from app.prosody.findings import Severity
from app.prosody.forms import Form
from app.prosody.groups import GROUPS
from app.prosody.rhymebook import RhymeBook
from tests.support.build_fixtures import (  # noqa: F401
    TINY_REPO,
    WIDE_REPO,
    build_catalog,
    build_hub_fixture,
    in_lfs,
    needs_llama,
    qwen2_vocab_fixture,
    tiny_repo_fixture,
    vocab_fixture,
    wide_repo_fixture,
)
from tests.support.constraint_tools import generate_text
from tests.support.fake_hub import FakeHub
from tests.support.hf_checkpoint import TinyCheckpoint, repo_files

pytestmark = [needs_llama, pytest.mark.model, pytest.mark.timeout(300)]

POLICY = DownloadPolicy(disk_margin_bytes=0, backoff_base_s=0.01)
DiskUsage = namedtuple("DiskUsage", "total used free")


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "models")


def _resolver(hub: FakeHub) -> Resolver:
    return Resolver(HubConfig(endpoint=hub.url))


def _builder(plan: Any, registry: ModelRegistry, **kwargs: Any) -> Builder:
    return Builder.start(plan, registry, downloader=Downloader(POLICY), **kwargs)


def _tiny_plan(hub: FakeHub, registry: ModelRegistry) -> BuildPlan:
    """The plan of the tiny repository's Q8_0 build."""
    return plan_from_hub(build_catalog().get("tiny-poet-q8_0"), _resolver(hub), registry.models_dir)


def _paused_before(stage: str, plan: BuildPlan, registry: ModelRegistry) -> Builder:
    """A build of ``plan`` run until ``stage`` begins, and paused there."""
    cancel = threading.Event()
    builder = _builder(plan, registry)
    with pytest.raises(BuildPaused):
        builder.run(lambda p: cancel.set() if p.stage == stage else None, cancel)
    return builder


# ---------------------------------------------------------------- the plan


def test_plan_lists_the_files_pinned_to_the_commit(
    build_hub: FakeHub, registry: ModelRegistry, tiny_repo: TinyCheckpoint
) -> None:
    entry = build_catalog().get("tiny-poet-q8_0")
    plan = plan_from_hub(entry, _resolver(build_hub), registry.models_dir)
    repo = build_hub.repos[TINY_REPO]
    assert plan.source is not None and plan.source.revision == repo.sha
    names = [f.name for f in plan.files]
    assert names[:2] == ["config.json", "tokenizer.json"]
    assert set(names) == {p.name for p in tiny_repo.folder.iterdir()}
    for remote in plan.files:
        served = repo.files[remote.name]
        assert remote.size == served.size
        if in_lfs(remote.name):
            assert remote.sha256 == served.sha256
        else:  # kept in git: verified by the blob id
            assert remote.sha256 is None and remote.blob_id == served.blob_id
    assert plan.architecture == "qwen2" and plan.quant == "Q8_0"
    est = plan.estimate
    assert est.download_bytes == sum(f.size for f in plan.files)
    assert est.peak_disk_bytes == est.download_bytes + est.intermediate_bytes + est.result_bytes
    text = "\n".join(plan.describe("en"))
    assert repo.sha[:12] in text and "model-00001-of-00002.safetensors" in text
    assert plan.files[-1].sha256 is not None and plan.files[-1].sha256[:16] in text
    assert "Peak disk" in text and "free" in text
    assert all(f"stage {i}" in text for i in range(1, 6))
    zh = "\n".join(plan.describe("zh"))
    assert "磁盘峰值" in zh and "第 3 步（量化）" in zh
    # only the tiny config.json was fetched, no weights
    gets = [r.path for r in build_hub.requests(method="GET") if "/resolve/" in r.path]
    assert gets and all(p.endswith("config.json") for p in gets)


def test_a_folder_too_small_is_refused_before_anything_starts(
    build_hub: FakeHub, registry: ModelRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _tiny_plan(build_hub, registry)
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: DiskUsage(10**12, 0, 50_000_000))
    with pytest.raises(NotEnoughSpaceError) as err:
        Builder.start(plan, registry)
    assert "Not enough disk space" in err.value.en and "原始权重 + 中间文件 + 结果" in err.value.zh
    assert err.value.needed > err.value.free
    assert find_builds(registry.models_dir) == [] and registry.models() == []


def test_unsupported_architecture_is_refused_before_the_download(
    build_hub: FakeHub, registry: ModelRegistry, tiny_repo: TinyCheckpoint
) -> None:
    files = repo_files(tiny_repo.folder)
    config = json.loads(files["config.json"])
    config["architectures"] = ["Gemma2ForCausalLM"]
    files["config.json"] = json.dumps(config).encode()
    build_hub.add_repo(TINY_REPO, files, lfs=in_lfs)
    with pytest.raises(UnsupportedArchitectureError, match="Gemma2ForCausalLM"):
        _tiny_plan(build_hub, registry)
    assert not any(r.path.endswith(".safetensors") for r in build_hub.requests())


def test_original_is_found_under_its_other_name(
    build_hub: FakeHub, registry: ModelRegistry, wide_repo: TinyCheckpoint
) -> None:
    build_hub.add_repo(WIDE_REPO, repo_files(wide_repo.folder), lfs=in_lfs)
    plan = plan_from_hub(
        build_catalog().get("wide-poet-q4_k_m"), _resolver(build_hub), registry.models_dir
    )
    assert plan.source is not None and plan.source.repo_id == WIDE_REPO


# ---------------------------------------------------------------- whole builds


def _strict_poem(path: Path, book: RhymeBook, cache: Path) -> str:
    import llama_cpp

    llama = llama_cpp.Llama(model_path=str(path), n_ctx=2048, verbose=False)
    try:
        factory = ConstraintFactory(llama, book=book, cache_dir=cache)
        spec = metre_spec(Form.WUJUE, 0, think_budget=16)
        prompt = "<|im_start|>user\n写一首诗<|im_end|>\n<|im_start|>assistant\n"
        sampling = Sampling(max_tokens=400, seed=2)
        text, stats = generate_text(llama, prompt, sampling, factory.token_source(spec, sampling))
        assert stats.finish_reason == "stop"
        return parse_text(text).poem
    finally:
        llama.close()


@pytest.mark.parametrize(
    ("entry_id", "repo"), [("tiny-poet-q8_0", "tiny"), ("wide-poet-q4_k_m", "wide")]
)
def test_build_from_the_hub_loads_generates_and_runs_strict_metre(
    entry_id: str,
    repo: str,
    build_hub: FakeHub,
    registry: ModelRegistry,
    wide_repo: TinyCheckpoint,
    book: RhymeBook,
    checker: Checker,
    tmp_path: Path,
) -> None:
    if repo == "wide":
        build_hub.add_repo(WIDE_REPO, repo_files(wide_repo.folder), lfs=in_lfs)
    entry = build_catalog().get(entry_id)
    plan = plan_from_hub(entry, _resolver(build_hub), registry.models_dir)
    seen: list[BuildProgress] = []
    model = _builder(plan, registry, keep_original=False).run(seen.append)
    # every stage reported, in order, and finished
    stages = [p.stage for p in seen]
    assert [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s] == [
        "download", "convert", "quantize", "verify", "register"
    ]  # fmt: skip
    assert any(p.stage == "quantize" and p.unit == "tensors" and 0 < p.done < p.total for p in seen)
    # registered with its provenance
    assert registry.get(entry.id) == model and model.source == "built" and model.verified
    assert model.path == plan.result_path and model.path.is_file()
    assert model.quant == entry.quant and model.architecture == "qwen2"
    prov = model.provenance or {}
    assert prov["source"] == f"{plan.source.repo_id}@{plan.source.revision}"  # type: ignore[union-attr]
    assert prov["converter"].startswith("shijian-convert") and prov["quant"] == entry.quant
    assert prov["sha256"] == model.files[0].sha256 and len(prov["sha256"]) == 64
    info = read_gguf(model.path)
    want = {"Q8_0": 7, "Q4_K_M": 15}[entry.quant]
    assert info.metadata["general.file_type"] == want
    if entry.quant == "Q4_K_M":  # real k-quant blocks, not fallbacks for narrow rows
        assert {t.type_name for t in info.tensors} >= {"Q4_K", "Q6_K"}
    # intermediates and originals gone, no build record left
    assert not plan.work_dir.exists() and find_builds(registry.models_dir) == []
    assert not (model.path.parent / "original-weights").exists()
    # the built file runs strict metre
    poem = _strict_poem(model.path, book, tmp_path / "cache")
    found = checker.analyze(poem, form=Form.WUJUE, group=GROUPS[0]).findings
    assert [f for f in found if f.severity >= Severity.WARNING] == [], poem


def test_build_from_a_local_folder_keeps_the_folder(
    registry: ModelRegistry, tiny_repo: TinyCheckpoint, tmp_path: Path
) -> None:
    weights = tmp_path / "weights"
    shutil.copytree(tiny_repo.folder, weights)
    before = sorted((p.name, p.stat().st_size) for p in weights.iterdir())
    plan = plan_from_folder(
        weights, registry.models_dir, quant="Q8_0", kind="poetry", prompt_style="qpm-r1"
    )
    assert plan.estimate.download_bytes == 0 and plan.source is None
    model = Builder.start(plan, registry, keep_original=False).run()
    assert model.source == "built" and model.kind == "poetry" and model.path.is_file()
    assert (model.provenance or {})["source"] == str(weights)
    assert sorted((p.name, p.stat().st_size) for p in weights.iterdir()) == before


# ---------------------------------------------------------------- pause, resume, damage


def test_pause_during_download_then_resume(
    build_hub: FakeHub, registry: ModelRegistry, tiny_repo: TinyCheckpoint
) -> None:
    build_hub.fault("model-00001-of-00002.safetensors", delay_per_chunk_s=0.02, chunk=256 * 1024)
    plan = _tiny_plan(build_hub, registry)
    cancel = threading.Event()

    def pause_midway(p: BuildProgress) -> None:
        if p.stage == "download" and p.done > 8_000_000:
            cancel.set()

    builder = _builder(plan, registry)
    with pytest.raises(BuildPaused) as paused:
        builder.run(pause_midway, cancel)
    assert paused.value.stage == "download" and "kept" in paused.value.en
    (state,) = find_builds(registry.models_dir)
    assert state.stages["download"] == "pending" and registry.models() == []
    build_hub.faults.clear()
    # a new Builder from the record, as after restarting the app
    again = Builder.resume(state.path, registry, downloader=Downloader(POLICY))
    model = again.run()
    assert model.path.is_file()
    shard = build_hub.repos[TINY_REPO].files["model-00001-of-00002.safetensors"]
    served = build_hub.bytes_served(shard.sha256)  # the CDN serves it by its hash
    assert shard.size <= served < shard.size * 1.1  # resumed, not fetched again


def test_a_tampered_shard_is_rejected_before_conversion(
    build_hub: FakeHub, registry: ModelRegistry
) -> None:
    plan = _tiny_plan(build_hub, registry)
    builder = _paused_before("convert", plan, registry)  # as soon as the download is done
    shard = plan.original_dir / "model-00002-of-00002.safetensors"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, same size: only the hash can tell
    shard.write_bytes(bytes(data))
    with pytest.raises(BuildError) as err:
        builder.run()
    assert err.value.stage == "convert" and "model-00002-of-00002.safetensors" in err.value.en
    assert "download that file again" in err.value.en
    assert not shard.exists() and not plan.intermediate_path.exists()
    assert registry.models() == []
    (state,) = find_builds(registry.models_dir)
    assert state.stages["convert"] == "failed" and state.stages["download"] == "pending"
    assert state.error is not None and state.error["stage"] == "convert"
    sha = build_hub.repos[TINY_REPO].files[shard.name].sha256
    served = build_hub.bytes_served(sha)
    model = builder.run()  # fetches the shard again, then converts
    assert model.path.is_file()
    assert build_hub.bytes_served(sha) == 2 * served


def test_a_failing_quantizer_says_which_stage_and_registers_nothing(
    build_hub: FakeHub, registry: ModelRegistry
) -> None:
    plan = _tiny_plan(build_hub, registry)
    builder = _paused_before("quantize", plan, registry)  # when conversion is done
    data = plan.intermediate_path.read_bytes()
    plan.intermediate_path.write_bytes(data[: len(data) - 300_000])  # cut off the end
    with pytest.raises(BuildError) as err:
        builder.run()
    assert err.value.stage == "quantize"
    assert "stage 3 (quantize)" in err.value.en and "第 3 步（量化）" in err.value.zh
    assert "Resume" in err.value.en
    assert not plan.quantized_path.exists()
    assert not plan.quantized_path.with_name(plan.quantized_path.name + ".part").exists()
    assert registry.models() == [] and not plan.result_path.exists()


def test_verify_compares_metadata_and_tokenization_with_the_original(
    tiny_repo: TinyCheckpoint, tmp_path: Path
) -> None:
    original = tmp_path / "original"
    shutil.copytree(tiny_repo.folder, original)
    built = tmp_path / "built.gguf"
    convert_checkpoint(original, built)
    check_metadata(built, original, "BF16")  # the truth passes
    # a config.json that says otherwise
    config = json.loads((original / "config.json").read_text())
    config["num_hidden_layers"] = 3
    (original / "config.json").write_text(json.dumps(config))
    with pytest.raises(VerifyFailedError, match="block_count"):
        check_metadata(built, original, "BF16")
    config["num_hidden_layers"] = 2
    (original / "config.json").write_text(json.dumps(config))
    # a tokenizer.json whose ids differ from the converted one's ("a" and "b" swapped)
    tokenizer = json.loads((original / "tokenizer.json").read_text())
    vocab = tokenizer["model"]["vocab"]
    vocab["a"], vocab["b"] = vocab["b"], vocab["a"]
    (original / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False))
    with pytest.raises(VerifyFailedError, match="tokenizes differently"):
        verify_build(built, original, "BF16")
