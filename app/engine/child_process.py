"""The engine's child process: how it is started, written to, and watched.

``spawn`` starts ``python -m app.engine.worker`` (or a given command, e.g. a
bundled executable) with the folder holding ``app`` on its ``PYTHONPATH``, in its
own session on POSIX (a Ctrl-C in a terminal reaches the window, not the engine),
and a thread that keeps the last lines of its stderr for crash reports. The
client reads its stdout (``app.engine.client``).
"""

from __future__ import annotations

import collections
import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from app.engine.protocol import encode

__all__ = ["ChildProcess", "child_env", "default_command", "spawn"]


def default_command() -> list[str]:
    return [sys.executable, "-m", "app.engine.worker"]


def child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The engine's environment: ``env`` (default: ours) with ``app`` importable."""
    out = dict(os.environ if env is None else env)
    root = str(Path(__file__).resolve().parents[2])  # the folder holding ``app``
    parts = [p for p in out.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in parts:
        out["PYTHONPATH"] = os.pathsep.join([root, *parts])
    out.setdefault("PYTHONUNBUFFERED", "1")
    return out


class ChildProcess:
    """One engine process: its pipes, its state, the tail of its log."""

    def __init__(self, popen: subprocess.Popen[bytes], tail_lines: int) -> None:
        self.popen = popen
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=tail_lines)
        self.ready = threading.Event()
        self.ready_info: dict[str, Any] = {}
        self.dead = threading.Event()
        self.expected_exit = False  # stop() or a cancel-kill: not a crash
        self.exit_code: int | None = None
        self.stderr_done = threading.Event()
        self.finalized = threading.Event()  # the exit was handled (crash events posted)
        self._write_lock = threading.Lock()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def tail(self) -> str:
        """The last lines of its stderr (waits up to 1 s for the pipe to drain)."""
        self.stderr_done.wait(1.0)
        return "".join(self.stderr_tail)

    def send(self, message: dict[str, Any]) -> bool:
        """Write one protocol line; False if the engine is gone (its reader reports that)."""
        stdin = self.popen.stdin
        if stdin is None or self.dead.is_set():
            return False
        try:
            with self._write_lock:
                stdin.write(encode(message))
                stdin.flush()
        except (OSError, ValueError):  # broken pipe / closed
            return False
        return True

    def close_stdin(self) -> None:
        with contextlib.suppress(OSError), self._write_lock:
            if self.popen.stdin is not None:
                self.popen.stdin.close()

    def kill(self) -> None:
        """SIGKILL it, on purpose (not reported as a crash)."""
        self.expected_exit = True
        with contextlib.suppress(OSError):
            self.popen.kill()

    def read_stderr(self) -> None:
        stream = self.popen.stderr
        assert stream is not None
        try:
            for raw in iter(stream.readline, b""):
                self.stderr_tail.append(raw.decode("utf-8", "replace"))
        finally:
            self.stderr_done.set()


def spawn(command: Sequence[str], env: dict[str, str], tail_lines: int) -> ChildProcess:
    """Start the engine and its stderr reader thread."""
    kwargs: dict[str, Any] = {}
    if os.name == "posix":
        kwargs["start_new_session"] = True
    popen = subprocess.Popen(
        list(command),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        **kwargs,
    )
    proc = ChildProcess(popen, tail_lines)
    threading.Thread(target=proc.read_stderr, name="engine-stderr", daemon=True).start()
    return proc
