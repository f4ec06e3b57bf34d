"""The remote OpenAI-compatible backend over real loopback HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from app.compose.stream import parse_text
from app.engine.backend import Backend
from app.engine.events import Done, EngineError, EngineEvent, Token
from app.engine.remote import Endpoint, RemoteBackend
from app.engine.requests import GenerateRequest, Sampling
from tests.support.engine_fixtures import (  # noqa: F401
    chat_request,
    collect,
    final,
    qwen2_vocab_fixture,
    tiny_model_fixture,
)
from tests.support.engine_http import (
    ScriptedServer,
    free_port,
    have_server_extras,
    start_llama_server,
)

pytestmark = pytest.mark.timeout(120)

API_KEY = "s3cret-key"


def only_error(events: Sequence[EngineEvent]) -> EngineError:
    assert len([e for e in events if not isinstance(e, Token)]) == 1
    err = events[-1]
    assert isinstance(err, EngineError), err
    return err


# ---------------------------------------------------------------- against llama.cpp's server
@pytest.fixture(scope="module")
def llama_server(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not have_server_extras():
        pytest.skip("llama-cpp-python[server] extras are not installed")
    log = tmp_path_factory.mktemp("server") / "server.log"
    with start_llama_server(tiny_model, api_key=API_KEY, log=log) as url:
        yield url


@pytest.mark.model
def test_streams_from_llama_cpp_server(llama_server: str) -> None:
    backend = RemoteBackend(llama_server, "tiny", API_KEY)
    assert isinstance(backend, Backend)
    assert backend.model_id.startswith("tiny@127.0.0.1:")
    text, events = collect(backend.generate(chat_request(max_tokens=16, seed=3)))
    done = final(events)
    assert text and len([e for e in events if isinstance(e, Token)]) >= 2
    assert done.stats.finish_reason == "length"
    assert done.stats.completion_tokens > 0
    assert backend.list_models() == ["tiny"]


@pytest.mark.model
def test_same_seed_same_text_from_the_server(llama_server: str) -> None:
    backend = RemoteBackend(llama_server + "/v1/", "tiny", API_KEY)  # URL forms are normalised
    a, _ = collect(backend.generate(chat_request(max_tokens=12, seed=9)))
    b, _ = collect(backend.generate(chat_request(max_tokens=12, seed=9)))
    assert a == b


@pytest.mark.model
def test_raw_completion_endpoint(llama_server: str) -> None:
    backend = RemoteBackend(llama_server, "tiny", API_KEY)
    req = GenerateRequest(prompt="春眠不觉晓", sampling=Sampling(max_tokens=6, seed=1))
    text, events = collect(backend.generate(req))
    assert text and isinstance(events[-1], Done)


@pytest.mark.model
def test_cancel_a_server_stream(llama_server: str) -> None:
    backend = RemoteBackend(llama_server, "tiny", API_KEY)
    stream = backend.generate(chat_request(max_tokens=1500))
    n = 0
    for event in stream:
        if isinstance(event, Token):
            n += 1
            if n == 3:
                threading.Timer(0.01, backend.cancel, args=(stream.request_id,)).start()
        else:
            break
    assert isinstance(event, Done) and event.cancelled
    assert n < 1500
    # The server is still usable afterwards.
    _, events = collect(backend.generate(chat_request(max_tokens=2)))
    assert isinstance(events[-1], Done)


@pytest.mark.model
def test_wrong_api_key_is_401(llama_server: str) -> None:
    for key in ("wrong", None):
        _, events = collect(RemoteBackend(llama_server, "tiny", key).generate(chat_request()))
        err = only_error(events)
        assert err.code == "http_401"
        assert "API" in err.zh and "API key" in err.en


@pytest.mark.model
def test_wrong_path_is_404(llama_server: str) -> None:
    _, events = collect(
        RemoteBackend(llama_server + "/nothing", "tiny", API_KEY).generate(chat_request())
    )
    err = only_error(events)
    assert err.code == "http_404" and "404" in err.zh


# ---------------------------------------------------------------- failures over real sockets
def test_connection_refused() -> None:
    port = free_port()  # nothing listens here
    _, events = collect(RemoteBackend(f"127.0.0.1:{port}", "m").generate(chat_request()))
    err = only_error(events)
    assert err.code == "connection_refused"
    assert "连接被拒绝" in err.zh and "refused" in err.en


def test_unknown_host() -> None:
    _, events = collect(
        RemoteBackend("http://no-such-host.invalid:8080", "m").generate(chat_request())
    )
    assert only_error(events).code in ("host_not_found", "connection")


def test_unknown_model_like_ollama_is_404_with_the_servers_message() -> None:
    with ScriptedServer("model_404") as srv:
        _, events = collect(RemoteBackend(srv.url, "nope", "k").generate(chat_request()))
    err = only_error(events)
    assert err.code == "http_404"
    assert "「nope」" in err.zh and "not found, try pulling it first" in err.en
    assert srv.headers[0]["Authorization"] == "Bearer k"


def test_malformed_stream() -> None:
    with ScriptedServer("malformed") as srv:
        text, events = collect(RemoteBackend(srv.url, "m").generate(chat_request()))
    assert text == "白日"
    err = only_error(events)
    assert err.code == "bad_stream" and "not json" in err.en


def test_stream_cut_short() -> None:
    with ScriptedServer("cut_short") as srv:
        text, events = collect(RemoteBackend(srv.url, "m").generate(chat_request()))
    assert text == "白日依山"
    assert only_error(events).code == "bad_stream"


def test_server_that_does_not_stream() -> None:
    with ScriptedServer("not_streaming") as srv:
        _, events = collect(RemoteBackend(srv.url, "m").generate(chat_request()))
    err = only_error(events)
    assert err.code == "bad_stream" and "application/json" in err.en


def test_read_timeout() -> None:
    with ScriptedServer("hang") as srv:
        backend = RemoteBackend(srv.url, "m", read_timeout_s=0.5)
        t0 = time.monotonic()
        _, events = collect(backend.generate(chat_request()))
    assert only_error(events).code == "timeout"
    assert time.monotonic() - t0 < 10


def test_cancel_while_waiting_for_the_first_token() -> None:
    with ScriptedServer("hang") as srv:
        backend = RemoteBackend(srv.url, "m", read_timeout_s=30)
        stream = backend.generate(chat_request())
        threading.Timer(0.3, stream.cancel).start()
        t0 = time.monotonic()
        _, events = collect(stream)
    assert isinstance(events[-1], Done) and events[-1].cancelled
    assert time.monotonic() - t0 < 10


def test_reasoning_content_is_wrapped_in_think_tags() -> None:
    with ScriptedServer("reasoning") as srv:
        backend = RemoteBackend(srv.url, "qpm", send_extra_sampling=False)
        text, events = collect(backend.generate(chat_request(max_tokens=50, seed=4)))
    assert text == "<think>用户要一首诗。</think>白日依山尽\n黄河入海流"
    result = parse_text(text)
    assert result.think == "用户要一首诗。" and result.lines == ("白日依山尽", "黄河入海流")
    done = final(events)
    assert done.stats.prompt_tokens == 42 and done.stats.completion_tokens == 9
    sent = srv.requests[0]
    assert sent["model"] == "qpm" and sent["stream"] is True
    assert sent["max_tokens"] == 50 and sent["seed"] == 4 and sent["stop"] == ["<|im_end|>"]
    assert "top_k" not in sent
    assert sent["messages"] == [{"role": "user", "content": "写一首七言绝句"}]


def test_sse_comments_fields_and_multiline_data() -> None:
    with ScriptedServer("sse_comments") as srv:
        text, events = collect(RemoteBackend(srv.url, "m").generate(chat_request()))
        assert srv.requests[0]["top_k"] == 20  # sent by default (llama.cpp, vLLM, Ollama)
    assert text == "一二"
    assert final(events).stats.finish_reason == "length"


def test_constraint_is_refused_remotely() -> None:
    _, events = collect(RemoteBackend("127.0.0.1:9", "m").generate(chat_request(constraint={})))
    assert only_error(events).code == "constraint_unsupported"


@pytest.mark.parametrize(
    ("url", "display"),
    [
        ("127.0.0.1:8080", "http://127.0.0.1:8080/v1"),
        ("http://localhost:11434/v1", "http://localhost:11434/v1"),
        ("https://api.example.com/v1/", "https://api.example.com:443/v1"),
        ("http://h/base", "http://h:80/base/v1"),
    ],
)
def test_endpoint_forms(url: str, display: str) -> None:
    assert Endpoint.parse(url).display == display


def test_bad_url_is_refused() -> None:
    with pytest.raises(ValueError):
        Endpoint.parse("ftp://example.com")
