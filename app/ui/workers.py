"""Run blocking work off the GUI thread and hear about it through Qt signals.

Two shapes, after napari's thread workers and Anki's single-owner executors:

* :class:`GeneratorWorker` runs a generator in a ``QThread``. Every value it yields
  is collected and delivered to the GUI thread in batches (``batch_ms``, 40 ms by
  default), so a stream of tokens costs the GUI one signal per frame or so, not one
  per token. ``quit()`` asks the generator to stop: the worker stops pulling from it
  and closes it (``GeneratorExit`` reaches the generator's ``finally``).
* :class:`FutureRelay` / :func:`watch_future` turn a :class:`concurrent.futures.Future`
  (for example one from the library's single database worker) into a call on the GUI
  thread, through one long-lived relay object per owner.
* :func:`run_in_daemon_thread` runs one blocking call on a daemon thread (it never holds
  up quitting) into a Future; :class:`DaemonJob` is a window's one such call that reports
  progress and can be stopped (a model download, a model build).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QThread, QTimer, Signal

T = TypeVar("T")


class _Runner(QThread):
    def __init__(self, worker: GeneratorWorker) -> None:
        super().__init__()
        self._worker = worker

    def run(self) -> None:
        self._worker._run()


class GeneratorWorker(QObject):
    """Pull a generator on a background thread; emit its values in batches.

    Signals (all delivered on the thread that owns the worker, normally the GUI thread):
      ``yielded_batch(list)`` — the values yielded since the last batch, in order;
      ``finished()`` — it ended or was stopped (always last, also after an error);
      ``errored(BaseException)`` — it raised.
    """

    yielded_batch = Signal(list)
    errored = Signal(object)
    finished = Signal()

    def __init__(
        self,
        factory: Callable[[], Iterator[Any]],
        *,
        batch_ms: int = 40,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._factory = factory
        self._batch_s = batch_ms / 1000.0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pending: list[Any] = []
        self._thread = _Runner(self)
        self._thread.finished.connect(self._on_thread_finished)
        self._done = False

    # -- control (GUI thread)
    def start(self) -> None:
        self._thread.start()

    def quit(self) -> None:
        """Ask the generator to stop; ``finished`` follows."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def wait(self, timeout_ms: int = 5000) -> bool:
        return bool(self._thread.wait(timeout_ms))

    # -- background thread
    def _run(self) -> None:
        gen: Iterator[Any] | None = None
        last_flush = time.monotonic()
        try:
            gen = self._factory()
            for value in gen:
                with self._lock:
                    self._pending.append(value)
                now = time.monotonic()
                if now - last_flush >= self._batch_s:
                    last_flush = now
                    self._flush_from_thread()
                if self._stop.is_set():
                    break
        except BaseException as exc:  # delivered to the GUI, never lost in a thread
            self._flush_from_thread()
            self.errored.emit(exc)
        finally:
            close = getattr(gen, "close", None)
            if close is not None:
                try:
                    close()
                except Exception as exc:
                    self.errored.emit(exc)
            self._flush_from_thread()

    def _flush_from_thread(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
        if batch:
            self.yielded_batch.emit(batch)

    def _on_thread_finished(self) -> None:
        # QThread.finished is sent from the thread just before it ends: wait for the end,
        # so whoever hears ``finished`` may drop or delete the worker (and its QThread).
        self._thread.wait()
        if not self._done:
            self._done = True
            self.finished.emit()


class FutureRelay(QObject):
    """Delivers the outcome of background Futures to callbacks on the GUI thread.

    One relay lives as long as its owner (a window, a client): the worker thread
    only emits a queued signal carrying the Future; the relay looks up the callbacks
    and calls them on its own (GUI) thread. No per-call Qt object is created or
    deleted — a per-call bridge that deletes itself crashed PySide6 when its callback
    emitted a signal that a nested event loop was waiting on. A Future that settles
    after the owner is gone is dropped quietly.
    """

    _settled = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._waiting: dict[
            int, tuple[Callable[[Any], None], Callable[[BaseException], None] | None]
        ] = {}
        self._settled.connect(self._deliver)

    def watch(
        self,
        future: Future[Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._waiting[id(future)] = (on_result, on_error)
        future.add_done_callback(self._emit)

    def _emit(self, future: Future[Any]) -> None:
        with contextlib.suppress(RuntimeError):  # the owner (and this relay) was deleted
            self._settled.emit(future)

    def _deliver(self, future: object) -> None:
        assert isinstance(future, Future)
        callbacks = self._waiting.pop(id(future), None)
        if callbacks is None:
            return
        on_result, on_error = callbacks
        exc = future.exception()
        if exc is not None:
            if on_error is not None:
                on_error(exc)
        else:
            on_result(future.result())


_RELAY_NAME = "_shijian_future_relay"


def watch_future(
    future: Future[Any],
    on_result: Callable[[Any], None],
    on_error: Callable[[BaseException], None] | None = None,
    *,
    parent: QObject,
) -> FutureRelay:
    """Call ``on_result(value)`` or ``on_error(exc)`` on the GUI thread when ``future`` settles.

    Uses (and creates once) the :class:`FutureRelay` child of ``parent``.
    """
    relay = parent.findChild(FutureRelay, _RELAY_NAME)
    if relay is None:
        relay = FutureRelay(parent)
        relay.setObjectName(_RELAY_NAME)
    relay.watch(future, on_result, on_error)
    return relay


def call_later(ms: int, fn: Callable[[], None], parent: QObject | None = None) -> QTimer:
    """A single-shot timer owned by ``parent`` (so it dies with it)."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.timeout.connect(fn)
    timer.start(ms)
    return timer


def run_in_daemon_thread(fn: Callable[..., T], *args: Any, name: str = "model-task") -> Future[T]:
    """Run ``fn(*args)`` on a new daemon thread; its outcome lands in the returned Future."""
    future: Future[T] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = fn(*args)
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future


class DaemonJob(QObject):
    """A window's one blocking call on a daemon thread, with progress and a cancel event.

    :meth:`start` calls ``fn(*args, report, cancel)``: ``report(value)`` comes back as
    ``progress(value)`` on the GUI thread (queued), ``cancel`` is :attr:`cancel`, which
    :meth:`stop` sets (the call stops and keeps what it has done), and the call's end
    reaches ``on_done`` / ``on_error`` through a :class:`FutureRelay`. Once the window
    (and so this job) is deleted, a report sets the cancel event instead.
    """

    progress = Signal(object)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.cancel = threading.Event()
        self.future: Future[Any] | None = None
        self._relay = FutureRelay(self)

    def start(
        self,
        fn: Callable[..., T],
        *args: Any,
        name: str,
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> Future[T]:
        self.cancel.clear()
        job, cancel = self, self.cancel

        def report(value: object) -> None:
            try:
                job.progress.emit(value)
            except RuntimeError:  # the window is gone: stop the call
                cancel.set()

        future = run_in_daemon_thread(fn, *args, report, cancel, name=name)
        self.future = future
        self._relay.watch(future, on_done, on_error)
        return future

    def stop(self) -> None:
        self.cancel.set()

    def wait_stopped(self, timeout: float) -> bool:
        """Block until the call has ended (True) or ``timeout`` seconds have passed."""
        future = self.future
        if future is None:
            return True
        try:
            future.exception(timeout=timeout)
        except TimeoutError:
            return False
        return True
