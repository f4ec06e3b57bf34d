"""Reading safetensors checkpoints by the format itself (no torch, no safetensors package).

A safetensors file is an 8-byte little-endian header length ``N``, ``N`` bytes of JSON
(``{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}``)
and the tensor bytes, offsets counted from the end of the header. A sharded checkpoint
adds ``model.safetensors.index.json`` whose ``weight_map`` names the shard of each
tensor. Only the headers are read here; tensor bytes are read later, piece by piece,
by :mod:`app.convert.writer`, so nothing here grows with the model.

Everything is checked before a single byte is converted: header length, JSON, dtype,
shape against byte size, offsets inside the file, no overlaps, no gaps past the end,
no tensor in two shards, every tensor of the index present in its shard.
"""

from __future__ import annotations

import itertools
import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.convert.errors import CheckpointError

INDEX_FILE = "model.safetensors.index.json"
SINGLE_FILE = "model.safetensors"
MAX_HEADER_BYTES = 100 * 1024 * 1024  # the format's own limit

# safetensors dtype -> bytes per element
DTYPE_SIZES = {
    "F64": 8,
    "F32": 4,
    "F16": 2,
    "BF16": 2,
    "I64": 8,
    "I32": 4,
    "I16": 2,
    "I8": 1,
    "U8": 1,
    "BOOL": 1,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
}
FLOAT_DTYPES = ("F32", "F16", "BF16")


@dataclass(frozen=True)
class TensorRef:
    """Where one tensor's bytes are: file, absolute offset, size, dtype and shape."""

    name: str
    path: Path
    dtype: str
    shape: tuple[int, ...]
    offset: int  # absolute, in the file
    nbytes: int

    @property
    def n_elements(self) -> int:
        return math.prod(self.shape)


def _bad(path: Path, zh: str, en: str) -> CheckpointError:
    return CheckpointError(path.name, zh, en)


def read_header(path: Path) -> tuple[dict[str, TensorRef], dict[str, str]]:
    """The tensors of one safetensors file, and its ``__metadata__``."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                raise _bad(
                    path, "文件太短，不是 safetensors 文件", "too short for a safetensors file"
                )
            (n,) = struct.unpack("<Q", head)
            if n < 2 or n > MAX_HEADER_BYTES or 8 + n > size:
                raise _bad(
                    path,
                    f"文件头长度 {n} 不合理（文件共 {size} 字节）",
                    f"header length {n} makes no sense for a file of {size} bytes",
                )
            raw = fh.read(n)
    except OSError as exc:
        raise CheckpointError(path.name, f"无法读取（{exc}）", f"cannot be read ({exc})") from exc
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad(
            path, f"文件头不是有效的 JSON（{exc}）", f"header is not valid JSON ({exc})"
        ) from exc
    if not isinstance(header, dict):
        raise _bad(path, "文件头不是 JSON 对象", "header is not a JSON object")
    data_start = 8 + n
    meta_raw = header.pop("__metadata__", None) or {}
    metadata = {str(k): str(v) for k, v in meta_raw.items()} if isinstance(meta_raw, dict) else {}
    tensors: dict[str, TensorRef] = {}
    spans: list[tuple[int, int, str]] = []
    for name, info in header.items():
        tensors[name] = _tensor(path, name, info, data_start, size)
        ref = tensors[name]
        spans.append((ref.offset, ref.offset + ref.nbytes, name))
    spans.sort()
    for (_b1, e1, n1), (b2, _e2, n2) in itertools.pairwise(spans):
        if b2 < e1:
            raise _bad(path, f"张量 {n1} 与 {n2} 的数据重叠", f"tensors {n1} and {n2} overlap")
    return tensors, metadata


def _tensor(path: Path, name: str, info: Any, data_start: int, size: int) -> TensorRef:
    if not isinstance(info, dict):
        raise _bad(path, f"张量 {name} 的描述无效", f"tensor {name} has an invalid entry")
    dtype = info.get("dtype")
    shape = info.get("shape")
    offsets = info.get("data_offsets")
    if dtype not in DTYPE_SIZES:
        raise _bad(
            path, f"张量 {name} 的类型 {dtype!r} 未知", f"tensor {name} has unknown dtype {dtype!r}"
        )
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise _bad(path, f"张量 {name} 的形状无效", f"tensor {name} has an invalid shape")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
    ):
        raise _bad(path, f"张量 {name} 的偏移无效", f"tensor {name} has invalid offsets")
    begin, end = offsets
    expected = math.prod(shape) * DTYPE_SIZES[dtype]
    if begin < 0 or end < begin or end - begin != expected:
        raise _bad(
            path,
            f"张量 {name} 的字节数 {end - begin} 与形状 {shape}（{dtype}）不符",
            f"tensor {name} has {end - begin} bytes, its shape {shape} ({dtype}) needs {expected}",
        )
    if data_start + end > size:
        raise _bad(
            path,
            f"张量 {name} 的数据超出文件末尾（文件被截断）",
            f"tensor {name} ends past the end of the file (the file is truncated)",
        )
    return TensorRef(name, path, str(dtype), tuple(shape), data_start + begin, end - begin)


@dataclass(frozen=True)
class Checkpoint:
    """Every tensor of a checkpoint (single file or shards), in a stable order."""

    folder: Path
    files: tuple[Path, ...]
    tensors: dict[str, TensorRef]

    @property
    def total_bytes(self) -> int:
        return sum(t.nbytes for t in self.tensors.values())

    @property
    def largest_tensor_bytes(self) -> int:
        return max((t.nbytes for t in self.tensors.values()), default=0)

    def float_dtypes(self) -> set[str]:
        return {t.dtype for t in self.tensors.values()}


def shard_files(folder: Path) -> tuple[list[Path], dict[str, str] | None]:
    """The safetensors files of a checkpoint folder, and the index's weight map if any."""
    index = folder / INDEX_FILE
    if index.is_file():
        try:
            data = json.loads(index.read_text(encoding="utf-8"))
            weight_map = data["weight_map"]
            if not isinstance(weight_map, dict) or not weight_map:
                raise ValueError("weight_map is empty")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise _bad(index, f"索引文件无效（{exc}）", f"the index is invalid ({exc})") from exc
        names = sorted({str(v) for v in weight_map.values()})
        for name in names:
            if "/" in name or "\\" in name or name.startswith("."):
                raise _bad(index, f"分片文件名 {name!r} 不安全", f"unsafe shard name {name!r}")
        return [folder / name for name in names], {str(k): str(v) for k, v in weight_map.items()}
    single = folder / SINGLE_FILE
    if single.is_file():
        return [single], None
    found = sorted(folder.glob("*.safetensors"))
    if not found:
        raise CheckpointError(
            str(folder), "没有 safetensors 权重文件", "holds no safetensors weight files"
        )
    return found, None


def open_checkpoint(folder: Path) -> Checkpoint:
    """Read and check every header of the checkpoint in ``folder``."""
    folder = Path(folder)
    files, weight_map = shard_files(folder)
    tensors: dict[str, TensorRef] = {}
    for path in files:
        if not path.is_file():
            raise CheckpointError(path.name, "缺少这个分片文件", "this shard is missing")
        found, _meta = read_header(path)
        for name, ref in found.items():
            if name in tensors:
                raise _bad(
                    path,
                    f"张量 {name} 同时出现在 {tensors[name].path.name} 中",
                    f"tensor {name} is also in {tensors[name].path.name}",
                )
            if weight_map is not None and weight_map.get(name) != path.name:
                raise _bad(
                    path,
                    f"张量 {name} 不在索引所说的分片里",
                    f"tensor {name} is not where the index says it is",
                )
            tensors[name] = ref
    if weight_map is not None:
        missing = sorted(set(weight_map) - set(tensors))
        if missing:
            raise CheckpointError(
                INDEX_FILE,
                f"索引列出的 {len(missing)} 个张量不在分片中（如 {missing[0]}）",
                f"{len(missing)} tensors of the index are in no shard (e.g. {missing[0]})",
            )
    return Checkpoint(folder, tuple(files), tensors)
