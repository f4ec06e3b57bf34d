"""Start-up diagnosis of the library file, and recovery from a damaged one.

Only positive evidence of damage sets a file aside: a zero-length file, a wrong
header, SQLite reporting the file as corrupt or not a database, or a failing
``PRAGMA integrity_check``. A locked database, a read-only folder or an I/O
error raise their typed error instead — moving a healthy file aside because
another program held a lock would be worse than not starting. A database from a
newer app version is refused untouched (:class:`NewerSchemaError`).

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
    connect_raw,
    has_sqlite_header,
    integrity_problems,
    user_version,
)


@dataclass(frozen=True, slots=True)
class Damage:
    """What is wrong with a library file."""

    message: Message
    detail: str


@dataclass(frozen=True, slots=True)
class RecoveryReport:
    damage: Damage
    moved_to: tuple[Path, ...]  # the damaged file and its companions, renamed
    restored_from: BackupInfo | None  # None: no sound backup, a new empty library
    skipped_backups: tuple[BackupInfo, ...]  # newer backups that failed their check

    @property
    def message(self) -> Message:
        where = self.moved_to[0] if self.moved_to else None
        moved_zh = f"损坏的文件已移到 {where}。" if where else ""
        moved_en = f"The damaged file was moved to {where}." if where else ""
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
        moved = move_database_aside(database, f"damaged-{stamp(now)}")
    except OSError as exc:
        raise from_os_error(exc, database) from exc
    restored, skipped = newest_sound_backup(backups)
    if restored is not None:
        copy_database(restored.path, database, timeout_s=timeout_s)
    return RecoveryReport(damage, moved, restored, skipped)
