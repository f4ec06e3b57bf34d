"""Start-up diagnosis of the library file, and recovery from a damaged one.

Only positive evidence sets a file aside: a zero-length file, a wrong or impossible
header (a schema format, page size or file format version SQLite never writes),
SQLite reporting the file as corrupt or not a database, a failing ``PRAGMA
integrity_check`` — or a sound SQLite database that is not a 诗笺 library (another
program's, or an empty one: not marked with the library's ``application_id`` and not
a library from before the mark), which is moved aside untouched as
``library.sqlite3.foreign-<stamp>`` and never written to. A locked database, a
read-only folder or an I/O error raise their typed error instead — moving a healthy
file aside because another program held a lock would be worse than not starting. A
database from a newer app version is refused untouched (:class:`NewerSchemaError`).

Recovery renames the damaged file and its ``-wal``/``-shm``/``-journal`` to
``library.sqlite3.damaged-<UTC stamp>[-wal|-shm|-journal]`` (kept, never
deleted), restores the newest backup that passes ``integrity_check`` (or leaves
no file, so a new empty library is created) and reports what it did.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.storage.backup import BackupInfo, copy_database, list_backups, newest_sound_backup
from app.storage.errors import DatabaseCorruptError, from_os_error, from_sqlite, sqlite_error_class
from app.storage.files import move_database_aside, stamp
from app.storage.messages import Message
from app.storage.migrations import newer_schema_error
from app.storage.sqlite_tools import (
    APPLICATION_ID,
    LIBRARY_TABLES,
    application_id,
    connect_raw,
    has_sqlite_header,
    header_problems,
    integrity_problems,
    table_names,
    user_version,
)


@dataclass(frozen=True, slots=True)
class Damage:
    """Why the file in the library's place cannot be opened as the library."""

    message: Message
    detail: str
    label: str = "damaged"  # the name it is set aside under: library.sqlite3.<label>-<stamp>


@dataclass(frozen=True, slots=True)
class RecoveryReport:
    damage: Damage
    moved_to: tuple[Path, ...]  # the damaged file and its companions, renamed
    restored_from: BackupInfo | None  # None: no sound backup, a new empty library
    skipped_backups: tuple[BackupInfo, ...]  # newer backups that failed their check

    @property
    def message(self) -> Message:
        where = self.moved_to[0] if self.moved_to else None
        moved_zh = f"原文件已原样移到 {where}。" if where else ""
        moved_en = f"The file was moved, untouched, to {where}." if where else ""
        skipped_zh = (
            f"有 {len(self.skipped_backups)} 个较新的备份也已损坏，已跳过。"
            if self.skipped_backups
            else ""
        )
        skipped_en = (
            f" {len(self.skipped_backups)} newer backup(s) were damaged too and were skipped."
            if self.skipped_backups
            else ""
        )
        if self.restored_from is not None:
            when = self.restored_from.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")
            done_zh = (
                f"已从 {when} 的备份（{self.restored_from.path}）恢复；"
                "此后的改动可能留在被移走的文件里。"
            )
            done_en = (
                f" The library was restored from the backup of {when} "
                f"({self.restored_from.path}); changes made after it may be in the moved file."
            )
        else:
            done_zh = "没有可用的备份，已新建一个空诗库。"
            done_en = " No sound backup was found, so a new empty library was started."
        return Message(
            f"{self.damage.message.zh}{moved_zh}{skipped_zh}{done_zh}",
            f"{self.damage.message.en} {moved_en}{skipped_en}{done_en}",
        )


_MISSING = Message(
    "诗库文件不见了，但备份文件夹里有备份。",
    "The library file is missing, but the backups folder has backups.",
)
_EMPTY = Message("诗库文件是空的（长度为零）。", "The library file is empty (zero bytes long).")
_NOT_SQLITE = Message("诗库文件不是 SQLite 数据库。", "The library file is not an SQLite database.")
_CORRUPT = Message("诗库文件已损坏。", "The library file is damaged.")
_INTEGRITY = Message("诗库文件未通过完整性检查。", "The library file failed its integrity check.")
_HEADER = Message("诗库文件的文件头已损坏。", "The library file's header is damaged.")
_FOREIGN = Message(
    "诗库的位置上不是诗笺的诗库，而是别的程序的数据库。",
    "The file in the library's place is not a 诗笺 library but another program's database.",
)
_EMPTY_DB = Message(
    "诗库的位置上是一个空的 SQLite 数据库，不是诗笺的诗库。",
    "The file in the library's place is an empty SQLite database, not a 诗笺 library.",
)


def _identify(conn: sqlite3.Connection, app_id: int, version: int) -> Damage | None:
    """``None`` when the database is a 诗笺 library — marked with its application id, or
    from before the mark (versioned, with the library's tables); else why it is not."""
    if app_id == APPLICATION_ID:
        return None
    tables = table_names(conn)
    listed = ", ".join(sorted(tables)[:8]) or "none"
    if app_id != 0:
        return Damage(_FOREIGN, f"application_id {app_id:#010x}; tables: {listed}", "foreign")
    if version >= 1 and tables >= LIBRARY_TABLES:
        return None
    if not tables:
        return Damage(_EMPTY_DB, f"user_version {version}, no tables", "foreign")
    return Damage(_FOREIGN, f"user_version {version}; tables: {listed}", "foreign")


def diagnose(database: Path, supported_version: int, *, timeout_s: float = 5.0) -> Damage | None:
    """``None`` when ``database`` is absent or sound; a :class:`Damage` when it is damaged.

    Raises :class:`NewerSchemaError` for a newer database and a typed
    :class:`StorageError` for faults that are not damage (locks, permissions, I/O).
    """
    try:
        if not database.exists():
            return None
        if database.stat().st_size == 0:
            return Damage(_EMPTY, "zero-length file")
        if not has_sqlite_header(database):
            return Damage(_NOT_SQLITE, "the file does not start with the SQLite header")
        problems = header_problems(database)
        if problems:
            return Damage(_HEADER, "impossible header fields: " + "; ".join(problems))
    except OSError as exc:
        raise from_os_error(exc, database) from exc
    # With a write-ahead log present, look read-only: a read-write connection would
    # checkpoint the log into the file on closing, rewriting the evidence before
    # it is set aside. Without one, read-write, so a hot rollback journal is rolled back.
    read_only = database.with_name(database.name + "-wal").exists()
    try:
        conn = connect_raw(database, timeout_s=timeout_s, read_only=read_only)
    except sqlite3.Error as exc:
        return _damage_or_raise(exc)
    try:
        version = user_version(conn)
        not_ours = _identify(conn, application_id(conn), version)
        if not_ours is not None:
            return not_ours
        if version > supported_version:
            raise newer_schema_error(conn, version, supported_version)
        problems = integrity_problems(conn)
        if problems:
            return Damage(_INTEGRITY, "; ".join(problems[:5]))
        return None
    except sqlite3.Error as exc:
        return _damage_or_raise(exc)
    finally:
        conn.close()


def _damage_or_raise(exc: sqlite3.Error) -> Damage:
    if sqlite_error_class(exc) is DatabaseCorruptError:
        return Damage(_CORRUPT, f"{type(exc).__name__}: {exc}")
    raise from_sqlite(exc) from exc


def missing_with_backups(database: Path, backups: Path) -> Damage | None:
    """A :class:`Damage` when ``database`` is gone although backups of it exist.

    That is how a crash between setting a damaged file aside and restoring a
    backup looks, or a library deleted by mistake: restoring is the safe
    answer, and starting empty without a word would look like data loss.
    """
    if database.exists() or not list_backups(backups):
        return None
    return Damage(_MISSING, f"{database} does not exist")


def recover(
    database: Path, backups: Path, damage: Damage, *, now: datetime, timeout_s: float = 5.0
) -> RecoveryReport:
    """Set the damaged ``database`` aside and put the newest sound backup in its place."""
    try:
        moved = move_database_aside(database, f"{damage.label}-{stamp(now)}")
    except OSError as exc:
        raise from_os_error(exc, database) from exc
    restored, skipped = newest_sound_backup(backups)
    if restored is not None:
        copy_database(restored.path, database, timeout_s=timeout_s)
    return RecoveryReport(damage, moved, restored, skipped)
