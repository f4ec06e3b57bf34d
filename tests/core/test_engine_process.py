"""The real engine process (python -m app.engine.worker) on the tiny generated model."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.engine.client import EngineClient, EngineLoadError
from app.engine.events import Done, EngineCrashed, EngineError, Started, Token
from app.engine.protocol import decode, encode
from app.engine.requests import GenerateRequest, Sampling
from tests.support.engine_fixtures import (  # noqa: F401
    chat_request,
    collect,
    engine_fixture,
    engine_process_fixture,
    final,
    qwen2_vocab_fixture,
    tiny_config,
    tiny_model_fixture,
)

pytestmark = [pytest.mark.model, pytest.mark.timeout(120)]


def state_of(client: EngineClient) -> str:
    return client.state  # (read again: not narrowed by an earlier assert)


def wait_state(client: EngineClient, state: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while client.state != state:
        assert time.monotonic() < deadline, f"state stayed {client.state!r}, wanted {state!r}"
        time.sleep(0.02)


# ---------------------------------------------------------------- load and stream
def test_load_reports_where_and_why(engine: EngineClient, tiny_model: Path) -> None:
    info = engine.loaded
    assert info is not None
    assert info.model_path == str(tiny_model)
    assert info.backend == "cpu" and info.n_gpu_layers == 0
    assert info.n_layers == 2 and info.n_ctx == 2048
    assert info.chat_template == "gguf"  # the Qwen2 ChatML template from the GGUF
    assert "CPU" in info.reason_en and "CPU" in info.reason_zh
    assert info.memory.kv_bytes > 0 and info.load_ms > 0
    assert engine.state == "ready" and engine.model_id == tiny_model.name


def test_stream_tokens_then_done(engine: EngineClient) -> None:
    text, events = collect(engine.generate(chat_request(max_tokens=24)))
    done = final(events)
    started = events[0]
    assert isinstance(started, Started) and started.prompt_tokens == done.stats.prompt_tokens
    assert all(isinstance(e, Token) for e in events[1:-1])
    tokens = [e for e in events if isinstance(e, Token)]
    assert tokens and text
    assert done.stats.finish_reason in ("length", "stop")
    assert done.stats.prompt_tokens > 10
    assert 0 < done.stats.completion_tokens <= 24
    assert sum(t.n_tokens for t in tokens) <= done.stats.completion_tokens
    assert done.stats.prompt_ms > 0


def test_model_stays_loaded_between_requests(engine: EngineClient) -> None:
    pid = engine.pid
    first_text, first = collect(engine.generate(chat_request(max_tokens=16, seed=11)))
    second_text, second = collect(engine.generate(chat_request(max_tokens=16, seed=11)))
    assert engine.pid == pid
    assert first_text == second_text  # same seed, same model, same output
    # The second request reused the first one's prompt from the KV cache.
    assert final(second).stats.cached_tokens >= final(first).stats.prompt_tokens - 1
    third_text, _ = collect(engine.generate(chat_request(max_tokens=16, seed=12)))
    assert third_text != first_text


def test_a_test_gets_a_fresh_model_whatever_ran_before(engine: EngineClient) -> None:
    # The test before this one left its prompt in the shared process's KV cache; the
    # fixture reloads, so nothing is reused and the output is what a new engine gives.
    text, events = collect(engine.generate(chat_request(max_tokens=16, seed=11)))
    assert final(events).stats.cached_tokens == 0
    with EngineClient(cancel_grace_s=5.0) as fresh:
        fresh.load(tiny_config(Path(engine.loaded.model_path)))  # type: ignore[union-attr]
        alone, _ = collect(fresh.generate(chat_request(max_tokens=16, seed=11)))
    assert text == alone


def test_raw_prompt_without_chat_template(engine: EngineClient) -> None:
    req = GenerateRequest(prompt="春眠不觉晓", sampling=Sampling(max_tokens=8, seed=1))
    text, events = collect(engine.generate(req))
    done = final(events)
    assert text
    assert done.stats.prompt_tokens < 10 and done.stats.completion_tokens == 8


def test_stop_string_cuts_the_output(engine: EngineClient) -> None:
    full, _ = collect(engine.generate(chat_request(max_tokens=40, seed=5)))
    assert len(full) > 12
    stop = full[len(full) // 2 : len(full) // 2 + 3]
    cut, events = collect(engine.generate(chat_request(max_tokens=40, seed=5, stop=(stop,))))
    assert cut == full[: full.index(stop)]
    assert final(events).stats.finish_reason == "stop"


def test_requests_from_two_threads_are_served_in_turn(engine: EngineClient) -> None:
    results: dict[int, list[object]] = {}

    def run(i: int) -> None:
        results[i] = list(engine.generate(chat_request(max_tokens=12, seed=i)))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == [0, 1, 2]
    for events in results.values():
        assert isinstance(events[-1], Done) and events[-1].stats.completion_tokens == 12


def test_prompt_longer_than_the_context_is_an_error(engine: EngineClient) -> None:
    req = GenerateRequest(prompt="春" * 5000, sampling=Sampling(max_tokens=4))
    _, events = collect(engine.generate(req))
    assert isinstance(events[-1], EngineError) and events[-1].code == "too_long"
    assert engine.ping()


# ---------------------------------------------------------------- cancel
def test_cancel_during_generation(engine: EngineClient) -> None:
    pid = engine.pid
    stream = engine.generate(chat_request(max_tokens=1500))
    seen = 0
    for event in stream:
        if isinstance(event, Token):
            seen += 1
            if seen == 5:
                stream.cancel()
    assert isinstance(event, Done) and event.cancelled
    assert event.stats.completion_tokens < 1500 and event.note == ""
    assert engine.pid == pid
    _, events = collect(engine.generate(chat_request(max_tokens=4)))
    assert final(events).stats.completion_tokens == 4


def test_cancel_a_queued_request_before_it_starts(engine: EngineClient) -> None:
    first = engine.generate(chat_request(max_tokens=200))
    second = engine.generate(chat_request(max_tokens=200))
    second.cancel()
    _, second_events = collect(second)
    assert final(second_events).cancelled
    _, first_events = collect(first)
    assert final(first_events).stats.completion_tokens == 200


def test_closing_a_stream_cancels_it(engine: EngineClient) -> None:
    stream = engine.generate(chat_request(max_tokens=1500))
    assert isinstance(next(stream), Started)
    assert isinstance(next(stream), Token)
    stream.close()
    # The engine is free again: the next request runs to its end.
    _, events = collect(engine.generate(chat_request(max_tokens=3)))
    assert final(events).stats.completion_tokens == 3


LONG_PROMPT = "春风又绿江南岸，明月何时照我还。" * 320  # ~3,850 tokens: seconds of prompt work


@pytest.mark.slow
def test_cancel_inside_a_long_prompt_batch_stops_it(tiny_model: Path) -> None:
    """The abort callback stops llama.cpp inside one 4096-token batch."""
    with EngineClient(cancel_grace_s=30.0) as client:
        client.load(tiny_config(tiny_model, n_ctx=4096, n_batch=4096, flash_attn=False))
        pid = client.pid
        stream = client.generate(
            GenerateRequest(prompt=LONG_PROMPT, sampling=Sampling(max_tokens=2000))
        )
        started = next(stream)  # the engine took it: the prompt batch is running now
        assert isinstance(started, Started) and started.prompt_tokens > 3000
        time.sleep(0.1)
        stream.cancel()
        _, events = collect(stream)
        done = final(events)
        assert done.cancelled and done.note == ""
        # Stopped inside prompt processing: the prompt was taken, no token came out.
        assert done.stats.prompt_tokens > 3000 and done.stats.completion_tokens == 0
        assert client.pid == pid  # stopped in place, no restart
        _, events = collect(client.generate(chat_request(max_tokens=3)))
        assert final(events).stats.completion_tokens == 3


@pytest.mark.slow
def test_cancel_not_acknowledged_in_time_kills_and_restarts(tiny_model: Path) -> None:
    """Without the abort callback the batch cannot be interrupted: kill, restart, reload."""
    with EngineClient(cancel_grace_s=0.2) as client:
        client.load(
            tiny_config(
                tiny_model, n_ctx=4096, n_batch=4096, flash_attn=False, cooperative_cancel=False
            )
        )
        pid = client.pid
        stream = client.generate(
            GenerateRequest(prompt=LONG_PROMPT, sampling=Sampling(max_tokens=2000))
        )
        assert isinstance(next(stream), Started)  # inside the uninterruptible batch now
        stream.cancel()
        _, events = collect(stream)
        done = final(events)
        # Ended by the deadline (kill), not by the batch finishing: the note says so.
        assert done.cancelled and "restarted" in done.note
        # The next request waits for the restart and the reload, then runs.
        _, events = collect(client.generate(chat_request(max_tokens=3)))
        assert final(events).stats.completion_tokens == 3
        assert client.pid != pid and client.state == "ready"
        assert client.loaded is not None and client.loaded.n_ctx == 4096
        assert client.last_crash is None  # a deliberate kill is not a crash


# ---------------------------------------------------------------- crashes
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGABRT], ids=["SIGKILL", "SIGABRT"])
def test_engine_killed_mid_stream_reports_crash_then_restarts(
    tiny_model: Path,
    sig: signal.Signals,
) -> None:
    with EngineClient() as client:
        client.load(tiny_config(tiny_model))
        old_pid = client.pid
        stream = client.generate(chat_request(max_tokens=1500))
        seen = 0
        for event in stream:
            if isinstance(event, Token):
                seen += 1
                if seen == 3:
                    client.send_signal(sig)
        assert isinstance(event, EngineCrashed)
        assert event.exit_code == -sig and event.signal_name == sig.name
        assert sig.name in event.message("en")
        assert "llama" in event.stderr_tail  # the engine's own log, for the bug report
        assert client.state == "crashed" and client.last_crash is not None
        # Asking a dead engine answers at once with the crash, never hangs.
        _, events = collect(client.generate(chat_request()))
        assert isinstance(events[-1], EngineCrashed)
        info = client.restart()
        assert info is not None and info.n_layers == 2
        assert client.pid != old_pid and state_of(client) == "ready"
        _, events = collect(client.generate(chat_request(max_tokens=5)))
        assert final(events).stats.completion_tokens == 5


def test_engine_killed_while_idle_is_noticed(tiny_model: Path) -> None:
    with EngineClient() as client:
        client.load(tiny_config(tiny_model))
        states: list[str] = []
        client.add_listener(states.append)
        client.send_signal(signal.SIGKILL)
        wait_state(client, "crashed")
        assert states[-1] == "crashed"
        assert client.loaded is None


# ---------------------------------------------------------------- bad models
def expect_load_error(client: EngineClient, path: Path, code: str) -> EngineLoadError:
    with pytest.raises(EngineLoadError) as info:
        client.load(tiny_config(path))
    err = info.value
    assert err.code == code, (err.code, err.en)
    assert client.ping()  # the engine survived
    return err


def test_missing_and_damaged_model_files(tiny_model: Path, tmp_path: Path) -> None:
    with EngineClient() as client:
        err = expect_load_error(client, tmp_path / "nope.gguf", "missing")
        assert "nope.gguf" in err.zh and "not found" in err.en

        text_file = tmp_path / "notes.gguf"
        text_file.write_text("这不是模型", encoding="utf-8")
        err = expect_load_error(client, text_file, "not_gguf")
        assert "GGUF" in err.en

        truncated = tmp_path / "truncated.gguf"
        with open(tiny_model, "rb") as src, open(truncated, "wb") as dst:
            dst.write(src.read(2_000_000))
        err = expect_load_error(client, truncated, "corrupt")
        assert err.zh and err.en

        garbage = tmp_path / "garbage.gguf"
        garbage.write_bytes(b"GGUF" + bytes(range(256)) * 64)
        expect_load_error(client, garbage, "corrupt")

        _, events = collect(client.generate(chat_request()))
        assert isinstance(events[-1], EngineError) and events[-1].code == "no_model"

        # A good model still loads in the same engine afterwards.
        good = tmp_path / "good.gguf"
        shutil.copy(tiny_model, good)
        assert client.load(tiny_config(good)).n_layers == 2
        _, events = collect(client.generate(chat_request(max_tokens=2)))
        assert final(events).stats.completion_tokens == 2


def test_unload_then_generate_is_an_error(tiny_model: Path) -> None:
    with EngineClient() as client:
        client.load(tiny_config(tiny_model))
        client.unload()
        assert client.loaded is None and client.state == "idle"
        _, events = collect(client.generate(chat_request()))
        assert isinstance(events[-1], EngineError) and events[-1].code == "no_model"


# ---------------------------------------------------------------- process life
def test_stop_ends_the_process_cleanly(tiny_model: Path) -> None:
    client = EngineClient()
    client.start()
    client.load(tiny_config(tiny_model))
    proc = client._proc
    assert proc is not None
    client.stop()
    assert proc.popen.returncode == 0
    assert client.state == "stopped" and client.pid is None
    _, events = collect(client.generate(chat_request()))
    assert isinstance(events[-1], EngineError) and events[-1].code == "not_running"


def test_engine_exits_when_its_window_goes_away() -> None:
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root))
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.engine.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdout is not None and proc.stdin is not None
    ready = decode(proc.stdout.readline())
    assert ready["ev"] == "ready" and ready["protocol"] == 1 and ready["pid"] == proc.pid
    proc.stdin.write(encode({"op": "ping", "id": "p"}))
    proc.stdin.flush()
    assert decode(proc.stdout.readline()) == {"ev": "pong", "id": "p"}
    proc.stdin.close()  # as when the window dies
    assert proc.wait(timeout=20) == 0
