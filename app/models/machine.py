"""How much memory this machine has, to tell the user which model will fit and how.

The model list needs the GPU's total and free memory and the system's total and
available RAM (:mod:`app.models.fit` turns them into "fully on the GPU / partly /
CPU only / not at all"); the engine process measures free VRAM again itself when it
loads a model. NVIDIA GPUs are read through ``nvidia-smi``; an Apple-silicon Mac's GPU
shares the system memory (Metal may use about two thirds of it, three quarters above
36 GB), and is reported as such. Other GPUs are reported as unknown rather than guessed.
"""

from __future__ import annotations

import ctypes
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass

from app.models.errors import Lang
from app.models.units import format_bytes


@dataclass(frozen=True)
class MachineInfo:
    ram_bytes: int | None
    vram_bytes: int | None  # the largest GPU's memory
    gpu_name: str = ""
    vram_free_bytes: int | None = None  # free on that GPU now (None: not known)
    ram_available_bytes: int | None = None  # available to a new program now
    unified_memory: bool = False  # the GPU shares the system RAM (Apple silicon)

    @property
    def has_gpu(self) -> bool:
        return bool(self.vram_bytes)

    def describe(self, lang: Lang = "zh") -> str:
        zh = lang == "zh"
        ram = format_bytes(self.ram_bytes) if self.ram_bytes else "?"
        if self.ram_available_bytes is not None:
            free = format_bytes(self.ram_available_bytes)
            ram += f"（可用 {free}）" if zh else f" ({free} available)"
        if self.vram_bytes:
            gpu = f"{self.gpu_name} {format_bytes(self.vram_bytes)}".strip()
            if self.unified_memory:
                gpu += "（与内存共用）" if zh else " (shared with the RAM)"
            elif self.vram_free_bytes is not None:
                free = format_bytes(self.vram_free_bytes)
                gpu += f"（空闲 {free}）" if zh else f" ({free} free)"
        else:
            gpu = "无独立显卡或无法检测" if zh else "no GPU found"
        if zh:
            return f"本机内存 {ram}，显卡 {gpu}"
        return f"This machine: {ram} RAM, GPU {gpu}"


def _windows_memory() -> tuple[int, int] | None:
    """(total, available) physical memory through ``GlobalMemoryStatusEx``."""

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
    return int(status.ullTotalPhys), int(status.ullAvailPhys)


def total_ram_bytes() -> int | None:
    """Physical memory, or None if it cannot be found out."""
    if sys.platform == "win32":
        both = _windows_memory()
        return both[0] if both else None
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def available_ram_bytes() -> int | None:
    """Memory a new program can use now (Linux ``MemAvailable``, Windows ``ullAvailPhys``;
    elsewhere the free pages, which undercount what the system would give back)."""
    if sys.platform == "win32":
        both = _windows_memory()
        return both[1] if both else None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_AVPHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def parse_nvidia_smi(out: str) -> tuple[str, int, int | None] | None:
    """The GPU with the most memory in ``nvidia-smi --query-gpu=name,memory.total,
    memory.free --format=csv,noheader,nounits`` output: (name, total, free) in bytes."""
    best: tuple[str, int, int | None] | None = None
    for line in out.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 2:
            continue
        try:
            total = int(float(parts[1])) * 1024 * 1024
            free = int(float(parts[2])) * 1024 * 1024 if len(parts) > 2 else None
        except ValueError:
            continue
        if best is None or total > best[1]:
            best = (parts[0], total, free)
    return best


def nvidia_gpu(timeout: float = 3.0) -> tuple[str, int, int | None] | None:
    """The NVIDIA GPU with the most memory (name, total bytes, free bytes), via nvidia-smi."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return parse_nvidia_smi(out)


def apple_gpu_share(ram_bytes: int) -> int:
    """What Metal lets one program keep on an Apple-silicon GPU: about two thirds of the
    unified memory, three quarters above 36 GB (Metal's recommended working set)."""
    return ram_bytes * 3 // 4 if ram_bytes > 36 * 1024**3 else ram_bytes * 2 // 3


def probe_machine() -> MachineInfo:
    ram = total_ram_bytes()
    available = available_ram_bytes()
    gpu = nvidia_gpu()
    if gpu is not None:
        return MachineInfo(ram, gpu[1], gpu[0], gpu[2], available)
    if sys.platform == "darwin" and platform.machine() == "arm64" and ram:
        return MachineInfo(ram, apple_gpu_share(ram), "Apple GPU (Metal)", None, available, True)
    return MachineInfo(ram, None, "", None, available)
