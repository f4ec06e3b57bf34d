"""Which model for this machine: placement, speed class and the preselection, on computed
machines (no GPU, 8/12/24 GB GPUs; 8/16/32 GB of RAM) and on this one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from app.models.budget import budget_for_params, entry_think_budget, gguf_params
from app.models.catalog import load_catalog
from app.models.fit import assess, gpu_bandwidth, ram_budget, recommend
from app.models.gguf.header import read_gguf
from app.models.machine import (
    MachineInfo,
    apple_gpu_share,
    parse_nvidia_smi,
    probe_machine,
)
from tests.support.gguf_samples import write_gguf

GB = 10**9
GiB = 1024**3
CATALOG = load_catalog()


def _cpu(ram_gb: int) -> MachineInfo:
    return MachineInfo(ram_gb * GB, None)


def _gpu(vram_gib: int, ram_gb: int, free_gib: float | None = None) -> MachineInfo:
    free = int((free_gib if free_gib is not None else vram_gib - 0.5) * GiB)
    return MachineInfo(ram_gb * GB, vram_gib * GiB, f"GPU {vram_gib} GB", free)


def _fits(machine: MachineInfo) -> dict[str, tuple[str, str | None]]:
    return {e.id: (assess(e, machine).placement, assess(e, machine).speed) for e in CATALOG}


@pytest.mark.parametrize(
    ("ram_gb", "runs", "not_at_all"),
    [
        (8, {"qwen3-0.6b-q4_k_m", "qwen3-1.7b-q8_0", "qwen3-4b-q4_k_m"},
         {"qwen3-8b-q4_k_m", "qwen3-14b-q4_k_m", "qpm-1k-32b-r1-q4_k_m"}),
        (16, {"qwen3-8b-q4_k_m", "qwen3-14b-q4_k_m"}, {"qpm-1k-32b-r1-q3_k_m"}),
        (32, {"qpm-1k-32b-r1-q4_k_m", "qpm-1k-32b-r1-q3_k_m"}, {"qpm-1k-32b-r1-q8_0"}),
    ],
)  # fmt: skip
def test_no_gpu_everything_runs_on_the_cpu_or_not_at_all(
    ram_gb: int, runs: set[str], not_at_all: set[str]
) -> None:
    machine = _cpu(ram_gb)
    fits = _fits(machine)
    assert {placement for placement, _ in fits.values()} <= {"cpu", "none"}
    assert all(fits[i][0] == "cpu" for i in runs), fits
    assert all(fits[i] == ("none", None) for i in not_at_all), fits
    for entry in CATALOG:  # what it needs decides, against what the machine can spare
        fit = assess(entry, machine)
        assert fit.runs == (fit.ram_bytes <= (ram_budget(machine) or 0))
    # the small models are quick on any CPU; a 32B model on a CPU is not
    assert fits["qwen3-0.6b-q4_k_m"][1] == "fast"
    if ram_gb == 32:
        assert fits["qpm-1k-32b-r1-q4_k_m"][1] == "very_slow"
    chosen = recommend(CATALOG, machine)
    assert chosen is not None
    assert chosen.entry.id == "qwen3-4b-q4_k_m" and chosen.fit.placement == "cpu"
    assert chosen.fit.speed == "moderate"
    # the reason names the poetry model it passed over and why
    assert "QPM-1K-32B-R1" in chosen.reason("zh") and "QPM-1K-32B-R1" in chosen.reason("en")
    why = "很慢" if ram_gb == 32 else "无法运行"
    assert why in chosen.reason("zh")
    assert ("very slow" if ram_gb == 32 else "will not run") in chosen.reason("en")


def test_an_8_gb_gpu_takes_qwen3_8b_whole_and_14b_in_part() -> None:
    machine = _gpu(8, 16)
    fits = {e.id: assess(e, machine) for e in CATALOG}
    assert fits["qwen3-8b-q4_k_m"].placement == "gpu"
    assert fits["qwen3-8b-q4_k_m"].n_gpu_layers == 37  # llama.cpp's "all": layers + output
    partial = fits["qwen3-14b-q4_k_m"]
    assert partial.placement == "partial" and 0 < partial.n_gpu_layers < 40
    assert partial.label("zh") == f"部分在显卡上（{partial.n_gpu_layers}/40 层）"
    assert partial.label("en") == f"partly on the GPU ({partial.n_gpu_layers}/40 layers)"
    assert partial.tokens_per_s < fits["qwen3-8b-q4_k_m"].tokens_per_s / 3  # the CPU part
    assert fits["qpm-1k-32b-r1-q4_k_m"].placement == "none"  # 16 GB RAM cannot hold the rest
    chosen = recommend(CATALOG, machine)
    assert chosen is not None and chosen.entry.id == "qwen3-8b-q4_k_m"
    assert chosen.fit.speed == "fast"
    assert chosen.reason("zh").startswith("推荐Qwen3-8B") and "全部在显卡上" in chosen.reason("zh")


def test_a_12_gb_gpu_takes_qwen3_14b_and_the_poetry_model_only_in_part() -> None:
    machine = _gpu(12, 32)
    fits = {e.id: assess(e, machine) for e in CATALOG}
    assert fits["qwen3-14b-q4_k_m"].placement == "gpu"
    qpm = fits["qpm-1k-32b-r1-q4_k_m"]
    assert qpm.placement == "partial" and qpm.speed == "slow"
    assert fits["qpm-1k-32b-r1-q8_0"].placement == "none"
    chosen = recommend(CATALOG, machine)
    assert chosen is not None and chosen.entry.id == "qwen3-14b-q4_k_m"
    assert "慢" in chosen.reason("zh") and "too long to wait" in chosen.reason("en")


def test_a_24_gb_gpu_takes_the_poetry_model() -> None:
    machine = _gpu(24, 32)
    fits = {e.id: assess(e, machine) for e in CATALOG}
    assert fits["qpm-1k-32b-r1-q4_k_m"].placement == "gpu"
    assert fits["qpm-1k-32b-r1-q8_0"].placement == "partial"
    chosen = recommend(CATALOG, machine)
    assert chosen is not None and chosen.entry.id == "qpm-1k-32b-r1-q4_k_m"  # the default
    assert chosen.fit.placement == "gpu" and chosen.fit.speed == "fast"
    assert "更好的" not in chosen.reason("zh")  # nothing better was passed over
    # the same card with most of its memory taken by another program
    busy = recommend(CATALOG, dataclasses.replace(machine, vram_free_bytes=6 * GiB))
    assert busy is not None and busy.entry.id != "qpm-1k-32b-r1-q4_k_m"


def test_bigger_cards_are_assumed_faster_and_unified_memory_is_shared() -> None:
    bands = [gpu_bandwidth(_gpu(g, 32)) for g in (4, 8, 12, 16, 24, 80)]
    assert bands == sorted(bands) and len(set(bands)) == len(bands)
    mac = MachineInfo(16 * GiB, apple_gpu_share(16 * GiB), "Apple GPU (Metal)", None, None, True)
    assert mac.vram_bytes == 16 * GiB * 2 // 3 and apple_gpu_share(64 * GiB) == 48 * GiB
    fits = {e.id: assess(e, mac) for e in CATALOG}
    assert fits["qwen3-8b-q4_k_m"].placement == "gpu"
    # no partial offload on unified memory, and the GPU's share counts against the RAM
    assert {f.placement for f in fits.values()} <= {"gpu", "cpu", "none"}
    assert fits["qwen3-8b-q4_k_m"].ram_bytes > fits["qwen3-8b-q4_k_m"].gpu_bytes


def test_tight_when_the_memory_is_there_but_taken() -> None:
    machine = dataclasses.replace(_cpu(16), ram_available_bytes=4 * GB)
    fit = assess(CATALOG.get("qwen3-4b-q4_k_m"), machine)
    assert fit.runs and fit.tight
    assert fit.label("zh") == "仅用 CPU（需先关闭其他程序）"
    assert "close other programs" in fit.label("en")
    roomy = assess(CATALOG.get("qwen3-0.6b-q4_k_m"), machine)
    assert roomy.runs and not roomy.tight


def test_nothing_runs_on_a_tiny_machine() -> None:
    assert recommend(CATALOG, _cpu(2)) is None
    fit = assess(CATALOG.get("qwen3-0.6b-q4_k_m"), _cpu(2))
    assert not fit.runs and fit.poem_seconds is None
    assert "内存" in fit.speed_label("zh") and "memory" in fit.speed_label("en")


def test_when_nothing_is_comfortable_the_fastest_is_chosen() -> None:
    big = [CATALOG.get("qpm-1k-32b-r1-q4_k_m"), CATALOG.get("qpm-1k-32b-r1-q3_k_m")]
    chosen = recommend(big, _cpu(32))
    assert chosen is not None and chosen.entry.id == "qpm-1k-32b-r1-q3_k_m"
    assert "最快" in chosen.reason("zh") and "fastest" in chosen.reason("en")


def test_poem_time_counts_the_thinking_budget() -> None:
    machine = _cpu(16)
    thinker = assess(CATALOG.get("qwen3-1.7b-q4_k_m"), machine)
    assert thinker.think_tokens == 768
    assert thinker.poem_seconds == pytest.approx((768 + 120) / thinker.tokens_per_s)
    plain = assess(CATALOG.get("qwen2.5-1.5b-instruct-q4_k_m"), machine)
    assert plain.think_tokens == 0 and "不含思考" in plain.describe("zh")
    assert "768 thinking tokens" in thinker.describe("en")


def test_entries_without_a_shape_use_the_catalog_figures() -> None:
    entry = dataclasses.replace(CATALOG.get("qwen3-4b-q4_k_m"), arch=None)
    assert assess(entry, _gpu(8, 16)).placement == "gpu"
    assert assess(entry, _cpu(8)).placement == "cpu"
    assert assess(entry, _cpu(4)).placement == "none"


def test_default_thinking_budgets_grow_with_size(tmp_path: Path) -> None:
    steps = [budget_for_params(n) for n in (0.6e9, 1.7e9, 4e9, 8e9, 14e9, 32e9)]
    assert steps == [512, 768, 1024, 1536, 2048, 2048]
    assert entry_think_budget(CATALOG.get("qpm-1k-32b-r1-q4_k_m")) == 2048  # from its size
    assert entry_think_budget(CATALOG.get("qwen3-4b-q4_k_m")) == 1024  # its own
    # a user's own file: the parameters in its header decide (vocabulary 48, width 64,
    # 2 layers of q/k/v/o with biases, a 128-wide gated MLP, norms, untied output)
    info = read_gguf(write_gguf(tmp_path / "m.gguf")[0])
    kv = 2 * 16
    layer = 64 + 64 * 64 + 2 * kv * 64 + 64 + 2 * kv + 64 * 64 + 64 + 3 * 128 * 64
    assert gguf_params(info) == 2 * 48 * 64 + 2 * layer + 64


def test_reading_nvidia_smi_and_this_machine() -> None:
    out = "NVIDIA GeForce RTX 4060 Laptop GPU, 8188, 7710\nNVIDIA T400, 2048, 2000\n"
    assert parse_nvidia_smi(out) == ("NVIDIA GeForce RTX 4060 Laptop GPU", 8188 * 2**20,
                                     7710 * 2**20)  # fmt: skip
    assert parse_nvidia_smi("garbage\n") is None
    here = probe_machine()
    assert here.ram_bytes and here.ram_bytes > 0
    assert here.ram_available_bytes is not None and 0 < here.ram_available_bytes <= here.ram_bytes
    if here.vram_bytes:  # a machine with a GPU: its free memory is read too
        assert here.vram_free_bytes is not None and here.vram_free_bytes <= here.vram_bytes
    else:
        assert not here.has_gpu
