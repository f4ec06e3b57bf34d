"""Rotating backups with SQLite's online backup API.

A backup is a single self-contained file (rollback-journal mode, no ``-wal``)
named ``library-<UTC stamp>[-<label>].sqlite3`` in ``AppPaths.backups``. It is
written to a temporary name, checked with ``PRAGMA integrity_check``, fsynced
and only then renamed into place, so a file with a final name is always a
sound database.

Routine backups (no label) are taken at start-up, while the library changes
(at most ``every_s`` after a change, :meth:`Library.backup_if_due`), on quit and on
demand. They are rotated by :class:`BackupPolicy`: the newest ``keep_last``, the
newest of each of the ``keep_daily`` most recent days and of each of the
``keep_weekly`` most recent weeks that have one. Labelled backups (taken before a
schema upgrade or a restore) are kept separately, the newest ``keep_labelled`` of
them.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.storage.errors import BackupError, from_os_error, from_sqlite
from app.storage.files import (
    fsync_dir,
    fsync_file,
    parse_stamp,
    remove_stale_temps,
    stamp,
    temp_name,
    temp_pattern,
)
from app.storage.sqlite_tools import connect_raw, has_sqlite_header, integrity_problems

_NAME = re.compile(r"^library-(?P<stamp>\d{8}T\d{12}Z)(?:-(?P<label>[a-z0-9-]+))?\.sqlite3$")
_PARTIAL_TAG = "partial"
_STALE_PARTIAL_S = 3600.0


@dataclass(frozen=True, kw_only=True)
class BackupPolicy:
    """How many backups to keep, and when to take them.

    ``every_s``: while the library changes, a routine backup is due once the last one
    is this old (so a damaged file costs at most about this much work); ``on_quit``:
    one more when the app closes if anything changed since.
    """

    keep_last: int = 7
    keep_daily: int = 7
    keep_weekly: int = 8
    keep_labelled: int = 3
    on_startup: bool = True
    on_quit: bool = True
    every_s: float = 300.0

    def __post_init__(self) -> None:
        if min(self.keep_last, self.keep_daily, self.keep_weekly, self.keep_labelled) < 0:
            raise ValueError("backup counts cannot be negative")
        if self.keep_last < 1:
            raise ValueError("keep_last must keep at least one backup")
        if self.every_s <= 0:
            raise ValueError("every_s must be positive")


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    created_at: datetime
    label: str | None  # None for routine backups


@dataclass(frozen=True, slots=True)
class BackupResult:
    backup: BackupInfo
    unchanged: bool  # nothing had changed since this (already existing) backup
    removed: tuple[Path, ...] = ()  # older backups rotated away


def backup_name(moment: datetime, label: str | None = None) -> str:
    if label is not None and not re.fullmatch(r"[a-z0-9-]+", label):
        raise ValueError(f"backup labels use a-z, 0-9 and '-': {label!r}")
    suffix = f"-{label}" if label else ""
    return f"library-{stamp(moment)}{suffix}.sqlite3"


def list_backups(folder: Path) -> list[BackupInfo]:
    """Every backup in ``folder``, newest first (judged by the stamp in the name)."""
    found: list[BackupInfo] = []
    if not folder.is_dir():
        return found
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match is None or not entry.is_file():
            continue
        moment = parse_stamp(match["stamp"])
        if moment is not None:
            found.append(BackupInfo(entry, moment, match["label"]))
    found.sort(key=lambda info: (info.created_at, info.path.name), reverse=True)
    return found


def verify_database_file(path: Path) -> list[str]:
    """Problems found in the database file at ``path``; empty when it is sound.

    Opens it read-only, so checking a backup never changes it.
    """
    try:
        if path.stat().st_size == 0:
            return ["empty file"]
        if not has_sqlite_header(path):
            return ["not an SQLite database (bad header)"]
        conn = connect_raw(path, read_only=True)
        try:
            return integrity_problems(conn)
        finally:
            conn.close()
    except (OSError, sqlite3.Error) as exc:
        return [f"{type(exc).__name__}: {exc}"]


def copy_database(source: Path, target: Path, *, timeout_s: float = 5.0) -> None:
    """Copy a live database into a new self-contained file ``target``, verified and durable.

    Uses the backup API (a consistent snapshot even while the source is in use),
    switches the copy to rollback-journal mode so it is one file, runs
    ``integrity_check`` on it, fsyncs it and renames it into place.
    """
    tmp = temp_name(target, _PARTIAL_TAG)
    try:
        src = connect_raw(source, timeout_s=timeout_s)
        try:
            dst = connect_raw(tmp, timeout_s=timeout_s)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode = DELETE")
                problems = integrity_problems(dst)
            finally:
                dst.close()
        finally:
            src.close()
        if problems:
            raise BackupError(detail=f"copy of {source} failed integrity_check: {problems[:3]}")
        fsync_file(tmp)
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException as exc:
        for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
            with contextlib.suppress(OSError):
                leftover.unlink()
        if isinstance(exc, sqlite3.Error):
            raise from_sqlite(exc) from exc
        if isinstance(exc, OSError):
            raise from_os_error(exc, target) from exc
        raise


def _digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


def make_backup(
    database: Path,
    folder: Path,
    *,
    now: datetime,
    label: str | None = None,
    timeout_s: float = 5.0,
) -> BackupResult:
    """Back ``database`` up into ``folder``.

    A routine backup identical to the newest routine backup is not kept twice:
    the result then names the existing file with ``unchanged=True``.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise from_os_error(exc, folder) from exc
    target = folder / backup_name(now, label)
    previous = next((b for b in list_backups(folder) if b.label is None), None)
    copy_database(database, target, timeout_s=timeout_s)
    made = BackupInfo(target, now, label)
    if label is None and previous is not None and previous.path != target:
        try:
            if _digest(previous.path) == _digest(target):
                target.unlink()
                return BackupResult(previous, unchanged=True)
        except OSError:
            pass
    return BackupResult(made, unchanged=False)


def _newest_per_period(
    routine: list[BackupInfo], periods: int, period_of: Callable[[BackupInfo], object]
) -> set[Path]:
    """The newest backup of each of the ``periods`` most recent periods that have one
    (``routine`` is newest first, so the first of each period is its newest)."""
    seen: list[object] = []
    kept: set[Path] = set()
    for info in routine:
        period = period_of(info)
        if period in seen:
            continue
        seen.append(period)
        if len(seen) > periods:
            break
        kept.add(info.path)
    return kept


def rotate_backups(folder: Path, policy: BackupPolicy) -> tuple[Path, ...]:
    """Delete the backups ``policy`` does not keep, and stale temporary files. Returns what went."""
    backups = list_backups(folder)
    routine = [b for b in backups if b.label is None]
    labelled = [b for b in backups if b.label is not None]
    keep = {b.path for b in routine[: policy.keep_last]}
    keep |= {b.path for b in labelled[: policy.keep_labelled]}
    keep |= _newest_per_period(routine, policy.keep_daily, lambda b: b.created_at.date())
    keep |= _newest_per_period(
        routine, policy.keep_weekly, lambda b: tuple(b.created_at.isocalendar())[:2]
    )
    removed: list[Path] = []
    for info in backups:
        if info.path not in keep:
            with contextlib.suppress(FileNotFoundError):
                info.path.unlink()
                removed.append(info.path)
    stale = temp_pattern("library-*.sqlite3", _PARTIAL_TAG)  # "*" covers a -journal too
    removed.extend(remove_stale_temps(folder, stale, older_than_s=_STALE_PARTIAL_S))
    if removed:
        fsync_dir(folder)
    return tuple(removed)


def remove_stale_copies(database: Path, backups: Path) -> tuple[Path, ...]:
    """Delete the half-written copies that killed start-ups and backups leave behind:
    backup copies in ``backups``, a restored or newly built library beside ``database``.
    A copy whose writer has ended goes at once (see
    :func:`~app.storage.files.remove_stale_temps`), however young; another's after an hour.
    """
    name = glob.escape(database.name)
    removed = [
        *remove_stale_temps(
            backups,
            temp_pattern("library-*.sqlite3", _PARTIAL_TAG),
            older_than_s=_STALE_PARTIAL_S,
        ),
        *remove_stale_temps(
            database.parent, temp_pattern(name, _PARTIAL_TAG), older_than_s=_STALE_PARTIAL_S
        ),
        *remove_stale_temps(
            database.parent, temp_pattern(name, "new"), older_than_s=_STALE_PARTIAL_S
        ),
    ]
    for folder in {path.parent for path in removed}:
        fsync_dir(folder)
    return tuple(removed)


def database_signature(database: Path) -> tuple[tuple[int, int] | None, ...]:
    """What changes whenever anything is committed to ``database``: the modification time
    and size of the file and of its write-ahead log (reads change neither)."""
    found: list[tuple[int, int] | None] = []
    for path in (database, database.with_name(database.name + "-wal")):
        try:
            stat = path.stat()
        except OSError:
            found.append(None)
        else:
            found.append((stat.st_mtime_ns, stat.st_size))
    return tuple(found)


class BackupSchedule:
    """When the next routine backup is due (see :class:`BackupPolicy`).

    ``last_at``: when the newest routine backup was taken (None: never); ``current``:
    whether the database is known to be unchanged since then (a start-up backup was
    just taken). Changes are told apart by :func:`database_signature`.
    """

    def __init__(
        self, policy: BackupPolicy, database: Path, *, last_at: datetime | None, current: bool
    ) -> None:
        self.policy = policy
        self.database = database
        self.last_at = last_at
        self._signature = database_signature(database) if current else None

    def changed(self) -> bool:
        """Whether anything was committed since the last routine backup."""
        return self._signature is None or database_signature(self.database) != self._signature

    def due(self, now: datetime, every_s: float | None = None) -> bool:
        """Changed, and the last routine backup is ``every_s`` old (or there is none)."""
        if not self.changed():
            return False
        every = self.policy.every_s if every_s is None else every_s
        return self.last_at is None or (now - self.last_at).total_seconds() >= every

    def about_to_copy(self) -> tuple[tuple[int, int] | None, ...]:
        """The signature to record if the copy about to be made succeeds."""
        return database_signature(self.database)

    def taken(self, at: datetime, signature: tuple[tuple[int, int] | None, ...]) -> None:
        self.last_at = at
        self._signature = signature


def newest_sound_backup(folder: Path) -> tuple[BackupInfo | None, tuple[BackupInfo, ...]]:
    """The newest backup that passes ``integrity_check``, and the newer ones that did not."""
    skipped: list[BackupInfo] = []
    for info in list_backups(folder):
        if not verify_database_file(info.path):
            return info, tuple(skipped)
        skipped.append(info)
    return None, tuple(skipped)
