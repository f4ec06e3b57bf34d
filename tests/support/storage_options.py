"""How storage tests open libraries: a stepping clock, folders inside the test's own,
libraries an older version wrote, and another program holding the library's lock."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from typing import Any

from app.paths import AppPaths
from app.storage.backup import list_backups
from app.storage.db import LibraryOptions, open_library
from app.storage.migrations import LATEST_VERSION, MIGRATIONS, migrate
from app.storage.repository import Library
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


def write_old_library(path: Path, version: int, *rows: tuple[str, tuple[object, ...]]) -> None:
    """A library file as schema ``version`` left it (the first ``version`` migrations), with
    the rows each ``(sql, parameters)`` of ``rows`` inserts."""
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, MIGRATIONS[:version])
    for sql, parameters in rows:
        conn.execute(sql, parameters)
    conn.close()


def open_migrated(paths: AppPaths, tmp_path: Path, from_version: int) -> tuple[Library, str]:
    """Open the library at ``paths``, written by schema ``from_version``: it is migrated to
    the latest version, a labelled copy of the old file taken first. The library and the
    first step's description."""
    library, report = open_library(paths, library_options(tmp_path))
    assert report.migration is not None
    assert (report.migration.from_version, report.migration.to_version) == (
        from_version,
        LATEST_VERSION,
    )
    [before] = [b for b in list_backups(paths.backups) if b.label]
    assert before.label == f"before-v{LATEST_VERSION}-from-v{from_version}"
    return library, report.migration.applied[0]
