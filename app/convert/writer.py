"""Write a GGUF file from a checked :class:`~app.convert.plan.ConversionPlan`, streaming.

The ``gguf`` package writes the header, the metadata and the tensor table
(``GGUFWriter`` given only each tensor's name, shape, type and size). The tensor bytes
are then streamed in source order, piece by piece:

* a tensor whose bytes do not change (the checkpoint's own precision, no permutation —
  nearly all of a Qwen2 model) is copied by the kernel (``os.copy_file_range``) in
  pieces of ``chunk_bytes``, or read and written through one reused buffer where that
  call is missing;
* a tensor that changes (norms and biases widened to F32, another output type, llama's
  q/k permutation) is read a block of rows at a time into memory, converted with numpy
  and written.

So memory holds one block (``chunk_bytes``, 64 MiB by default; a permuted q/k matrix
whole), never the model. Output goes to ``<name>.part`` and is renamed into place after
an fsync; a cancel, an error or a full disk deletes the part. A conversion that was
killed leaves only a ``.part`` file, which the next run replaces: conversion restarts
from the beginning (it is deterministic, so the result is the same file).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.convert.dtypes import GGML_TYPE_IDS, STORAGE, convert
from app.convert.errors import ConvertCancelled, ConvertError
from app.convert.plan import ConversionPlan, OutType, TensorPlan, plan_conversion

CONVERTER_VERSION = "1"
CHUNK_BYTES = 64 << 20
ALIGNMENT = 32
_DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


@dataclass(frozen=True)
class ConvertProgress:
    done_bytes: int  # tensor bytes written
    total_bytes: int
    tensor: str
    index: int  # 0-based
    count: int

    @property
    def fraction(self) -> float:
        return self.done_bytes / self.total_bytes if self.total_bytes else 1.0


ConvertCallback = Callable[[ConvertProgress], None]


@dataclass(frozen=True)
class ConvertResult:
    path: Path
    architecture: str
    weight_type: str
    tensor_count: int
    file_bytes: int
    largest_tensor_bytes: int
    seconds: float


class DiskFullDuringConvertError(ConvertError):
    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"转换时磁盘已满（{path.parent}：{detail}），未完成的文件已删除",
            f"The disk filled up while converting ({path.parent}: {detail}); the unfinished "
            "file was deleted",
        )


def _fast_writer_class() -> Any:
    """``gguf.GGUFWriter`` packing the two huge arrays (tokens and merges: 150,000 strings
    each) with one ``bytes.join`` instead of a Python call per item (3 s → 0.1 s here);
    every other value, and the file layout, is the package's own."""
    import struct

    import gguf

    class FastWriter(gguf.GGUFWriter):
        def _pack_val(
            self,
            val: Any,
            vtype: gguf.GGUFValueType,
            add_vtype: bool,
            sub_type: gguf.GGUFValueType | None = None,
        ) -> bytes:
            little = self.endianess == gguf.GGUFEndian.LITTLE
            if vtype != gguf.GGUFValueType.ARRAY or not little or not isinstance(val, list):
                return bytes(super()._pack_val(val, vtype, add_vtype, sub_type))
            if val and all(isinstance(item, str) for item in val):
                items = b"".join(
                    struct.pack("<Q", len(raw)) + raw for raw in (s.encode("utf-8") for s in val)
                )
                item_type = gguf.GGUFValueType.STRING
            elif val and all(type(item) is int for item in val):
                items = np.asarray(val, dtype="<i4").tobytes()
                item_type = gguf.GGUFValueType.INT32
            else:
                return bytes(super()._pack_val(val, vtype, add_vtype, sub_type))
            head = struct.pack("<I", vtype) if add_vtype else b""
            return head + struct.pack("<IQ", item_type, len(val)) + items

    return FastWriter


def part_path(path: Path) -> Path:
    return path.with_name(path.name + ".part")


def _metadata(writer: Any, plan: ConversionPlan, name: str, extra: dict[str, str]) -> None:
    cfg = plan.config
    vocab = plan.vocab
    writer.add_name(name)
    writer.add_file_type(plan.file_type)
    writer.add_context_length(cfg.n_ctx)
    writer.add_embedding_length(cfg.n_embd)
    writer.add_block_count(cfg.n_layer)
    writer.add_feed_forward_length(cfg.n_ff)
    writer.add_head_count(cfg.n_head)
    writer.add_head_count_kv(cfg.n_head_kv)
    writer.add_rope_freq_base(cfg.rope_theta)
    writer.add_layer_norm_rms_eps(cfg.rms_eps)
    writer.add_rope_dimension_count(cfg.head_dim)
    if cfg.explicit_head_dim:
        writer.add_key_length(cfg.head_dim)
        writer.add_value_length(cfg.head_dim)
    scaling = cfg.rope_scaling
    if scaling is not None and scaling.kind in ("linear", "yarn"):
        import gguf

        linear = scaling.kind == "linear"
        writer.add_rope_scaling_type(
            gguf.RopeScalingType.LINEAR if linear else gguf.RopeScalingType.YARN
        )
        writer.add_rope_scaling_factor(scaling.factor)
        if scaling.original_context:
            writer.add_rope_scaling_orig_ctx_len(scaling.original_context)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(vocab.pre)
    writer.add_token_list(vocab.tokens)
    writer.add_token_types(vocab.types)
    if vocab.merges:
        writer.add_token_merges(vocab.merges)
    for kind, token_id in vocab.special_ids.items():
        getattr(writer, f"add_{kind}_token_id")(token_id)
    if vocab.add_bos is not None:
        writer.add_add_bos_token(vocab.add_bos)
    if vocab.add_eos is not None:
        writer.add_add_eos_token(vocab.add_eos)
    if vocab.chat_template is not None or vocab.named_templates:
        templates = [{"name": k, "template": v} for k, v in vocab.named_templates.items()]
        if vocab.chat_template is not None:
            templates.insert(0, {"name": "default", "template": vocab.chat_template})
        writer.add_chat_template(templates if vocab.named_templates else vocab.chat_template)
    writer.add_string("shijian.converter.version", CONVERTER_VERSION)
    for key, value in extra.items():
        writer.add_string(key, value)


class _Stream:
    """Tensor bytes into the open output file, with progress, cancel and disk-full checks."""

    def __init__(
        self,
        out: io.BufferedWriter,
        plan: ConversionPlan,
        progress: ConvertCallback | None,
        cancel: threading.Event,
        chunk_bytes: int,
    ) -> None:
        self.out = out
        self.fd = out.fileno()
        self.plan = plan
        self.progress = progress
        self.cancel = cancel
        self.chunk = max(1 << 16, chunk_bytes)
        self.total = plan.out_bytes
        self.done = 0
        self.index = 0
        self.name = ""
        self._last_report = 0.0
        self._copy_range = hasattr(os, "copy_file_range")
        self._buffer: bytearray | None = None

    def report(self, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_report >= 0.1:
            self._last_report = now
            count = len(self.plan.tensors)
            self.progress(ConvertProgress(self.done, self.total, self.name, self.index, count))

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise ConvertCancelled()

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data).cast("B")
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    def pad(self) -> None:
        position = os.lseek(self.fd, 0, os.SEEK_CUR)
        extra = (-position) % ALIGNMENT
        if extra:
            self.write(b"\0" * extra)

    def tensor(
        self, index: int, tensor: TensorPlan, sources: dict[Path, io.BufferedReader]
    ) -> None:
        self.index, self.name = index, tensor.name
        self.pad()
        if tensor.source is None:
            self.write(np.asarray(tensor.values, dtype=np.float32).tobytes())
            self.done += tensor.out_nbytes
        elif tensor.is_copy:
            self._copy(sources[tensor.source.path], tensor.source.offset, tensor.source.nbytes)
        else:
            self._transform(sources[tensor.source.path], tensor)
        self.report()

    def _copy(self, src: io.BufferedReader, offset: int, nbytes: int) -> None:
        end = offset + nbytes
        while offset < end:
            self.check_cancel()
            want = min(self.chunk, end - offset)
            moved = 0
            if self._copy_range:
                try:
                    moved = os.copy_file_range(src.fileno(), self.fd, want, offset)
                except OSError as exc:
                    if exc.errno in _DISK_FULL:
                        raise
                    self._copy_range = False  # another filesystem, an old kernel: plain I/O
                    moved = 0
            if not moved:
                if self._buffer is None or len(self._buffer) < want:
                    self._buffer = bytearray(min(self.chunk, 8 << 20))
                want = min(want, len(self._buffer))
                view = memoryview(self._buffer)[:want]
                src.seek(offset)
                got = src.readinto(view)
                if not got:
                    raise ConvertError(
                        f"读取 {Path(src.name).name} 时文件意外结束。",
                        f"{Path(src.name).name} ended unexpectedly while reading.",
                    )
                self.write(view[:got])
                moved = got
            offset += moved
            self.done += moved
            self.report()

    def _read(self, src: io.BufferedReader, offset: int, nbytes: int) -> bytearray:
        buf = bytearray(nbytes)
        src.seek(offset)
        view = memoryview(buf)
        got = 0
        while got < nbytes:
            n = src.readinto(view[got:])
            if not n:
                raise ConvertError(
                    f"读取 {Path(src.name).name} 时文件意外结束。",
                    f"{Path(src.name).name} ended unexpectedly while reading.",
                )
            got += n
        return buf

    def _transform(self, src: io.BufferedReader, tensor: TensorPlan) -> None:
        ref = tensor.source
        assert ref is not None
        storage = STORAGE[tensor.src_type][0]
        rows = tensor.shape[0] if len(tensor.shape) == 2 else 1
        row_bytes = ref.nbytes // rows
        # the permutation mixes rows across the whole matrix: one block
        step = rows if tensor.permute_heads else max(1, self.chunk // max(1, row_bytes))
        for first in range(0, rows, step):
            self.check_cancel()
            count = min(step, rows - first)
            raw = self._read(src, ref.offset + first * row_bytes, count * row_bytes)
            data = np.frombuffer(raw, dtype=storage)
            if tensor.permute_heads:
                data = permute_rows(data.reshape(rows, -1), tensor.permute_heads).reshape(-1)
            out = convert(data, tensor.src_type, tensor.out_type)
            self.write(np.ascontiguousarray(out).data)
            self.done += out.nbytes
            del raw, data, out
            self.report()


def permute_rows(weights: np.ndarray[Any, Any], n_head: int) -> np.ndarray[Any, Any]:
    """Hugging Face's rotary layout (halves) -> llama.cpp's (interleaved pairs), per head."""
    rows = weights.shape[0]
    rest = weights.shape[1:]
    return (
        weights.reshape(n_head, 2, rows // n_head // 2, *rest).swapaxes(1, 2).reshape(weights.shape)
    )


def write_gguf(
    plan: ConversionPlan,
    out_path: Path,
    *,
    name: str = "",
    metadata: dict[str, str] | None = None,
    progress: ConvertCallback | None = None,
    cancel: threading.Event | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> ConvertResult:
    """Write ``plan`` to ``out_path`` (via ``.part``); see the module notes."""
    import gguf

    started = time.perf_counter()
    out_path = Path(out_path)
    part = part_path(out_path)
    cancel = cancel or threading.Event()
    writer = _fast_writer_class()(None, plan.config.arch.gguf_arch)
    _metadata(writer, plan, name or plan.config.name or plan.folder.name, metadata or {})
    for tensor in plan.tensors:
        storage = STORAGE[tensor.out_type][0]
        writer.add_tensor_info(
            tensor.name,
            tensor.shape,
            storage,
            tensor.out_nbytes,
            raw_dtype=gguf.GGMLQuantizationType(GGML_TYPE_IDS[tensor.out_type]),
        )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        part.unlink()  # what a killed run left: start over
    sources: dict[Path, io.BufferedReader] = {}
    try:
        writer.open_output_file(part)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        assert writer.fout is not None
        out = writer.fout[0]
        out.flush()
        for path in plan.checkpoint.files:
            sources[path] = path.open("rb")
        stream = _Stream(out, plan, progress, cancel, chunk_bytes)
        stream.report(force=True)
        for index, tensor in enumerate(plan.tensors):
            stream.tensor(index, tensor, sources)
        stream.pad()
        os.fsync(stream.fd)
        stream.report(force=True)
        writer.close()
        os.replace(part, out_path)
    except OSError as exc:
        _discard(writer, part)
        if exc.errno in _DISK_FULL:
            raise DiskFullDuringConvertError(out_path, exc.strerror or str(exc)) from exc
        raise ConvertError(
            f"写入 {out_path.name} 失败：{exc}",
            f"Writing {out_path.name} failed: {exc}",
        ) from exc
    except BaseException:
        _discard(writer, part)
        raise
    finally:
        for handle in sources.values():
            handle.close()
    return ConvertResult(
        path=out_path,
        architecture=plan.config.arch.gguf_arch,
        weight_type=plan.weight_type,
        tensor_count=len(plan.tensors),
        file_bytes=out_path.stat().st_size,
        largest_tensor_bytes=plan.largest_tensor_bytes,
        seconds=time.perf_counter() - started,
    )


def _discard(writer: Any, part: Path) -> None:
    with contextlib.suppress(Exception):
        writer.close()
    with contextlib.suppress(FileNotFoundError):
        part.unlink()


def convert_checkpoint(
    folder: Path,
    out_path: Path,
    *,
    outtype: OutType = "auto",
    name: str = "",
    metadata: dict[str, str] | None = None,
    progress: ConvertCallback | None = None,
    cancel: threading.Event | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> ConvertResult:
    """Check the checkpoint in ``folder`` and write it as GGUF to ``out_path``."""
    plan = plan_conversion(Path(folder), outtype)
    return write_gguf(
        plan,
        out_path,
        name=name,
        metadata=metadata,
        progress=progress,
        cancel=cancel,
        chunk_bytes=chunk_bytes,
    )
