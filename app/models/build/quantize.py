"""Stage 3: llama.cpp's own quantizer, in a child process.

``llama_model_quantize`` runs in ``python -m app.models.build.child quantize`` (see
:mod:`app.models.build.child`), so an abort inside llama.cpp never takes the window
down. The child writes ``<result>.part``; only a finished file whose GGUF header
reads back (:func:`app.models.gguf.header.read_gguf`) is renamed to its final name.
A pause kills the child and deletes the part: quantization is not resumable inside a
file and starts over (the intermediate file it reads is kept).
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.models.build.estimate import quant_ftype
from app.models.errors import GGUFError, ModelError
from app.models.gguf.header import read_gguf

QUANT_CHILD = "app.models.build.child"


def child_command() -> list[str]:
    return [sys.executable, "-m", QUANT_CHILD]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[3])  # the folder holding ``app``
    parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in parts:
        env["PYTHONPATH"] = os.pathsep.join([root, *parts])
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


@dataclass(frozen=True)
class QuantizeProgress:
    done: int  # tensors finished
    total: int


class QuantizeStopped(Exception):  # noqa: N818 - a stop on request, not a fault
    """The quantizer was stopped on request (its part file is gone)."""


class QuantizeFailedError(ModelError):
    def __init__(self, detail: str, *, disk_full: bool = False) -> None:
        if disk_full:
            zh = "磁盘已满（或超过了允许的文件大小），量化结果写不下"
            en = "the disk is full (or the allowed file size was reached), the result did not fit"
        else:
            zh, en = "llama.cpp 的量化程序出错", "llama.cpp's quantizer failed"
        tail = f"：{detail}" if detail else ""
        super().__init__(f"{zh}{tail}", f"{en}{': ' + detail if detail else ''}")
        self.disk_full = disk_full
        self.detail = detail


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, OSError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, OSError):
            proc.kill()
        proc.wait(timeout=10)


def run_quantize(
    src: Path,
    dst: Path,
    quant: str,
    *,
    progress: Callable[[QuantizeProgress], None] | None = None,
    cancel: threading.Event | None = None,
    command: Sequence[str] | None = None,
    threads: int = 0,
) -> float:
    """Quantize ``src`` to ``dst`` (blocking); returns the quantizer's seconds."""
    part = dst.with_name(dst.name + ".part")
    with contextlib.suppress(FileNotFoundError):
        part.unlink()
    cancel = cancel or threading.Event()
    cmd = [
        *(command or child_command()),
        "quantize",
        str(src),
        str(part),
        str(quant_ftype(quant)),
        "--threads",
        str(threads),
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=child_env(),
        start_new_session=True,
    )
    events: list[dict[str, object]] = []
    tail: collections.deque[str] = collections.deque(maxlen=30)

    def read_stdout() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            try:
                event = json.loads(raw)
            except ValueError:
                continue
            if event.get("event") == "progress" and progress is not None:
                progress(QuantizeProgress(int(event["i"]), int(event["n"])))
            else:
                events.append(event)

    def read_stderr() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            tail.append(raw.decode("utf-8", "replace").rstrip())

    readers = [
        threading.Thread(target=read_stdout, daemon=True, name="quantize-out"),
        threading.Thread(target=read_stderr, daemon=True, name="quantize-err"),
    ]
    for reader in readers:
        reader.start()
    try:
        while proc.poll() is None:
            if cancel.wait(0.1):
                _stop(proc)
                raise QuantizeStopped()
        for reader in readers:
            reader.join(timeout=5)
        done = next((e for e in events if e.get("event") == "done"), None)
        if proc.returncode != 0 or done is None:
            error = next((e for e in events if e.get("event") == "error"), None)
            if error is not None:
                raise QuantizeFailedError(
                    str(error.get("detail", "")), disk_full=bool(error.get("disk_full"))
                )
            detail = "\n".join(list(tail)[-6:]) or f"exit status {proc.returncode}"
            raise QuantizeFailedError(f"{detail} (exit status {proc.returncode})")
        try:
            read_gguf(part)
        except GGUFError as exc:
            raise QuantizeFailedError(f"the result is not a usable GGUF file: {exc.en}") from exc
        os.replace(part, dst)
        seconds = done.get("seconds", 0.0)
        return float(seconds) if isinstance(seconds, (int, float)) else 0.0
    except BaseException:
        _stop(proc)
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
        raise
    finally:
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
