"""Find or build the PyInstaller bundle (``dist/shijian/``) for tests and benchmarks.

:func:`ensure_bundle` reuses ``dist/shijian/`` when its program is newer than
every input of the build (the app's sources, ``resources/``, the spec and its
helpers), else builds it with the running interpreter's PyInstaller — the same
spec ``packaging/build-linux.sh`` uses, without that script's fresh virtualenv
(which would compile llama.cpp again). A build takes minutes on two cores.

Builds go to a private folder under ``build/`` and then replace ``dist/shijian``
with two renames, under a lock file, so two test runs never build over each other.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist" / "shijian"
PROGRAM_NAME = "shijian.exe" if sys.platform == "win32" else "shijian"
SPEC = ROOT / "packaging" / "shijian.spec"
_INPUT_GLOBS = (
    ("app", "**/*.py"),
    ("resources", "**/*"),
    ("packaging", "shijian.spec"),
    ("packaging", "*.py"),
    ("packaging/linux", "*"),
)


class BundleBuildError(RuntimeError):
    """PyInstaller (or the finishing step) failed; carries the end of its output."""


def have_pyinstaller() -> bool:
    return importlib.util.find_spec("PyInstaller") is not None


def program(dist: Path = DIST) -> Path:
    return dist / PROGRAM_NAME


def _inputs() -> Iterator[Path]:
    for folder, pattern in _INPUT_GLOBS:
        for path in (ROOT / folder).glob(pattern):
            if path.is_file() and "__pycache__" not in path.parts:
                yield path


def newest_input() -> tuple[float, Path]:
    return max((p.stat().st_mtime, p) for p in _inputs())


def is_fresh(dist: Path = DIST) -> bool:
    """The bundle exists and was built after the last change to any input."""
    exe = program(dist)
    if not exe.is_file():
        return False
    return exe.stat().st_mtime >= newest_input()[0]


def _run(cmd: list[str], log: Path, timeout: float) -> None:
    with log.open("ab") as out:
        done = subprocess.run(
            cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, check=False
        )
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-4000:]
        raise BundleBuildError(f"{' '.join(cmd[:4])} … failed ({done.returncode}):\n{tail}")


def build(timeout: float = 1800) -> float:
    """Build into a private folder, then put it at ``dist/shijian``; returns seconds."""
    started = time.monotonic()
    work = ROOT / "build" / "pyinstaller-tests"
    staging = work / f"dist-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    log = work / "build.log"
    log.write_bytes(b"")
    _run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(staging),
            "--workpath",
            str(work / "work"),
            str(SPEC),
        ],
        log,
        timeout,
    )
    built = staging / "shijian"
    if sys.platform.startswith("linux"):
        _run([str(ROOT / "packaging" / "linux" / "finish-bundle.sh"), str(built)], log, 120)
    DIST.parent.mkdir(parents=True, exist_ok=True)
    old = DIST.parent / f".shijian-old-{os.getpid()}"
    if DIST.exists():
        DIST.rename(old)
    built.rename(DIST)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)
    return time.monotonic() - started


def ensure_bundle(timeout: float = 1800) -> tuple[Path, float | None]:
    """``dist/shijian`` up to date: ``(folder, build seconds or None when reused)``."""
    lock_path = ROOT / "build" / ".bundle-build.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if is_fresh():
                return DIST, None
            return DIST, build(timeout)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
