"""The window's side of the engine process: start it, load, stream, cancel, restart.

Qt-free and thread-safe. The window calls it from a worker thread::

    client = EngineClient()
    client.start()
    info = client.load(LoadConfig(model_path="…/qpm-1k-32b-r1-q4_k_m.gguf"))
    for event in client.generate(request):   # Token … then Done / EngineError / EngineCrashed
        ...

**Cancel.** ``stream.cancel()`` sends ``cancel``; the engine stops after the
current token, or inside a batch through llama.cpp's abort callback (CPU). If
no acknowledgement arrives within ``cancel_grace_s`` (a GPU batch cannot be
interrupted; a hung engine), the client kills the process, ends the stream
with ``Done(finish_reason="cancelled")`` and a note, and restarts the engine
and reloads the model in the background; requests made meanwhile wait for it.

**Crash.** End-of-file on the engine's stdout means it died. The client reads
its exit status and ends every open stream with :class:`EngineCrashed`
(exit code / signal and the last lines of its stderr), never a hang. A crash
while loading with GPU layers (llama.cpp aborts on a CUDA out-of-memory) is
retried once on the CPU, and the load's reason says so. :meth:`restart`
brings a crashed engine back with the last model.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import queue
import re
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, Any, Literal, NoReturn

from app.engine.backend import QueueStream
from app.engine.child_process import ChildProcess, child_env, default_command, spawn
from app.engine.events import (
    Done,
    EngineCrashed,
    EngineError,
    EngineEvent,
    GenerationStats,
    LoadedInfo,
    is_terminal,
)
from app.engine.protocol import ProtocolError, decode, request_event
from app.engine.requests import GenerateRequest, LoadConfig, new_request_id

__all__ = ["EngineClient", "EngineLoadError", "EngineState", "EngineUnavailableError"]

EngineState = Literal["stopped", "starting", "idle", "loading", "ready", "restarting", "crashed"]

MiB = 1024 * 1024
_SPLIT = re.compile(r"^(?P<stem>.*)-\d{5}-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)


def model_bytes(path: str | os.PathLike[str]) -> int:
    """The size of a model file, all parts of a split set together (0 when unreadable)."""
    p = Path(path)
    match = _SPLIT.match(p.name)
    files = [p]
    if match:
        count = match.group("count")
        files = sorted(p.parent.glob(f"{glob.escape(match.group('stem'))}-*-of-{count}.gguf"))
    total = 0
    for file in files:
        with contextlib.suppress(OSError):
            total += file.stat().st_size
    return total


class EngineUnavailableError(RuntimeError):
    """The engine process could not be started or died; carries both messages."""

    def __init__(self, zh: str, en: str, crash: EngineCrashed | None = None) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en
        self.crash = crash


class EngineLoadError(RuntimeError):
    """The engine refused the model (missing file, not GGUF, damaged …)."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.code = code
        self.zh = zh
        self.en = en


class EngineClient:
    """Runs ``python -m app.engine.worker`` and talks to it (see the module notes)."""

    def __init__(
        self,
        *,
        command: Sequence[str] | None = None,
        env: dict[str, str] | None = None,
        cancel_grace_s: float = 2.0,
        start_timeout_s: float = 60.0,
        stderr_tail_lines: int = 200,
        load_base_s: float = 120.0,
        load_mib_per_s: float = 20.0,
        logger: logging.Logger | None = None,
    ) -> None:
        self._command = list(command) if command is not None else default_command()
        self._env = env
        self.cancel_grace_s = cancel_grace_s
        self.start_timeout_s = start_timeout_s
        # A load's deadline: a fixed part, plus the file read at a slow disk's pace
        # (20 MiB/s: a 19 GB model gets about 17 minutes). Past it the engine is stopped.
        self.load_base_s = load_base_s
        self.load_mib_per_s = load_mib_per_s
        self._log = logger if logger is not None else logging.getLogger(__name__)
        self._loading_path = ""
        self._tail_lines = stderr_tail_lines
        self._lock = threading.RLock()
        self._restart_lock = threading.Lock()  # held while a restart + reload runs
        self._proc: ChildProcess | None = None
        self._streams: dict[str, QueueStream] = {}
        self._waiters: dict[str, queue.Queue[dict[str, Any]]] = {}
        self._config: LoadConfig | None = None
        self._info: LoadedInfo | None = None
        self._state: EngineState = "stopped"
        self._last_crash: EngineCrashed | None = None
        self._listeners: list[Callable[[EngineState], None]] = []

    # ------------------------------------------------------------------ state
    @property
    def state(self) -> EngineState:
        return self._state

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and not proc.dead.is_set() else None

    @property
    def running(self) -> bool:
        proc = self._proc
        return proc is not None and not proc.dead.is_set()

    @property
    def loaded(self) -> LoadedInfo | None:
        return self._info

    @property
    def last_crash(self) -> EngineCrashed | None:
        return self._last_crash

    @property
    def gpu_offload_supported(self) -> bool:
        proc = self._proc
        return bool(proc.ready_info.get("gpu_offload")) if proc is not None else False

    @property
    def model_id(self) -> str:
        info = self._info
        return Path(info.model_path).name if info is not None else ""

    def add_listener(self, callback: Callable[[EngineState], None]) -> None:
        """``callback(state)`` on every state change (called from client threads)."""
        with self._lock:
            self._listeners.append(callback)

    def _set_state(self, state: EngineState) -> None:
        with self._lock:
            if self._state == state:
                return
            self._state = state
            listeners = list(self._listeners)
        for cb in listeners:
            with contextlib.suppress(Exception):
                cb(state)

    # ------------------------------------------------------------------ process
    def start(self) -> None:
        """Start the engine process and wait for its ``ready`` line."""
        with self._lock:
            if self.running:
                return
            self._set_state("starting")
            proc = spawn(self._command, child_env(self._env), self._tail_lines)
            self._proc = proc
            threading.Thread(
                target=self._read_stdout, args=(proc,), name="engine-stdout", daemon=True
            ).start()
        deadline = time.monotonic() + self.start_timeout_s
        while not proc.ready.wait(0.05):
            if proc.dead.is_set() or time.monotonic() > deadline:
                crash = EngineCrashed("", proc.exit_code, proc.tail())
                self._kill(proc)
                self._log_crash("the inference process did not start", crash)
                self._set_state("crashed")
                raise EngineUnavailableError(
                    "推理进程无法启动。\n" + crash.message("zh"),
                    "The inference process did not start.\n" + crash.message("en"),
                    crash,
                )
        self._set_state("idle")

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the engine to exit; kill it if it does not within ``timeout``."""
        with self._lock:
            proc = self._proc
            if proc is None:
                return
            proc.expected_exit = True
            proc.send({"op": "shutdown"})
            proc.close_stdin()
        if not proc.dead.wait(timeout):
            self._kill(proc)
            proc.dead.wait(timeout)
        self._forget(proc, "stopped")
        self._set_state("stopped")

    close = stop

    def _kill(self, proc: ChildProcess) -> None:
        proc.kill()

    def _forget(self, proc: ChildProcess, why: Literal["stopped", "restarted"]) -> None:
        """``proc`` has ended: end its requests (``why``), and neither it nor its model
        is the current one any more."""
        with self._lock:
            self._end_all(proc, why)
            if self._proc is proc:
                self._proc = None
            self._info = None

    def restart(self) -> LoadedInfo | None:
        """Kill the engine if alive, start a new one, reload the last model."""
        with self._restart_lock:
            return self._restart_locked()

    def _restart_locked(self) -> LoadedInfo | None:
        self._set_state("restarting")
        with self._lock:
            proc = self._proc
        if proc is not None:
            self._kill(proc)
            proc.dead.wait(10.0)
            self._forget(proc, "restarted")
        self._info = None
        self.start()
        config = self._config
        if config is None:
            return None
        return self._load_locked(config)

    def __enter__(self) -> EngineClient:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ reader threads
    def _read_stdout(self, proc: ChildProcess) -> None:
        stream: IO[bytes] | None = proc.popen.stdout
        assert stream is not None
        try:
            for raw in iter(stream.readline, b""):
                try:
                    msg = decode(raw)
                except ProtocolError:
                    proc.stderr_tail.append(f"[client] bad line from engine: {raw[:200]!r}\n")
                    continue
                self._dispatch(proc, msg)
        finally:
            proc.exit_code = proc.popen.wait()
            proc.dead.set()
            try:
                self._on_exit(proc)
            finally:
                proc.finalized.set()

    def _dispatch(self, proc: ChildProcess, msg: dict[str, Any]) -> None:
        ev = msg.get("ev")
        if ev == "ready":
            proc.ready_info = msg
            proc.ready.set()
            return
        event = request_event(msg)
        if event is not None:
            with self._lock:
                stream = self._streams.get(event.request_id)
                if stream is not None and is_terminal(event):
                    del self._streams[event.request_id]
            if stream is not None:
                stream.put(event)
            return
        rid = str(msg.get("id", ""))
        with self._lock:
            waiter = self._waiters.get(rid)
        if waiter is not None:
            waiter.put(msg)

    def _on_exit(self, proc: ChildProcess) -> None:
        if proc.expected_exit:
            return
        loading = self._loading_path
        info = self._info
        crash = EngineCrashed(
            "",
            proc.exit_code,
            proc.tail(),
            model_path=loading or (info.model_path if info is not None else ""),
            loading=bool(loading),
        )
        self._log_crash("the inference process died", crash)
        self._last_crash = crash
        with self._lock:
            streams = [s for s in self._streams.values()]
            self._streams.clear()
            waiters = list(self._waiters.values())
            if self._proc is proc:
                self._info = None
        for stream in streams:
            stream.put(replace(crash, request_id=stream.request_id))
        for waiter in waiters:
            waiter.put({"ev": "crashed", "exit_code": proc.exit_code})
        self._set_state("crashed")

    def _log_crash(self, what: str, crash: EngineCrashed) -> None:
        """The engine's last log lines go to the app's log, not into the poet's message."""
        with contextlib.suppress(Exception):
            self._log.error(
                "%s (%s)%s; its last log lines:\n%s",
                what,
                crash.signal_name or f"exit code {crash.exit_code}",
                f" while loading {crash.model_path}" if crash.loading else "",
                crash.stderr_tail.rstrip() or "(none)",
            )

    def _end_all(self, proc: ChildProcess, why: Literal["stopped", "restarted"]) -> None:
        """End the open streams of a process we stopped on purpose."""
        streams = list(self._streams.values())
        self._streams.clear()
        zh = "推理进程已停止" if why == "stopped" else "推理进程已重启"
        en = (
            "the inference process was stopped"
            if why == "stopped"
            else "the inference process was restarted"
        )
        for stream in streams:
            stream.put(EngineError(stream.request_id, f"engine_{why}", zh, en))
        for waiter in self._waiters.values():
            waiter.put({"ev": "crashed", "exit_code": proc.exit_code})

    # ------------------------------------------------------------------ sending
    def _send_raw(self, proc: ChildProcess, message: dict[str, Any]) -> bool:
        return proc.send(message)

    def _call(self, message: dict[str, Any], timeout: float | None) -> dict[str, Any]:
        """Send a command with an id and wait for the reply with the same id."""
        rid = str(message.setdefault("id", new_request_id()))
        waiter: queue.Queue[dict[str, Any]] = queue.Queue()
        with self._lock:
            proc = self._proc
            if proc is None or proc.dead.is_set():
                return {"ev": "crashed", "exit_code": proc.exit_code if proc else None}
            self._waiters[rid] = waiter
            sent = self._send_raw(proc, message)
        try:
            if not sent:
                proc.dead.wait(5.0)
                return {"ev": "crashed", "exit_code": proc.exit_code}
            return waiter.get(timeout=timeout)
        except queue.Empty:
            return {"ev": "timeout"}
        finally:
            with self._lock:
                self._waiters.pop(rid, None)

    # ------------------------------------------------------------------ load
    def load_deadline_s(self, config: LoadConfig) -> float:
        """How long a load of ``config`` may take before the engine is given up on: the
        fixed part plus the model's size read at ``load_mib_per_s``."""
        return self.load_base_s + model_bytes(config.model_path) / (self.load_mib_per_s * MiB)

    def load(self, config: LoadConfig, timeout: float | None = None) -> LoadedInfo:
        """Load a model (blocking), within ``timeout`` seconds (by default
        :meth:`load_deadline_s`, which grows with the file's size).

        Raises :class:`EngineLoadError` (refused) or :class:`EngineUnavailableError` (died,
        or no answer in time: the engine is then stopped, and the next load starts a new
        one).
        """
        with self._restart_lock:
            if not self.running:
                self.start()
            return self._load_locked(config, timeout)

    def _load_locked(self, config: LoadConfig, timeout: float | None = None) -> LoadedInfo:
        self._set_state("loading")
        deadline = self.load_deadline_s(config) if timeout is None else timeout
        self._loading_path = config.model_path
        try:
            reply = self._call({"op": "load", "config": config.to_dict()}, deadline)
        finally:
            self._loading_path = ""
        ev = reply.get("ev")
        name = Path(config.model_path).name
        if ev == "loaded":
            info = LoadedInfo.from_dict(reply.get("info") or {})
            with self._lock:
                self._config = config
                self._info = info
            self._set_state("ready")
            return info
        if ev == "load_error":
            self._set_state("idle")
            raise EngineLoadError(
                str(reply.get("code", "error")), str(reply.get("zh", "")), str(reply.get("en", ""))
            )
        if ev == "timeout":
            self._give_up_on_load(name, deadline)
        # The engine died while loading: with GPU layers, try once more on the CPU.
        crash = self._last_crash or EngineCrashed(
            "", reply.get("exit_code"), "", model_path=config.model_path, loading=True
        )
        if config.n_gpu_layers != 0 and self.gpu_offload_supported_last():
            self.start()
            cpu = replace(config, n_gpu_layers=0, flash_attn=False)
            info = self._load_locked(cpu, timeout)
            how = crash.signal_name or f"exit code {crash.exit_code}"
            info = replace(
                info,
                reason_zh=f"在 GPU 上加载时推理进程崩溃（{how}，可能是显存不足），已改用 CPU",
                reason_en=f"the engine crashed while loading on the GPU ({how}; "
                "probably out of GPU memory); fell back to the CPU",
            )
            with self._lock:
                self._config = config  # a restart tries the GPU again only if asked
                self._info = info
            return info
        self._set_state("crashed")
        raise EngineUnavailableError(crash.message("zh"), crash.message("en"), crash)

    def _give_up_on_load(self, name: str, deadline: float) -> NoReturn:
        """No answer to a load in time: stop that engine (a new one starts with the next
        load) rather than wait for ever with every request queued behind it."""
        with self._lock:
            proc = self._proc
        if proc is not None:
            self._kill(proc)
            proc.dead.wait(10.0)
            self._forget(proc, "stopped")
            with contextlib.suppress(Exception):
                self._log.error(
                    "loading %s gave no answer within %.0f s; the engine was stopped; its "
                    "last log lines:\n%s",
                    name,
                    deadline,
                    proc.tail().rstrip() or "(none)",
                )
        self._set_state("stopped")
        raise EngineUnavailableError(
            f"加载模型 {name} 超过 {deadline:.0f} 秒仍未完成，已停止推理进程；"
            "可再试一次，或换一个模型文件。",
            f"Loading {name} did not finish within {deadline:.0f} s; the inference process "
            "was stopped. Try again, or choose another model file.",
        )

    def gpu_offload_supported_last(self) -> bool:
        """Whether the last engine process reported a GPU-capable llama.cpp."""
        proc = self._proc
        return bool(proc is not None and proc.ready_info.get("gpu_offload"))

    def unload(self) -> None:
        with self._lock:
            proc = self._proc
            self._info = None
            self._config = None
            if proc is not None:
                self._send_raw(proc, {"op": "unload"})
        if proc is not None and not proc.dead.is_set():
            self._set_state("idle")

    def ping(self, timeout: float = 5.0) -> bool:
        return self._call({"op": "ping"}, timeout).get("ev") == "pong"

    # ------------------------------------------------------------------ generate / cancel
    def generate(self, request: GenerateRequest) -> QueueStream:
        """Start a generation; iterate the returned stream for its events."""
        # Wait for a restart in progress (a cancel that had to kill the engine).
        with self._restart_lock, self._lock:
            proc = self._proc
            stream = QueueStream(
                request.id,
                self.cancel,
                alive=lambda: proc is not None and not proc.finalized.is_set(),
                on_dead=self._dead_event,
            )
            if proc is None or proc.dead.is_set():
                crash = self._last_crash
                if crash is not None and self._state == "crashed":
                    stream.put(replace(crash, request_id=request.id))
                else:
                    stream.put(
                        EngineError(
                            request.id,
                            "not_running",
                            "推理进程未运行，请启动或重启",
                            "the inference process is not running; start or restart it",
                        )
                    )
                return stream
            self._streams[request.id] = stream
            # If the pipe is broken, the stdout reader ends the stream with EngineCrashed.
            self._send_raw(proc, {"op": "generate", "request": request.to_dict()})
        return stream

    def _dead_event(self, request_id: str) -> EngineEvent:
        crash = self._last_crash
        if crash is not None:
            return replace(crash, request_id=request_id)
        return EngineError(
            request_id, "not_running", "推理进程已停止", "the inference process stopped"
        )

    def cancel(self, request_id: str) -> None:
        """Stop a request; kill and restart the engine if it does not stop in time."""
        with self._lock:
            proc = self._proc
            if request_id not in self._streams or proc is None:
                return
            self._send_raw(proc, {"op": "cancel", "id": request_id})
        timer = threading.Timer(self.cancel_grace_s, self._cancel_deadline, args=(request_id, proc))
        timer.daemon = True
        timer.start()

    def _cancel_deadline(self, request_id: str, proc: ChildProcess) -> None:
        # Take the restart lock before anyone hears of the kill, so a request made
        # right after this stream ends waits for the restarted engine; the restart
        # thread releases it. (Order as everywhere: restart lock, then state lock.)
        self._restart_lock.acquire()
        handed_over = False
        try:
            with self._lock:
                stream = self._streams.get(request_id)
                if stream is None or self._proc is not proc or proc.dead.is_set():
                    return  # acknowledged (or the engine is gone anyway)
                del self._streams[request_id]
                self._kill(proc)
            self._set_state("restarting")
            threading.Thread(
                target=self._restart_then_release, name="engine-restart", daemon=True
            ).start()
            handed_over = True
        finally:
            if not handed_over:
                self._restart_lock.release()
        stream.put(
            Done(
                request_id,
                GenerationStats(finish_reason="cancelled"),
                note=f"engine restarted: no acknowledgement within {self.cancel_grace_s:.1f} s",
            )
        )

    def _restart_then_release(self) -> None:
        """Restart and reload with the restart lock already held (released here)."""
        try:
            with contextlib.suppress(EngineUnavailableError, EngineLoadError):
                self._restart_locked()
        finally:
            self._restart_lock.release()

    # ------------------------------------------------------------------ test/diagnostic helpers
    def send_signal(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the engine process (for diagnostics and tests)."""
        pid = self.pid
        if pid is not None:
            os.kill(pid, sig)
