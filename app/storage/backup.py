"""Rotating backups with SQLite's online backup API.

A backup is a single self-contained file (rollback-journal mode, no ``-wal``)
named ``library-<UTC stamp>[-<label>].sqlite3`` in ``AppPaths.backups``. It is
written to a temporary name, checked with ``PRAGMA integrity_check``, fsynced
and only then renamed into place, so a file with a final name is always a
sound database.

Routine backups (no label) are rotated by :class:`BackupPolicy`: the newest
``keep_last`` plus the newest of each of the ``keep_weekly`` most recent weeks
that have one. Labelled backups (taken before a schema upgrade or a restore)
are kept separately, the newest ``keep_labelled`` of them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
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
    """How many backups to keep, and whether to take one at start-up."""

    keep_last: int = 7
    keep_weekly: int = 8
    keep_labelled: int = 3
    on_startup: bool = True

    def __post_init__(self) -> None:
        if min(self.keep_last, self.keep_weekly, self.keep_labelled) < 0:
            raise ValueError("backup counts cannot be negative")
        if self.keep_last < 1:
            raise ValueError("keep_last must keep at least one backup")


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


def rotate_backups(folder: Path, policy: BackupPolicy) -> tuple[Path, ...]:
    """Delete the backups ``policy`` does not keep, and stale temporary files. Returns what went."""
    backups = list_backups(folder)
    routine = [b for b in backups if b.label is None]
    labelled = [b for b in backups if b.label is not None]
    keep = {b.path for b in routine[: policy.keep_last]}
    keep |= {b.path for b in labelled[: policy.keep_labelled]}
    weeks_seen: list[tuple[int, int]] = []
    for info in routine:  # newest first, so the first of each week is its newest
        iso = info.created_at.isocalendar()
        week = (iso.year, iso.week)
        if week in weeks_seen:
            continue
        weeks_seen.append(week)
        if len(weeks_seen) > policy.keep_weekly:
            break
        keep.add(info.path)
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


def newest_sound_backup(folder: Path) -> tuple[BackupInfo | None, tuple[BackupInfo, ...]]:
    """The newest backup that passes ``integrity_check``, and the newer ones that did not."""
    skipped: list[BackupInfo] = []
    for info in list_backups(folder):
        if not verify_database_file(info.path):
            return info, tuple(skipped)
        skipped.append(info)
    return None, tuple(skipped)
