"""Where the model runs: how many layers go to the GPU, and why.

Runs inside the engine process (it talks to llama.cpp). The decision:

1. A CPU build of llama-cpp-python (``llama_supports_gpu_offload()`` false):
   CPU, whatever was asked.
2. A GPU build: free VRAM from ggml's own device list (``ggml_backend_dev_memory``
   through ctypes on the library llama-cpp-python ships), else ``nvidia-smi``.
   No GPU device found: CPU.
3. ``n_gpu_layers="auto"``: as many layers as fit in free VRAM minus a reserve,
   counting each layer's weights and its share of the KV cache for the chosen
   context plus the compute buffer; all of them (``-1``) when everything fits.
   A number is used as given (the manual override).

The model's shape comes from its GGUF header (``app.models.gguf.header``) and
the arithmetic from ``app.models.sizing`` (``choose_gpu_layers``,
``estimate_memory``); :func:`read_shape` and :func:`choose_layers` are the only
two places that know about them.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from app.engine.events import MemoryEstimate

__all__ = [
    "GpuDevice",
    "ModelShape",
    "OffloadPlan",
    "ShapeError",
    "choose_layers",
    "estimate",
    "list_gpu_devices",
    "plan_offload",
    "read_shape",
]

MiB = 1024 * 1024


class ShapeError(Exception):
    """The header could not be read: not GGUF, truncated, absurd values."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


@dataclass(frozen=True, slots=True)
class ModelShape:
    """What sizing needs to know about a model, read from its GGUF header."""

    n_layers: int
    n_ctx_train: int
    sizing: Any  # app.models.sizing.ModelShape


def read_shape(path: Path) -> ModelShape | None:
    """The model's shape from its header; None when the header reader is unavailable
    or the header lacks the sizes. Raises :class:`ShapeError` for a bad file."""
    try:
        from app.models import sizing
        from app.models.errors import GGUFError
        from app.models.gguf.loadable import read_model
    except ImportError:
        return None
    try:
        info = read_model(path)
    except GGUFError as exc:
        raise ShapeError(exc.zh, exc.en) from exc
    try:
        shape = sizing.ModelShape.from_gguf(info)
    except ValueError:
        return None
    return ModelShape(shape.n_layers, int(info.context_length or 0), shape)


@dataclass(frozen=True, slots=True)
class GpuDevice:
    name: str
    description: str
    free: int
    total: int


@dataclass(frozen=True, slots=True)
class OffloadPlan:
    n_gpu_layers: int  # 0 CPU, -1 all
    backend: Literal["cpu", "cuda", "gpu"]
    reason_zh: str
    reason_en: str
    free_vram: int | None
    memory: MemoryEstimate
    flash_attn: bool


def estimate(
    shape: ModelShape,
    n_ctx: int,
    n_gpu_layers: int,
    *,
    n_batch: int = 512,
    flash_attn: bool = False,
) -> MemoryEstimate:
    """GPU and system memory for a load (``-1`` layers: everything)."""
    from app.models import sizing

    n = shape.n_layers + 1 if n_gpu_layers < 0 else n_gpu_layers
    est = sizing.estimate_memory(shape.sizing, n_ctx, n, n_ubatch=n_batch, flash_attn=flash_attn)
    return MemoryEstimate(
        gpu_bytes=int(est.gpu_bytes),
        cpu_bytes=int(est.cpu_bytes),
        kv_bytes=int(est.kv_bytes),
        compute_bytes=int(est.compute_bytes),
    )


def choose_layers(
    free_vram: int,
    shape: ModelShape,
    n_ctx: int,
    reserve: int,
    *,
    flash_attn: bool = True,
    n_batch: int = 512,
) -> int:
    """Layers to offload into ``free_vram`` bytes (-1: everything fits)."""
    from app.models import sizing

    n = int(
        sizing.choose_gpu_layers(
            free_vram, shape.sizing, n_ctx, reserve, flash_attn=flash_attn, n_ubatch=n_batch
        )
    )
    return -1 if n > shape.n_layers else n


# ---------------------------------------------------------------- devices
def _ggml_devices() -> list[GpuDevice] | None:
    """GPU devices through ggml's registry (None when it cannot be asked)."""
    try:
        from llama_cpp import _ggml
    except ImportError:
        return None
    lib = getattr(_ggml, "libggml", None)
    if lib is None:
        return None
    try:
        count = lib.ggml_backend_dev_count
        get = lib.ggml_backend_dev_get
        dev_type = lib.ggml_backend_dev_type
        memory = lib.ggml_backend_dev_memory
        name = lib.ggml_backend_dev_name
        desc = lib.ggml_backend_dev_description
    except AttributeError:
        return None
    count.restype = ctypes.c_size_t
    count.argtypes = []
    get.restype = ctypes.c_void_p
    get.argtypes = [ctypes.c_size_t]
    dev_type.restype = ctypes.c_int
    dev_type.argtypes = [ctypes.c_void_p]
    memory.restype = None
    memory.argtypes = [
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_size_t),
        ctypes.POINTER(ctypes.c_size_t),
    ]
    name.restype = ctypes.c_char_p
    name.argtypes = [ctypes.c_void_p]
    desc.restype = ctypes.c_char_p
    desc.argtypes = [ctypes.c_void_p]
    devices: list[GpuDevice] = []
    gpu_types = (1, 2)  # GGML_BACKEND_DEVICE_TYPE_GPU, _IGPU
    for i in range(int(count())):
        dev = get(i)
        if not dev or int(dev_type(dev)) not in gpu_types:
            continue
        free = ctypes.c_size_t(0)
        total = ctypes.c_size_t(0)
        memory(dev, ctypes.byref(free), ctypes.byref(total))
        devices.append(
            GpuDevice(
                name=(name(dev) or b"").decode("utf-8", "replace"),
                description=(desc(dev) or b"").decode("utf-8", "replace"),
                free=int(free.value),
                total=int(total.value),
            )
        )
    return devices


def _nvidia_smi_devices() -> list[GpuDevice]:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,memory.free,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    devices = []
    for i, line in enumerate(out.strip().splitlines()):
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 3:
            continue
        try:
            devices.append(
                GpuDevice(f"CUDA{i}", parts[0], int(parts[1]) * MiB, int(parts[2]) * MiB)
            )
        except ValueError:
            continue
    return devices


def list_gpu_devices() -> list[GpuDevice]:
    """GPUs ggml can use (or nvidia-smi sees), with free and total memory."""
    devices = _ggml_devices()
    if devices:
        return devices
    return _nvidia_smi_devices()


# ---------------------------------------------------------------- the plan
def _gib(n: int) -> str:
    return f"{n / (1024**3):.1f} GiB"


def plan_offload(
    requested: int | Literal["auto"],
    *,
    gpu_build: bool,
    devices: list[GpuDevice],
    shape: ModelShape | None,
    n_ctx: int,
    n_batch: int = 512,
    reserve: int = 1024 * MiB,
    flash_attn: bool | Literal["auto"] = "auto",
) -> OffloadPlan:
    """Decide the number of offloaded layers; explain it in both languages."""
    free = devices[0].free if devices else None
    gpu_kind: Literal["cuda", "gpu"] = (
        "cuda" if devices and devices[0].name.upper().startswith("CUDA") else "gpu"
    )

    def plan(n: int, zh: str, en: str) -> OffloadPlan:
        fa = (n != 0) if flash_attn == "auto" else bool(flash_attn)
        mem = (
            estimate(shape, n_ctx, n, n_batch=n_batch, flash_attn=fa) if shape else MemoryEstimate()
        )
        return OffloadPlan(n, gpu_kind if n != 0 else "cpu", zh, en, free, mem, fa)

    if not gpu_build:
        if requested not in ("auto", 0):
            return plan(
                0,
                f"此 llama-cpp-python 为纯 CPU 版本，忽略 GPU 层数 {requested}，在 CPU 上运行",
                f"this llama-cpp-python build has no GPU support; ignoring "
                f"n_gpu_layers={requested}, running on CPU",
            )
        return plan(
            0,
            "此 llama-cpp-python 为纯 CPU 版本，在 CPU 上运行",
            "this llama-cpp-python build has no GPU support; running on CPU",
        )
    if requested != "auto":
        n = int(requested)
        if n == 0:
            return plan(0, "按设置在 CPU 上运行", "running on CPU as configured")
        if not devices:
            return plan(
                0,
                f"未找到 GPU，忽略 GPU 层数 {n}，在 CPU 上运行",
                f"no GPU found; ignoring n_gpu_layers={n}, running on CPU",
            )
        what = "全部层" if n < 0 else f"{n} 层"
        what_en = "all layers" if n < 0 else f"{n} layers"
        return plan(
            n,
            f"按设置将{what}放到 {devices[0].description or devices[0].name}",
            f"offloading {what_en} to {devices[0].description or devices[0].name} as configured",
        )
    if not devices:
        return plan(0, "未找到可用的 GPU，在 CPU 上运行", "no usable GPU found; running on CPU")
    dev = devices[0]
    if shape is None:
        return plan(
            0,
            "无法读取模型结构以估算显存，在 CPU 上运行",
            "could not read the model's shape to size VRAM; running on CPU",
        )
    fa_gpu = True if flash_attn == "auto" else bool(flash_attn)
    n = choose_layers(dev.free, shape, n_ctx, reserve, flash_attn=fa_gpu, n_batch=n_batch)
    need = estimate(shape, n_ctx, -1, n_batch=n_batch, flash_attn=fa_gpu).gpu_bytes
    label = dev.description or dev.name
    if n < 0 or n >= shape.n_layers:
        return plan(
            -1,
            f"{label} 可用显存 {_gib(dev.free)}，足够放下全部 {shape.n_layers} 层"
            f"（约需 {_gib(need)}，上下文 {n_ctx}）",
            f"{label} has {_gib(dev.free)} free: all {shape.n_layers} layers fit "
            f"(about {_gib(need)} with a {n_ctx}-token context)",
        )
    if n == 0:
        return plan(
            0,
            f"{label} 可用显存 {_gib(dev.free)}，不足以放下一层，在 CPU 上运行",
            f"{label} has only {_gib(dev.free)} free, not enough for one layer; running on CPU",
        )
    return plan(
        n,
        f"{label} 可用显存 {_gib(dev.free)}：放 {n}/{shape.n_layers} 层到 GPU"
        f"（全部约需 {_gib(need)}，上下文 {n_ctx}）",
        f"{label} has {_gib(dev.free)} free: offloading {n} of {shape.n_layers} layers "
        f"(all would need about {_gib(need)} with a {n_ctx}-token context)",
    )
