"""Tiny random-weight GGUF models for testing the real llama.cpp engine.

:func:`write_qwen2_model` writes a qwen2-architecture model (2 layers, 64 wide by
default) with the real Qwen2 tokenizer (151,936 tokens and its ChatML chat
template) copied from ``ggml-vocab-qwen2.gguf``, the vocabulary file llama.cpp
ships for its own tokenizer tests. :func:`write_qwen3_model` writes a
qwen3-architecture one (per-head q/k norms, no q/k/v bias, a head width of its own)
with the same vocabulary made into Qwen3's: its added tokens in place of the padding
(``<think>``/``</think>`` are 151667/151668, plain user-defined tokens as in Qwen3),
``<|im_end|>`` as end of turn, and a chat template with Qwen3's thinking switch.
The vocabulary file is found, in order:

1. ``$SHIJIAN_TEST_QWEN2_VOCAB`` (a path to that file);
2. a cached copy (pytest's cache folder, or any folder passed in);
3. the llama-cpp-python source distribution of the installed version, fetched
   with ``pip download --no-binary :all:`` (one ~75 MB download, then cached).

The model's output is noise, but every path of the engine is real: tokenizer,
chat template, prompt processing, sampling, stop tokens.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

VOCAB_ENV = "SHIJIAN_TEST_QWEN2_VOCAB"
VOCAB_NAME = "ggml-vocab-qwen2.gguf"
_VOCAB_IN_SDIST = "vendor/llama.cpp/models/" + VOCAB_NAME


class VocabUnavailableError(RuntimeError):
    """The Qwen2 vocabulary file could not be found or downloaded."""


def _llama_cpp_version() -> str:
    from importlib.metadata import version

    return version("llama-cpp-python")


def fetch_qwen2_vocab(cache_dir: Path) -> Path:
    """Path to ``ggml-vocab-qwen2.gguf``: env var, cache, or the sdist from PyPI."""
    env = os.environ.get(VOCAB_ENV)
    if env:
        path = Path(env)
        if not path.is_file():
            raise VocabUnavailableError(f"{VOCAB_ENV}={env} is not a file")
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached = cache_dir / VOCAB_NAME
    if cached.is_file():
        return cached
    ver = _llama_cpp_version()
    with tempfile.TemporaryDirectory(prefix="sdist-") as tmp:
        cmd = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
            f"llama-cpp-python=={ver}", "-d", tmp,
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
        archives = list(Path(tmp).glob("llama_cpp_python-*.tar.gz"))
        if not archives:
            raise VocabUnavailableError(
                f"pip download of llama-cpp-python=={ver} failed:\n{proc.stderr[-2000:]}"
            )
        with tarfile.open(archives[0]) as tar:
            member = next((m for m in tar.getmembers() if m.name.endswith(_VOCAB_IN_SDIST)), None)
            if member is None:
                raise VocabUnavailableError(f"{_VOCAB_IN_SDIST} not in {archives[0].name}")
            src = tar.extractfile(member)
            assert src is not None
            part = cached.with_suffix(".part")
            with src, open(part, "wb") as dst:
                shutil.copyfileobj(src, dst)
            part.replace(cached)
    return cached


# ---------------------------------------------------------------- GGUF writing
# A minimal GGUF v3 writer: the tokenizer's key/value entries are copied from the
# vocabulary file byte for byte (parsing 300,000 strings with gguf.GGUFReader
# takes ~30 s; walking them here takes a fraction of a second).
_ALIGN = 32
_T_UINT32, _T_INT32, _T_FLOAT32, _T_STRING, _T_ARRAY = 4, 5, 6, 8, 9
_FIXED_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def _skip_value(buf: bytes, pos: int, vtype: int) -> int:
    if vtype in _FIXED_SIZES:
        return pos + _FIXED_SIZES[vtype]
    if vtype == _T_STRING:
        n: int = struct.unpack_from("<Q", buf, pos)[0]
        return pos + 8 + n
    if vtype == _T_ARRAY:
        sub: int = struct.unpack_from("<I", buf, pos)[0]
        count: int = struct.unpack_from("<Q", buf, pos + 4)[0]
        pos += 12
        if sub in _FIXED_SIZES:
            return pos + count * _FIXED_SIZES[sub]
        for _ in range(count):
            pos = _skip_value(buf, pos, sub)
        return pos
    raise ValueError(f"unknown GGUF value type {vtype}")


def kv_entries(buf: bytes) -> tuple[list[tuple[str, bytes]], int]:
    """The key/value entries of a whole GGUF file ``buf`` as (key, the entry's raw bytes),
    in file order, and the offset where the tensor infos begin."""
    _version, _n_tensors, n_kv = struct.unpack_from("<IQQ", buf, 4)
    pos = 24
    entries: list[tuple[str, bytes]] = []
    for _ in range(n_kv):
        start = pos
        (klen,) = struct.unpack_from("<Q", buf, pos)
        key = buf[pos + 8 : pos + 8 + klen].decode("utf-8")
        pos += 8 + klen
        (vtype,) = struct.unpack_from("<I", buf, pos)
        pos = _skip_value(buf, pos + 4, vtype)
        entries.append((key, buf[start:pos]))
    return entries, pos


def _tokenizer_entries(vocab_path: Path) -> tuple[list[tuple[str, bytes]], int]:
    """The raw ``tokenizer.*`` key/value entries of a GGUF file, and the vocabulary size."""
    buf = vocab_path.read_bytes()
    if buf[:4] != b"GGUF":
        raise ValueError(f"{vocab_path} is not a GGUF file")
    entries = [(key, raw) for key, raw in kv_entries(buf)[0] if key.startswith("tokenizer.")]
    n_vocab = 0
    for key, raw in entries:
        if key == "tokenizer.ggml.tokens":  # the key, then the array's type, item type, count
            n_vocab = struct.unpack_from("<IIQ", raw, 8 + len(key.encode("utf-8")))[2]
    return entries, n_vocab


def _gguf_str(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _kv(key: str, vtype: int, value: object) -> bytes:
    head = _gguf_str(key) + struct.pack("<I", vtype)
    if vtype == _T_UINT32:
        return head + struct.pack("<I", value)
    if vtype == _T_FLOAT32:
        return head + struct.pack("<f", value)
    assert isinstance(value, str)
    return head + _gguf_str(value)


def _pad(n: int) -> int:
    return (-n) % _ALIGN


def write_gguf(path: Path, kvs: list[bytes], tensors: list[tuple[str, np.ndarray]]) -> Path:
    """Write a GGUF v3 file: encoded key/value entries and f32 tensors."""
    infos = b""
    offset = 0
    for name, arr in tensors:
        assert arr.dtype == np.float32
        dims = tuple(reversed(arr.shape))  # GGUF lists the fastest dimension first
        infos += _gguf_str(name) + struct.pack("<I", len(dims))
        infos += struct.pack(f"<{len(dims)}Q", *dims) + struct.pack("<IQ", 0, offset)
        offset += arr.nbytes + _pad(arr.nbytes)
    header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    part = path.with_suffix(".part")
    with open(part, "wb") as f:
        f.write(header)
        for kv in kvs:
            f.write(kv)
        f.write(infos)
        f.write(b"\0" * _pad(f.tell()))
        for _name, arr in tensors:
            f.write(arr.tobytes())
            f.write(b"\0" * _pad(arr.nbytes))
    part.replace(path)
    return path


def _shape_kvs(
    arch: str,
    *,
    n_ctx_train: int,
    n_embd: int,
    n_layer: int,
    n_ff: int,
    n_head: int,
    n_head_kv: int,
    head_dim: int | None = None,
) -> list[bytes]:
    """The ``general.*`` and ``{arch}.*`` entries of a tiny model (``head_dim``: the key and
    value width, written only when given)."""
    kvs = [
        _kv("general.architecture", _T_STRING, arch),
        _kv("general.name", _T_STRING, f"shijian-tiny-{arch}"),
        _kv("general.file_type", _T_UINT32, 0),
        _kv(f"{arch}.context_length", _T_UINT32, n_ctx_train),
        _kv(f"{arch}.embedding_length", _T_UINT32, n_embd),
        _kv(f"{arch}.block_count", _T_UINT32, n_layer),
        _kv(f"{arch}.feed_forward_length", _T_UINT32, n_ff),
        _kv(f"{arch}.attention.head_count", _T_UINT32, n_head),
        _kv(f"{arch}.attention.head_count_kv", _T_UINT32, n_head_kv),
    ]
    if head_dim is not None:
        kvs.append(_kv(f"{arch}.attention.key_length", _T_UINT32, head_dim))
        kvs.append(_kv(f"{arch}.attention.value_length", _T_UINT32, head_dim))
    kvs.append(_kv(f"{arch}.rope.freq_base", _T_FLOAT32, 1_000_000.0))
    kvs.append(_kv(f"{arch}.attention.layer_norm_rms_epsilon", _T_FLOAT32, 1e-6))
    return kvs


class _RandomWeights:
    """f32 weights drawn in call order from one seeded generator (the same seed and order
    give the same model)."""

    def __init__(self, seed: int, scale: float) -> None:
        self._rng = np.random.default_rng(seed)
        self._scale = scale

    def __call__(self, *shape: int, scale: float | None = None) -> np.ndarray:
        scale = self._scale if scale is None else scale
        return (self._rng.standard_normal(shape, dtype=np.float32) * scale).astype(np.float32)

    @staticmethod
    def ones(n: int) -> np.ndarray:
        return np.ones(n, dtype=np.float32)


def _embedding_tensors(
    w: _RandomWeights, n_vocab: int, n_embd: int
) -> list[tuple[str, np.ndarray]]:
    """The token embedding (the output is tied to it) and the final norm."""
    return [
        ("token_embd.weight", w(n_vocab, n_embd, scale=1.0)),
        ("output_norm.weight", w.ones(n_embd)),
    ]


def _ffn_tensors(
    w: _RandomWeights, prefix: str, n_embd: int, n_ff: int
) -> list[tuple[str, np.ndarray]]:
    """A block's feed-forward part: its norm and the SwiGLU gate, up and down weights."""
    return [
        (prefix + "ffn_norm.weight", w.ones(n_embd)),
        (prefix + "ffn_gate.weight", w(n_ff, n_embd)),
        (prefix + "ffn_up.weight", w(n_ff, n_embd)),
        (prefix + "ffn_down.weight", w(n_embd, n_ff)),
    ]


def write_qwen2_model(
    path: Path,
    vocab_path: Path,
    *,
    n_layer: int = 2,
    n_embd: int = 64,
    n_head: int = 4,
    n_head_kv: int = 2,
    n_ff: int = 128,
    n_ctx_train: int = 32768,
    seed: int = 0,
    weight_scale: float = 0.3,
    chat_template: str | None = None,
) -> Path:
    """Write a random-weight qwen2 GGUF (f32) with the real Qwen2 tokenizer.

    ``weight_scale`` 0.3 makes the layers outweigh the tied embedding, so the
    output is varied noise (at 0.02 the model only repeats its last token).
    """
    entries, n_vocab = _tokenizer_entries(vocab_path)
    if not n_vocab:
        raise ValueError(f"{vocab_path} has no tokenizer.ggml.tokens")
    kvs = _shape_kvs(
        "qwen2",
        n_ctx_train=n_ctx_train,
        n_embd=n_embd,
        n_layer=n_layer,
        n_ff=n_ff,
        n_head=n_head,
        n_head_kv=n_head_kv,
    )
    for key, raw in entries:
        if key == "tokenizer.chat_template" and chat_template is not None:
            continue
        kvs.append(raw)
    if chat_template is not None:
        kvs.append(_kv("tokenizer.chat_template", _T_STRING, chat_template))

    w = _RandomWeights(seed, weight_scale)
    head_dim = n_embd // n_head
    kv_dim = n_head_kv * head_dim
    tensors = _embedding_tensors(w, n_vocab, n_embd)
    for i in range(n_layer):
        p = f"blk.{i}."
        tensors += [
            (p + "attn_norm.weight", w.ones(n_embd)),
            (p + "attn_q.weight", w(n_embd, n_embd)),
            (p + "attn_q.bias", w(n_embd)),
            (p + "attn_k.weight", w(kv_dim, n_embd)),
            (p + "attn_k.bias", w(kv_dim)),
            (p + "attn_v.weight", w(kv_dim, n_embd)),
            (p + "attn_v.bias", w(kv_dim)),
            (p + "attn_output.weight", w(n_embd, n_embd)),
            *_ffn_tensors(w, p, n_embd, n_ff),
        ]
    return write_gguf(path, kvs, tensors)


# ---------------------------------------------------------------- qwen3
# Qwen3's added tokens over the Qwen2 vocabulary (ids 151646–151668); CONTROL (3) for the
# <|…|> ones, USER_DEFINED (4) for the rest, as llama.cpp's converter types them.
_CONTROL, _USER = 3, 4
QWEN3_ADDED: dict[int, tuple[str, int]] = {
    151646 + i: (text, _USER if text[1] != "|" else _CONTROL)
    for i, text in enumerate(
        [
            "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>", "<|box_end|>",
            "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>",
            "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>",
            "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>",
            "<|repo_name|>", "<|file_sep|>", "<tool_response>", "</tool_response>",
            "<think>", "</think>",
        ]
    )
}  # fmt: skip
THINK_OPEN_ID, THINK_CLOSE_ID = 151667, 151668
QWEN3_EOS_ID = 151645  # <|im_end|>

# A chat template with Qwen3's behaviour (written for these tests): ChatML turns, earlier
# assistant turns without their thinking, and the enable_thinking switch — false puts an
# empty thinking block after the assistant opener, as Qwen3's own template does.
QWEN3_STYLE_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' }}"
    "{%- if message['role'] == 'assistant' and '</think>' in message['content'] %}"
    "{{- message['content'].split('</think>')[-1].lstrip('\\n') }}"
    "{%- else %}{{- message['content'] }}{%- endif %}"
    "{{- '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}"
    "{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}"
)


def _read_u64(buf: bytes, pos: int) -> int:
    value: int = struct.unpack_from("<Q", buf, pos)[0]
    return value


def _key_head(raw: bytes) -> tuple[int, int]:
    """(end of the key, value type) of an encoded key/value entry."""
    end = 8 + _read_u64(raw, 0)
    vtype: int = struct.unpack_from("<I", raw, end)[0]
    return end + 4, vtype


def _replace_strings(raw: bytes, replace: dict[int, str]) -> bytes:
    """A string-array entry with some items replaced."""
    pos, vtype = _key_head(raw)
    assert vtype == _T_ARRAY and struct.unpack_from("<I", raw, pos)[0] == _T_STRING
    count = _read_u64(raw, pos + 4)
    out = [raw[: pos + 12]]
    at = pos + 12
    for i in range(count):
        n = _read_u64(raw, at)
        if i in replace:
            out.append(_gguf_str(replace[i]))
        else:
            out.append(raw[at : at + 8 + n])
        at += 8 + n
    return b"".join(out)


def _replace_int32s(raw: bytes, replace: dict[int, int]) -> bytes:
    pos, vtype = _key_head(raw)
    assert vtype == _T_ARRAY and struct.unpack_from("<I", raw, pos)[0] == _T_INT32
    data = bytearray(raw)
    for i, value in replace.items():
        struct.pack_into("<i", data, pos + 12 + 4 * i, value)
    return bytes(data)


def qwen3_tokenizer_entries(vocab_path: Path) -> tuple[list[bytes], int]:
    """The Qwen2 vocabulary's tokenizer entries turned into Qwen3's (see the module notes)."""
    entries, n_vocab = _tokenizer_entries(vocab_path)
    out: list[bytes] = []
    for key, raw in entries:
        if key == "tokenizer.ggml.tokens":
            out.append(_replace_strings(raw, {i: t for i, (t, _) in QWEN3_ADDED.items()}))
        elif key == "tokenizer.ggml.token_type":
            out.append(_replace_int32s(raw, {i: k for i, (_, k) in QWEN3_ADDED.items()}))
        elif key == "tokenizer.ggml.eos_token_id":
            out.append(_kv(key, _T_UINT32, QWEN3_EOS_ID))
        elif key == "tokenizer.chat_template":
            out.append(_kv(key, _T_STRING, QWEN3_STYLE_TEMPLATE))
        else:
            out.append(raw)
    return out, n_vocab


def write_qwen3_model(
    path: Path,
    vocab_path: Path,
    *,
    n_layer: int = 2,
    n_embd: int = 64,
    n_head: int = 4,
    n_head_kv: int = 2,
    head_dim: int = 32,
    n_ff: int = 128,
    n_ctx_train: int = 40960,
    seed: int = 0,
    weight_scale: float = 0.3,
) -> Path:
    """Write a random-weight qwen3 GGUF (f32) with a Qwen3 tokenizer and template.

    As in Qwen3: the head width is its own (``head_dim`` × ``n_head`` need not be the
    embedding width), q and k get an RMS norm per head (``attn_q_norm``/``attn_k_norm``,
    ``head_dim`` wide) and there are no q/k/v biases; the output is tied to the embedding
    (as in Qwen3 0.6B–4B).
    """
    entries, n_vocab = qwen3_tokenizer_entries(vocab_path)
    kvs = _shape_kvs(
        "qwen3",
        n_ctx_train=n_ctx_train,
        n_embd=n_embd,
        n_layer=n_layer,
        n_ff=n_ff,
        n_head=n_head,
        n_head_kv=n_head_kv,
        head_dim=head_dim,
    )
    kvs += entries
    w = _RandomWeights(seed, weight_scale)
    q_dim, kv_dim = n_head * head_dim, n_head_kv * head_dim
    tensors = _embedding_tensors(w, n_vocab, n_embd)
    for i in range(n_layer):
        p = f"blk.{i}."
        tensors += [
            (p + "attn_norm.weight", w.ones(n_embd)),
            (p + "attn_q.weight", w(q_dim, n_embd)),
            (p + "attn_k.weight", w(kv_dim, n_embd)),
            (p + "attn_v.weight", w(kv_dim, n_embd)),
            (p + "attn_q_norm.weight", w.ones(head_dim)),
            (p + "attn_k_norm.weight", w.ones(head_dim)),
            (p + "attn_output.weight", w(n_embd, q_dim)),
            *_ffn_tensors(w, p, n_embd, n_ff),
        ]
    return write_gguf(path, kvs, tensors)
