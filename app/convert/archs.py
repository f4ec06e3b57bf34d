"""The architectures the converter knows: their config keys and tensor names.

A Hugging Face checkpoint names its architecture in ``config.json``
(``"architectures": ["Qwen2ForCausalLM"]``). Three decoder-only families are supported,
all the same transformer with small differences:

* ``qwen2`` (Qwen2/Qwen2.5 and their fine-tunes, QPM-1K-32B-R1 among them): biases on
  the q/k/v projections, rotary embedding in the NeoX layout (no permutation);
* ``qwen3``: no q/k/v biases, an RMS norm on each head's q and k (``q_norm``/``k_norm``);
* ``llama`` (Llama 2/3, Mistral-style checkpoints without sliding windows): q and k rows
  permuted from Hugging Face's rotary layout to llama.cpp's interleaved one; optional
  biases (``attention_bias``); Llama 3 rope scaling becomes a ``rope_freqs`` tensor.

Anything else is refused before a byte is written, naming the architecture.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.convert.errors import CheckpointError, ConvertError, UnsupportedArchitectureError


@dataclass(frozen=True)
class ArchSpec:
    gguf_arch: str  # llama.cpp's architecture name
    hf_classes: tuple[str, ...]
    qkv_bias: bool  # q/k/v biases are always there
    qk_norm: bool  # per-head RMS norm of q and k
    permute_qk: bool  # HF rotary layout -> llama.cpp's (llama only)


ARCHS: tuple[ArchSpec, ...] = (
    ArchSpec("qwen2", ("Qwen2ForCausalLM",), qkv_bias=True, qk_norm=False, permute_qk=False),
    ArchSpec("qwen3", ("Qwen3ForCausalLM",), qkv_bias=False, qk_norm=True, permute_qk=False),
    ArchSpec(
        "llama",
        ("LlamaForCausalLM", "MistralForCausalLM"),
        qkv_bias=False,
        qk_norm=False,
        permute_qk=True,
    ),
)


def supported_classes() -> tuple[str, ...]:
    return tuple(name for spec in ARCHS for name in spec.hf_classes)


def arch_for(hf_class: str) -> ArchSpec:
    for spec in ARCHS:
        if hf_class in spec.hf_classes:
            return spec
    raise UnsupportedArchitectureError(hf_class, supported_classes())


@dataclass(frozen=True)
class RopeScaling:
    kind: str  # "linear", "yarn", "llama3"
    factor: float
    original_context: int = 0
    low_freq_factor: float = 1.0
    high_freq_factor: float = 4.0


@dataclass(frozen=True)
class ModelConfig:
    """The numbers of ``config.json`` the conversion needs, checked."""

    hf_class: str
    arch: ArchSpec
    n_layer: int
    n_embd: int
    n_head: int
    n_head_kv: int
    n_ff: int
    head_dim: int
    n_vocab: int
    n_ctx: int
    rope_theta: float
    rms_eps: float
    tied_embeddings: bool
    attention_bias: bool
    rope_scaling: RopeScaling | None = None
    name: str = ""
    torch_dtype: str = ""
    special_ids: Mapping[str, int] = field(default_factory=dict)

    @property
    def explicit_head_dim(self) -> bool:
        return self.head_dim != self.n_embd // self.n_head


def _number(config: Mapping[str, Any], *keys: str, default: Any = None) -> Any:
    for key in keys:
        value = config.get(key)
        if value is not None:
            return value
    return default


def read_config(path: Path) -> ModelConfig:
    """Parse ``config.json``; refuses unknown architectures and missing numbers."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError("config.json", "找不到这个文件", "the file is missing") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(
            "config.json", f"不是有效的 JSON（{exc}）", f"is not valid JSON ({exc})"
        ) from exc
    if not isinstance(data, dict):
        raise CheckpointError("config.json", "不是 JSON 对象", "is not a JSON object")
    return config_from_dict(data)


def config_from_dict(data: Mapping[str, Any]) -> ModelConfig:
    """The checked numbers of a parsed ``config.json``."""
    classes = data.get("architectures") or []
    if not isinstance(classes, list) or not classes or not isinstance(classes[0], str):
        model_type = data.get("model_type")
        raise UnsupportedArchitectureError(
            f"model_type={model_type!r}" if model_type else "(none named)", supported_classes()
        )
    spec = arch_for(classes[0])

    def need(*keys: str) -> int:
        value = _number(data, *keys)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise CheckpointError(
                "config.json",
                f"缺少或无效的 {keys[0]}",
                f"{keys[0]} is missing or not a positive integer",
            )
        return value

    n_embd = need("hidden_size")
    n_head = need("num_attention_heads")
    n_head_kv = int(_number(data, "num_key_value_heads", default=n_head))
    head_dim = int(_number(data, "head_dim", default=n_embd // n_head))
    if n_head_kv <= 0 or n_head % n_head_kv:
        raise CheckpointError(
            "config.json",
            f"注意力头数 {n_head} 不能被键值头数 {n_head_kv} 整除",
            f"{n_head} attention heads are not a multiple of {n_head_kv} key/value heads",
        )
    raw_rope = data.get("rope_parameters")
    rope_params: dict[str, Any] = raw_rope if isinstance(raw_rope, dict) else {}
    rope_theta = float(_number(data, "rope_theta", default=rope_params.get("rope_theta", 10000.0)))
    eps = _number(data, "rms_norm_eps")
    if eps is None:
        raise CheckpointError("config.json", "缺少 rms_norm_eps", "rms_norm_eps is missing")
    n_ctx = need("max_position_embeddings")
    special: dict[str, int] = {}
    for kind in ("bos", "eos", "pad", "unk"):
        value = data.get(f"{kind}_token_id")
        if isinstance(value, list) and value and isinstance(value[0], int):
            value = value[0]
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            special[kind] = value
    return ModelConfig(
        hf_class=classes[0],
        arch=spec,
        n_layer=need("num_hidden_layers"),
        n_embd=n_embd,
        n_head=n_head,
        n_head_kv=n_head_kv,
        n_ff=need("intermediate_size"),
        head_dim=head_dim,
        n_vocab=need("vocab_size"),
        n_ctx=n_ctx,
        rope_theta=rope_theta,
        rms_eps=float(eps),
        tied_embeddings=bool(data.get("tie_word_embeddings", False)),
        attention_bias=spec.qkv_bias or bool(data.get("attention_bias", False)),
        rope_scaling=_rope_scaling(data, rope_params),
        name=str(data.get("_name_or_path") or ""),
        torch_dtype=str(data.get("torch_dtype") or data.get("dtype") or ""),
        special_ids=special,
    )


def _rope_scaling(data: Mapping[str, Any], rope_params: Mapping[str, Any]) -> RopeScaling | None:
    raw = data.get("rope_scaling") or (rope_params if "rope_type" in rope_params else None)
    if not isinstance(raw, dict):
        return None
    kind = str(raw.get("rope_type") or raw.get("type") or "")
    factor = raw.get("factor")
    if kind in ("", "default"):
        return None
    if kind in ("linear", "yarn", "llama3") and isinstance(factor, (int, float)):
        return RopeScaling(
            kind=kind,
            factor=float(factor),
            original_context=int(raw.get("original_max_position_embeddings") or 0),
            low_freq_factor=float(raw.get("low_freq_factor", 1.0)),
            high_freq_factor=float(raw.get("high_freq_factor", 4.0)),
        )
    raise ConvertError(
        f"config.json 中的 rope_scaling 类型 {kind!r} 暂不支持。",
        f"rope_scaling of type {kind!r} in config.json is not supported.",
    )


# ---------------------------------------------------------------- tensor names

_LAYER_RE = re.compile(r"^model\.layers\.(\d+)\.(.+)$")
_LAYER_NAMES = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.bias": "attn_v.bias",
    "self_attn.o_proj.weight": "attn_output.weight",
    "self_attn.q_norm.weight": "attn_q_norm.weight",
    "self_attn.k_norm.weight": "attn_k_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}
_TOP_NAMES = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
_SKIPPED = re.compile(r"(^|\.)rotary_emb\.inv_freq$")


def gguf_name(hf_name: str) -> str | None:
    """llama.cpp's name for a Hugging Face tensor; ``None`` for tensors not needed."""
    if _SKIPPED.search(hf_name):
        return None
    if hf_name in _TOP_NAMES:
        return _TOP_NAMES[hf_name]
    match = _LAYER_RE.match(hf_name)
    if match and match.group(2) in _LAYER_NAMES:
        return f"blk.{int(match.group(1))}.{_LAYER_NAMES[match.group(2)]}"
    raise ConvertError(
        f"检查点中有无法识别的张量 {hf_name}：它不是标准的 Qwen2/Qwen3/Llama 结构（可能是多模态、"
        "混合专家或 LoRA 模型），无法转换。",
        f"The checkpoint holds a tensor this converter does not know, {hf_name}: it is not a "
        "plain Qwen2/Qwen3/Llama model (multimodal, mixture-of-experts or LoRA?), so it "
        "cannot be converted.",
    )


def expected_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Every tensor llama.cpp needs for this config, with its Hugging Face shape."""
    q_dim = cfg.n_head * cfg.head_dim
    kv_dim = cfg.n_head_kv * cfg.head_dim
    shapes: dict[str, tuple[int, ...]] = {
        "token_embd.weight": (cfg.n_vocab, cfg.n_embd),
        "output_norm.weight": (cfg.n_embd,),
    }
    if not cfg.tied_embeddings:
        shapes["output.weight"] = (cfg.n_vocab, cfg.n_embd)
    for i in range(cfg.n_layer):
        p = f"blk.{i}."
        shapes |= {
            p + "attn_norm.weight": (cfg.n_embd,),
            p + "attn_q.weight": (q_dim, cfg.n_embd),
            p + "attn_k.weight": (kv_dim, cfg.n_embd),
            p + "attn_v.weight": (kv_dim, cfg.n_embd),
            p + "attn_output.weight": (cfg.n_embd, q_dim),
            p + "ffn_norm.weight": (cfg.n_embd,),
            p + "ffn_gate.weight": (cfg.n_ff, cfg.n_embd),
            p + "ffn_up.weight": (cfg.n_ff, cfg.n_embd),
            p + "ffn_down.weight": (cfg.n_embd, cfg.n_ff),
        }
        if cfg.attention_bias:
            shapes |= {
                p + "attn_q.bias": (q_dim,),
                p + "attn_k.bias": (kv_dim,),
                p + "attn_v.bias": (kv_dim,),
            }
        if cfg.arch.qk_norm:
            shapes |= {
                p + "attn_q_norm.weight": (cfg.head_dim,),
                p + "attn_k_norm.weight": (cfg.head_dim,),
            }
    return shapes


def rope_freqs(cfg: ModelConfig) -> list[float] | None:
    """Llama 3 rope scaling as per-dimension frequency factors (llama.cpp's rope_freqs)."""
    scaling = cfg.rope_scaling
    if scaling is None or scaling.kind != "llama3":
        return None
    base = cfg.rope_theta
    dim = cfg.head_dim
    old_ctx = scaling.original_context or 8192
    low_wavelen = old_ctx / scaling.low_freq_factor
    high_wavelen = old_ctx / scaling.high_freq_factor
    factors: list[float] = []
    for i in range(0, dim, 2):
        freq = 1.0 / (base ** (i / dim))
        wavelen = 2 * math.pi / freq
        if wavelen < high_wavelen:
            factors.append(1.0)
        elif wavelen > low_wavelen:
            factors.append(scaling.factor)
        else:
            smooth = (old_ctx / wavelen - scaling.low_freq_factor) / (
                scaling.high_freq_factor - scaling.low_freq_factor
            )
            factors.append(1.0 / ((1 - smooth) / scaling.factor + smooth))
    return factors
