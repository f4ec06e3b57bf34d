"""Drive llama.cpp token by token with a :class:`TokenConstraint` on its logits.

``Llama.generate`` offers a ``logits_processor`` hook, but it hands Python a
copy of all 151,936 logits and writes them back every step, which doubles the
time per token of a small model. Here the loop does what ``Llama.generate`` does
(reuse of the evaluated prompt prefix, ``Llama.eval``, the same native sampler
chain built by ``Llama._init_sampler``) with one step in between: a zero-copy
numpy view of the context's logits for the last token, on which the constraint
writes ``-inf`` outside the allowed tokens. llama.cpp's sampler (penalties,
top-k, top-p, min-p, temperature, the seeded distribution) then samples from the
modified logits natively.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from app.engine.tokens import common_prefix, token_piece

if TYPE_CHECKING:
    from app.compose.constraint.decoder import TokenConstraint

__all__ = ["constrained_tokens", "llama_io"]


def llama_io(llama: Any) -> tuple[Callable[[int], bytes], Callable[[bytes], list[int]], int]:
    """(token → bytes, bytes → tokens, the end-of-turn token) for a ``llama_cpp.Llama``."""
    import llama_cpp

    vocab = llama_cpp.llama_model_get_vocab(llama.model)
    piece = token_piece(llama)

    def tokenize(data: bytes) -> list[int]:
        return list(llama.tokenize(data, add_bos=False, special=True))

    eos = int(llama.token_eos())
    im_end = tokenize(b"<|im_end|>")
    if len(im_end) == 1 and llama_cpp.llama_vocab_is_eog(vocab, im_end[0]):
        eos = im_end[0]  # ChatML's end of turn (what the chat template expects)
    return piece, tokenize, eos


def constrained_tokens(
    llama: Any,
    tokens: Sequence[int],
    constraint: TokenConstraint,
    *,
    top_k: int,
    top_p: float,
    min_p: float,
    temp: float,
    repeat_penalty: float,
    presence_penalty: float,
    frequency_penalty: float,
) -> Iterator[int]:
    """Like ``Llama.generate(tokens, …)``, with ``constraint`` applied to every step."""
    import llama_cpp

    tokens = list(tokens)
    n_vocab = int(llama.n_vocab())
    prefix = min(common_prefix(llama._input_ids.tolist(), tokens), len(tokens) - 1)
    if prefix > 0 and llama._ctx.kv_cache_seq_rm(-1, prefix, -1):
        llama.n_tokens = prefix
        todo = tokens[prefix:]
    else:
        llama.reset()
        todo = tokens
    sampler = llama._init_sampler(
        top_k=top_k,
        top_p=top_p,
        min_p=min_p,
        temp=temp,
        repeat_penalty=repeat_penalty,
        presence_penalty=presence_penalty,
        frequency_penalty=frequency_penalty,
    )
    try:
        llama.eval(todo)
        ctx = llama.ctx
        native = llama._ctx
        get_logits = llama_cpp.llama_get_logits_ith
        view: np.ndarray[Any, np.dtype[np.float32]] | None = None
        address: int | None = None
        while True:
            ptr = get_logits(ctx, -1)
            at = ctypes.cast(ptr, ctypes.c_void_p).value
            if view is None or at != address:
                view = np.ctypeslib.as_array(ptr, shape=(n_vocab,))
                address = at
            constraint.apply(view)
            token = constraint.accept(int(sampler.sample(native, -1)), view)
            yield token
            llama.eval([token])
    finally:
        sampler.close()
