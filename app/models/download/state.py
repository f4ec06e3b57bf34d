"""The state of one download call: policy, progress reports, statistics, the cancel
watcher and the deadline (used by :mod:`app.models.download`)."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from app.models.catalog import LocalText
from app.models.download.http_range import RangeResponse
from app.models.download.partfile import PartWriter
from app.models.errors import DownloadCancelled, NetworkError
from app.models.resolve import RemoteFile, ResolvedModel

log = logging.getLogger("app.models.download")

Phase = Literal["checking", "verifying", "downloading", "done"]


@dataclass(frozen=True)
class DownloadPolicy:
    chunk_bytes: int = 1 << 20
    timeout_s: float = 30.0  # connect and per-read socket timeout (a stall counts as a drop)
    max_retries: int = 8  # consecutive failed attempts that brought no new bytes
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    deadline_s: float | None = 24 * 3600.0  # for the whole call, retries included
    checkpoint_bytes: int = 16 << 20  # fsync + sidecar every 16 MiB ...
    checkpoint_interval_s: float = 2.0  # ... or every 2 s, whichever comes first
    light_checkpoint_bytes: int = 256 << 10  # a line in the checkpoint log (no fsync)
    disk_margin_bytes: int = 256 << 20
    progress_interval_s: float = 0.1


@dataclass(frozen=True)
class DownloadProgress:
    phase: Phase
    done_bytes: int  # over the whole set of files
    total_bytes: int
    speed_bps: float
    eta_s: float | None
    file_name: str
    file_index: int  # 0-based
    file_count: int
    note: LocalText | None = None

    @property
    def fraction(self) -> float:
        return self.done_bytes / self.total_bytes if self.total_bytes else 1.0


ProgressCallback = Callable[[DownloadProgress], None]


@dataclass
class DownloadStats:
    total_bytes: int = 0
    on_disk_bytes: int = 0  # partial bytes present when the call started
    reused_bytes: int = 0  # of those, kept after re-hashing
    fetched_bytes: int = 0  # body bytes received from the network
    discarded_bytes: int = 0  # bytes thrown away (untrusted tail, Range ignored)
    retries: int = 0
    range_ignored: int = 0
    notes: list[LocalText] = field(default_factory=list)

    @property
    def refetched_bytes(self) -> int:
        """Bytes fetched again although they had been on disk when the call started."""
        verified_before = self.total_bytes - self.on_disk_bytes
        return max(0, self.fetched_bytes - verified_before) if self.fetched_bytes else 0


class RetryError(Exception):
    """A failed attempt worth retrying (connection dropped, stalled, 5xx)."""


class RefreshError(Exception):
    """The signed download URL was refused: ask the hub for a fresh one."""


class CancelWatch:
    """Aborts the open connection the moment ``cancel`` is set (reads may be blocked)."""

    def __init__(self, cancel: threading.Event) -> None:
        self._cancel = cancel
        self._lock = threading.Lock()
        self._current: RangeResponse | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="download-cancel-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._cancel.wait(0.05):
                with self._lock:
                    current = self._current
                if current is not None:
                    current.abort()
                self._stop.wait(0.05)

    def attach(self, response: RangeResponse) -> None:
        with self._lock:
            self._current = response
        if self._cancel.is_set():
            response.abort()

    def detach(self) -> None:
        with self._lock:
            self._current = None


class Run:
    """State of one ``download()`` call: progress, speed, deadline, stats."""

    def __init__(
        self,
        policy: DownloadPolicy,
        resolved: ResolvedModel,
        progress_cb: ProgressCallback | None,
        cancel: threading.Event,
    ) -> None:
        self.policy = policy
        self.resolved = resolved
        self.progress_cb = progress_cb
        self.cancel = cancel
        self.started = time.monotonic()
        self.deadline = None if policy.deadline_s is None else self.started + policy.deadline_s
        self.stats = DownloadStats(total_bytes=resolved.total_size)
        self.completed = 0  # bytes of files already finished in this set
        self.file_index = 0
        self._last_report = 0.0
        self._window: deque[tuple[float, int]] = deque()

    def file(self) -> RemoteFile:
        return self.resolved.files[self.file_index]

    def speed(self) -> float:
        now = time.monotonic()
        self._window.append((now, self.stats.fetched_bytes))
        while len(self._window) > 2 and now - self._window[0][0] > 5.0:
            self._window.popleft()
        t0, b0 = self._window[0]
        return (self.stats.fetched_bytes - b0) / (now - t0) if now > t0 else 0.0

    def report(
        self, phase: Phase, offset: int, note: LocalText | None = None, force: bool = False
    ) -> None:
        if note is not None:
            self.stats.notes.append(note)
            log.info("%s", note.en)
        if self.progress_cb is None:
            return
        now = time.monotonic()
        if not force and note is None and now - self._last_report < self.policy.progress_interval_s:
            return
        self._last_report = now
        done = min(self.completed + offset, self.stats.total_bytes)
        speed = self.speed()
        remaining = self.stats.total_bytes - done
        eta = remaining / speed if speed > 0 and phase == "downloading" else None
        self.progress_cb(
            DownloadProgress(
                phase=phase,
                done_bytes=done,
                total_bytes=self.stats.total_bytes,
                speed_bps=speed,
                eta_s=eta,
                file_name=self.file().basename,
                file_index=self.file_index,
                file_count=len(self.resolved.files),
                note=note,
            )
        )

    def stop_if_cancelled(self, writer: PartWriter | None) -> None:
        if self.cancel.is_set():
            kept = 0
            if writer is not None:
                writer.checkpoint()
                kept = writer.offset
            raise DownloadCancelled(kept)

    def stop_if_late(self, writer: PartWriter | None) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            kept = 0
            if writer is not None:
                writer.checkpoint()
                kept = writer.offset
            raise NetworkError(
                f"the overall time limit of {self.policy.deadline_s:.0f} s has passed"
                " / 已超过总时限",
                kept_bytes=kept,
            )

    def backoff(self, failures: int, writer: PartWriter | None) -> None:
        delay = min(
            self.policy.backoff_max_s, self.policy.backoff_base_s * (2 ** max(0, failures - 1))
        )
        if self.deadline is not None:
            delay = min(delay, max(0.0, self.deadline - time.monotonic()))
        if self.cancel.wait(delay):
            self.stop_if_cancelled(writer)
        self.stop_if_late(writer)
