"""Read a loaded llama-cpp-python model's vocabulary into a :class:`VocabIndex` (cached)."""

from __future__ import annotations

import ctypes
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.compose.vocab.index import VocabIndex, vocab_digest

__all__ = ["VocabLoad", "load_vocab_index", "token_pieces"]


@dataclass(frozen=True, slots=True)
class VocabLoad:
    index: VocabIndex
    cache_hit: bool
    seconds: float
    path: Path | None


def _vocab(llama: Any) -> Any:
    import llama_cpp

    return llama_cpp.llama_model_get_vocab(llama.model)


def token_pieces(llama: Any, *, special: bool = False) -> list[bytes]:
    """Every token's bytes, as the detokenizer writes them."""
    import llama_cpp

    vocab = _vocab(llama)
    n = int(llama_cpp.llama_vocab_n_tokens(vocab))
    size = 256
    buf = ctypes.create_string_buffer(size)
    to_piece = llama_cpp.llama_token_to_piece
    string_at = ctypes.string_at
    out: list[bytes] = []
    for i in range(n):
        k = to_piece(vocab, i, buf, size, 0, special)
        if k < 0:  # longer than the buffer (never for real vocabularies): ask again
            big = ctypes.create_string_buffer(-k)
            k = to_piece(vocab, i, big, -k, 0, special)
            out.append(string_at(big, k))
        else:
            out.append(string_at(buf, k))
    return out


def _digest(llama: Any) -> str:
    import llama_cpp

    vocab = _vocab(llama)
    n = int(llama_cpp.llama_vocab_n_tokens(vocab))
    get_text = llama_cpp.llama_vocab_get_text
    texts = [get_text(vocab, i) or b"" for i in range(n)]
    meta = getattr(llama, "metadata", {}) or {}
    extra = f"{meta.get('tokenizer.ggml.model', '')}/{meta.get('tokenizer.ggml.pre', '')}"
    return vocab_digest(texts, extra)


def load_vocab_index(llama: Any, cache_dir: Path | None) -> VocabLoad:
    """The model's :class:`VocabIndex`: from ``cache_dir`` when it holds one for this
    vocabulary, else built from the token pieces and stored there."""
    import llama_cpp

    started = time.perf_counter()
    digest = _digest(llama)
    path = VocabIndex.cache_file(cache_dir, digest) if cache_dir is not None else None
    if path is not None:
        cached = VocabIndex.load(path, digest)
        if cached is not None:
            return VocabLoad(cached, True, time.perf_counter() - started, path)
    vocab = _vocab(llama)
    pieces = token_pieces(llama)
    n = len(pieces)
    eog = [i for i in range(n) if llama_cpp.llama_vocab_is_eog(vocab, i)]
    control = [i for i in range(n) if llama_cpp.llama_vocab_is_control(vocab, i)]
    index = VocabIndex.from_pieces(pieces, eog=eog, control=control, digest=digest)
    if path is not None:
        try:
            index.save(path)
        except OSError:
            path = None  # a read-only cache folder: work without it
    return VocabLoad(index, False, time.perf_counter() - started, path)
