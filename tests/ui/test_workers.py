"""The thread helpers: generator → batched signals, Future → GUI-thread callbacks."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from app.ui.workers import FutureRelay, GeneratorWorker, watch_future


def test_generator_worker_batches_in_order(qtbot: QtBot) -> None:
    def numbers() -> Iterator[int]:
        for i in range(200):
            if i % 50 == 0:
                time.sleep(0.03)
            yield i

    worker = GeneratorWorker(numbers, batch_ms=10)
    batches: list[list[int]] = []
    worker.yielded_batch.connect(batches.append)
    with qtbot.waitSignal(worker.finished, timeout=10_000):
        worker.start()
    assert [x for b in batches for x in b] == list(range(200))
    assert 1 < len(batches) < 200
    assert worker.wait(1000)


def test_generator_worker_quit_closes_the_generator(qtbot: QtBot) -> None:
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            i = 0
            while True:
                i += 1
                time.sleep(0.001)
                yield i
        finally:
            closed.set()

    worker = GeneratorWorker(endless, batch_ms=5)
    with qtbot.waitSignal(worker.yielded_batch, timeout=5000):
        worker.start()
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.quit()
    assert closed.is_set() and worker.stopping


def test_generator_worker_reports_errors_then_finishes(qtbot: QtBot) -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("boom")

    worker = GeneratorWorker(failing, batch_ms=0)
    errors: list[BaseException] = []
    got: list[int] = []
    worker.errored.connect(errors.append)
    worker.yielded_batch.connect(got.extend)
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.start()
    assert got == [1]
    assert len(errors) == 1 and isinstance(errors[0], ValueError)


class _Dialog(QDialog):
    installed = Signal(object)

    def start(self) -> None:
        future: Future[int] = Future()

        def later() -> None:
            time.sleep(0.1)
            future.set_result(5)

        threading.Thread(target=later, daemon=True).start()
        watch_future(future, self._done, self._failed, parent=self)

    def _done(self, value: object) -> None:
        self.installed.emit(value)

    def _failed(self, exc: BaseException) -> None:
        raise AssertionError(exc)


def test_watch_future_callback_may_emit_an_awaited_signal(qtbot: QtBot) -> None:
    # A per-call bridge that deleted itself crashed here; the relay lives with the owner.
    dialog = _Dialog()
    qtbot.addWidget(dialog)
    for _ in range(5):
        with qtbot.waitSignal(dialog.installed, timeout=3000) as blocker:
            dialog.start()
        assert blocker.args == [5]
    assert len(dialog.findChildren(FutureRelay)) == 1


def test_results_arrive_on_the_gui_thread(qtbot: QtBot) -> None:
    owner = QObject()
    relay = FutureRelay(owner)
    seen: list[tuple[int, bool]] = []
    errors: list[BaseException] = []
    gui = QThread.currentThread()

    def square(x: int) -> int:
        return x * x

    def record(value: object) -> None:
        assert isinstance(value, int)
        seen.append((value, QThread.currentThread() is gui))

    with ThreadPoolExecutor(max_workers=2) as pool:
        for i in range(20):
            relay.watch(pool.submit(square, i), record)
        relay.watch(pool.submit(lambda: 1 / 0), record, errors.append)
    qtbot.waitUntil(lambda: len(seen) == 20 and len(errors) == 1, timeout=5000)
    assert sorted(v for v, _ in seen) == [i * i for i in range(20)]
    assert all(on_gui for _, on_gui in seen)
    assert isinstance(errors[0], ZeroDivisionError)
