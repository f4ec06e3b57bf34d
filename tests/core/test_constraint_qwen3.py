"""Strict metre with the Qwen3 tokenizer (its extra special tokens, <think>/</think> as
single user-defined tokens, single-character tokens): every form, checker-clean, in
process and through the engine with the thinking budget."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.compose.constraint import ConstraintFactory, metre_spec
from app.compose.stream import ThinkAnswerParser, parse_text
from app.engine.client import EngineClient
from app.engine.events import Started, Token
from app.engine.requests import ChatMessage, GenerateRequest, Sampling
from app.prosody.checker import Checker
from app.prosody.findings import Severity
from app.prosody.forms import Form
from app.prosody.groups import GROUPS
from tests.support.constraint_tools import (  # noqa: F401
    constraint_factory_fixture,
    generate_text,
    tiny_qwen3_llama_fixture,
)
from tests.support.engine_fixtures import (  # noqa: F401
    collect,
    engine3_fixture,
    engine3_process_fixture,
    final,
    qwen2_vocab_fixture,
    tiny_qwen3_fixture,
)
from tests.support.tiny_model import QWEN3_ADDED, QWEN3_EOS_ID, THINK_CLOSE_ID, THINK_OPEN_ID

pytestmark = [pytest.mark.model, pytest.mark.timeout(300)]

# the prompt as the engine writes it for Qwen3 with thinking on
PROMPT = "<|im_start|>user\n写一首诗<|im_end|>\n<|im_start|>assistant\n<think>\n"
CASES = [(Form.WUJUE, 2), (Form.QIJUE, 9), (Form.WULV, 17), (Form.QILV, 25)]


def _errors(checker: Checker, poem: str, form: Form, group: int) -> list[tuple[object, ...]]:
    found = checker.analyze(poem, form=form, group=GROUPS[group]).findings
    return [(f.rule, f.line, f.pos, f.char) for f in found if f.severity >= Severity.WARNING]


def test_the_qwen3_vocabulary_is_sorted_right(factory: ConstraintFactory) -> None:
    vocab = factory.vocab
    text = set(vocab.text_ids.tolist())
    added = set(QWEN3_ADDED)
    assert not added & text  # no special or added token ever enters the poem
    banned = set(vocab.banned_while_thinking.tolist())
    control = {i for i, (_, kind) in QWEN3_ADDED.items() if kind == 3}
    assert control <= banned and QWEN3_EOS_ID in banned
    # the thinking tags are ordinary (user-defined) tokens: thinking may write them
    assert THINK_OPEN_ID not in banned and THINK_CLOSE_ID not in banned
    assert factory.eos == QWEN3_EOS_ID  # <|im_end|> ends the turn
    single = {s for s in vocab.text_strs if len(s) == 1 and s != "\n"}
    assert len(single) > 8000 and set("春风花月山水楼流") <= single  # common characters
    assert any(len(s) > 1 and "\n" not in s for s in vocab.text_strs)  # and runs of them


@pytest.mark.parametrize(("form", "group"), CASES, ids=[f.value for f, _ in CASES])
def test_strict_poems_in_every_form_are_checker_clean(
    llama: Any, factory: ConstraintFactory, checker: Checker, form: Form, group: int
) -> None:
    for seed in (1, 2):
        spec = metre_spec(form, group, think_budget=16)
        sampling = Sampling(max_tokens=600, seed=seed)
        text, stats = generate_text(llama, PROMPT, sampling, factory.token_source(spec, sampling))
        assert stats.finish_reason == "stop"
        parser = ThinkAnswerParser(assume_think=False)
        parser.open_think()  # the prompt opened <think>
        parser.feed(text)
        result = parser.finish()[1]
        assert result.saw_think_close and result.saw_answer and result.answer_closed
        assert len(result.lines) == form.n_lines
        assert all(len(line) == form.line_len for line in result.lines)
        assert _errors(checker, result.poem, form, group) == [], result.poem
        rhymes = [result.lines[i][-1] for i in range(1, len(result.lines), 2)]
        assert len(set(rhymes)) == len(rhymes)
        assert stats.think_tokens == 16 and stats.think_end == "budget"
        assert factory.last is not None and factory.last.substitutions == 0


def test_think_tags_written_by_the_model_as_one_token_end_thinking(
    llama: Any, factory: ConstraintFactory
) -> None:
    """</think> as Qwen3's single token 151668: the constraint sees it and bridges to the
    answer (the model closed it, not the budget)."""
    constraint = factory.build(metre_spec(Form.WUJUE, 2, think_budget=50))
    logits = np.zeros(factory.vocab.n_vocab, dtype=np.float32)
    for token in llama.tokenize("想一想".encode(), add_bos=False):
        constraint.apply(logits)
        constraint.accept(token)
    constraint.apply(logits)
    constraint.accept(THINK_CLOSE_ID)
    assert constraint.think_end == "model" and constraint.think_tokens == 4
    forced = []
    while constraint.phase.value == "forced":
        logits[:] = 0
        constraint.apply(logits)
        token = int(np.argmax(logits))
        forced.append(token)
        constraint.accept(token)
        assert constraint.last_tag == ""  # not the budget's doing
    assert llama.detokenize(forced).decode() == "\n\n<answer>\n"


def test_engine_strict_qwen3_poem_with_thinking_and_budget(engine3: EngineClient) -> None:
    spec = metre_spec(Form.QILV, 25)  # its default budget (1024): the request's wins
    request = GenerateRequest(
        messages=(ChatMessage("user", "写一首七律"),),
        sampling=Sampling(max_tokens=700, seed=5),
        constraint=spec,
        thinking=True,
        think_budget=20,
    )
    text, events = collect(engine3.generate(request))
    started = events[0]
    assert isinstance(started, Started) and started.think_open
    stats = final(events).stats
    assert stats.finish_reason == "stop"
    assert stats.think_tokens == 20 and stats.think_end == "budget"
    forced = "".join(e.text for e in events if isinstance(e, Token) and e.forced)
    assert forced.startswith("\n</think>") and "<answer>" in forced
    result = parse_text("<think>" + text)
    assert len(result.lines) == 8 and all(len(line) == 7 for line in result.lines)
    # thinking switched off: no thinking at all, the answer at once
    off = GenerateRequest(
        messages=request.messages,
        sampling=request.sampling,
        constraint=spec,
        thinking=False,
        think_budget=20,
    )
    text, events = collect(engine3.generate(off))
    assert text.startswith("<answer>\n") and final(events).stats.think_tokens == 0
    assert len(parse_text(text, assume_think=False).lines) == 8
