"""The token loop inside the engine process.

Built on ``Llama.generate`` (llama-cpp-python's sampler chain, prompt-prefix
reuse between requests) rather than ``create_completion``, so that this loop
owns what the window needs exactly: one event per token with its token count,
stop strings held back until they can no longer match, UTF-8 characters split
across tokens reassembled, a cancel checked after every token, and timings
(prompt processing vs generation) measured where they happen.
"""

from __future__ import annotations

import codecs
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from app.engine.events import FinishReason, GenerationStats
from app.engine.requests import Sampling
from app.engine.tokens import common_prefix

__all__ = ["StopMatcher", "run_generation"]


class StopMatcher:
    """Finds stop strings in streamed text, holding back possible beginnings."""

    def __init__(self, stops: Sequence[str]) -> None:
        self._stops = tuple(s for s in stops if s)
        self._held = ""

    def push(self, text: str) -> tuple[str, bool]:
        """Add ``text``; return (text safe to emit, whether a stop string was hit)."""
        buf = self._held + text
        if not self._stops:
            self._held = ""
            return buf, False
        first = -1
        for s in self._stops:
            i = buf.find(s)
            if i >= 0 and (first < 0 or i < first):
                first = i
        if first >= 0:
            self._held = ""
            return buf[:first], True
        keep = 0
        for s in self._stops:
            for k in range(min(len(s) - 1, len(buf)), 0, -1):
                if buf.endswith(s[:k]):
                    keep = max(keep, k)
                    break
        self._held = buf[len(buf) - keep :] if keep else ""
        return buf[: len(buf) - keep], False

    def flush(self) -> str:
        held, self._held = self._held, ""
        return held


def run_generation(
    llama: Any,
    tokens: list[int],
    sampling: Sampling,
    stop: Sequence[str],
    cancel: threading.Event,
    emit: Callable[..., None],
    *,
    logits_processor: Any = None,
    token_source: Callable[[list[int]], Iterator[int]] | None = None,
    on_start: Callable[[int, int], None] | None = None,
    started: float | None = None,
) -> GenerationStats:
    """Generate from ``tokens``; call ``emit(text, n_tokens)`` as text becomes final.

    Stops at an end-of-generation token, a stop string, ``sampling.max_tokens``,
    the end of the context, or when ``cancel`` is set (checked after every token;
    llama.cpp's abort callback reads the same event inside a batch).
    ``token_source(tokens)``, when given, replaces ``Llama.generate`` as the source
    of sampled tokens (a constrained decoder that owns its sampling loop; a thinking
    budget). A source may also offer ``tag()`` — why the token it just yielded was
    written by the engine, e.g. ``"think_budget"``; such text is emitted on its own as
    ``emit(text, n, tag)`` — and ``thinking()`` — (thinking tokens, how thinking ended)
    for the stats.
    ``on_start(prompt_tokens, cached_tokens)`` is called just before the prompt is
    processed.
    """
    import llama_cpp

    t0 = started if started is not None else time.perf_counter()
    n_ctx = int(llama.n_ctx())
    if len(tokens) >= n_ctx:
        raise ValueError(f"prompt of {len(tokens)} tokens does not fit a {n_ctx}-token context")
    budget = min(sampling.max_tokens, n_ctx - len(tokens))
    cached = min(common_prefix(llama._input_ids.tolist(), tokens), len(tokens) - 1)
    llama.set_seed(sampling.seed if sampling.seed is not None else random.getrandbits(32))
    vocab = llama_cpp.llama_model_get_vocab(llama.model)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    matcher = StopMatcher(stop)
    n_generated = 0
    unsent = 0  # tokens whose text is held back (partial UTF-8 or a possible stop string)
    t_first: float | None = None
    t_last = t0
    finish: FinishReason = "length"
    hit_stop = False
    if on_start is not None:
        on_start(len(tokens), max(0, cached))
    gen: Iterator[int]
    tag_of: Callable[[], str] | None = getattr(token_source, "tag", None)
    tagged = ""  # the tag of the tokens held in `unsent`
    if token_source is not None:
        gen = token_source(tokens)
    else:
        gen = llama.generate(tokens, logits_processor=logits_processor, **sampling.sampler_args())
    try:
        if budget <= 0:
            finish = "length"
        else:
            for token in gen:
                t_last = time.perf_counter()
                if t_first is None:
                    t_first = t_last
                if llama_cpp.llama_vocab_is_eog(vocab, token):
                    finish = "stop"
                    break
                n_generated += 1
                tag = tag_of() if tag_of is not None else ""
                if tag != tagged:
                    if unsent:  # text of another kind is held back: send it on its own
                        held = matcher.flush() + decoder.decode(b"", final=True)
                        _emit(emit, held, unsent, tagged)
                        unsent = 0
                    tagged = tag
                unsent += 1
                text, hit = matcher.push(decoder.decode(llama.detokenize([token])))
                if text:
                    _emit(emit, text, unsent, tagged)
                    unsent = 0
                if hit:
                    finish = "stop"
                    hit_stop = True
                    break
                if cancel.is_set():
                    finish = "cancelled"
                    break
                if n_generated >= budget:
                    finish = "length"
                    break
    except RuntimeError:
        # llama_decode returns 2 when the abort callback stopped it mid-batch.
        if not cancel.is_set():
            raise
        finish = "cancelled"
    finally:
        close = getattr(gen, "close", None)
        if close is not None:
            close()
    if cancel.is_set():
        finish = "cancelled"
    if finish != "cancelled" and not hit_stop:
        rest = matcher.flush() + decoder.decode(b"", final=True)
        if rest:
            _emit(emit, rest, unsent, tagged)
    first = t_first if t_first is not None else t_last
    thinking: Callable[[], tuple[int, str]] | None = getattr(token_source, "thinking", None)
    think_tokens, think_end = thinking() if thinking is not None else (0, "")
    return GenerationStats(
        prompt_tokens=len(tokens),
        completion_tokens=n_generated,
        prompt_ms=(first - t0) * 1000.0,
        generation_ms=(t_last - first) * 1000.0,
        finish_reason=finish,
        cached_tokens=max(0, cached),
        think_tokens=think_tokens,
        think_end=think_end,
    )


def _emit(emit: Callable[..., None], text: str, n: int, tag: str) -> None:
    if tag:
        emit(text, n, tag)
    else:
        emit(text, n)
