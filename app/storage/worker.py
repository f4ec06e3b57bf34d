"""One thread owns the library; everyone else submits work to it.

The UI never touches a :class:`~app.storage.repository.Library` directly: it
submits functions that receive the library as their first argument and gets a
:class:`concurrent.futures.Future` back (Anki's one-executor-per-collection
pattern). Work runs in submission order on one thread, so calls from any
number of threads are serialised. The UI layer turns futures into signals.

.. code-block:: python

    worker = LibraryWorker(paths)
    worker.add_listener(lambda state, reason: ...)  # "waiting" / "open" / "failed" / "closed"
    report = worker.opened.result()  # once the library is available
    future = worker.submit(Library.save_poem, PoemData(title="春晓", text=...))
    record = future.result()
    worker.save_draft(DraftData(...))  # the autosave: kept even before the library opens
    worker.shutdown()  # runs everything already submitted, then closes the library

**When the library cannot be opened yet** — a lock held by another program, a
read-only data folder, a full disk, an I/O error: faults that go away without 诗笺
doing anything — the worker does not give up. Its state becomes ``"waiting"`` (with
the reason), it tries again after ``retry_delays_s`` (0.5 s, 1 s, 2 s, 5 s, then every
10 s), and meanwhile :meth:`save_draft` writes drafts to the draft spool (the same
folders the library itself falls back to), so nothing typed is lost; other calls fail
at once with the reason. When an attempt succeeds the state becomes ``"open"``,
:attr:`opened` gets its report, listeners hear of it, and the library reads the
spooled drafts back with its own. Any other failure (a database from a newer
version, a failed migration) is final: state ``"failed"``, and every call raises it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Concatenate, Literal, ParamSpec, TypeVar

from app.paths import AppPaths
from app.storage.db import LibraryOptions, OpenReport, library_spool_folders, open_library
from app.storage.errors import (
    DatabaseLockedError,
    DiskFullError,
    LibraryClosedError,
    ReadOnlyError,
    StorageError,
    StorageIOError,
)
from app.storage.records import DraftData, DraftRecord
from app.storage.repository import Library
from app.storage.spool import DraftSpool

P = ParamSpec("P")
T = TypeVar("T")

Opener = Callable[[AppPaths, LibraryOptions | None], tuple[Library, OpenReport]]
WorkerState = Literal["opening", "waiting", "open", "failed", "closed"]
Listener = Callable[[WorkerState, BaseException | None], None]

# Faults of the surroundings, not of the library: worth waiting out.
TRANSIENT: tuple[type[StorageError], ...] = (
    DatabaseLockedError,
    ReadOnlyError,
    DiskFullError,
    StorageIOError,
)
RETRY_DELAYS_S: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0)


def _again(error: StorageError) -> StorageError:
    """A fresh copy of a transient error (each failed call gets its own exception)."""
    return type(error)(error.message, detail=error.detail)


class LibraryWorker:
    """A single-thread executor that opens (retrying), owns and finally closes the library."""

    def __init__(
        self,
        paths: AppPaths,
        options: LibraryOptions | None = None,
        *,
        opener: Opener = open_library,
        retry_delays_s: Sequence[float] = RETRY_DELAYS_S,
    ) -> None:
        if not retry_delays_s or min(retry_delays_s) <= 0:
            raise ValueError("retry delays must be positive")
        self._paths = paths
        self._options = options
        self._opener = opener
        self._retry_delays_s = tuple(retry_delays_s)
        self._attempts = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shijian-library")
        self._library: Library | None = None
        self._lock = threading.Lock()
        self._closing = False
        self._timer: threading.Timer | None = None
        self._state: WorkerState = "opening"
        self._reason: BaseException | None = None
        self._listeners: list[Listener] = []
        resolved = options or LibraryOptions()
        self._clock = resolved.clock
        self._spool = DraftSpool(library_spool_folders(paths, resolved))
        self.opened: Future[OpenReport] = Future()
        self._executor.submit(self._try_open)

    # ------------------------------------------------------------------ state
    @property
    def state(self) -> WorkerState:
        return self._state

    @property
    def reason(self) -> BaseException | None:
        """Why the library is not open: the fault being waited out, or the final failure."""
        return self._reason

    @property
    def attempts(self) -> int:
        """Failed attempts to open so far."""
        return self._attempts

    def add_listener(self, callback: Listener) -> None:
        """``callback(state, reason)`` on every change of state — called on the library's
        thread or its retry timer's, so a UI hands it over to its own thread. A listener
        added after the library opened hears nothing: check :attr:`state` first."""
        with self._lock:
            self._listeners.append(callback)

    def _set_state(self, state: WorkerState, reason: BaseException | None) -> None:
        with self._lock:
            changed = (state, reason) != (self._state, self._reason)
            self._state, self._reason = state, reason
            listeners = list(self._listeners)
        if changed:
            for callback in listeners:
                with contextlib.suppress(Exception):
                    callback(state, reason)

    # ------------------------------------------------------------------ opening
    def _try_open(self) -> None:
        if self._closing:
            return
        try:
            library, report = self._opener(self._paths, self._options)
        except TRANSIENT as exc:
            delay = self._retry_delays_s[min(self._attempts, len(self._retry_delays_s) - 1)]
            self._attempts += 1
            self._set_state("waiting", exc)
            with self._lock:
                if not self._closing:
                    self._timer = threading.Timer(delay, self._retry)
                    self._timer.daemon = True
                    self._timer.start()
            return
        except BaseException as exc:
            self._set_state("failed", exc)
            self.opened.set_exception(exc)
            return
        self._library = library
        self._set_state("open", None)
        self.opened.set_result(report)

    def _retry(self) -> None:
        with self._lock:
            if self._closing:
                return
            self._executor.submit(self._try_open)

    # ------------------------------------------------------------------ work
    def _unavailable(self) -> BaseException:
        reason = self._reason
        if self._state == "waiting" and isinstance(reason, StorageError):
            return _again(reason)
        if self._state == "failed" and reason is not None:
            return reason
        return LibraryClosedError()

    def _run(
        self,
        fn: Callable[Concatenate[Library, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        if self._library is None:
            # Not open: the fault being waited out, the final failure, or closed.
            raise self._unavailable()
        return fn(self._library, *args, **kwargs)

    def submit(
        self,
        fn: Callable[Concatenate[Library, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Future[T]:
        """Run ``fn(library, *args, **kwargs)`` on the library's thread.

        While the library is not open the future fails with the reason. Raises
        :class:`LibraryClosedError` once :meth:`shutdown` has begun.
        """
        with self._lock:
            if self._closing:
                raise LibraryClosedError
            return self._executor.submit(self._run, fn, *args, **kwargs)

    def save_draft(self, draft: DraftData) -> Future[DraftRecord]:
        """An autosave tick: into the library when it is open (which itself falls back to
        the spool), into the draft spool while the library is being waited for."""
        with self._lock:
            if self._closing:
                raise LibraryClosedError
            return self._executor.submit(self._save_draft, draft)

    def _save_draft(self, draft: DraftData) -> DraftRecord:
        if self._library is not None:
            return self._library.save_draft(draft)
        if self._state != "waiting":
            raise self._unavailable()
        now = self._clock()
        record = DraftRecord(
            slot=draft.slot,
            poem=draft.poem.cleaned(strict=False),
            poem_id=draft.poem_id,
            created_at=now,
            updated_at=now,
            spooled=True,
        )
        self._spool.write(record)
        return record

    # ------------------------------------------------------------------ closing
    def _close(self) -> None:
        library, self._library = self._library, None
        if library is not None:
            library.close()

    def shutdown(self) -> None:
        """Finish everything already submitted, close the library (checkpointing its log), stop.

        Safe to call more than once. Any error from closing is raised here. A library
        still being waited for is given up (:attr:`opened` fails with
        :class:`LibraryClosedError`).
        """
        with self._lock:
            if self._closing:
                return
            self._closing = True
            timer, self._timer = self._timer, None
            closed = self._executor.submit(self._close)
        if timer is not None:
            timer.cancel()
        self._executor.shutdown(wait=True)
        if not self.opened.done():
            self.opened.set_exception(LibraryClosedError())
        self._set_state("closed", None)
        closed.result()

    def __enter__(self) -> LibraryWorker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
