"""How much memory this machine has, to tell the user whether a model will fit.

Only totals are needed for the model list ("needs 23 GB of VRAM, this machine has
24 GB"); the engine process measures *free* VRAM itself when it loads a model. GPU
memory comes from ``nvidia-smi`` when it is installed; other GPUs are reported as
unknown rather than guessed.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from app.models.catalog import CatalogEntry
from app.models.errors import Lang
from app.models.units import format_bytes


@dataclass(frozen=True)
class MachineInfo:
    ram_bytes: int | None
    vram_bytes: int | None  # the largest GPU's memory
    gpu_name: str = ""

    def fit(self, entry: CatalogEntry) -> str:
        """``"gpu"`` (fits in VRAM), ``"cpu"`` (fits in RAM only), ``"no"``, ``"unknown"``."""
        if self.vram_bytes is not None and entry.vram_bytes <= self.vram_bytes:
            return "gpu"
        if self.ram_bytes is None:
            return "unknown"
        return "cpu" if entry.ram_bytes <= self.ram_bytes else "no"

    def describe(self, lang: Lang = "zh") -> str:
        ram = format_bytes(self.ram_bytes) if self.ram_bytes else "?"
        if self.vram_bytes:
            gpu = f"{self.gpu_name} {format_bytes(self.vram_bytes)}".strip()
        else:
            gpu = "无独立显卡或无法检测" if lang == "zh" else "no GPU found"
        if lang == "zh":
            return f"本机内存 {ram}，显卡 {gpu}"
        return f"This machine: {ram} RAM, GPU {gpu}"


def total_ram_bytes() -> int | None:
    """Physical memory, or None if it cannot be found out."""
    if sys.platform == "win32":

        class _MemoryStatus(ctypes.Structure):
            _fields_ = [
                ("dwLength", ctypes.c_ulong),
                ("dwMemoryLoad", ctypes.c_ulong),
                ("ullTotalPhys", ctypes.c_ulonglong),
                ("ullAvailPhys", ctypes.c_ulonglong),
                ("ullTotalPageFile", ctypes.c_ulonglong),
                ("ullAvailPageFile", ctypes.c_ulonglong),
                ("ullTotalVirtual", ctypes.c_ulonglong),
                ("ullAvailVirtual", ctypes.c_ulonglong),
                ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
            ]

        status = _MemoryStatus()
        status.dwLength = ctypes.sizeof(_MemoryStatus)
        windll = getattr(ctypes, "windll", None)
        if windll is None or not windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
            return None
        return int(status.ullTotalPhys)
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def nvidia_gpu(timeout: float = 3.0) -> tuple[str, int] | None:
    """The NVIDIA GPU with the most memory (name, bytes), via nvidia-smi."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    best: tuple[str, int] | None = None
    for line in out.splitlines():
        name, _, mib = line.rpartition(",")
        try:
            size = int(float(mib.strip())) * 1024 * 1024
        except ValueError:
            continue
        if best is None or size > best[1]:
            best = (name.strip(), size)
    return best


def probe_machine() -> MachineInfo:
    gpu = nvidia_gpu()
    return MachineInfo(
        ram_bytes=total_ram_bytes(),
        vram_bytes=gpu[1] if gpu else None,
        gpu_name=gpu[0] if gpu else "",
    )
