"""What will be written: every output tensor, where its bytes come from, in which type.

Everything about a checkpoint is checked here, before the output file is opened: the
architecture (refused up front if unknown), each tensor's name (unknown tensors are
refused, not dropped), each shape against ``config.json``, that no tensor is missing,
the source types (float only), and the tokenizer. A checkpoint that passes converts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.convert.archs import ModelConfig, expected_shapes, gguf_name, read_config, rope_freqs
from app.convert.dtypes import ITEM_SIZE
from app.convert.errors import ConvertError
from app.convert.safetensors import FLOAT_DTYPES, Checkpoint, TensorRef, open_checkpoint
from app.convert.vocab import Vocab, read_vocab

OutType = Literal["auto", "f32", "f16", "bf16"]
OUT_TYPES: tuple[str, ...] = ("auto", "f32", "f16", "bf16")
FILE_TYPES = {"F32": 0, "F16": 1, "BF16": 32}  # general.file_type (llama_ftype)


@dataclass(frozen=True)
class TensorPlan:
    name: str  # llama.cpp's name
    source: TensorRef | None  # None: computed (rope_freqs)
    src_type: str
    out_type: str
    shape: tuple[int, ...]  # numpy order (rows first)
    permute_heads: int = 0  # llama's q/k: heads to permute over (0: none)
    values: tuple[float, ...] = ()  # for computed tensors

    @property
    def out_nbytes(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n * ITEM_SIZE[self.out_type]

    @property
    def is_copy(self) -> bool:
        """Bytes go through unchanged (no type change, no permutation)."""
        return self.source is not None and self.src_type == self.out_type and not self.permute_heads


@dataclass(frozen=True)
class ConversionPlan:
    folder: Path
    config: ModelConfig
    checkpoint: Checkpoint
    vocab: Vocab
    tensors: tuple[TensorPlan, ...]
    weight_type: str  # the type of the 2-D weights: F32, F16 or BF16
    file_type: int

    @property
    def out_bytes(self) -> int:
        return sum(t.out_nbytes for t in self.tensors)

    @property
    def largest_tensor_bytes(self) -> int:
        return max(t.out_nbytes for t in self.tensors)


def _weight_type(checkpoint: Checkpoint, outtype: OutType) -> str:
    if outtype != "auto":
        return outtype.upper()
    counts: dict[str, int] = {}
    for ref in checkpoint.tensors.values():
        if len(ref.shape) == 2:
            counts[ref.dtype] = counts.get(ref.dtype, 0) + ref.nbytes
    return max(counts, key=lambda k: counts[k]) if counts else "F32"


def plan_conversion(folder: Path, outtype: OutType = "auto") -> ConversionPlan:
    """Read and check a checkpoint folder; raises a :class:`ConvertError` naming the fault."""
    if outtype not in OUT_TYPES:
        raise ConvertError(f"未知的输出类型 {outtype!r}", f"unknown output type {outtype!r}")
    folder = Path(folder)
    config = read_config(folder / "config.json")  # refuses unknown architectures first
    checkpoint = open_checkpoint(folder)
    vocab = read_vocab(folder, config.n_vocab, config.special_ids)
    weight_type = _weight_type(checkpoint, outtype)
    if weight_type not in FILE_TYPES:
        raise ConvertError(
            f"检查点的权重类型 {weight_type} 无法转换（只支持 F32、F16、BF16）。",
            f"The checkpoint's weights are {weight_type}; only F32, F16 and BF16 convert.",
        )
    expected = expected_shapes(config)
    found: dict[str, TensorRef] = {}
    ordered = sorted(
        checkpoint.tensors.values(),
        key=lambda r: (checkpoint.files.index(r.path), r.offset),
    )
    for ref in ordered:
        name = gguf_name(ref.name)
        if name is None:
            continue
        if name == "output.weight" and config.tied_embeddings:
            continue  # llama.cpp uses token_embd for the output when there is none
        if name not in expected:
            raise ConvertError(
                f"张量 {ref.name} 与 config.json 不符（该配置下不应有 {name}）。",
                f"Tensor {ref.name} does not fit config.json (this configuration has no {name}).",
            )
        if tuple(ref.shape) != expected[name]:
            raise ConvertError(
                f"张量 {ref.name} 的形状是 {list(ref.shape)}，按 config.json 应为 "
                f"{list(expected[name])}。",
                f"Tensor {ref.name} has shape {list(ref.shape)}; config.json implies "
                f"{list(expected[name])}.",
            )
        if ref.dtype not in FLOAT_DTYPES:
            raise ConvertError(
                f"张量 {ref.name} 的类型是 {ref.dtype}，只支持 F32、F16、BF16。",
                f"Tensor {ref.name} is {ref.dtype}; only F32, F16 and BF16 are supported.",
            )
        found[name] = ref
    missing = [name for name in expected if name not in found]
    if missing:
        raise ConvertError(
            f"检查点缺少 {len(missing)} 个张量（如 {missing[0]}），无法转换。",
            f"The checkpoint lacks {len(missing)} tensors (e.g. {missing[0]}); it cannot be "
            "converted.",
        )
    plans: list[TensorPlan] = []
    for name, ref in found.items():
        out = weight_type if len(ref.shape) == 2 else "F32"
        heads = 0
        if config.arch.permute_qk and (".attn_q." in name or ".attn_k." in name):
            heads = config.n_head if ".attn_q." in name else config.n_head_kv
        plans.append(TensorPlan(name, ref, ref.dtype, out, tuple(ref.shape), heads))
    factors = rope_freqs(config)
    if factors is not None:
        plans.append(
            TensorPlan("rope_freqs.weight", None, "F32", "F32", (len(factors),), 0, tuple(factors))
        )
    return ConversionPlan(
        folder=folder,
        config=config,
        checkpoint=checkpoint,
        vocab=vocab,
        tensors=tuple(plans),
        weight_type=weight_type,
        file_type=FILE_TYPES[weight_type],
    )
