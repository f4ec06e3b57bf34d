"""Bad models on the real engine: every load and every request gets an answer.

A chat template that is not valid Jinja used to hang the load for ever (llama-cpp-python
raises ``jinja2.TemplateSyntaxError``, which nobody answered, and the client waited
without a deadline while holding the lock every request needs); header values llama.cpp
aborts on (``block_count`` 0 or 1000, …) killed the engine with a backtrace for a message.
Each load below is given a deadline (``timeout=``), so the old behaviour fails the test in
seconds instead of hanging it.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path

import pytest

from app.engine.client import EngineClient, EngineLoadError, EngineUnavailableError
from app.engine.events import Done, EngineError, LoadedInfo
from app.engine.requests import ChatMessage, GenerateRequest, Sampling
from tests.support.engine_fixtures import (  # noqa: F401
    chat_request,
    collect,
    final,
    qwen2_vocab_fixture,
    tiny_config,
    tiny_model_fixture,
)
from tests.support.gguf_edit import MetaEdit, edit_metadata
from tests.support.tiny_model import write_qwen2_model

pytestmark = [pytest.mark.model, pytest.mark.timeout(180)]

ANSWER_S = 60.0  # far more than any of these loads takes; the old code never answered


@pytest.fixture(scope="module")
def client() -> object:
    with EngineClient() as engine:
        yield engine


def load_with_template(
    client: EngineClient, vocab: Path, folder: Path, name: str, template: str
) -> LoadedInfo:
    """Load the tiny model written with ``template`` as its own chat template."""
    model = write_qwen2_model(folder / f"{name}.gguf", vocab, chat_template=template)
    return client.load(tiny_config(model), timeout=ANSWER_S)


# ---------------------------------------------------------------- chat templates
BROKEN_TEMPLATES = {
    "syntax": "{% if %}{{ messages }}",
    "unknown-tag": "{% foo %}{% for m in messages %}{{ m.content }}{% endfor %}",
    "unclosed-generation": "{% generation %}{% for m in messages %}{{ m.content }}{% endfor %}",
    "raises": "{{ raise_exception('this template refuses everything') }}",
}


@pytest.mark.parametrize("kind", list(BROKEN_TEMPLATES))
def test_a_template_that_does_not_work_loads_with_chatml_and_a_notice(
    client: EngineClient, qwen2_vocab: Path, tmp_path: Path, kind: str
) -> None:
    info = load_with_template(client, qwen2_vocab, tmp_path, kind, BROKEN_TEMPLATES[kind])
    assert info.chat_template == "chatml"
    assert "The model's own chat template does not work" in info.notice("en")
    assert "ChatML" in info.notice("en") and "模型自带的对话模板无法使用" in info.notice("zh")
    text, events = collect(client.generate(chat_request(max_tokens=6)))
    assert final(events).stats.completion_tokens == 6 and text


def test_a_well_formed_generation_block_is_the_models_own_template(
    client: EngineClient, qwen2_vocab: Path, tmp_path: Path
) -> None:
    template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
        "{% generation %}{{ m['content'] }}{% endgeneration %}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    info = load_with_template(client, qwen2_vocab, tmp_path, "generation", template)
    assert info.chat_template == "gguf" and info.notice("en") == ""
    _, events = collect(client.generate(chat_request(max_tokens=4)))
    assert final(events).stats.completion_tokens == 4


def test_a_broken_template_in_the_settings_says_so(client: EngineClient, tiny_model: Path) -> None:
    info = client.load(tiny_config(tiny_model, chat_template="{% endfor %}"), timeout=ANSWER_S)
    assert info.chat_template == "chatml"
    assert info.notice("en").startswith("The chat template in the settings does not work")


def test_a_template_that_refuses_a_request_answers_it_with_an_error(
    client: EngineClient, qwen2_vocab: Path, tmp_path: Path
) -> None:
    template = (
        "{% if messages[0]['role'] == 'system' %}{{ raise_exception('no system role') }}"
        "{% endif %}{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}"
        "<|im_end|>\n{% endfor %}<|im_start|>assistant\n"
    )
    info = load_with_template(client, qwen2_vocab, tmp_path, "no-system", template)
    assert info.chat_template == "gguf"
    request = GenerateRequest(
        messages=(ChatMessage("system", "你是诗人"), ChatMessage("user", "写诗")),
        sampling=Sampling(max_tokens=4),
    )
    _, events = collect(client.generate(request))
    last = events[-1]
    assert isinstance(last, EngineError) and last.code == "template_failed"
    assert "no system role" in last.en
    _, events = collect(client.generate(chat_request(max_tokens=3)))  # still serving
    assert final(events).stats.completion_tokens == 3


# ---------------------------------------------------------------- impossible headers
ABORTING: dict[str, dict[str, MetaEdit]] = {
    "block-count-0": {"qwen2.block_count": 0},
    "block-count-1000": {"qwen2.block_count": 1000},
    "rope-scaling": {"qwen2.rope.scaling.type": "bogus"},
    "experts": {"qwen2.expert_count": 2, "qwen2.expert_used_count": 4},
    "nextn": {"qwen2.nextn_predict_layers": 5},
}


@pytest.mark.parametrize("kind", list(ABORTING))
def test_headers_llama_cpp_aborts_on_are_refused_before_it_sees_them(
    client: EngineClient, tiny_model: Path, tmp_path: Path, kind: str
) -> None:
    bad = edit_metadata(tiny_model, tmp_path / f"{kind}.gguf", ABORTING[kind])
    pid = client.pid
    with pytest.raises(EngineLoadError) as caught:
        client.load(tiny_config(bad), timeout=ANSWER_S)
    assert caught.value.code == "corrupt"
    assert f"{kind}.gguf cannot be loaded as a model" in caught.value.en
    assert "damaged, or not a model this app supports" in caught.value.en
    assert client.pid == pid and client.ping()  # the same engine, alive


# ---------------------------------------------------------------- deadlines and deaths
def test_a_load_has_a_deadline_that_grows_with_the_file(tiny_model: Path) -> None:
    engine = EngineClient(load_base_s=10.0, load_mib_per_s=1.0)
    size_mib = tiny_model.stat().st_size / (1024 * 1024)
    assert engine.load_deadline_s(tiny_config(tiny_model)) == pytest.approx(10.0 + size_mib)
    assert engine.load_deadline_s(tiny_config(tiny_model.with_name("absent.gguf"))) == 10.0


def test_a_load_that_never_answers_is_given_up_and_nothing_waits_for_ever(
    tiny_model: Path,
) -> None:
    with EngineClient() as engine:
        stuck_pid = engine.pid
        engine.send_signal(signal.SIGSTOP)  # a hung engine: it takes the command, says nothing
        outcome: list[object] = []
        loader = threading.Thread(
            target=lambda: outcome.append(_try(lambda: engine.load(tiny_config(tiny_model), 3.0)))
        )
        started = time.monotonic()
        loader.start()
        while engine.state != "loading":
            time.sleep(0.01)
        # A request made meanwhile waits for the load, and no longer than its deadline.
        _, events = collect(engine.generate(chat_request(max_tokens=2)))
        loader.join(30)
        assert time.monotonic() - started < 20
        assert isinstance(outcome[0], EngineUnavailableError)
        assert "did not finish within 3 s" in outcome[0].en
        assert "tiny-qwen2.gguf" in outcome[0].en
        assert isinstance(events[-1], EngineError)
        assert state_of(engine) == "stopped" and engine.pid is None
        # The stuck engine is gone; the next load starts a new one and works.
        assert engine.load(tiny_config(tiny_model), timeout=ANSWER_S).n_layers == 2
        assert engine.pid not in (None, stuck_pid)
        _, events = collect(engine.generate(chat_request(max_tokens=2)))
        assert isinstance(events[-1], Done)


def state_of(engine: EngineClient) -> str:
    return engine.state  # (read again: not narrowed by the loop above)


def _try(fn: object) -> object:
    try:
        return fn()  # type: ignore[operator]
    except Exception as exc:
        return exc


def test_an_engine_that_dies_while_loading_names_the_file_and_keeps_its_log_out(
    tiny_model: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="app.engine.client")
    other = tmp_path / "another-model.gguf"
    other.write_bytes(tiny_model.read_bytes())
    with EngineClient() as engine:
        engine.load(tiny_config(tiny_model), timeout=ANSWER_S)  # llama.cpp logs its load
        engine.send_signal(signal.SIGSTOP)
        outcome: list[object] = []
        loader = threading.Thread(
            target=lambda: outcome.append(_try(lambda: engine.load(tiny_config(other), ANSWER_S)))
        )
        loader.start()
        while engine.state != "loading":
            time.sleep(0.01)
        engine.send_signal(signal.SIGABRT)  # what llama.cpp does on a file it cannot take
        engine.send_signal(signal.SIGCONT)
        loader.join(30)
        error = outcome[0]
        assert isinstance(error, EngineUnavailableError) and error.crash is not None
        assert error.en.startswith(
            "The inference process died (killed by SIGABRT) while loading another-model.gguf."
        )
        assert "damaged" in error.en and "another-model.gguf" in error.zh and "不支持" in error.zh
        tail = error.crash.stderr_tail
        assert "[engine] loaded" in tail  # the engine's log (llama.cpp's too) is kept …
        assert "[engine] loaded" not in error.en + error.zh  # … out of the message …
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert "while loading" in logged and "[engine] loaded" in logged  # … in the log
        assert engine.last_crash is not None and engine.last_crash.loading
