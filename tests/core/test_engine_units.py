"""Engine pieces without a process: wire format, stop strings, offload planning."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.engine.events import (
    Done,
    EngineCrashed,
    EngineError,
    GenerationStats,
    LoadedInfo,
    MemoryEstimate,
    Token,
    is_terminal,
)
from app.engine.generation import StopMatcher, run_generation
from app.engine.offload import GpuDevice, ModelShape, list_gpu_devices, plan_offload, read_shape
from app.engine.protocol import ProtocolError, decode, encode, request_event
from app.engine.requests import ChatMessage, GenerateRequest, LoadConfig, Sampling
from tests.support.engine_fixtures import (  # noqa: F401
    needs_llama,
    qwen2_vocab_fixture,
    tiny_model_fixture,
)

GiB = 1024**3


# ---------------------------------------------------------------- wire format
def test_protocol_lines_round_trip_unicode() -> None:
    msg = {"ev": "tok", "id": "r1", "t": "床前明月光\n", "n": 2}
    line = encode(msg)
    assert line.endswith(b"\n") and line.count(b"\n") == 2 - 1  # the text's newline is escaped
    assert decode(line) == msg
    assert "床前明月光".encode() in line  # not \\u-escaped: compact lines


@pytest.mark.parametrize("bad", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_protocol_rejects_non_objects(bad: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode(bad)


def test_request_events_from_wire() -> None:
    assert request_event({"ev": "tok", "id": "a", "t": "x", "n": 3}) == Token("a", "x", 3)
    done = request_event({"ev": "done", "id": "a", "stats": {"completion_tokens": 5}})
    assert isinstance(done, Done) and done.stats.completion_tokens == 5
    err = request_event({"ev": "error", "id": "a", "code": "no_model", "zh": "中", "en": "en"})
    assert err == EngineError("a", "no_model", "中", "en")
    assert request_event({"ev": "loaded", "id": "a"}) is None


def test_generate_request_round_trips() -> None:
    req = GenerateRequest(
        messages=(ChatMessage("system", "s"), ChatMessage("user", "写诗")),
        sampling=Sampling(temperature=0.7, max_tokens=10, seed=3),
        stop=("<|im_end|>", "END"),
        constraint={"form": "七绝"},
    )
    back = GenerateRequest.from_dict(decode(encode(req.to_dict())))
    assert back == req


def test_generate_request_needs_content_and_gets_an_id() -> None:
    with pytest.raises(ValueError):
        GenerateRequest()
    a, b = GenerateRequest(prompt="x"), GenerateRequest(prompt="x")
    assert a.id and a.id != b.id
    c = a.with_seed(5)
    assert c.sampling.seed == 5 and c.id != a.id and c.prompt == "x"


def test_load_config_round_trips_and_validates() -> None:
    cfg = LoadConfig("/m.gguf", n_ctx=4096, n_gpu_layers=20, flash_attn=True)
    assert LoadConfig.from_dict(decode(encode(cfg.to_dict()))) == cfg
    assert LoadConfig("/m.gguf").n_ctx == 8192
    with pytest.raises(ValueError):
        LoadConfig.from_dict({"model_path": "/m.gguf", "n_gpu_layers": "all"})


def test_loaded_info_round_trips() -> None:
    info = LoadedInfo(
        "/m",
        "cuda",
        30,
        64,
        8192,
        True,
        "中",
        "en",
        10 * GiB,
        MemoryEstimate(1, 2, 3, 4),
        12.5,
        "gguf",
        "0.3.36",
    )
    assert LoadedInfo.from_dict(decode(encode(info.to_dict()))) == info
    assert info.reason("en") == "en" and info.memory.total == 3


def test_stats_tokens_per_second() -> None:
    stats = GenerationStats(completion_tokens=11, generation_ms=1000.0)
    assert stats.tokens_per_s == pytest.approx(10.0)
    assert GenerationStats().tokens_per_s == 0.0
    assert stats.to_dict()["tokens_per_s"] == 10.0


def test_crash_message_names_the_signal_and_the_model_not_the_log() -> None:
    crash = EngineCrashed("r", -signal.SIGABRT, "line 1\nGGML_ASSERT failed\n")
    assert crash.signal_name == "SIGABRT"
    assert "SIGABRT" in crash.message("en") and "信号" in crash.message("zh")
    # llama.cpp's own lines stay in stderr_tail (for the log), out of the poet's message
    assert "GGML_ASSERT" not in crash.message("en") + crash.message("zh")
    loading = EngineCrashed("r", -signal.SIGABRT, "x", model_path="/m/qpm-q4.gguf", loading=True)
    assert "while loading qpm-q4.gguf" in loading.message("en")
    assert "damaged" in loading.message("en") and "不支持" in loading.message("zh")
    running = EngineCrashed("r", -signal.SIGKILL, "", model_path="/m/qpm-q4.gguf")
    assert "It was running qpm-q4.gguf" in running.message("en")
    assert EngineCrashed("r", 3).signal_name is None
    assert "exit code 3" in EngineCrashed("r", 3).message("en")
    assert is_terminal(crash) and not is_terminal(Token("r", "x"))


# ---------------------------------------------------------------- stop strings
def run_matcher(stops: list[str], pieces: list[str]) -> tuple[str, bool]:
    m = StopMatcher(stops)
    out = []
    for p in pieces:
        text, hit = m.push(p)
        out.append(text)
        if hit:
            return "".join(out), True
    return "".join(out) + m.flush(), False


def test_stop_string_split_across_pieces() -> None:
    assert run_matcher(["</answer>"], ["床前", "明月光</ans", "wer>多余"]) == ("床前明月光", True)


def test_possible_stop_prefix_is_released_when_it_does_not_match() -> None:
    m = StopMatcher(["<|im_end|>"])
    assert m.push("ab<|im") == ("ab", False)
    assert m.push("x") == ("<|imx", False)
    assert run_matcher(["<|im_end|>"], ["a<", "|im"]) == ("a<|im", False)


def test_earliest_of_several_stops_wins() -> None:
    assert run_matcher(["BB", "A"], ["xxBBA"]) == ("xx", True)
    assert run_matcher([], ["anything"]) == ("anything", False)


# ---------------------------------------------------------------- offload plan
@pytest.fixture(scope="module")
def shape(tiny_model: Path) -> ModelShape:
    s = read_shape(tiny_model)
    assert s is not None
    return s


def test_header_shape_of_the_tiny_model(shape: ModelShape) -> None:
    assert shape.n_layers == 2
    assert shape.n_ctx_train == 32768


def test_cpu_build_runs_on_cpu_whatever_was_asked(shape: ModelShape) -> None:
    gpu = [GpuDevice("CUDA0", "NVIDIA H100", 70 * GiB, 80 * GiB)]
    for requested in ("auto", 0, 10, -1):
        plan = plan_offload(requested, gpu_build=False, devices=gpu, shape=shape, n_ctx=8192)
        assert plan.n_gpu_layers == 0 and plan.backend == "cpu" and not plan.flash_attn
        assert "no GPU support" in plan.reason_en


def test_auto_with_plenty_of_vram_offloads_everything(shape: ModelShape) -> None:
    gpu = [GpuDevice("CUDA0", "NVIDIA H100", 70 * GiB, 80 * GiB)]
    plan = plan_offload("auto", gpu_build=True, devices=gpu, shape=shape, n_ctx=8192)
    assert plan.n_gpu_layers == -1 and plan.backend == "cuda" and plan.flash_attn
    assert "all 2 layers fit" in plan.reason_en and "NVIDIA H100" in plan.reason_zh
    assert plan.memory.gpu_bytes > 0 and plan.free_vram == 70 * GiB


def test_auto_with_little_vram_offloads_part_or_nothing(shape: ModelShape) -> None:
    full = plan_offload(
        "auto",
        gpu_build=True,
        devices=[GpuDevice("CUDA0", "g", 70 * GiB, 0)],
        shape=shape,
        n_ctx=8192,
    ).memory.gpu_bytes
    reserve = 64 * 1024 * 1024
    # Just under what everything needs: some layers, not all.
    tight = [GpuDevice("CUDA0", "small", full + reserve - 1024 * 1024, 0)]
    partial = plan_offload(
        "auto", gpu_build=True, devices=tight, shape=shape, n_ctx=8192, reserve=reserve
    )
    assert partial.n_gpu_layers == 1 and partial.backend == "cuda"
    assert "offloading 1 of 2 layers" in partial.reason_en
    exact = [GpuDevice("CUDA0", "exact", full + reserve, 0)]
    assert (
        plan_offload(
            "auto", gpu_build=True, devices=exact, shape=shape, n_ctx=8192, reserve=reserve
        ).n_gpu_layers
        == -1
    )
    none = plan_offload(
        "auto",
        gpu_build=True,
        devices=[GpuDevice("CUDA0", "tiny", 1024, 0)],
        shape=shape,
        n_ctx=8192,
    )
    assert none.n_gpu_layers == 0 and none.backend == "cpu"
    assert "not enough for one layer" in none.reason_en


def test_bigger_context_needs_more_memory(shape: ModelShape) -> None:
    gpu = [GpuDevice("CUDA0", "g", 70 * GiB, 80 * GiB)]
    small = plan_offload("auto", gpu_build=True, devices=gpu, shape=shape, n_ctx=2048)
    big = plan_offload("auto", gpu_build=True, devices=gpu, shape=shape, n_ctx=32768)
    assert big.memory.kv_bytes == 16 * small.memory.kv_bytes


def test_manual_override_and_no_gpu(shape: ModelShape) -> None:
    gpu = [GpuDevice("CUDA0", "g", 70 * GiB, 80 * GiB)]
    plan = plan_offload(1, gpu_build=True, devices=gpu, shape=shape, n_ctx=8192, flash_attn=False)
    assert plan.n_gpu_layers == 1 and not plan.flash_attn and "as configured" in plan.reason_en
    cpu = plan_offload(0, gpu_build=True, devices=gpu, shape=shape, n_ctx=8192)
    assert cpu.n_gpu_layers == 0 and cpu.backend == "cpu"
    nogpu = plan_offload("auto", gpu_build=True, devices=[], shape=shape, n_ctx=8192)
    assert nogpu.n_gpu_layers == 0 and "no usable GPU" in nogpu.reason_en
    vulkan = plan_offload(
        -1, gpu_build=True, devices=[GpuDevice("Vulkan0", "v", GiB, GiB)], shape=shape, n_ctx=8192
    )
    assert vulkan.backend == "gpu"


@needs_llama
def test_device_query_on_this_machine_is_consistent() -> None:
    import llama_cpp

    devices = list_gpu_devices()
    if not llama_cpp.llama_supports_gpu_offload():
        # A CPU build lists no GPU through ggml (nvidia-smi may still see one).
        assert all(d.name.startswith("CUDA") for d in devices)
    for d in devices:
        assert d.total >= d.free >= 0


# ---------------------------------------------------------------- the token loop in-process
@pytest.fixture(scope="module")
def llama(tiny_model: Path) -> Iterator[Any]:
    """The tiny model loaded in this process (closed explicitly, not left to the GC)."""
    import llama_cpp

    model = llama_cpp.Llama(str(tiny_model), n_ctx=512, verbose=False)
    yield model
    model.close()


@pytest.mark.model
def test_token_loop_with_a_custom_token_source(llama: Any) -> None:
    """A constrained decoder may own the sampling loop: its tokens are what streams."""
    prompt = llama.tokenize(
        b"<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", add_bos=False, special=True
    )
    forced = llama.tokenize("白日依山尽，黄河入海流。".encode(), add_bos=False, special=False)
    end = llama.tokenize(b"<|im_end|>", add_bos=False, special=True)
    seen: list[list[int]] = []

    def source(tokens: list[int]):  # type: ignore[no-untyped-def]
        seen.append(tokens)
        yield from forced + end + forced

    out: list[tuple[str, int]] = []
    stats = run_generation(
        llama,
        prompt,
        Sampling(max_tokens=100),
        ("<|im_end|>",),
        threading.Event(),
        lambda t, n: out.append((t, n)),
        token_source=source,
    )
    assert seen == [prompt]
    assert "".join(t for t, _ in out) == "白日依山尽，黄河入海流。"
    assert stats.finish_reason == "stop" and stats.completion_tokens == len(forced)
    assert sum(n for _, n in out) == len(forced)


@pytest.mark.model
def test_token_loop_reassembles_characters_split_across_tokens(llama: Any) -> None:
    text = "鸂鶒𠀋"  # rare characters: byte-level pieces, not whole characters
    forced = llama.tokenize(text.encode(), add_bos=False, special=False)
    assert len(forced) > len(text)
    out: list[str] = []
    stats = run_generation(
        llama,
        llama.tokenize(b"x", add_bos=False),
        Sampling(max_tokens=len(forced)),
        (),
        threading.Event(),
        lambda t, n: out.append(t),
        token_source=lambda _t: iter(forced),
    )
    assert "".join(out) == text and all("\ufffd" not in piece for piece in out)
    assert stats.finish_reason == "length"
