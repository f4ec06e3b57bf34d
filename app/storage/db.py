"""Opening the library: engine and PRAGMAs, diagnosis, recovery, migrations, backups.

:func:`open_library` is the one entry point. It always returns a usable
library unless the problem is one the user must solve (a database from a newer
version, a locked or read-only file): a damaged file is set aside and the newest
sound backup restored, and the :class:`OpenReport` says what happened in
Chinese and English.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event

from app import __version__
from app.paths import AppPaths
from app.storage.backup import (
    BackupPolicy,
    BackupResult,
    make_backup,
    remove_stale_copies,
    rotate_backups,
)
from app.storage.errors import StorageError, from_os_error, from_sqlite
from app.storage.files import (
    fsync_dir,
    fsync_file,
    move_database_aside,
    removing_on_error,
    sqlite_companions,
    stamp,
    temp_name,
    utc_now,
)
from app.storage.messages import Message
from app.storage.migrations import MIGRATIONS, Migration, MigrationResult, migrate
from app.storage.recovery import RecoveryReport, diagnose, missing_with_backups, recover
from app.storage.repository import Library
from app.storage.spool import DraftSpool, spool_folders_for
from app.storage.sqlite_tools import APPLICATION_ID, application_id, connect_raw, user_version

_BEGIN_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})


@dataclass(frozen=True, kw_only=True)
class LibraryOptions:
    """How to open the library. The defaults are what the app uses."""

    busy_timeout_ms: int = 5000
    backup_policy: BackupPolicy = field(default_factory=BackupPolicy)
    max_page_count: int | None = None  # cap the file's size in pages (SQLite reports "full")
    clock: Callable[[], datetime] = utc_now
    spool_folders: tuple[Path, ...] | None = None  # None: data, cache, then the temp folder
    migrations: tuple[Migration, ...] = MIGRATIONS
    app_version: str = __version__
    # Every form of a character in either script (长 → "长長"), so that a search finds
    # both: 長江 finds 长江 and 汉阳 finds 漢陽. The app passes the rhyme book's
    # ``script_forms``; None searches the text exactly as typed.
    script_forms: Callable[[str], str] | None = None


@dataclass(frozen=True, kw_only=True)
class OpenReport:
    """What :func:`open_library` found and did, for the UI to show."""

    database: Path
    schema_version: int
    created: bool  # a new empty library was made
    migration: MigrationResult | None  # None when the file was already current
    migration_backup: Path | None  # the copy taken before migrating
    recovery: RecoveryReport | None  # the file was damaged or missing and was replaced
    backup: BackupResult | None  # the start-up backup
    warnings: tuple[Message, ...] = ()
    cleaned: tuple[Path, ...] = ()  # half-written copies left by killed start-ups, removed

    @property
    def needs_attention(self) -> bool:
        """True when the user should be told (a recovery, or a warning)."""
        return self.recovery is not None or bool(self.warnings)

    def messages(self, lang: str = "zh") -> list[str]:
        """Everything worth telling the user, in ``lang``."""
        found: list[Message] = []
        if self.recovery is not None:
            found.append(self.recovery.message)
        if self.migration is not None and self.migration.changed:
            kept_zh = f"升级前的备份：{self.migration_backup}。" if self.migration_backup else ""
            kept_en = (
                f" A backup from before: {self.migration_backup}." if self.migration_backup else ""
            )
            found.append(
                Message(
                    f"诗库结构已从版本 {self.migration.from_version} 升级到 "
                    f"{self.migration.to_version}。{kept_zh}",
                    f"The library's structure was upgraded from version "
                    f"{self.migration.from_version} to {self.migration.to_version}.{kept_en}",
                )
            )
        found.extend(self.warnings)
        return [message.text(lang) for message in found]


def library_spool_folders(paths: AppPaths, options: LibraryOptions) -> tuple[Path, ...]:
    """Where drafts go when the database cannot take them (see :mod:`app.storage.spool`)."""
    return options.spool_folders or spool_folders_for(
        paths.data, paths.cache, paths.database, Path(tempfile.gettempdir())
    )


def make_engine(
    database: Path, *, busy_timeout_ms: int = 5000, max_page_count: int | None = None
) -> Engine:
    """An engine whose connections use WAL, ``synchronous=FULL``, foreign keys, a busy timeout.

    Transactions are begun by SQLAlchemy (``BEGIN``, or ``BEGIN IMMEDIATE`` for
    connections with the ``sqlite_begin="IMMEDIATE"`` execution option), with
    the driver's own transaction handling switched off: SQLAlchemy's documented
    recipe for Python < 3.12, where ``Connection.autocommit`` does not exist.
    """
    url = URL.create("sqlite", database=str(database))
    engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
            if max_page_count is not None:
                cursor.execute(f"PRAGMA max_page_count = {int(max_page_count)}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = str(conn.get_execution_options().get("sqlite_begin", "DEFERRED")).upper()
        if mode not in _BEGIN_MODES:
            raise ValueError(f"unknown sqlite_begin mode {mode!r}")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _create_database(
    database: Path, migrations: tuple[Migration, ...], app_version: str, now: datetime
) -> None:
    """Build a new library beside ``database``, then rename it into place.

    So there is never a half-made library file, even after a crash mid-way.
    """
    if any(companion.exists() for companion in sqlite_companions(database)):
        move_database_aside(database, f"orphaned-{stamp(now)}")  # never apply a stray log
    tmp = temp_name(database, "new")
    with removing_on_error(tmp):
        conn = connect_raw(tmp)
        try:
            migrate(conn, migrations, app_version=app_version)
        finally:
            conn.close()
        fsync_file(tmp)
        os.replace(tmp, database)
    fsync_dir(database.parent)


def _migrate_existing(
    database: Path,
    backups: Path,
    options: LibraryOptions,
    now: datetime,
) -> tuple[MigrationResult | None, Path | None, int]:
    latest = options.migrations[-1].version
    conn = connect_raw(database, timeout_s=options.busy_timeout_ms / 1000)
    try:
        version = user_version(conn)
        if version == latest:
            if application_id(conn) != APPLICATION_ID:  # a library from before the mark
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            return None, None, version
        backup_path = None
        if version < latest:
            backup_path = make_backup(
                database,
                backups,
                now=now,
                label=f"before-v{latest}-from-v{version}",
                timeout_s=options.busy_timeout_ms / 1000,
            ).backup.path
        result = migrate(conn, options.migrations, app_version=options.app_version)
        return result, backup_path, result.to_version
    finally:
        conn.close()


def open_library(
    paths: AppPaths, options: LibraryOptions | None = None
) -> tuple[Library, OpenReport]:
    """Open (creating, repairing or upgrading as needed) the library under ``paths``.

    Raises :class:`~app.storage.errors.NewerSchemaError` for a database from a
    newer version (left untouched), and other typed
    :class:`~app.storage.errors.StorageError`\\ s for faults the user must fix
    (a locked database, a read-only folder).
    """
    options = options or LibraryOptions()
    now = options.clock()
    database = paths.database
    timeout_s = options.busy_timeout_ms / 1000
    latest = options.migrations[-1].version
    try:
        database.parent.mkdir(parents=True, exist_ok=True)  # backups: made when first needed
        cleaned = remove_stale_copies(database, paths.backups)  # left by killed start-ups
        damage = diagnose(database, latest, timeout_s=timeout_s) or missing_with_backups(
            database, paths.backups
        )
        recovery = None
        if damage is not None:
            recovery = recover(database, paths.backups, damage, now=now, timeout_s=timeout_s)
        created = not database.exists()
        migration: MigrationResult | None = None
        migration_backup = None
        if created:
            _create_database(database, options.migrations, options.app_version, now)
            version = latest
        else:
            migration, migration_backup, version = _migrate_existing(
                database, paths.backups, options, now
            )
    except sqlite3.Error as exc:
        raise from_sqlite(exc) from exc
    except OSError as exc:
        raise from_os_error(exc, database) from exc

    warnings: list[Message] = []
    backup = None
    if options.backup_policy.on_startup and not created:
        try:
            backup = make_backup(database, paths.backups, now=now, timeout_s=timeout_s)
            removed = rotate_backups(paths.backups, options.backup_policy)
            backup = BackupResult(backup.backup, backup.unchanged, removed)
        except StorageError as exc:
            warnings.append(
                Message(
                    f"启动时的自动备份没有成功：{exc.message.zh}",
                    f"The automatic start-up backup did not succeed: {exc.message.en}",
                )
            )
    library = Library(
        make_engine(
            database,
            busy_timeout_ms=options.busy_timeout_ms,
            max_page_count=options.max_page_count,
        ),
        database=database,
        backups=paths.backups,
        spool=DraftSpool(library_spool_folders(paths, options)),
        clock=options.clock,
        backup_policy=options.backup_policy,
        schema_version=version,
        busy_timeout_s=timeout_s,
        backed_up=backup is not None or created,  # nothing to back up yet that is not
        script_forms=options.script_forms,
    )
    report = OpenReport(
        database=database,
        schema_version=version,
        created=created,
        migration=migration,
        migration_backup=migration_backup,
        recovery=recovery,
        backup=backup,
        warnings=tuple(warnings),
        cleaned=cleaned,
    )
    return library, report
