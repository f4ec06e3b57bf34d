"""Work around a reference-count bug of PySide6 6.12 on CPython 3.11.

PySide6 6.12.0 returns ``True`` from ``SignalInstance.emit()`` and
``SignalInstance.disconnect()`` without taking a reference to it, and drops a
reference to ``None`` on some disconnections. On CPython 3.11 these singletons
are ordinary objects, so every emit lowers ``True``'s reference count by one;
after a few hundred emits the interpreter aborts with
``Fatal Python error: bool_dealloc: deallocating True or False`` (or
``none_dealloc``) — the whole app dies at a random moment. (Measured: 20 emits
lower ``sys.getrefcount(True)`` by exactly 20; a C++-side emission, such as a
``QTimer`` tick, does not.)

CPython 3.12 made these singletons immortal, which makes the bug harmless. This
module does the same by hand on older CPythons: it adds 2**40 to the reference
counts of ``None``, ``True`` and ``False`` once per process, so no realistic
number of lost references can reach zero. Reference counts of these objects
carry no meaning for the program; nothing else changes. It is applied on import
(``app/ui/__init__.py`` imports it, so every Qt user in the app is covered).
"""

from __future__ import annotations

import sys

PIN = 1 << 40


def pin_singletons() -> bool:
    """Make None/True/False effectively immortal; False when not needed or not possible."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    if sys.maxsize <= 2**32:
        return False  # a 32-bit build: the counter is too narrow to pin this way
    import ctypes

    for obj in (None, True, False):
        count = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field
        if count.value < PIN:  # once per process, however often this is called
            count.value += PIN
    return True


PINNED = pin_singletons()
