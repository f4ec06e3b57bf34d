"""Run the real app as a subprocess and follow its structured log.

The app is started as ``python -m app --basedir DIR`` with
``QT_QPA_PLATFORM=offscreen`` and ``SHIJIAN_LOG_STDERR=1``; a reader thread
parses each JSON line of its stderr into an event (a dict with ``event``,
``t_ms`` …) and records when it arrived. Tests wait for events, then kill the
process (SIGKILL for crash tests) or close it (SIGTERM: the app closes its
window properly). Used by tests/e2e and by bench/startup.py and
bench/crash_cycles.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

Event = dict[str, Any]


class AppExitedError(RuntimeError):
    """The app ended before the awaited event."""


def write_settings(basedir: Path, settings: Mapping[str, Any]) -> Path:
    """Write a settings file (current version) under ``basedir`` before the app starts."""
    from app.settings import SETTINGS_VERSION

    path = basedir / "config" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"version": SETTINGS_VERSION, **settings}
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return path


class AppProcess:
    """One run of the app; use as a context manager so it never outlives the test."""

    def __init__(
        self,
        basedir: Path,
        *,
        env: Mapping[str, str] | None = None,
        args: Sequence[str] = (),
        python: str = sys.executable,
    ) -> None:
        self.basedir = basedir
        self._env = dict(env or {})
        self._args = list(args)
        self._python = python
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Condition()
        self.events: list[Event] = []
        self.other_lines: list[str] = []  # stderr lines that are not events (Qt warnings …)
        self.started_at = 0.0
        self._reader: threading.Thread | None = None
        self._ended = False

    @property
    def command(self) -> list[str]:
        return [self._python, "-m", "app", "--basedir", str(self.basedir), *self._args]

    def start(self) -> AppProcess:
        env = dict(os.environ)
        env.pop("SHIJIAN_BASEDIR", None)
        env.update(
            {
                "QT_QPA_PLATFORM": "offscreen",
                "SHIJIAN_LOG_STDERR": "1",
                "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": os.pathsep.join(
                    p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p
                ),
            }
        )
        env.update(self._env)
        self.started_at = time.monotonic()
        self._proc = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        for raw in self._proc.stderr:
            arrived = time.monotonic() - self.started_at
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            try:
                value = json.loads(line)
            except ValueError:
                value = None
            with self._lock:
                if isinstance(value, dict) and "event" in value:
                    value["_arrived_s"] = arrived
                    self.events.append(value)
                else:
                    self.other_lines.append(line)
                self._lock.notify_all()
        with self._lock:
            self._ended = True
            self._lock.notify_all()

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def named(self, name: str) -> list[Event]:
        with self._lock:
            return [e for e in self.events if e["event"] == name]

    def wait_for(
        self,
        name: str,
        *,
        timeout: float = 60.0,
        where: Callable[[Event], bool] | None = None,
        after: int = 0,
    ) -> Event:
        """The first event ``name`` (matching ``where``) among events from index ``after``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for event in self.events[after:]:
                    if event["event"] == name and (where is None or where(event)):
                        return event
                if self._ended:
                    raise AppExitedError(f"the app ended before {name!r}:\n{self.transcript()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {name!r} within {timeout} s:\n{self.transcript()}")
                self._lock.wait(min(left, 0.5))

    def transcript(self, last: int = 40) -> str:
        lines = [json.dumps(e, ensure_ascii=False) for e in self.events[-last:]]
        return "\n".join(lines + self.other_lines[-last:])

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 30.0) -> int:
        """Send ``sig`` and wait for the process to end; returns its exit status."""
        assert self._proc is not None
        if self._proc.poll() is None:
            self._proc.send_signal(sig)
        code = self._proc.wait(timeout)
        if self._reader is not None:
            self._reader.join(timeout)
        return code

    def close(self, timeout: float = 60.0) -> int:
        """SIGTERM (the app closes its window, writing the draft) and wait."""
        return self.kill(signal.SIGTERM, timeout)

    def __enter__(self) -> AppProcess:
        return self.start() if self._proc is None else self

    def __exit__(self, *exc_info: object) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(30)
        if self._reader is not None:
            self._reader.join(10)
        if self._proc.stderr is not None:
            self._proc.stderr.close()
