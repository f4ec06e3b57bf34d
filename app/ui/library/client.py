"""The window's handle on the poem library, opened without blocking start-up.

Importing SQLAlchemy and opening the library (diagnosis, recovery, start-up
backup) takes a second or more on a small machine, so the window is shown
first and the library opens on a background thread. :class:`LibraryClient`
accepts work at once: calls made before the library is there are queued and
handed to the :class:`~app.storage.worker.LibraryWorker` in order as soon as it
exists, so nothing typed in the first second is lost or reordered.

All database work still runs on the worker's single thread (the client never
touches a :class:`~app.storage.repository.Library`); results come back to the
GUI thread through :func:`app.ui.workers.watch_future`.

When the library cannot be opened yet (a lock held by another program, a read-only
data folder …) the worker keeps trying: ``waiting`` says why, drafts given to
:meth:`LibraryClient.save_draft` go to the draft spool meanwhile, other calls fail
with the reason, and ``opened`` comes when the library is there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from PySide6.QtCore import QObject, Signal

from app.paths import AppPaths
from app.storage.errors import LibraryClosedError
from app.ui.workers import watch_future

if TYPE_CHECKING:
    from app.storage.db import LibraryOptions
    from app.storage.records import DraftData, DraftRecord
    from app.storage.repository import Library
    from app.storage.worker import LibraryWorker, WorkerState

P = ParamSpec("P")
T = TypeVar("T")


def _chain(inner: Future[Any], outer: Future[Any]) -> None:
    def copy(done: Future[Any]) -> None:
        exc = done.exception()
        if exc is not None:
            outer.set_exception(exc)
        else:
            outer.set_result(done.result())

    inner.add_done_callback(copy)


class LibraryClient(QObject):
    """Submit library work from the GUI thread; the library opens in the background.

    Signals (GUI thread): ``opened(OpenReport)`` once the library is usable,
    ``waiting(StorageError)`` when it cannot be opened yet and is being retried (again
    with each new reason), ``open_failed(BaseException)`` when it could not be opened for
    good (every queued and later call then fails with the same error).
    """

    opened = Signal(object)
    waiting = Signal(object)
    open_failed = Signal(object)

    def __init__(
        self,
        paths: AppPaths,
        options: LibraryOptions | None = None,
        *,
        script_forms: Callable[[str], str] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._paths = paths
        self._options = options
        # searches in either script (LibraryOptions.script_forms), set where the library
        # opens: the storage layer (SQLAlchemy) is never imported on the GUI thread
        self._script_forms = script_forms
        self._lock = threading.Lock()
        self._worker: LibraryWorker | None = None
        self._failure: BaseException | None = None
        # work asked for before the worker exists: how to hand it over, and its future
        self._pending: list[tuple[Callable[[LibraryWorker], Future[Any]], Future[Any]]] = []
        self._closing = False
        self._thread: threading.Thread | None = None
        self._report: Any = None
        self._bridges: list[QObject] = []

    # ------------------------------------------------------------------ opening
    def start(self) -> None:
        """Begin opening the library on a background thread (once)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._open, name="shijian-library-open", daemon=True)
        self._thread.start()

    def _open(self) -> None:
        try:
            from app.storage.db import LibraryOptions
            from app.storage.worker import LibraryWorker

            options = self._options
            if self._script_forms is not None and (options is None or options.script_forms is None):
                options = replace(options or LibraryOptions(), script_forms=self._script_forms)
            worker = LibraryWorker(self._paths, options)
        except BaseException as exc:  # an import error is a failure to open, too
            self._fail(exc)
            return
        worker.add_listener(self._worker_state)
        if worker.state == "waiting":  # it may have started waiting before we listened
            self.waiting.emit(worker.reason)
        with self._lock:
            self._worker = worker
            pending, self._pending = self._pending, []
            for hand_over, outer in pending:
                try:
                    _chain(hand_over(worker), outer)
                except BaseException as exc:
                    outer.set_exception(exc)
        try:
            report = worker.opened.result()
        except BaseException as exc:
            if not self._closing:
                self._fail(exc)
            return
        self._report = report
        self.opened.emit(report)

    def _worker_state(self, state: WorkerState, reason: BaseException | None) -> None:
        if state == "waiting" and not self._closing:
            self.waiting.emit(reason)

    def _fail(self, exc: BaseException) -> None:
        with self._lock:
            self._failure = exc
            pending, self._pending = self._pending, []
        for _, outer in pending:
            outer.set_exception(exc)
        self.open_failed.emit(exc)

    @property
    def ready(self) -> bool:
        return self._report is not None

    @property
    def report(self) -> Any:
        """The :class:`~app.storage.db.OpenReport`, once opened (else None)."""
        return self._report

    @property
    def failure(self) -> BaseException | None:
        return self._failure

    def wait_opened(self, timeout_s: float = 30.0) -> bool:
        """Block until the opening attempt has finished (tests, self-test, shutdown)."""
        thread = self._thread
        if thread is None:
            return False
        thread.join(timeout_s)
        return not thread.is_alive()

    # ------------------------------------------------------------------ work
    def submit(
        self, fn: Callable[Concatenate[Library, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> Future[T]:
        """Run ``fn(library, *args, **kwargs)`` on the library's thread (queued until open)."""
        return self._hand_over(lambda worker: worker.submit(fn, *args, **kwargs))

    def save_draft(self, draft: DraftData) -> Future[DraftRecord]:
        """An autosave: into the library, or into the draft spool while the library is
        being waited for (queued, like any call, until the worker exists)."""
        return self._hand_over(lambda worker: worker.save_draft(draft))

    def _hand_over(self, hand_over: Callable[[LibraryWorker], Future[T]]) -> Future[T]:
        with self._lock:
            if self._closing:
                raise LibraryClosedError
            if self._failure is not None:
                failed: Future[T] = Future()
                failed.set_exception(self._failure)
                return failed
            if self._worker is not None:
                return hand_over(self._worker)
            outer: Future[T] = Future()
            self._pending.append((hand_over, outer))
            return outer

    def call(
        self,
        fn: Callable[..., T],
        /,
        *args: Any,
        on_result: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        **kwargs: Any,
    ) -> Future[T]:
        """:meth:`submit`, with the outcome delivered on the GUI thread."""
        try:
            future = self.submit(fn, *args, **kwargs)
        except LibraryClosedError as exc:
            future = Future()
            future.set_exception(exc)

        def result(value: Any) -> None:
            if on_result is not None:
                on_result(value)

        watch_future(future, result, on_error or (lambda _exc: None), parent=self)
        return future

    # ------------------------------------------------------------------ closing
    def shutdown(self, timeout_s: float = 60.0) -> None:
        """Finish everything submitted, close the library. Safe to call more than once.

        A library still being waited for is given up."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
            worker = self._worker
        if worker is not None:
            worker.shutdown()  # also ends the wait of the opening thread
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
        with self._lock:
            late = self._worker if worker is None else None
        if late is not None:  # made while we were closing
            late.shutdown()
