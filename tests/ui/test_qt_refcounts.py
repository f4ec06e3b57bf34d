"""Guard against a PySide6 regression: 6.12.0 dropped a reference to True on every
Python-side Signal.emit(), which aborts CPython 3.11 after a few hundred emits
(pyproject.toml excludes it). Emitting must leave the singletons' counts alone."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(int)


def test_emit_does_not_leak_singleton_references(qapp: object) -> None:
    emitter = _Emitter()
    seen: list[int] = []
    emitter.fired.connect(seen.append)
    for i in range(10):  # warm up
        emitter.fired.emit(i)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for i in range(500):
        emitter.fired.emit(i)
    after = sys.getrefcount(True), sys.getrefcount(False)
    assert len(seen) == 510
    assert after == before
