"""Tiny random-weight Hugging Face checkpoints of the qwen2 architecture, for the builder.

:func:`write_qwen2_checkpoint` writes what a Hugging Face repository of a Qwen2 model
holds: ``config.json``, ``generation_config.json``, ``tokenizer.json`` and
``tokenizer_config.json`` carrying the real Qwen2 tokenizer, and the weights as bf16
safetensors in two shards with ``model.safetensors.index.json`` (or one file).

The tokenizer is rebuilt from ``ggml-vocab-qwen2.gguf`` (the vocabulary file the
engine tests use, see :mod:`tests.support.tiny_model`): its NORMAL tokens are the BPE
vocabulary, its CONTROL tokens the special added tokens, its merges the merges, and the
pre-tokenizer is Qwen2's split expression — the same ``tokenizer.json`` Qwen publishes,
less the ``[PADn]`` rows llama.cpp's converter invents. The weights are random (norms
and biases too, so a tensor mapped to the wrong place shows in the logits), the
embedding is not tied to the output.

The safetensors files are written by hand from the format's definition, so the
converter is tested against the format, not against itself.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# ---------------------------------------------------------------- the vocabulary file


@dataclass(frozen=True)
class GGUFVocab:
    tokens: list[str]
    types: list[int]
    merges: list[str]
    ints: dict[str, int] = field(default_factory=dict)
    strings: dict[str, str] = field(default_factory=dict)


_FIXED = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}  # fmt: skip


def read_gguf_vocab(path: Path) -> GGUFVocab:
    """The ``tokenizer.*`` entries of a GGUF file (fast: plain struct walking)."""
    buf = path.read_bytes()
    assert buf[:4] == b"GGUF", path
    _version, _n_tensors, n_kv = struct.unpack_from("<IQQ", buf, 4)
    pos = 24

    def string(at: int) -> tuple[str, int]:
        (n,) = struct.unpack_from("<Q", buf, at)
        return buf[at + 8 : at + 8 + n].decode("utf-8"), at + 8 + n

    def value(at: int, vtype: int) -> tuple[Any, int]:
        if vtype in _FIXED:
            fmt = _FIXED[vtype]
            return struct.unpack_from(fmt, buf, at)[0], at + struct.calcsize(fmt)
        if vtype == 8:
            return string(at)
        assert vtype == 9, vtype
        sub, count = struct.unpack_from("<IQ", buf, at)
        at += 12
        if sub in _FIXED:
            fmt = _FIXED[sub]
            size = struct.calcsize(fmt)
            values = list(struct.unpack_from(f"<{count}{fmt[1]}", buf, at))
            return values, at + count * size
        items = []
        for _ in range(count):
            item, at = value(at, sub)
            items.append(item)
        return items, at

    found: dict[str, Any] = {}
    for _ in range(n_kv):
        key, pos = string(pos)
        (vtype,) = struct.unpack_from("<I", buf, pos)
        val, pos = value(pos + 4, vtype)
        if key.startswith("tokenizer."):
            found[key] = val
    return GGUFVocab(
        tokens=found["tokenizer.ggml.tokens"],
        types=found["tokenizer.ggml.token_type"],
        merges=found.get("tokenizer.ggml.merges", []),
        ints={k: v for k, v in found.items() if isinstance(v, int)},
        strings={k: v for k, v in found.items() if isinstance(v, str)},
    )


def tokenizer_files(
    vocab: GGUFVocab,
    *,
    merges_as_pairs: bool = False,
    chat_template: str | None = QWEN_CHAT_TEMPLATE,
    extra_added: tuple[tuple[str, bool], ...] = (),
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``tokenizer.json`` and ``tokenizer_config.json`` of the real Qwen2 tokenizer.

    ``extra_added`` appends added tokens (content, special) after the vocabulary's own.
    """
    normal = {
        tok: i for i, (tok, t) in enumerate(zip(vocab.tokens, vocab.types, strict=True)) if t == 1
    }
    added: list[dict[str, Any]] = []
    for i, (tok, t) in enumerate(zip(vocab.tokens, vocab.types, strict=True)):
        if t == 3:
            added.append(_added(i, tok, special=True))
    next_id = max(a["id"] for a in added) + 1
    for content, special in extra_added:
        added.append(_added(next_id, content, special=special))
        next_id += 1
    merges: list[Any] = (
        [m.split(" ") for m in vocab.merges] if merges_as_pairs else list(vocab.merges)
    )
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}  # fmt: skip
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {
                    "type": "Split",
                    "pattern": {"Regex": QWEN2_SPLIT},
                    "behavior": "Isolated",
                    "invert": False,
                },
                byte_level,
            ],
        },
        "post_processor": byte_level,
        "decoder": byte_level,
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "",
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": normal,
            "merges": merges,
        },
    }
    config: dict[str, Any] = {
        "add_prefix_space": False,
        "added_tokens_decoder": {
            str(a["id"]): {k: v for k, v in a.items() if k != "id"} for a in added
        },
        "bos_token": None,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "model_max_length": 32768,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }
    if chat_template is not None:
        config["chat_template"] = chat_template
    return tokenizer, config


def _added(index: int, content: str, *, special: bool) -> dict[str, Any]:
    return {
        "id": index,
        "content": content,
        "single_word": False,
        "lstrip": False,
        "rstrip": False,
        "normalized": False,
        "special": special,
    }


# ---------------------------------------------------------------- weights


@dataclass(frozen=True)
class TinyShape:
    n_layer: int = 2
    n_embd: int = 64
    n_head: int = 4
    n_head_kv: int = 2
    n_ff: int = 128
    n_vocab: int = 151936
    n_ctx: int = 32768
    rope_theta: float = 1_000_000.0
    rms_eps: float = 1e-6

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head


ARCH_CLASSES = {
    "qwen2": "Qwen2ForCausalLM",
    "qwen3": "Qwen3ForCausalLM",
    "llama": "LlamaForCausalLM",
}


def random_weights(
    shape: TinyShape, seed: int = 0, scale: float = 0.3, arch: str = "qwen2"
) -> dict[str, np.ndarray]:
    """Hugging Face tensor names -> float32 arrays (random, norms and biases included).

    qwen2 has q/k/v biases; qwen3 has none but a per-head RMS norm of q and k; llama
    has neither (``attention_bias`` false)."""
    rng = np.random.default_rng(seed)
    hd = shape.head_dim
    q_dim, kv_dim = shape.n_head * hd, shape.n_head_kv * hd

    def w(*dims: int, s: float = scale) -> np.ndarray:
        # uniform with unit variance: as good as normal here, and several times faster
        values = rng.random(dims, dtype=np.float32)
        values -= 0.5
        values *= np.float32(s * 12**0.5)
        return values

    def norm(n: int) -> np.ndarray:
        return (1.0 + 0.2 * rng.standard_normal(n)).astype(np.float32)

    tensors: dict[str, np.ndarray] = {
        "model.embed_tokens.weight": w(shape.n_vocab, shape.n_embd, s=1.0)
    }
    for i in range(shape.n_layer):
        p = f"model.layers.{i}."
        tensors |= {
            p + "input_layernorm.weight": norm(shape.n_embd),
            p + "self_attn.q_proj.weight": w(q_dim, shape.n_embd),
            p + "self_attn.k_proj.weight": w(kv_dim, shape.n_embd),
            p + "self_attn.v_proj.weight": w(kv_dim, shape.n_embd),
        }
        if arch == "qwen2":
            tensors |= {
                p + "self_attn.q_proj.bias": w(q_dim),
                p + "self_attn.k_proj.bias": w(kv_dim),
                p + "self_attn.v_proj.bias": w(kv_dim),
            }
        if arch == "qwen3":
            tensors |= {
                p + "self_attn.q_norm.weight": norm(hd),
                p + "self_attn.k_norm.weight": norm(hd),
            }
        tensors |= {
            p + "self_attn.o_proj.weight": w(shape.n_embd, q_dim),
            p + "post_attention_layernorm.weight": norm(shape.n_embd),
            p + "mlp.gate_proj.weight": w(shape.n_ff, shape.n_embd),
            p + "mlp.up_proj.weight": w(shape.n_ff, shape.n_embd),
            p + "mlp.down_proj.weight": w(shape.n_embd, shape.n_ff),
        }
    tensors["model.norm.weight"] = norm(shape.n_embd)
    tensors["lm_head.weight"] = w(shape.n_vocab, shape.n_embd, s=0.5)
    return tensors


def to_bf16_bits(values: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bits, round half to even (what torch's .to(bfloat16) does)."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounded = (bits >> 16) & 1  # finite values: the sum below stays inside 32 bits
    rounded += bits
    rounded += 0x7FFF
    rounded >>= 16
    return rounded.astype(np.uint16)


def from_bf16_bits(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint32) << 16).view(np.float32)


def write_safetensors(path: Path, tensors: dict[str, tuple[str, np.ndarray]]) -> None:
    """name -> (dtype name, array of its bits); the layout of the safetensors format."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, array) in tensors.items():
        header[name] = {
            "dtype": dtype,
            "shape": list(array.shape),
            "data_offsets": [offset, offset + array.nbytes],
        }
        offset += array.nbytes
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((-len(raw)) % 8)
    with path.open("wb") as fh:
        fh.write(struct.pack("<Q", len(raw)))
        fh.write(raw)
        for _dtype, array in tensors.values():
            fh.write(np.ascontiguousarray(array).tobytes())


def hf_config(shape: TinyShape, arch: str = "qwen2", **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "architectures": [ARCH_CLASSES[arch]],
        "attention_dropout": 0.0,
        "bos_token_id": 151643,
        "eos_token_id": 151645,
        "hidden_act": "silu",
        "hidden_size": shape.n_embd,
        "initializer_range": 0.02,
        "intermediate_size": shape.n_ff,
        "max_position_embeddings": shape.n_ctx,
        "max_window_layers": shape.n_layer,
        "model_type": arch,
        "num_attention_heads": shape.n_head,
        "num_hidden_layers": shape.n_layer,
        "num_key_value_heads": shape.n_head_kv,
        "rms_norm_eps": shape.rms_eps,
        "rope_scaling": None,
        "rope_theta": shape.rope_theta,
        "sliding_window": shape.n_ctx,
        "tie_word_embeddings": False,
        "torch_dtype": "bfloat16",
        "transformers_version": "4.43.1",
        "use_cache": True,
        "use_sliding_window": False,
        "vocab_size": shape.n_vocab,
    }
    if arch == "llama":
        config["attention_bias"] = False
    if arch == "qwen3":
        config["head_dim"] = shape.head_dim
    config.update(overrides)
    return config


@dataclass(frozen=True)
class TinyCheckpoint:
    folder: Path
    shape: TinyShape
    weights: dict[str, np.ndarray]  # float32 values of what was stored (after bf16 rounding)
    files: tuple[str, ...]
    arch: str = "qwen2"


def write_qwen2_checkpoint(
    folder: Path,
    vocab_path: Path,
    *,
    arch: str = "qwen2",
    shape: TinyShape | None = None,
    seed: int = 0,
    shards: int = 2,
    dtype: str = "BF16",
    merges_as_pairs: bool = False,
    chat_template: str | None = QWEN_CHAT_TEMPLATE,
    template_file: bool = False,
    config_overrides: dict[str, Any] | None = None,
    vocab: GGUFVocab | None = None,
) -> TinyCheckpoint:
    """Write a tiny checkpoint (Qwen2 unless ``arch`` says qwen3/llama) into ``folder``.

    ``template_file`` puts the chat template in ``chat_template.jinja`` instead of
    ``tokenizer_config.json``; ``dtype`` is BF16, F16 or F32.
    """
    shape = shape or TinyShape()
    vocab = vocab or read_gguf_vocab(vocab_path)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(
        json.dumps(hf_config(shape, arch, **(config_overrides or {})), indent=2), encoding="utf-8"
    )
    (folder / "generation_config.json").write_text(
        json.dumps({"bos_token_id": 151643, "eos_token_id": [151645, 151643]}), encoding="utf-8"
    )
    tokenizer, tok_config = tokenizer_files(
        vocab,
        merges_as_pairs=merges_as_pairs,
        chat_template=None if template_file else chat_template,
    )
    if template_file and chat_template is not None:
        (folder / "chat_template.jinja").write_text(chat_template, encoding="utf-8")
    (folder / "tokenizer.json").write_text(
        json.dumps(tokenizer, ensure_ascii=False), encoding="utf-8"
    )
    (folder / "tokenizer_config.json").write_text(
        json.dumps(tok_config, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    values = random_weights(shape, seed, arch=arch)
    stored: dict[str, np.ndarray] = {}
    encoded: dict[str, tuple[str, np.ndarray]] = {}
    for name, array in values.items():
        if dtype == "BF16":
            bits = to_bf16_bits(array)
            stored[name] = from_bf16_bits(bits)
            encoded[name] = ("BF16", bits)
        elif dtype == "F16":
            half = array.astype(np.float16)
            stored[name] = half.astype(np.float32)
            encoded[name] = ("F16", half)
        else:
            stored[name] = array
            encoded[name] = ("F32", array)
    names = list(encoded)
    if shards <= 1:
        write_safetensors(folder / "model.safetensors", encoded)
        files: tuple[str, ...] = ("model.safetensors",)
    else:
        per = -(-len(names) // shards)
        files = tuple(f"model-{i + 1:05d}-of-{shards:05d}.safetensors" for i in range(shards))
        weight_map: dict[str, str] = {}
        for i, file in enumerate(files):
            part = {n: encoded[n] for n in names[i * per : (i + 1) * per]}
            write_safetensors(folder / file, part)
            weight_map |= dict.fromkeys(part, file)
        total = sum(a.nbytes for _d, a in encoded.values())
        index = {"metadata": {"total_size": total}, "weight_map": weight_map}
        (folder / "model.safetensors.index.json").write_text(
            json.dumps(index, indent=2), encoding="utf-8"
        )
    return TinyCheckpoint(folder, shape, stored, files, arch)


def repo_files(folder: Path) -> dict[str, bytes]:
    """Every file of a checkpoint folder, for the fake hub."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
