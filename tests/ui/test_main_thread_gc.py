"""Reference cycles holding widgets are collected on the GUI thread only (the collector the
app installs), even while worker threads allocate; a worker thread that allocates cycles
beside a busy GUI no longer crashes the process."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import threading
import weakref
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.ui.main_thread_gc import MainThreadCollector, collect_due, install

ROOT = Path(__file__).resolve().parents[2]


class _Holder:
    widget: QWidget | None = None


def test_collect_due_follows_the_thresholds() -> None:
    gc.collect()
    assert collect_due() is None  # nothing allocated since
    old = gc.get_threshold()
    try:
        gc.set_threshold(5, 10, 10)
        junk: list[list[object]] = [[] for _ in range(50)]
        assert gc.get_count()[0] > 5
        assert collect_due() == 0
        assert gc.get_count()[0] <= 5
        del junk
    finally:
        gc.set_threshold(*old)


def test_a_widget_cycle_dies_on_the_gui_thread_not_on_a_busy_worker(qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert app is not None
    collector = MainThreadCollector(app, interval_ms=20)
    died_on: list[str] = []
    try:
        assert not gc.isenabled()
        holder = _Holder()
        widget = QWidget()
        holder.widget = widget
        widget.holder = holder  # type: ignore[attr-defined]  # the cycle
        widget.destroyed.connect(lambda: died_on.append(threading.current_thread().name))
        alive = weakref.ref(holder)
        del holder, widget

        def churn() -> None:  # a worker allocating cycles: it must never collect them
            for _ in range(200):
                junk: list[list[object]] = [[i] for i in range(500)]
                for item in junk:
                    item.append(item)
            assert alive() is not None

        worker = threading.Thread(target=churn, name="worker")
        worker.start()
        worker.join()
        assert alive() is not None and not died_on
        qtbot.waitUntil(lambda: alive() is None, timeout=5000)
        assert died_on == [threading.main_thread().name]
    finally:
        collector.stop()
        collector.deleteLater()
    assert gc.isenabled() is False  # the widget tests' own setting is given back
    assert install(app) is install(app)  # one per parent


def test_a_worker_allocating_cycles_beside_a_busy_gui_does_not_crash(tmp_path: Path) -> None:
    # Without the collector this program dies (SIGSEGV) within seconds on most runs: the
    # worker's collections reach Qt's wrappers while the GUI thread builds widgets.
    script = tmp_path / "busy.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys, threading, time
            from PySide6.QtWidgets import QApplication, QPlainTextEdit, QWidget
            from app.ui.main_thread_gc import install

            app = QApplication([])
            install(app)
            stop = threading.Event()

            def churn():
                while not stop.is_set():
                    junk = [[i] for i in range(1000)]
                    for item in junk:
                        item.append(item)

            class Holder:
                pass

            worker = threading.Thread(target=churn)
            worker.start()
            end = time.monotonic() + float(sys.argv[1])
            while time.monotonic() < end:
                for _ in range(20):
                    w = QWidget()
                    QPlainTextEdit("x" * 100, w)
                    w.show()
                    h = Holder()
                    h.w, w.h = w, h
                    del h, w
                app.processEvents()
            stop.set()
            worker.join()
            print("survived")
            """
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(script), "4"],
        capture_output=True,
        check=False,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "survived"
