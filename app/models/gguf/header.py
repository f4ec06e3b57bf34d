"""A small, standard-library reader for GGUF headers (metadata and tensor table).

It never reads tensor data, only the header, so a 20 GB model is inspected in well
under a second. Everything read is checked against the file's size and sane limits
before it is believed: a file that is not GGUF, is cut short, or claims absurd counts
or lengths raises :class:`~app.models.errors.GGUFError` with a plain message, so no
crafted file reaches llama.cpp's own parser unchecked.

Layout (GGUF v2/v3, little- or big-endian): magic ``GGUF``, version u32, tensor count
u64, metadata count u64, then the key/value pairs, then one record per tensor (name,
n_dims u32, dims u64[n_dims], ggml type u32, offset u64), then padding to
``general.alignment`` (default 32) and the tensor data.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.models.errors import GGUFError
from app.models.gguf.info import (
    DEFAULT_ALIGNMENT,
    FILE_TYPES,
    GGML_TYPES,
    ArraySummary,
    GGUFInfo,
    MetaValue,
    TensorInfo,
)

__all__ = [
    "DEFAULT_ALIGNMENT",
    "FILE_TYPES",
    "GGML_TYPES",
    "ArraySummary",
    "GGUFInfo",
    "MetaValue",
    "TensorInfo",
    "iter_metadata",
    "read_gguf",
    "split_parts",
]

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
MAX_DIMS = 4  # GGML_MAX_DIMS

# Limits well above any real model (a 32B model has ~770 tensors and ~30 metadata keys;
# the largest tokenizer arrays hold a few hundred thousand entries).
MAX_TENSORS = 1 << 20
MAX_KV = 1 << 16
MAX_STRING = 64 << 20
MAX_ARRAY = 1 << 27
MAX_KEY = 1 << 16
MAX_ARRAY_DEPTH = 3
MAX_STORED_STRING = 1 << 20  # longer strings are validated but not kept in memory
MAX_STORED_ARRAY = 4096  # longer arrays are kept as a summary (type, count)

# GGUF metadata value types
_UINT8, _INT8, _UINT16, _INT16, _UINT32, _INT32, _FLOAT32, _BOOL = range(8)
_STRING, _ARRAY, _UINT64, _INT64, _FLOAT64 = 8, 9, 10, 11, 12
_SCALAR_FORMATS: dict[int, str] = {
    _UINT8: "B",
    _INT8: "b",
    _UINT16: "H",
    _INT16: "h",
    _UINT32: "I",
    _INT32: "i",
    _FLOAT32: "f",
    _BOOL: "?",
    _UINT64: "Q",
    _INT64: "q",
    _FLOAT64: "d",
}
VALUE_TYPE_NAMES = {
    _UINT8: "uint8",
    _INT8: "int8",
    _UINT16: "uint16",
    _INT16: "int16",
    _UINT32: "uint32",
    _INT32: "int32",
    _FLOAT32: "float32",
    _BOOL: "bool",
    _STRING: "string",
    _ARRAY: "array",
    _UINT64: "uint64",
    _INT64: "int64",
    _FLOAT64: "float64",
}

_SPLIT_RE = re.compile(r"^(?P<stem>.*)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)


# ---------------------------------------------------------------- reading


def _bad(path: Path, zh: str, en: str) -> GGUFError:
    return GGUFError(
        f"{path.name} 不是可用的 GGUF 模型文件：{zh}",
        f"{path.name} is not a usable GGUF model file: {en}",
    )


class _Reader:
    """Bounds-checked reads from a binary stream of known size."""

    def __init__(self, stream: BinaryIO, size: int, path: Path, order: str) -> None:
        self.stream = stream
        self.size = size
        self.path = path
        self.order = order
        self.pos = 0

    def fail(self, zh: str, en: str) -> GGUFError:
        return _bad(self.path, zh, en)

    def need(self, n: int, what: str) -> None:
        if n < 0 or self.pos + n > self.size:
            raise self.fail(
                f"文件在读取{what}时提前结束（位置 {self.pos}，需要 {n} 字节，"
                f"文件共 {self.size} 字节），可能未下载完整",
                f"the file ends while reading {what} (at byte {self.pos}, {n} bytes needed, "
                f"{self.size} in the file); it may be truncated",
            )

    def read(self, n: int, what: str) -> bytes:
        self.need(n, what)
        data = self.stream.read(n)
        if len(data) != n:
            raise self.fail("读取失败（文件被截断）", f"short read while reading {what}")
        self.pos += n
        return data

    def skip(self, n: int, what: str) -> None:
        self.need(n, what)
        self.stream.seek(n, io.SEEK_CUR)
        self.pos += n

    def scalar(self, fmt: str, what: str) -> int | float | bool:
        size = struct.calcsize(fmt)
        prefix = "<" if self.order == "little" else ">"
        value: int | float | bool = struct.unpack(prefix + fmt, self.read(size, what))[0]
        return value

    def u32(self, what: str) -> int:
        return int(self.scalar("I", what))

    def u64(self, what: str) -> int:
        return int(self.scalar("Q", what))

    def string(self, what: str, limit: int = MAX_STRING, keep: bool = True) -> str | None:
        length = self.u64(f"{what} length")
        if length > limit:
            raise self.fail(
                f"{what}的长度 {length} 不合理", f"{what} claims an absurd length ({length} bytes)"
            )
        if not keep or length > MAX_STORED_STRING:
            self.skip(length, what)
            return None
        raw = self.read(length, what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail(f"{what}不是 UTF-8 文本", f"{what} is not UTF-8 text") from None


def _read_value(
    r: _Reader, vtype: int, key: str, depth: int = 0
) -> MetaValue | ArraySummary | None:
    fmt = _SCALAR_FORMATS.get(vtype)
    if fmt is not None:
        return r.scalar(fmt, f"value of {key}")
    if vtype == _STRING:
        return r.string(f"value of {key}")
    if vtype != _ARRAY:
        raise r.fail(
            f"键 {key} 的值类型 {vtype} 未知", f"key {key} has an unknown value type {vtype}"
        )
    if depth >= MAX_ARRAY_DEPTH:
        raise r.fail(f"键 {key} 的数组嵌套过深", f"key {key} nests arrays too deeply")
    item_type = r.u32(f"array type of {key}")
    count = r.u64(f"array length of {key}")
    if count > MAX_ARRAY:
        raise r.fail(
            f"键 {key} 的数组长度 {count} 不合理",
            f"key {key} claims an absurd array length ({count})",
        )
    item_fmt = _SCALAR_FORMATS.get(item_type)
    type_name = VALUE_TYPE_NAMES.get(item_type, str(item_type))
    if item_fmt is not None:
        item_size = struct.calcsize(item_fmt)
        if count > MAX_STORED_ARRAY:
            r.skip(count * item_size, f"array {key}")
            return ArraySummary(type_name, count)
        prefix = "<" if r.order == "little" else ">"
        data = r.read(count * item_size, f"array {key}")
        return list(struct.unpack(f"{prefix}{count}{item_fmt}", data))
    if item_type == _STRING:
        keep = count <= MAX_STORED_ARRAY
        items: list[MetaValue] = []
        for _ in range(count):
            text = r.string(f"an item of {key}", keep=keep)
            if keep:
                items.append(text if text is not None else "")
        return items if keep else ArraySummary(type_name, count)
    if item_type == _ARRAY:
        nested: list[MetaValue] = []
        for _ in range(count):
            value = _read_value(r, _ARRAY, key, depth + 1)
            if isinstance(value, list):
                nested.append(value)
        return nested if count <= MAX_STORED_ARRAY else ArraySummary(type_name, count)
    raise r.fail(
        f"键 {key} 的数组元素类型 {item_type} 未知",
        f"key {key} has an unknown array item type {item_type}",
    )


@dataclass
class _PartHeader:
    version: int
    order: str
    size: int
    metadata: dict[str, MetaValue | ArraySummary]
    tensors: list[TensorInfo]
    alignment: int


def _read_part(path: Path, part_index: int = 0) -> _PartHeader:
    try:
        size = path.stat().st_size
        stream = path.open("rb", buffering=1 << 20)
    except OSError as exc:
        raise GGUFError(f"无法打开 {path}：{exc}", f"Cannot open {path}: {exc}") from exc
    with stream:
        head = stream.read(8)
        if len(head) < 8 or head[:4] != GGUF_MAGIC:
            raise _bad(path, "开头不是 GGUF 标记", "it does not start with the GGUF magic bytes")
        little = struct.unpack("<I", head[4:8])[0]
        order = "little"
        version = little
        if little & 0xFFFF == 0:
            order, version = "big", struct.unpack(">I", head[4:8])[0]
        if version not in SUPPORTED_VERSIONS:
            raise _bad(
                path,
                f"不支持的 GGUF 版本 {version}（支持 2、3）",
                f"unsupported GGUF version {version} (2 and 3 are supported)",
            )
        r = _Reader(stream, size, path, order)
        r.pos = 8
        tensor_count = r.u64("tensor count")
        kv_count = r.u64("metadata count")
        if tensor_count > MAX_TENSORS:
            raise r.fail(f"张量数 {tensor_count} 不合理", f"absurd tensor count ({tensor_count})")
        if kv_count > MAX_KV:
            raise r.fail(f"元数据条目数 {kv_count} 不合理", f"absurd metadata count ({kv_count})")

        metadata: dict[str, MetaValue | ArraySummary] = {}
        for _ in range(kv_count):
            key = r.string("a metadata key", limit=MAX_KEY)
            if not key:
                raise r.fail("元数据键为空", "an empty metadata key")
            vtype = r.u32(f"type of {key}")
            value = _read_value(r, vtype, key)
            if key in metadata:
                raise r.fail(f"元数据键 {key} 重复", f"duplicate metadata key {key}")
            if value is not None:
                metadata[key] = value

        alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
        if (
            isinstance(alignment, bool)
            or not isinstance(alignment, int)
            or alignment <= 0
            or alignment & (alignment - 1)
            or alignment > (1 << 20)
        ):
            raise r.fail(f"对齐值 {alignment!r} 无效", f"invalid alignment {alignment!r}")

        raw_tensors: list[tuple[str, tuple[int, ...], int, int]] = []
        names: set[str] = set()
        for _ in range(tensor_count):
            name = r.string("a tensor name", limit=MAX_KEY)
            if not name:
                raise r.fail("张量名为空", "an empty tensor name")
            if name in names:
                raise r.fail(f"张量 {name} 重复", f"duplicate tensor {name}")
            names.add(name)
            n_dims = r.u32(f"dimensions of {name}")
            if not 1 <= n_dims <= MAX_DIMS:
                raise r.fail(
                    f"张量 {name} 的维数 {n_dims} 无效", f"tensor {name} has {n_dims} dimensions"
                )
            shape = tuple(r.u64(f"shape of {name}") for _ in range(n_dims))
            elements = 1
            for dim in shape:
                if dim < 1 or dim > (1 << 40):
                    raise r.fail(
                        f"张量 {name} 的形状 {shape} 无效",
                        f"tensor {name} has an invalid shape {shape}",
                    )
                elements *= dim
                if elements > (1 << 50):
                    raise r.fail(f"张量 {name} 大得不合理", f"tensor {name} is absurdly large")
            ggml_type = r.u32(f"type of {name}")
            offset = r.u64(f"offset of {name}")
            if offset % alignment:
                raise r.fail(f"张量 {name} 的偏移未对齐", f"tensor {name} is not aligned")
            raw_tensors.append((name, shape, ggml_type, offset))
        data_start = -(-r.pos // alignment) * alignment

    data_size = size - data_start
    tensors = _sized_tensors(path, raw_tensors, data_size, part_index)
    return _PartHeader(version, order, size, metadata, tensors, alignment)


def _sized_tensors(
    path: Path,
    raw: list[tuple[str, tuple[int, ...], int, int]],
    data_size: int,
    part_index: int,
) -> list[TensorInfo]:
    """Work out each tensor's byte size and check it lies inside the file."""
    if data_size < 0:
        raise _bad(path, "文件在张量数据开始之前就结束了", "the file ends before its tensor data")
    # Offsets in ascending order give an upper bound for types this reader does not know.
    by_offset = sorted(raw, key=lambda t: t[3])
    next_offset: dict[str, int] = {}
    for i, item in enumerate(by_offset):
        next_offset[item[0]] = by_offset[i + 1][3] if i + 1 < len(by_offset) else data_size
    tensors: list[TensorInfo] = []
    for name, shape, ggml_type, offset in raw:
        known = GGML_TYPES.get(ggml_type)
        if known is not None:
            _, block, type_size = known
            if shape[0] % block:
                raise _bad(
                    path,
                    f"张量 {name} 的首维 {shape[0]} 不是块大小 {block} 的整数倍",
                    f"tensor {name}: first dimension {shape[0]} is not a multiple of "
                    f"the block size {block}",
                )
            elements = 1
            for dim in shape:
                elements *= dim
            nbytes = elements // block * type_size
        else:
            if ggml_type > 255:
                raise _bad(
                    path,
                    f"张量 {name} 的类型 {ggml_type} 无效",
                    f"tensor {name} has an invalid type {ggml_type}",
                )
            nbytes = next_offset[name] - offset
        if offset + nbytes > data_size:
            raise _bad(
                path,
                f"张量 {name} 的数据超出文件末尾（文件可能未下载完整）",
                f"tensor {name} reaches past the end of the file (the file may be truncated)",
            )
        tensors.append(TensorInfo(name, shape, ggml_type, offset, nbytes, part_index))
    previous: TensorInfo | None = None
    for tensor in sorted(tensors, key=lambda t: t.offset):
        if previous is not None and previous.offset + previous.nbytes > tensor.offset:
            raise _bad(
                path,
                f"张量 {previous.name} 与 {tensor.name} 的数据重叠（文件已损坏）",
                f"tensors {previous.name} and {tensor.name} overlap (the file is damaged)",
            )
        previous = tensor
    return tensors


def split_parts(path: Path) -> list[Path]:
    """The files of a split set named like ``x-00001-of-00003.gguf`` (``[path]`` if not split)."""
    match = _SPLIT_RE.match(path.name)
    if not match:
        return [path]
    count = int(match.group("count"))
    width = len(match.group("no"))
    stem = match.group("stem")
    return [
        path.with_name(f"{stem}-{i:0{width}d}-of-{count:0{width}d}.gguf")
        for i in range(1, count + 1)
    ]


def _check_is_file(path: Path) -> None:
    """A plain message for a path that is not a file at all (a part of a split set that
    is simply absent is reported with the others, by the caller)."""
    try:
        if path.is_dir():
            raise GGUFError(
                f"这是文件夹，不是模型文件：{path}（请选其中的 .gguf 文件）",
                f"This is a folder, not a model file: {path} (choose the .gguf file in it)",
            )
        if path.exists() and not path.is_file():
            raise GGUFError(
                f"不是普通文件，不能作为模型：{path}",
                f"Not a regular file, so not a model file: {path}",
            )
    except OSError as exc:
        raise GGUFError(f"无法读取 {path}：{exc}", f"Cannot read {path}: {exc}") from exc
    if not path.exists() and len(split_parts(path)) == 1:
        raise GGUFError(f"找不到模型文件：{path}", f"Model file not found: {path}")


def read_gguf(path: Path | str) -> GGUFInfo:
    """Read and validate the header of a GGUF file, or of a whole split set.

    Given any part of a split set, every part must be present; metadata comes from
    the first part and the tensor tables of all parts are joined.
    """
    path = Path(path)
    parts = split_parts(path)
    for part in [path, *parts]:  # the file asked for first, then the rest of its set
        _check_is_file(part)
    missing = [p.name for p in parts if not p.exists()]
    if missing:
        raise GGUFError(
            f"分卷模型缺少文件：{', '.join(missing)}（共 {len(parts)} 卷，均应在 "
            f"{path.parent} 中）",
            f"Parts of the split model are missing: {', '.join(missing)} (all {len(parts)} "
            f"parts belong in {path.parent})",
        )
    headers = [_read_part(p, i) for i, p in enumerate(parts)]
    first = headers[0]
    if len(parts) > 1:
        count = first.metadata.get("split.count")
        if count is not None and count != len(parts):
            raise _bad(
                parts[0],
                f"split.count 为 {count}，但文件名表示 {len(parts)} 卷",
                f"split.count says {count} but the file names say {len(parts)} parts",
            )
        for index, header in enumerate(headers):
            number = header.metadata.get("split.no")
            if number is not None and number != index:
                raise _bad(
                    parts[index],
                    f"split.no 为 {number}，应为 {index}",
                    f"split.no is {number}, expected {index}",
                )
    tensors: list[TensorInfo] = []
    seen: set[str] = set()
    for header in headers:
        for tensor in header.tensors:
            if tensor.name in seen:
                raise _bad(
                    path,
                    f"张量 {tensor.name} 在多个分卷中重复",
                    f"tensor {tensor.name} appears in more than one part",
                )
            seen.add(tensor.name)
            tensors.append(tensor)
    expected = first.metadata.get("split.tensors.count")
    if len(parts) > 1 and isinstance(expected, int) and expected != len(tensors):
        raise _bad(
            parts[0],
            f"分卷共有 {len(tensors)} 个张量，但应有 {expected} 个",
            f"the parts hold {len(tensors)} tensors, {expected} expected",
        )
    return GGUFInfo(
        path=parts[0],
        parts=tuple(parts),
        version=first.version,
        byte_order=first.order,
        file_size=sum(h.size for h in headers),
        tensor_count=len(tensors),
        metadata=first.metadata,
        tensors=tuple(tensors),
        alignment=first.alignment,
    )


def iter_metadata(info: GGUFInfo) -> Iterator[tuple[str, str]]:
    """Metadata as (key, short text) pairs for display; long values are summarised."""
    for key, value in info.metadata.items():
        if isinstance(value, ArraySummary):
            yield key, f"[{value.item_type} × {value.count}]"
        elif isinstance(value, list):
            yield key, f"[{len(value)} items]"
        elif isinstance(value, str) and len(value) > 80:
            yield key, value[:77] + "…"
        else:
            yield key, str(value)
