"""pytest fixtures for tests that run the real engine on the tiny generated model.

Import the fixtures you need into a test module (pytest picks them up from its
namespace; the fixture names are ``qwen2_vocab``, ``tiny_model``, ``engine_process``,
``engine``, and for the qwen3 model ``tiny_qwen3``, ``engine3_process``, ``engine3``)::

    from tests.support.engine_fixtures import (  # noqa: F401
        engine_fixture, engine_process_fixture, qwen2_vocab_fixture, tiny_model_fixture,
    )

``engine`` (``engine3``) reloads the model for every test on the module's process.

The Qwen2 vocabulary is cached in pytest's cache folder (``.pytest_cache``), so
only the first run on a machine downloads the llama-cpp-python sdist.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.engine.client import EngineClient
from app.engine.events import Done, EngineEvent, Token
from app.engine.requests import ChatMessage, GenerateRequest, LoadConfig, Sampling
from tests.support.tiny_model import (
    VocabUnavailableError,
    fetch_qwen2_vocab,
    write_qwen2_model,
    write_qwen3_model,
)

HAVE_LLAMA = importlib.util.find_spec("llama_cpp") is not None
needs_llama = pytest.mark.skipif(not HAVE_LLAMA, reason="llama-cpp-python is not installed")


@pytest.fixture(scope="session", name="qwen2_vocab")
def qwen2_vocab_fixture(request: pytest.FixtureRequest) -> Path:
    if not HAVE_LLAMA:
        pytest.skip("llama-cpp-python is not installed")
    cache = Path(request.config.cache.mkdir("shijian-qwen2-vocab"))
    try:
        return fetch_qwen2_vocab(cache)
    except VocabUnavailableError as exc:
        pytest.skip(f"Qwen2 vocabulary unavailable: {exc}")


@pytest.fixture(scope="session", name="tiny_model")
def tiny_model_fixture(qwen2_vocab: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 64-wide qwen2 GGUF (45 MB) with the real Qwen2 tokenizer."""
    return write_qwen2_model(tmp_path_factory.mktemp("models") / "tiny-qwen2.gguf", qwen2_vocab)


@pytest.fixture(scope="session", name="tiny_qwen3")
def tiny_qwen3_fixture(qwen2_vocab: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 64-wide qwen3 GGUF (45 MB): per-head q/k norms, a 32-wide head, no q/k/v
    bias, Qwen3's tokens (<think> 151667, </think> 151668) and thinking switch."""
    return write_qwen3_model(tmp_path_factory.mktemp("models") / "tiny-qwen3.gguf", qwen2_vocab)


def tiny_config(model: Path, **overrides: object) -> LoadConfig:
    settings: dict[str, object] = {"model_path": str(model), "n_ctx": 2048}
    settings.update(overrides)
    return LoadConfig(**settings)  # type: ignore[arg-type]


def started_engine(model: Path | None = None) -> Iterator[EngineClient]:
    """For a fixture to ``yield from``: an engine process, started (with ``model`` loaded
    through :func:`tiny_config` when given), stopped when the fixture ends."""
    client = EngineClient(cancel_grace_s=5.0)
    client.start()
    if model is not None:
        client.load(tiny_config(model))
    yield client
    client.stop()


@pytest.fixture(scope="module", name="engine_process")
def engine_process_fixture(tiny_model: Path) -> Iterator[EngineClient]:
    """A started engine process, shared by a test module (tests use ``engine``)."""
    yield from started_engine()


@pytest.fixture(name="engine")
def engine_fixture(engine_process: EngineClient, tiny_model: Path) -> EngineClient:
    """The module's engine process with the tiny model loaded afresh for this test.

    Loading gives a new llama.cpp context: nothing an earlier test left behind (its
    prompts in the KV cache, another model or settings, a killed process) reaches this
    one, so a test's output never depends on which tests ran before it.
    """
    engine_process.load(tiny_config(tiny_model))
    return engine_process


@pytest.fixture(scope="module", name="engine3_process")
def engine3_process_fixture(tiny_qwen3: Path) -> Iterator[EngineClient]:
    """A started engine process for the qwen3 model, shared by a test module."""
    yield from started_engine()


@pytest.fixture(name="engine3")
def engine3_fixture(engine3_process: EngineClient, tiny_qwen3: Path) -> EngineClient:
    """The module's engine process with the tiny qwen3 model loaded afresh for this test."""
    engine3_process.load(tiny_config(tiny_qwen3))
    return engine3_process


def chat_request(
    text: str = "写一首七言绝句", *, max_tokens: int = 32, seed: int | None = 7, **kwargs: object
) -> GenerateRequest:
    return GenerateRequest(
        messages=(ChatMessage("user", text),),
        sampling=Sampling(max_tokens=max_tokens, seed=seed),
        **kwargs,  # type: ignore[arg-type]
    )


def collect(events: Iterator[EngineEvent]) -> tuple[str, list[EngineEvent]]:
    """All events of a stream and the text of its tokens."""
    got = list(events)
    return "".join(e.text for e in got if isinstance(e, Token)), got


def final(events: list[EngineEvent]) -> Done:
    last = events[-1]
    assert isinstance(last, Done), f"expected Done, got {last!r}"
    return last
