"""What a GGUF header says: the ggml type tables and :class:`GGUFInfo` (read by
:mod:`app.models.gguf.header`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ALIGNMENT = 32

# ggml tensor types: id -> (name, elements per block, bytes per block)
GGML_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("F32", 1, 4),
    1: ("F16", 1, 2),
    2: ("Q4_0", 32, 18),
    3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22),
    7: ("Q5_1", 32, 24),
    8: ("Q8_0", 32, 34),
    9: ("Q8_1", 32, 40),
    10: ("Q2_K", 256, 84),
    11: ("Q3_K", 256, 110),
    12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176),
    14: ("Q6_K", 256, 210),
    15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66),
    17: ("IQ2_XS", 256, 74),
    18: ("IQ3_XXS", 256, 98),
    19: ("IQ1_S", 256, 50),
    20: ("IQ4_NL", 32, 18),
    21: ("IQ3_S", 256, 110),
    22: ("IQ2_S", 256, 82),
    23: ("IQ4_XS", 256, 136),
    24: ("I8", 1, 1),
    25: ("I16", 1, 2),
    26: ("I32", 1, 4),
    27: ("I64", 1, 8),
    28: ("F64", 1, 8),
    29: ("IQ1_M", 256, 56),
    30: ("BF16", 1, 2),
    34: ("TQ1_0", 256, 54),
    35: ("TQ2_0", 256, 66),
    39: ("MXFP4", 32, 17),
}

# llama.cpp's general.file_type values (LLAMA_FTYPE_*)
FILE_TYPES: dict[int, str] = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
    36: "TQ1_0",
    37: "TQ2_0",
    38: "MXFP4_MOE",
}

_LAYER_RE = re.compile(r"^blk\.(\d+)\.")

MetaValue = int | float | bool | str | list["MetaValue"]


@dataclass(frozen=True)
class ArraySummary:
    """A metadata array too long to keep: its element type and length."""

    item_type: str
    count: int


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int  # from the start of the data section of its file
    nbytes: int
    part: int = 0  # index of the split part holding it

    @property
    def type_name(self) -> str:
        known = GGML_TYPES.get(self.ggml_type)
        return known[0] if known else f"type{self.ggml_type}"

    @property
    def layer(self) -> int | None:
        match = _LAYER_RE.match(self.name)
        return int(match.group(1)) if match else None


@dataclass(frozen=True)
class GGUFInfo:
    """What a GGUF file (or split set) says about itself."""

    path: Path
    parts: tuple[Path, ...]
    version: int
    byte_order: str  # "little" or "big"
    file_size: int  # all parts together
    tensor_count: int
    metadata: dict[str, MetaValue | ArraySummary] = field(repr=False)
    tensors: tuple[TensorInfo, ...] = field(repr=False)
    alignment: int = DEFAULT_ALIGNMENT

    # -- metadata helpers
    def get(self, key: str) -> MetaValue | ArraySummary | None:
        return self.metadata.get(key)

    def _int(self, key: str) -> int | None:
        value = self.metadata.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        return value

    def _arch_int(self, suffix: str) -> int | None:
        return self._int(f"{self.architecture}.{suffix}")

    @property
    def architecture(self) -> str:
        value = self.metadata.get("general.architecture")
        return value if isinstance(value, str) else ""

    @property
    def name(self) -> str:
        value = self.metadata.get("general.name")
        return value if isinstance(value, str) else self.path.stem

    @property
    def context_length(self) -> int | None:
        return self._arch_int("context_length")

    @property
    def block_count(self) -> int | None:
        return self._arch_int("block_count")

    @property
    def embedding_length(self) -> int | None:
        return self._arch_int("embedding_length")

    @property
    def feed_forward_length(self) -> int | None:
        return self._arch_int("feed_forward_length")

    @property
    def head_count(self) -> int | None:
        return self._arch_int("attention.head_count")

    @property
    def head_count_kv(self) -> int | None:
        """KV heads; GGUF omits the key when it equals the head count."""
        value = self._arch_int("attention.head_count_kv")
        return value if value is not None else self.head_count

    @property
    def head_dim(self) -> int | None:
        key_length = self._arch_int("attention.key_length")
        if key_length:
            return key_length
        if self.embedding_length and self.head_count:
            return self.embedding_length // self.head_count
        return None

    @property
    def vocab_size(self) -> int | None:
        tokens = self.metadata.get("tokenizer.ggml.tokens")
        if isinstance(tokens, ArraySummary):
            return tokens.count
        if isinstance(tokens, list):
            return len(tokens)
        return self._arch_int("vocab_size")

    @property
    def file_type(self) -> int | None:
        return self._int("general.file_type")

    @property
    def quantization(self) -> str:
        """The quant name: from general.file_type, else the most common weight type."""
        ftype = self.file_type
        if ftype is not None:
            return FILE_TYPES.get(ftype, f"ftype{ftype}")
        counts: dict[str, int] = {}
        for tensor in self.tensors:
            if len(tensor.shape) >= 2:
                counts[tensor.type_name] = counts.get(tensor.type_name, 0) + tensor.nbytes
        return max(counts, key=lambda k: counts[k]) if counts else "unknown"

    @property
    def has_chat_template(self) -> bool:
        value = self.metadata.get("tokenizer.chat_template")
        return isinstance(value, str) and bool(value.strip())

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) else None

    @property
    def tensor_bytes(self) -> int:
        return sum(t.nbytes for t in self.tensors)

    def layer_bytes(self) -> dict[int, int]:
        """Weight bytes per repeating layer (``blk.N.*``)."""
        per: dict[int, int] = {}
        for tensor in self.tensors:
            layer = tensor.layer
            if layer is not None:
                per[layer] = per.get(layer, 0) + tensor.nbytes
        return per

    def non_layer_bytes(self, prefix: str) -> int:
        return sum(t.nbytes for t in self.tensors if t.name.startswith(prefix))

    def summary(self) -> dict[str, object]:
        """The facts the UI shows before accepting a file."""
        return {
            "name": self.name,
            "architecture": self.architecture,
            "quantization": self.quantization,
            "context_length": self.context_length,
            "block_count": self.block_count,
            "embedding_length": self.embedding_length,
            "head_count": self.head_count,
            "head_count_kv": self.head_count_kv,
            "vocab_size": self.vocab_size,
            "tensor_count": self.tensor_count,
            "tensor_bytes": self.tensor_bytes,
            "file_size": self.file_size,
            "parts": len(self.parts),
            "has_chat_template": self.has_chat_template,
            "version": self.version,
        }
