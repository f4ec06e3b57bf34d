"""Whether a GGUF file that reads well is also a model llama.cpp can load without dying.

:func:`~app.models.gguf.header.read_gguf` checks that the header is well formed. That is
not enough: llama.cpp *aborts the whole process* (``GGML_ASSERT``, SIGABRT) on some
header values that are well formed but impossible — ``block_count`` 0 or above its
limit of 512 — and fails with a line of C++ log on others. :func:`check_loadable`
compares what the header says with itself and with the tensors present, and refuses a
file with the reason, before llama.cpp sees it:

* an architecture, and a layer count (``<arch>.block_count``) from 1 to 512, with
  tensors for every layer ``blk.0`` … ``blk.N-1`` and none beyond;
* the embedding width (``<arch>.embedding_length``) above 0, and the embedding matrix
  (``token_embd.weight``, and ``output.weight`` when present) as wide as it says;
* the vocabulary (``tokenizer.ggml.tokens``) as long as the embedding matrix is tall;
* head counts (a number, or one per layer): key/value heads at least 1, at most the
  query heads, and dividing them; without an explicit head width, the embedding width
  a multiple of the head count;
* experts: no more used per token than there are, at least one used when there are any;
  ``nextn_predict_layers`` at most the layer count; a known RoPE scaling type.

Only keys that are present are judged (other architectures use other keys); the checks
are the relations every llama.cpp architecture relies on. :func:`read_model` is the
header read plus these checks — what the model registry and the engine's loader use.
"""

from __future__ import annotations

from pathlib import Path

from app.models.errors import GGUFError
from app.models.gguf.header import read_gguf
from app.models.gguf.info import ArraySummary, GGUFInfo, MetaValue

__all__ = ["MAX_LAYERS", "check_loadable", "read_model"]

MAX_LAYERS = 512  # llama.cpp's LLAMA_MAX_LAYERS: more aborts the process
ROPE_SCALING_TYPES = ("none", "linear", "yarn", "longrope")


def read_model(path: Path | str) -> GGUFInfo:
    """Read the header of a GGUF file (or split set) and check that llama.cpp can load
    it; raises :class:`GGUFError` saying what is wrong."""
    info = read_gguf(path)
    check_loadable(info)
    return info


def _refuse(info: GGUFInfo, zh: str, en: str) -> GGUFError:
    return GGUFError(
        f"{info.path.name} 无法作为模型加载：{zh}。文件可能已损坏，或不是本程序支持的模型。",
        f"{info.path.name} cannot be loaded as a model: {en}. The file is damaged, or not "
        "a model this app supports.",
    )


def _count(value: MetaValue | ArraySummary | None) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _per_layer(info: GGUFInfo, key: str, n_layers: int) -> list[int] | None:
    """A count given once or once per layer (llama.cpp accepts both), as a list per layer."""
    value = info.get(key)
    if value is None:
        return None
    if isinstance(value, list):
        if len(value) != n_layers or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise _refuse(
                info,
                f"{key} 应为一个数或每层一个数（共 {n_layers} 层）",
                f"{key} should be one number or one per layer ({n_layers} layers)",
            )
        return [int(v) for v in value if isinstance(v, int)]
    number = _count(value)
    if number is None:
        raise _refuse(info, f"{key} 不是整数", f"{key} is not a whole number")
    return [number] * n_layers


def _layers(info: GGUFInfo, arch: str) -> int:
    key = f"{arch}.block_count"
    raw = info.get(key)
    n = _count(raw)
    if raw is None:
        raise _refuse(info, f"缺少层数（{key}）", f"it does not say how many layers it has ({key})")
    if n is None or not 1 <= n <= MAX_LAYERS:
        raise _refuse(
            info,
            f"层数 {key} = {raw!r}，应在 1 到 {MAX_LAYERS} 之间",
            f"{key} is {raw!r}; it must be from 1 to {MAX_LAYERS}",
        )
    present = {t.layer for t in info.tensors if t.layer is not None}
    if present != set(range(n)):
        if present:
            held = f"{len(present)} 层的张量（blk.{min(present)} … blk.{max(present)}）"
            held_en = f"tensors for {len(present)} (blk.{min(present)} … blk.{max(present)})"
        else:
            held, held_en = "没有任何层的张量", "no layer tensors"
        raise _refuse(
            info,
            f"{key} 说有 {n} 层，文件里却有{held}",
            f"{key} says {n} layers, but the file holds {held_en}",
        )
    nextn = _count(info.get(f"{arch}.nextn_predict_layers"))
    if nextn is not None and not 0 <= nextn <= n:
        raise _refuse(
            info,
            f"{arch}.nextn_predict_layers = {nextn}，超过层数 {n}",
            f"{arch}.nextn_predict_layers is {nextn}, more than the {n} layers",
        )
    return n


def _width(info: GGUFInfo, arch: str) -> int:
    key = f"{arch}.embedding_length"
    raw = info.get(key)
    n_embd = _count(raw)
    if n_embd is None or n_embd < 1:
        raise _refuse(info, f"嵌入宽度 {key} = {raw!r} 无效", f"{key} is {raw!r}, not a width")
    return n_embd


def _embedding(info: GGUFInfo, n_embd: int) -> None:
    vocab = info.vocab_size
    for tensor in info.tensors:
        if tensor.name not in ("token_embd.weight", "output.weight"):
            continue
        if tensor.shape[0] != n_embd:
            raise _refuse(
                info,
                f"{tensor.name} 宽 {tensor.shape[0]}，与嵌入宽度 {n_embd} 不符",
                f"{tensor.name} is {tensor.shape[0]} wide, the embedding width is {n_embd}",
            )
        rows = tensor.shape[1] if len(tensor.shape) > 1 else 1
        if vocab is not None and rows != vocab:
            raise _refuse(
                info,
                f"词表有 {vocab} 个词元，而 {tensor.name} 有 {rows} 行",
                f"the vocabulary has {vocab} tokens but {tensor.name} has {rows} rows",
            )


def _heads(info: GGUFInfo, arch: str, n_layers: int, n_embd: int) -> None:
    heads = _per_layer(info, f"{arch}.attention.head_count", n_layers)
    if heads is None:
        return
    kv_key = f"{arch}.attention.head_count_kv"
    kv_heads = _per_layer(info, kv_key, n_layers) or heads
    explicit_width = _count(info.get(f"{arch}.attention.key_length"))
    for layer, (h, kv) in enumerate(zip(heads, kv_heads, strict=True)):
        where_zh = f"第 {layer} 层" if len(set(heads)) > 1 or len(set(kv_heads)) > 1 else ""
        where_en = f" in layer {layer}" if where_zh else ""
        if h < 0 or kv < 0:
            raise _refuse(info, f"{where_zh}注意力头数为负", f"a negative head count{where_en}")
        if h == 0:
            continue  # a layer without attention (recurrent architectures)
        if kv == 0 or kv > h or h % kv:
            raise _refuse(
                info,
                f"{where_zh}注意力头 {h} 个、键值头 {kv} 个：键值头数须至少为 1、"
                "不多于注意力头数且能整除它",
                f"{h} attention heads and {kv} key/value heads{where_en}: key/value heads "
                "must be at least 1, at most the heads, and divide them",
            )
        if explicit_width is None and n_embd % h:
            raise _refuse(
                info,
                f"嵌入宽度 {n_embd} 不能被注意力头数 {h} 整除",
                f"the embedding width {n_embd} is not a multiple of the {h} heads",
            )


def _experts(info: GGUFInfo, arch: str) -> None:
    experts = _count(info.get(f"{arch}.expert_count")) or 0
    used_raw = info.get(f"{arch}.expert_used_count")  # one number, or one per layer
    used_all = used_raw if isinstance(used_raw, list) else [used_raw]
    used = max((v for v in used_all if isinstance(v, int) and not isinstance(v, bool)), default=0)
    if used > experts or (experts > 0 and used == 0) or experts < 0 or used < 0:
        raise _refuse(
            info,
            f"专家数 {experts}、每词元用 {used} 个，不可能",
            f"{experts} experts with {used} used per token is impossible",
        )


def _rope(info: GGUFInfo, arch: str) -> None:
    key = f"{arch}.rope.scaling.type"
    value = info.get(key)
    if value is not None and value not in ROPE_SCALING_TYPES:
        raise _refuse(
            info,
            f"未知的 RoPE 缩放方式 {key} = {value!r}",
            f"unknown RoPE scaling type {key} = {value!r}",
        )


def check_loadable(info: GGUFInfo) -> None:
    """Refuse (:class:`GGUFError`, the reason in both languages) a header that llama.cpp
    would abort on or reject; see the module notes for what is checked."""
    arch = info.architecture
    if not arch:
        raise _refuse(info, "没有注明模型架构（general.architecture）", "it names no architecture")
    n_layers = _layers(info, arch)
    n_embd = _width(info, arch)
    _embedding(info, n_embd)
    _heads(info, arch, n_layers, n_embd)
    _experts(info, arch)
    _rope(info, arch)
