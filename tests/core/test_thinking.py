"""Thinking: the template's switch, the budget tracker, and the stream parser with Qwen3's
<think>/</think> tokens (single tokens) and spelled out (pieces)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.compose.prompt import (
    NO_THINK_SAMPLING,
    REASONING_SYSTEM_PROMPT,
    ComposeRequest,
    PromptStyle,
    build_prompt,
)
from app.compose.stream import ThinkAnswerParser, parse_text
from app.engine.chat_template import ChatRenderer, render_chatml
from app.engine.requests import ChatMessage, GenerateRequest, Sampling
from app.engine.thinking import (
    EMPTY_THINK,
    ThinkTracker,
    render_prompt,
    thinking_open,
    with_thinking,
)
from app.prosody.forms import Form
from app.prosody.rhymebook import RhymeBook
from tests.support.engine_fixtures import (  # noqa: F401
    needs_llama,
    qwen2_vocab_fixture,
    tiny_qwen3_fixture,
)
from tests.support.tiny_model import QWEN3_STYLE_TEMPLATE, THINK_CLOSE_ID, THINK_OPEN_ID

MESSAGES = (ChatMessage("user", "写一首七绝"),)
# a template that always opens thinking and has no switch ("thinking-only" models)
ALWAYS_THINKS = (
    "{%- for m in messages %}{{- '<|im_start|>' + m['role'] + '\\n' + m['content'] + "
    "'<|im_end|>\\n' }}{%- endfor %}{{- '<|im_start|>assistant\\n<think>\\n' }}"
)


def test_the_switch_reaches_the_template_and_the_prompt_agrees() -> None:
    qwen3 = ChatRenderer(QWEN3_STYLE_TEMPLATE)
    on, open_on = render_prompt(qwen3, MESSAGES, True)
    assert on.endswith("<|im_start|>assistant\n<think>\n") and open_on  # the engine opened it
    off, open_off = render_prompt(qwen3, MESSAGES, False)
    assert off.endswith("<|im_start|>assistant\n" + EMPTY_THINK) and not open_off
    assert off.count("<think>") == 1  # the template's own empty block, not a second one
    left, open_left = render_prompt(qwen3, MESSAGES, None)
    assert left.endswith("<|im_start|>assistant\n") and not open_left
    # a template without a switch (ChatML): the engine writes the same things itself
    plain = ChatRenderer(None)
    assert render_prompt(plain, MESSAGES, True)[0] == render_chatml(MESSAGES) + "<think>\n"
    assert render_prompt(plain, MESSAGES, False)[0] == render_chatml(MESSAGES) + EMPTY_THINK
    # a template that always opens thinking: on is left alone, off closes it at once
    always = ChatRenderer(ALWAYS_THINKS)
    text, is_open = render_prompt(always, MESSAGES, None)
    assert text.endswith("<think>\n") and is_open
    assert render_prompt(always, MESSAGES, True) == (text, True)
    closed, still_open = render_prompt(always, MESSAGES, False)
    assert closed == text + "</think>\n\n" and not still_open


def test_thinking_open_looks_at_the_last_turn_only() -> None:
    system = render_chatml((ChatMessage("system", REASONING_SYSTEM_PROMPT), *MESSAGES))
    assert not thinking_open(system)  # "<think>...</think>" in the format prompt
    assert thinking_open(system + "<think>\n")
    user_said = render_chatml((ChatMessage("user", "请在<think>里想"),))
    assert not thinking_open(user_said)
    assert thinking_open("raw prompt <THINK>")


def _feed(tracker: ThinkTracker, pieces: list[bytes]) -> int | None:
    """Feed pieces; the index of the piece after which the budget closes, if it does."""
    for i, piece in enumerate(pieces):
        if tracker.feed(piece):
            return i
    return None


def test_tracker_counts_from_the_opener_whole_or_in_pieces() -> None:
    words = [b" a", b" b", b" c", b" d", b" e"]
    for opener in ([b"<think>"], [b"<", b"think", b">"], [b"<th", b"ink>\n"]):
        tracker = ThinkTracker(3)
        at = _feed(tracker, [b"pre", *opener, *words])
        assert at == 1 + len(opener) + 2  # the third thinking token
        assert tracker.summary() == (3, "unclosed")
        tracker.closed_by_budget()
        assert tracker.summary() == (3, "budget") and not tracker.watching


def test_tracker_model_closes_skips_or_never_closes() -> None:
    closes = ThinkTracker(10, open_at_start=True)
    assert _feed(closes, [b"x", b"y", b"</", b"think>", b"answer"]) is None
    assert closes.summary() == (3, "model")  # x, y and "</": the close's first piece
    assert not closes.watching  # nothing more to follow: no cost for the answer
    same_token = ThinkTracker(10)
    assert _feed(same_token, [b"<think>", b"</think>\n\n", b"poem"]) is None
    assert same_token.summary() == (0, "model")
    skips = ThinkTracker(2)  # never writes <think>: nothing is counted or closed
    assert _feed(skips, [b"white", b" sun", b" set"]) is None
    assert skips.summary() == (0, "") and skips.watching
    never = ThinkTracker(None, open_at_start=True)
    assert _feed(never, [b"x"] * 50) is None and never.summary() == (50, "unclosed")


def test_tracker_budget_zero_and_half_characters() -> None:
    assert ThinkTracker(0, open_at_start=True).due_at_start
    assert not ThinkTracker(0).due_at_start
    opened = ThinkTracker(0)
    assert _feed(opened, [b"hm", b"<think>"]) == 1  # closed right after the opener
    # the budget ends in the middle of 春 (e6 98 a5): it waits for the character's end
    half = ThinkTracker(2, open_at_start=True)
    assert _feed(half, [b"a", b"\xe6\x98", b"\xa5", b"b"]) == 2
    assert half.summary() == (3, "unclosed")
    stuck = ThinkTracker(1, open_at_start=True)  # never completes: at most 4 more tokens
    assert _feed(stuck, [b"\xe6"] * 10) == 4  # leads that never complete a character


def test_strict_specs_carry_the_request_thinking() -> None:
    spec = {"kind": "metre", "form": "七绝", "group": 0}

    def req(**kw: Any) -> GenerateRequest:
        return GenerateRequest(messages=MESSAGES, **kw)

    assert with_thinking(spec, req(think_budget=64))["think_budget"] == 64
    assert with_thinking(spec, req(thinking=False, think_budget=64))["think_budget"] == 0
    assert with_thinking({**spec, "think_budget": 9}, req(think_budget=64))["think_budget"] == 64
    assert with_thinking({**spec, "think_budget": 9}, req())["think_budget"] == 9
    assert "think_budget" not in with_thinking(spec, req())
    with pytest.raises(ValueError, match="think_budget"):
        req(think_budget=-1)
    wire = req(thinking=True, think_budget=5)
    assert GenerateRequest.from_dict(wire.to_dict()) == wire


def test_qwen3_prompt_style_switch_budget_and_sampling() -> None:
    book = RhymeBook.load()
    think = build_prompt(ComposeRequest("秋夜", Form.QIJUE, 0, think_budget=300), book,
                         style=PromptStyle.QWEN3)  # fmt: skip
    assert [m.role for m in think.messages] == ["user"]  # no format prompt for Qwen3
    assert think.messages[0].content.startswith("你是一位精通唐诗的AI，当前创作需要遵循")
    assert think.thinking is True and think.think_budget == 300 and not think.assume_think
    s = think.sampling
    assert (s.temperature, s.top_p, s.top_k, s.min_p) == (0.6, 0.95, 20, 0.0)
    request = think.generate_requests(base_seed=1)[0]
    assert request.thinking is True and request.think_budget == 300
    off = build_prompt(ComposeRequest("秋夜", Form.QIJUE, 0, thinking=False, think_budget=300),
                       book, style=PromptStyle.QWEN3)  # fmt: skip
    assert off.thinking is False and off.think_budget is None and off.sampling == NO_THINK_SAMPLING
    assert (off.sampling.temperature, off.sampling.top_p) == (0.7, 0.8)
    mine = Sampling(temperature=0.3)
    assert build_prompt(off.request, book, style="qwen3", sampling=mine).sampling == mine
    qpm = build_prompt(ComposeRequest("秋夜", think_budget=300), book)
    assert qpm.thinking is None and qpm.think_budget == 300 and qpm.assume_think
    general = build_prompt(ComposeRequest("秋夜", think_budget=300), book, style="general")
    assert general.thinking is None and general.think_budget is None
    assert PromptStyle.for_catalog("qwen3-think") is PromptStyle.QWEN3
    assert PromptStyle.for_catalog("qpm-r1") is PromptStyle.REASONING
    assert PromptStyle.for_catalog("chatml-general") is PromptStyle.GENERAL
    assert not PromptStyle.GENERAL.thinks and PromptStyle.QWEN3.thinks
    with pytest.raises(ValueError, match="budget"):
        ComposeRequest("秋夜", think_budget=-5)


# ---------------------------------------------------------------- the parser


ANSWER = "白日依山尽\n黄河入海流\n欲穷千里目\n更上一层楼"


def _parse_chunks(chunks: list[str], *, open_think: bool = False) -> Any:
    parser = ThinkAnswerParser(assume_think=False)
    if open_think:
        parser.open_think()
    deltas = []
    for chunk in chunks:
        deltas += parser.feed(chunk)
    tail, result = parser.finish()
    return deltas + tail, result


@pytest.fixture(scope="module")
def qwen3_llama(tiny_qwen3: Path) -> Iterator[Any]:
    import llama_cpp

    model = llama_cpp.Llama(str(tiny_qwen3), n_ctx=256, verbose=False)
    yield model
    model.close()


@needs_llama
def test_parser_reads_qwen3_tags_as_single_tokens_and_as_pieces(qwen3_llama: Any) -> None:
    """The same output, tokenized with Qwen3's special <think> tokens and with the tags
    spelled out in ordinary pieces, streamed token by token: the same thinking and poem."""
    text = f"<think>\n先想韵脚：楼、流。\n</think>\n\n{ANSWER}"
    single = qwen3_llama.tokenize(text.encode(), add_bos=False, special=True)
    assert single[0] == THINK_OPEN_ID and THINK_CLOSE_ID in single
    # the same text in pieces that never hold a whole tag (as a vocabulary without the
    # special tokens, or a model that writes the tag letter by letter, gives it)
    parts = ["<", "think>\n先想韵脚：楼、流。\n<", "/think>\n\n" + ANSWER]
    spelled = [t for p in parts for t in qwen3_llama.tokenize(p.encode(), add_bos=False)]
    assert THINK_OPEN_ID not in spelled and THINK_CLOSE_ID not in spelled
    results = []
    for tokens in (single, spelled):
        pieces = [qwen3_llama.detokenize([t]).decode("utf-8", "replace") for t in tokens]
        assert "".join(pieces) == text
        results.append(_parse_chunks(pieces)[1])
    for result in results:
        assert result.think == "先想韵脚：楼、流。" and result.saw_think_close
        assert result.lines == tuple(ANSWER.split("\n")) and not result.ended_in_think
    assert results[0] == results[1]


def test_parser_skipped_never_closed_and_opened_by_the_prompt() -> None:
    skipped = parse_text(ANSWER, assume_think=False)  # Qwen3 answering without thinking
    assert skipped.lines == tuple(ANSWER.split("\n")) and skipped.think == ""
    assert not skipped.saw_think_open and not skipped.ended_in_think
    deltas, never = _parse_chunks(["<think>", "想了又想", "……还在想"])
    assert never.think == "想了又想……还在想" and never.lines == () and never.ended_in_think
    assert {d.part.value for d in deltas} == {"think"}
    deltas, opened = _parse_chunks(["先想", "一想\n</think>\n\n", ANSWER], open_think=True)
    assert opened.think == "先想一想" and opened.lines == tuple(ANSWER.split("\n"))
    assert deltas[0].part.value == "think"
    _, result = _parse_chunks(["想", "\n", "</think>", "\n\n", ANSWER], open_think=True)
    assert result.think == "想" and result.saw_think_close and result.answer == ANSWER
