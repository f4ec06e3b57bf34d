"""Rewrite the metadata of a GGUF file, keeping its tensors byte for byte.

For tests of files whose header is well formed but says impossible things (a layer
count with no tensors behind it, zero key/value heads, an unknown RoPE scaling type …):
copy a real model and change, add or drop metadata entries. Tensor offsets count from
the start of the data section, so the data is simply moved to the new (aligned) start.
"""

from __future__ import annotations

import struct
from pathlib import Path

from tests.support.tiny_model import (
    _ALIGN,
    _T_ARRAY,
    _T_FLOAT32,
    _T_STRING,
    _T_UINT32,
    _gguf_str,
    _kv,
    kv_entries,
)

# A value to set: a number (uint32 / float32), a string, a list of whole numbers (uint32
# array) or of strings (string array); None drops the key.
MetaEdit = int | float | str | list[int] | list[str] | None


def _entry(key: str, value: int | float | str | list[int] | list[str]) -> bytes:
    if isinstance(value, bool):
        raise TypeError("write booleans as 0/1")
    if isinstance(value, int):
        return _kv(key, _T_UINT32, value)
    if isinstance(value, float):
        return _kv(key, _T_FLOAT32, value)
    if isinstance(value, str):
        return _kv(key, _T_STRING, value)
    head = _gguf_str(key) + struct.pack("<I", _T_ARRAY)
    if all(isinstance(v, str) for v in value):
        items = b"".join(_gguf_str(str(v)) for v in value)
        return head + struct.pack("<IQ", _T_STRING, len(value)) + items
    return (
        head
        + struct.pack("<IQ", _T_UINT32, len(value))
        + struct.pack(f"<{len(value)}I", *(int(v) for v in value))
    )


def edit_metadata(src: Path, dst: Path, changes: dict[str, MetaEdit]) -> Path:
    """Write ``dst``: ``src`` with each key of ``changes`` set (or dropped when None)."""
    buf = src.read_bytes()
    assert buf[:4] == b"GGUF"
    version, n_tensors, _n_kv = struct.unpack_from("<IQQ", buf, 4)
    entries, pos = kv_entries(buf)
    kept: list[bytes] = []
    done: set[str] = set()
    for key, raw in entries:
        if key in changes:
            done.add(key)
            value = changes[key]
            if value is not None:
                kept.append(_entry(key, value))
        else:
            kept.append(raw)
    for key, value in changes.items():
        if key not in done and value is not None:
            kept.append(_entry(key, value))
    infos_start = pos
    for _ in range(n_tensors):
        (nlen,) = struct.unpack_from("<Q", buf, pos)
        pos += 8 + nlen
        (n_dims,) = struct.unpack_from("<I", buf, pos)
        pos += 4 + 8 * n_dims + 4 + 8
    infos = buf[infos_start:pos]
    data_start = pos + (-pos) % _ALIGN
    head = b"GGUF" + struct.pack("<IQQ", version, n_tensors, len(kept)) + b"".join(kept) + infos
    dst.write_bytes(head + b"\0" * ((-len(head)) % _ALIGN) + buf[data_start:])
    return dst


__all__ = ["MetaEdit", "edit_metadata"]
