"""How storage tests open libraries: a stepping clock, folders inside the test's own, and
another program holding the library's lock."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from typing import Any

from app.storage.db import LibraryOptions
from tests.support.storage_clock import StepClock


def library_options(tmp_path: Path, **changes: Any) -> LibraryOptions:
    """Options whose draft spool stays under ``tmp_path``, with a fresh :class:`StepClock`."""
    base = LibraryOptions(clock=StepClock(), spool_folders=(tmp_path / "spool",))
    return dataclasses.replace(base, **changes)


def hold_lock(database: Path, *, write: bool = True) -> sqlite3.Connection:
    """Another program's connection that keeps ``database`` locked until it is closed
    (SQLite's exclusive locking mode keeps the lock after the transaction commits; with
    ``write``, that transaction writes a row of ``meta``, as a program at work would)."""
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    if write:
        holder.execute("INSERT INTO meta VALUES ('held', 'yes')")
    holder.execute("COMMIT")
    return holder
