"""Strict-metre generation end to end on the tiny model: in-process and in the engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.compose.constraint import ConstraintFactory, Phase, metre_spec
from app.compose.stream import parse_text
from app.engine.client import EngineClient
from app.engine.events import Done, EngineError, Token
from app.engine.requests import ChatMessage, GenerateRequest, Sampling
from app.prosody.checker import Checker
from app.prosody.findings import Severity
from app.prosody.forms import Form
from app.prosody.groups import GROUPS
from tests.support.constraint_tools import (  # noqa: F401
    constraint_factory_fixture,
    generate_text,
    strict_request,
    tiny_llama_fixture,
)
from tests.support.engine_fixtures import (  # noqa: F401
    collect,
    engine_fixture,
    engine_process_fixture,
    qwen2_vocab_fixture,
    tiny_model_fixture,
)

pytestmark = [pytest.mark.model, pytest.mark.timeout(300)]

PROMPT = "<|im_start|>user\n写一首诗<|im_end|>\n<|im_start|>assistant\n"
CASES = [(Form.WUJUE, 0), (Form.QIJUE, 14), (Form.WULV, 20), (Form.QILV, 29)]


def _generate(
    llama: Any, factory: ConstraintFactory | None, spec: dict[str, Any] | None, sampling: Sampling
) -> tuple[str, list[int], Any]:
    seen: list[int] = []
    source = None
    if factory is not None and spec is not None:
        inner = factory.token_source(spec, sampling)

        def source(prompt: list[int]) -> Iterator[int]:
            for t in inner(prompt):
                seen.append(t)
                yield t

    text, stats = generate_text(llama, PROMPT, sampling, source)
    return text, seen, stats


def _errors(checker: Checker, poem: str, form: Form, group: int) -> list[tuple[object, ...]]:
    found = checker.analyze(poem, form=form, group=GROUPS[group]).findings
    return [(f.rule, f.line, f.pos, f.char) for f in found if f.severity >= Severity.WARNING]


@pytest.mark.parametrize(("form", "group"), CASES, ids=[f.value for f, _ in CASES])
def test_constrained_poems_pass_the_checker(
    llama: Any, factory: ConstraintFactory, checker: Checker, form: Form, group: int
) -> None:
    for seed in (1, 2):
        spec = metre_spec(form, group, think_budget=16)
        text, _tokens, stats = _generate(llama, factory, spec, Sampling(max_tokens=600, seed=seed))
        assert stats.finish_reason == "stop", text
        result = parse_text(text)
        assert result.saw_think_close and result.saw_answer and result.answer_closed
        assert len(result.lines) == form.n_lines and result.trailing == ""
        assert all(len(line) == form.line_len for line in result.lines)
        assert _errors(checker, result.poem, form, group) == [], result.poem
        rhymes = [result.lines[i][-1] for i in range(1, len(result.lines), 2)]
        assert len(set(rhymes)) == len(rhymes)  # no rhyme twice
        assert factory.last is not None and factory.last.substitutions == 0


def test_free_generation_from_the_same_model_breaks_the_rules(llama: Any, checker: Checker) -> None:
    """The control: the random model's own answer is not a poem at all."""
    text, _tokens, _stats = _generate(llama, None, None, Sampling(max_tokens=80, seed=1))
    result = parse_text(text, assume_think=False)
    analysis = checker.analyze(result.answer or text, form=Form.WUJUE, group=GROUPS[0])
    assert any(f.severity is Severity.ERROR for f in analysis.findings)


def test_thinking_is_untouched(llama: Any, factory: ConstraintFactory) -> None:
    """Greedy decoding: the constrained run thinks exactly what the free run writes, up to
    the budget; then ``</think>`` and the answer are forced."""
    greedy = Sampling(temperature=0.0, max_tokens=20, seed=0)
    free, _t, _s = _generate(llama, None, None, greedy)
    spec = metre_spec(Form.WUJUE, 3, think_budget=20)
    text, _tokens, stats = _generate(
        llama, factory, spec, Sampling(temperature=0.0, max_tokens=400)
    )
    assert stats.finish_reason == "stop"
    think, _, rest = text.partition("\n</think>\n\n<answer>\n")
    assert think == free and rest.endswith("\n</answer>")
    constraint = factory.last
    assert constraint is not None and constraint.think_tokens == 20


def test_think_phase_masks_only_end_and_control_tokens(factory: ConstraintFactory) -> None:
    constraint = factory.build(metre_spec(Form.QIJUE, 5))
    assert constraint.phase is Phase.THINK
    rng = np.random.default_rng(0)
    logits = rng.standard_normal(factory.vocab.n_vocab).astype(np.float32)
    before = logits.copy()
    constraint.apply(logits)
    banned = factory.vocab.banned_while_thinking
    assert np.isneginf(logits[banned]).all() and len(banned) >= 2
    keep = np.ones(len(logits), dtype=bool)
    keep[banned] = False
    assert np.array_equal(logits[keep], before[keep])
    assert factory.eos in set(banned.tolist())


def test_no_thinking_answers_at_once(
    llama: Any, factory: ConstraintFactory, checker: Checker
) -> None:
    spec = metre_spec(Form.QILV, 25, think_budget=0)
    text, tokens, _stats = _generate(llama, factory, spec, Sampling(max_tokens=400, seed=4))
    assert text.startswith("<answer>\n") and text.endswith("\n</answer>")
    assert _errors(checker, parse_text(text).poem, Form.QILV, 25) == []
    assert tokens[-1] == factory.eos


def test_a_small_token_limit_shortens_thinking_not_the_poem(
    llama: Any, factory: ConstraintFactory, checker: Checker
) -> None:
    spec = metre_spec(Form.WUJUE, 9, think_budget=1000)
    constraint = factory.build(spec, max_tokens=200)
    assert constraint.think_budget == 200 - constraint.reserve
    text, _tokens, stats = _generate(llama, factory, spec, Sampling(max_tokens=200, seed=9))
    assert stats.finish_reason == "stop" and stats.completion_tokens <= 200
    assert _errors(checker, parse_text(text).poem, Form.WUJUE, 9) == []


# ---------------------------------------------------------------- through the engine process
def _request(spec: dict[str, Any], *, max_tokens: int = 500, seed: int = 3) -> GenerateRequest:
    return strict_request("写一首七言绝句，押上平十一真", spec, max_tokens=max_tokens, seed=seed)


def test_engine_process_generates_a_strict_poem(
    engine: EngineClient, checker: Checker, tmp_path: Path
) -> None:
    spec = metre_spec(Form.QIJUE, 10, think_budget=24, cache_dir=str(tmp_path))
    text, events = collect(engine.generate(_request(spec)))
    done = events[-1]
    assert isinstance(done, Done) and done.stats.finish_reason == "stop", events[-1]
    result = parse_text(text)
    assert _errors(checker, result.poem, Form.QIJUE, 10) == [], text
    assert list(tmp_path.glob("vocab-*.npz")) and list(tmp_path.glob("chars-*.npz"))
    again, events = collect(engine.generate(_request(spec, seed=4)))  # the kept factory
    assert isinstance(events[-1], Done)
    assert _errors(checker, parse_text(again).poem, Form.QIJUE, 10) == []


@pytest.mark.parametrize(
    ("group", "code", "zh", "en"),
    [
        ("上声一董", "ze_group", "仄声韵部", "oblique-tone"),
        ("没有的韵", "unknown_group", "没有这个韵部", "no such rhyme group"),
        (None, "no_group", "需要先选定韵部", "needs a rhyme group"),
    ],
)
def test_engine_rejects_impossible_requests_before_generating(
    engine: EngineClient, group: str | None, code: str, zh: str, en: str
) -> None:
    spec = {"kind": "metre", "form": "七绝", "group": group}
    _text, events = collect(engine.generate(_request(spec)))
    assert not [e for e in events if isinstance(e, Token)]
    err = events[-1]
    assert isinstance(err, EngineError) and err.code == code
    assert zh in err.zh and en in err.en


def test_engine_rejects_a_token_limit_too_small_for_a_poem(
    engine: EngineClient, tmp_path: Path
) -> None:
    spec = metre_spec(Form.QILV, 0, cache_dir=str(tmp_path))  # never the user's cache folder
    _text, events = collect(engine.generate(_request(spec, max_tokens=50)))
    err = events[-1]
    assert isinstance(err, EngineError) and err.code == "too_short"
    assert "放不下一首完整的诗" in err.zh and "too small for a whole poem" in err.en
    assert not [e for e in events if isinstance(e, Token)]


def test_engine_rejects_a_prompt_that_leaves_no_room_for_a_poem(
    engine: EngineClient, llama: Any, tmp_path: Path
) -> None:
    """The context (2,048 tokens) minus a long prompt cannot hold a 七律: refused with the
    constraint's own message, not as a generic error."""
    text = "天地玄黄宇宙洪荒日月盈昃辰宿列张" * 8
    while len(llama.tokenize(text.encode(), add_bos=False)) < 1900:
        text += "寒来暑往秋收冬藏闰余成岁律吕调阳"
    request = GenerateRequest(
        messages=(ChatMessage("user", text),),
        sampling=Sampling(max_tokens=4096, seed=1),
        constraint=metre_spec(Form.QILV, 0, cache_dir=str(tmp_path)),
    )
    _text, events = collect(engine.generate(request))
    err = events[-1]
    assert isinstance(err, EngineError) and err.code == "too_short", err
    assert "放不下一首完整的诗" in err.zh and "too small for a whole poem" in err.en
    assert not [e for e in events if isinstance(e, Token)]
