"""Python's cyclic garbage collector, run on the GUI thread only.

CPython collects reference cycles on whichever thread happens to allocate when a
generation fills up: the library's database worker, a ``GeneratorWorker`` thread, the
engine client's reader. When such a cycle holds a Qt widget (a lambda connected to a
signal that captures its own dialog is enough), the widget is destroyed on that thread
while the GUI thread is painting — Qt widgets may only be touched from the GUI thread,
and the process dies with a segmentation fault at a random later moment. The cure, as
in calibre and pyqtgraph: switch the automatic collector off and collect, generation by
generation, when it is due — from a timer on the GUI thread.

:func:`collect_due` is the decision (the same thresholds CPython uses);
:class:`MainThreadCollector` runs it on the GUI thread's event loop.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 1000


def collect_due() -> int | None:
    """Collect the oldest generation whose allocation count passed its threshold.

    Returns the generation collected, or None when none was due. Call it on the GUI
    thread only.
    """
    thresholds = gc.get_threshold()
    counts = gc.get_count()
    generation: int | None = None
    for gen in range(3):
        if thresholds[gen] > 0 and counts[gen] > thresholds[gen]:
            generation = gen
        else:
            break
    if generation is not None:
        gc.collect(generation)
    return generation


class MainThreadCollector(QObject):
    """Turns automatic collection off and collects from a GUI-thread timer instead.

    Create it on the GUI thread (normally as a child of the application); ``stop()``
    turns the automatic collector back on.
    """

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(collect_due)
        self._timer.start(interval_ms)

    def stop(self) -> None:
        """Stop the timer, collect everything once here, and give collection back to Python."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()


def install(parent: QObject) -> MainThreadCollector:
    """Install the collector on ``parent`` (the ``QApplication``); at most one per parent."""
    existing = parent.findChild(MainThreadCollector)
    if isinstance(existing, MainThreadCollector):
        return existing
    return MainThreadCollector(parent)


__all__ = ["INTERVAL_MS", "MainThreadCollector", "collect_due", "install"]
