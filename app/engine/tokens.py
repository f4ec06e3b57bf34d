"""Tokens as bytes: what the engine's loops and the strict-metre decoder both need of a
``llama_cpp.Llama`` and of the text it writes."""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["common_prefix", "token_piece", "utf8_incomplete"]


def token_piece(llama: Any) -> Callable[[int], bytes]:
    """token → its bytes as the detokenizer writes them, special tokens spelled out."""
    import llama_cpp

    vocab = llama_cpp.llama_model_get_vocab(llama.model)
    size = 256
    buf = ctypes.create_string_buffer(size)
    to_piece = llama_cpp.llama_token_to_piece

    def piece(token: int) -> bytes:
        n = to_piece(vocab, token, buf, size, 0, True)
        if n < 0:
            big = ctypes.create_string_buffer(-n)
            n = to_piece(vocab, token, big, -n, 0, True)
            return ctypes.string_at(big, n)
        return ctypes.string_at(buf, n)

    return piece


def utf8_incomplete(data: bytes) -> bool:
    """Does ``data`` end inside a multi-byte character?"""
    for back in range(1, min(4, len(data)) + 1):
        b = data[-back]
        if b < 0x80:
            return False
        if b >= 0xC0:
            need = 2 if b < 0xE0 else 3 if b < 0xF0 else 4
            return back < need
    return False


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many tokens ``a`` and ``b`` share from the start (the evaluated prefix a new
    request can reuse from the KV cache)."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
