"""Floating-point formats as numpy sees them: bfloat16 is carried as uint16 bits.

numpy has no bfloat16, but bfloat16 is the upper half of a float32, so the conversions
are bit operations: widening shifts the 16 bits up (exact), narrowing rounds to the
nearest even (as PyTorch and llama.cpp do) and keeps NaN a NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

# safetensors dtype -> (numpy dtype holding the bits, ggml type name)
STORAGE: dict[str, tuple[np.dtype[Any], str]] = {
    "F32": (np.dtype("<f4"), "F32"),
    "F16": (np.dtype("<f2"), "F16"),
    "BF16": (np.dtype("<u2"), "BF16"),
}
GGML_TYPE_IDS = {"F32": 0, "F16": 1, "BF16": 30}
ITEM_SIZE = {"F32": 4, "F16": 2, "BF16": 2}

Array = npt.NDArray[Any]


def bf16_to_f32(bits: Array) -> npt.NDArray[np.float32]:
    return (bits.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16(values: Array) -> npt.NDArray[np.uint16]:
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounded = (bits + (0x7FFF + ((bits >> 16) & 1))) >> 16
    nan = np.isnan(values)
    if nan.any():
        rounded = np.where(nan, (bits >> 16) | 0x40, rounded)
    return rounded.astype(np.uint16)


def to_f32(data: Array, src: str) -> npt.NDArray[np.float32]:
    if src == "BF16":
        return bf16_to_f32(data)
    return data.astype(np.float32, copy=False)


def convert(data: Array, src: str, dst: str) -> Array:
    """Bits of ``src`` (as stored) -> bits of ``dst``."""
    if src == dst:
        return data
    if dst == "F32":
        return to_f32(data, src)
    wide = to_f32(data, src)
    if dst == "BF16":
        return f32_to_bf16(wide)
    return wide.astype(np.float16)
