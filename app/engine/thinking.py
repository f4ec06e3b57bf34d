"""Thinking inside the engine: the template's switch, and a budget for every request.

**The switch.** ``GenerateRequest.thinking`` is ``None`` (the template decides), ``True`` or
``False``. The chat template is rendered with ``enable_thinking`` set to it (Qwen3's switch;
templates without one ignore it), and then the prompt is made to say the same thing
whatever the template did: with thinking on, an assistant turn that does not already stand
inside ``<think>`` gets ``<think>\\n`` (the model thinks from its first token, and the
budget counts every thinking token); with thinking off, a template that ignored the switch
gets Qwen3's empty block ``<think>\\n\\n</think>\\n\\n``. :func:`render_prompt` also says
whether the output starts inside thinking, so the stream parser knows.

**The budget.** ``GenerateRequest.think_budget`` is the most thinking tokens a request may
use. :class:`ThinkTracker` follows the output — ``<think>``/``</think>`` as single tokens
(Qwen3's 151667/151668) or spelled out in pieces — and after exactly ``budget`` thinking
tokens (a few more only to finish a character cut in half) :class:`BudgetedSource` feeds
the model ``\\n</think>\\n\\n`` itself: the tokens are evaluated in one batch, marked
``forced="think_budget"`` in the stream, and the model goes on with its answer from there.
Before the budget is reached it is ``Llama.generate`` untouched (no cost per token beyond
looking at the token's bytes); after the forced close, a new ``Llama.generate`` reuses the
whole evaluated prefix from the KV cache.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

from app.engine.requests import ChatMessage, GenerateRequest, Sampling
from app.engine.tokens import token_piece, utf8_incomplete

__all__ = [
    "BUDGET_TAG",
    "THINK_CLOSE",
    "BudgetedSource",
    "ThinkEnd",
    "ThinkTracker",
    "render_prompt",
    "thinking_open",
    "with_thinking",
]

THINK_OPEN_TAG = "<think>"
THINK_CLOSE_TAG = "</think>"
THINK_CLOSE = "\n</think>\n\n"  # what the engine writes when the budget is spent
EMPTY_THINK = "<think>\n\n</think>\n\n"  # Qwen3's "no thinking" block
BUDGET_TAG = "think_budget"  # Token.forced for the tokens the budget wrote
MAX_DELAY = 4  # extra tokens allowed to finish a character before the forced close

ThinkEnd = Literal["", "model", "budget", "unclosed"]


def _assistant_tail(text: str) -> str:
    """The part of a rendered prompt after the last turn opener (ChatML), else all of it."""
    at = text.rfind("<|im_start|>")
    return text[at:] if at >= 0 else text


def thinking_open(text: str) -> bool:
    """Does ``text`` end inside a ``<think>`` block of its last turn?"""
    tail = _assistant_tail(text).lower()
    return tail.rfind(THINK_OPEN_TAG) > tail.rfind(THINK_CLOSE_TAG)


def render_prompt(
    render: Callable[..., str], messages: Sequence[ChatMessage], thinking: bool | None
) -> tuple[str, bool]:
    """The prompt for ``messages`` with thinking as asked, and whether the output starts
    inside thinking. ``render(messages, **variables)`` renders the chat template."""
    if thinking is None:
        text = render(messages)
        return text, thinking_open(text)
    text = render(messages, enable_thinking=thinking)
    if thinking:
        if not thinking_open(text):
            text += "<think>\n"
        return text, True
    if thinking_open(text):  # a template that always opens thinking: close it at once
        return text + THINK_CLOSE.lstrip("\n"), False
    if THINK_CLOSE_TAG not in _assistant_tail(text):  # the template ignored the switch
        text += EMPTY_THINK
    return text, False


def with_thinking(spec: dict[str, Any], request: GenerateRequest) -> dict[str, Any]:
    """A strict-metre spec that carries the request's thinking settings: no thinking when
    it is switched off, else the request's budget when it names one (the spec's own
    ``think_budget`` otherwise)."""
    if request.thinking is False:
        return {**spec, "think_budget": 0}
    if request.think_budget is not None:
        return {**spec, "think_budget": request.think_budget}
    return spec


class ThinkTracker:
    """Follows a token stream's thinking and says when the budget is spent.

    :meth:`feed` takes each generated token's bytes (special tokens spelled out) and
    returns True when the engine must close thinking now. Thinking tokens are the tokens
    after the opener (or from the start when the output starts inside thinking) up to,
    not including, the one that closes it.
    """

    def __init__(self, budget: int | None, *, open_at_start: bool = False) -> None:
        self.budget = budget
        self.open = open_at_start
        self.tokens = 0
        self.end: ThinkEnd = ""
        self.seen = open_at_start  # thinking happened at all
        self._tail = b""
        self._delay = 0

    @property
    def watching(self) -> bool:
        """Thinking is open, or has not started yet (a model may still write ``<think>``)."""
        return self.open or not self.seen

    @property
    def due_at_start(self) -> bool:
        """A budget of 0 with thinking already open: close before the first token."""
        return self.open and self.budget == 0

    def feed(self, piece: bytes) -> bool:
        before = self._tail
        text = before + piece
        self._tail = text[-64:]
        low = text.lower()
        start = max(0, len(before) - len(THINK_CLOSE_TAG))  # a tag that ends in this token
        if not self.open:
            at = low.find(b"<think>", start)
            if at < 0:
                return False
            self.open = self.seen = True
            self.tokens = 0
            self._tail = text[at + len(THINK_OPEN_TAG) :]
            closed_here = self._tail.lower().find(b"</think>") >= 0
            if closed_here:
                self.open, self.end = False, "model"
                return False
            return self.budget == 0
        if low.find(b"</think>", start) >= 0:
            self.open, self.end = False, "model"
            return False
        self.tokens += 1
        if self.budget is not None and self.tokens >= self.budget:
            if utf8_incomplete(self._tail) and self._delay < MAX_DELAY:
                self._delay += 1
                return False
            return True
        return False

    def closed_by_budget(self) -> None:
        self.open, self.end = False, "budget"

    def summary(self) -> tuple[int, ThinkEnd]:
        """(thinking tokens, how thinking ended); ``"unclosed"`` while still open."""
        if self.open:
            return self.tokens, "unclosed"
        return self.tokens, self.end


class BudgetedSource:
    """A token source for the engine's loop: ``Llama.generate`` under a thinking budget.

    ``tag()`` says why the token just yielded was written by the engine (``""`` for the
    model's own), ``thinking()`` how many thinking tokens there were and how it ended.
    """

    def __init__(
        self,
        llama: Any,
        sampling: Sampling,
        tracker: ThinkTracker,
        *,
        logits_processor: Any = None,
        piece: Callable[[int], bytes] | None = None,
    ) -> None:
        self.llama = llama
        self.sampling = sampling
        self.tracker = tracker
        self.logits_processor = logits_processor
        self._piece = piece or token_piece(llama)
        self._tag = ""
        self.close_tokens: list[int] = list(
            llama.tokenize(THINK_CLOSE.encode("utf-8"), add_bos=False, special=True)
        )

    def tag(self) -> str:
        return self._tag

    def thinking(self) -> tuple[int, ThinkEnd]:
        return self.tracker.summary()

    def _generate(self, tokens: list[int]) -> Iterator[int]:
        gen: Iterator[int] = self.llama.generate(
            tokens, logits_processor=self.logits_processor, **self.sampling.sampler_args()
        )
        return gen

    def _forced(self, seq: list[int]) -> Iterator[int]:
        self.tracker.closed_by_budget()
        self._tag = BUDGET_TAG
        for token in self.close_tokens:
            seq.append(token)
            yield token
        self._tag = ""

    def __call__(self, tokens: list[int]) -> Iterator[int]:
        seq = list(tokens)
        tracker = self.tracker
        if tracker.due_at_start:
            yield from self._forced(seq)
        while True:
            gen = self._generate(seq)
            closing = False
            try:
                for token in gen:
                    seq.append(token)
                    closing = tracker.watching and tracker.feed(self._piece(token))
                    yield token
                    if closing:
                        break
            finally:
                close = getattr(gen, "close", None)
                if close is not None:
                    close()
            if not closing:
                return
            yield from self._forced(seq)
