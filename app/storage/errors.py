"""Typed storage errors, each with a Chinese and English message.

Callers catch :class:`StorageError` (or a subclass) and show ``error.message``.
SQLite and file-system failures are translated here, in one place, from their
error codes, so "the disk is full" reads the same whether SQLite or a plain
file write ran into it.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from app.storage.messages import Message

if TYPE_CHECKING:  # SQLAlchemy is imported when the library opens, not with this module
    from sqlalchemy.exc import SQLAlchemyError

_INTACT_ZH = "之前保存的内容完好无损。"
_INTACT_EN = "Everything saved before is intact."


class StorageError(Exception):
    """Base class: something the library could not do, with a message for the user."""

    default_message = Message("存储出错。", "A storage error occurred.")

    def __init__(self, message: Message | None = None, *, detail: str = "") -> None:
        self.message = message if message is not None else self.default_message
        self.detail = detail
        text = str(self.message)
        super().__init__(f"{text} [{detail}]" if detail else text)


class DiskFullError(StorageError):
    default_message = Message(
        f"磁盘已满，这次的改动没有写入。{_INTACT_ZH}请腾出空间后再试。",
        f"The disk is full, so nothing was written. {_INTACT_EN} Free some space and try again.",
    )


class ReadOnlyError(StorageError):
    default_message = Message(
        f"数据文件夹或数据库是只读的，无法写入。{_INTACT_ZH}",
        f"The data folder or database is read-only, so nothing can be written. {_INTACT_EN}",
    )


class DatabaseLockedError(StorageError):
    default_message = Message(
        f"诗库正被另一个程序占用（数据库已锁定），这次的改动没有写入。{_INTACT_ZH}稍后再试。",
        "The library is in use by another program (the database is locked), "
        f"so nothing was written. {_INTACT_EN} Try again shortly.",
    )


class StorageIOError(StorageError):
    default_message = Message(
        f"读写磁盘时出错，这次的改动没有写入。{_INTACT_ZH}",
        f"A disk read/write error occurred, so nothing was written. {_INTACT_EN}",
    )


class DatabaseCorruptError(StorageError):
    default_message = Message(
        "诗库文件已损坏。重新启动诗笺，它会把损坏的文件移到一旁并从最近的备份恢复。",
        "The library file is damaged. Restart 诗笺: it will move the damaged file aside "
        "and restore the newest backup.",
    )


class NewerSchemaError(StorageError):
    """The database was written by a newer version of the app; it is left untouched."""

    def __init__(self, found: int, supported: int, *, written_by: str | None = None) -> None:
        self.found = found
        self.supported = supported
        self.written_by = written_by
        by_zh = f"（由诗笺 {written_by} 写入）" if written_by else ""
        by_en = f" (written by 诗笺 {written_by})" if written_by else ""
        super().__init__(
            Message(
                f"这个诗库来自更新版本的诗笺{by_zh}：数据库版本 {found}，"
                f"本版本只认识到 {supported}。为免损坏，诗笺没有改动它。请升级诗笺后再打开。",
                f"This library comes from a newer version of 诗笺{by_en}: database version "
                f"{found}, while this version understands up to {supported}. To keep it safe, "
                "it was not changed. Please upgrade 诗笺 to open it.",
            )
        )


class MigrationError(StorageError):
    default_message = Message(
        "升级诗库结构失败，已撤销改动；升级前的备份在备份文件夹中。",
        "Upgrading the library's structure failed and was rolled back; "
        "a backup from before the upgrade is in the backups folder.",
    )


class BackupError(StorageError):
    default_message = Message("备份失败。", "The backup failed.")


class PoemNotFoundError(StorageError, LookupError):
    def __init__(self, poem_id: int) -> None:
        self.poem_id = poem_id
        super().__init__(
            Message(f"找不到编号为 {poem_id} 的诗。", f"There is no poem with id {poem_id}.")
        )


class RevisionNotFoundError(StorageError, LookupError):
    def __init__(self, revision_id: int) -> None:
        self.revision_id = revision_id
        super().__init__(
            Message(
                f"找不到编号为 {revision_id} 的历史版本。",
                f"There is no revision with id {revision_id}.",
            )
        )


class InvalidPoemError(StorageError, ValueError):
    """The data handed in cannot be stored as given (an unknown form, say)."""


class LibraryClosedError(StorageError):
    default_message = Message("诗库已经关闭。", "The library has been closed.")


_SQLITE_CLASSES: tuple[tuple[str, type[StorageError]], ...] = (
    ("SQLITE_FULL", DiskFullError),
    ("SQLITE_READONLY", ReadOnlyError),
    ("SQLITE_PERM", ReadOnlyError),
    ("SQLITE_BUSY", DatabaseLockedError),
    ("SQLITE_LOCKED", DatabaseLockedError),
    ("SQLITE_CORRUPT", DatabaseCorruptError),
    ("SQLITE_NOTADB", DatabaseCorruptError),
    ("SQLITE_IOERR", StorageIOError),
    ("SQLITE_CANTOPEN", StorageIOError),
)

_SQLITE_TEXTS: tuple[tuple[str, type[StorageError]], ...] = (
    ("disk is full", DiskFullError),
    ("readonly database", ReadOnlyError),
    ("database is locked", DatabaseLockedError),
    ("malformed", DatabaseCorruptError),
    ("not a database", DatabaseCorruptError),
    ("unsupported file format", DatabaseCorruptError),  # a damaged schema-format field
    ("disk i/o error", StorageIOError),
    ("unable to open database file", StorageIOError),
)


def sqlite_error_class(exc: BaseException) -> type[StorageError] | None:
    """The typed error for a ``sqlite3`` exception, or ``None`` when it is not a storage fault."""
    name = getattr(exc, "sqlite_errorname", None)
    if isinstance(name, str):
        for prefix, cls in _SQLITE_CLASSES:
            if name == prefix or name.startswith(prefix + "_"):
                return cls
    text = str(exc).lower()
    for needle, cls in _SQLITE_TEXTS:
        if needle in text:
            return cls
    return None


def from_sqlite(exc: sqlite3.Error) -> StorageError:
    """Translate a ``sqlite3`` error; unknown ones become a plain :class:`StorageError`."""
    cls = sqlite_error_class(exc) or StorageError
    return cls(detail=f"{type(exc).__name__}: {exc}")


def from_database_error(exc: sqlite3.Error | SQLAlchemyError) -> StorageError:
    """Translate what ``sqlite3`` or SQLAlchemy raised: the driver's own error inside
    SQLAlchemy's wrapper as :func:`from_sqlite` does, anything else a plain
    :class:`StorageError` that names it."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError):
        if isinstance(exc.orig, sqlite3.Error):
            return from_sqlite(exc.orig)
        return StorageError(detail=str(exc))
    if isinstance(exc, sqlite3.Error):
        return from_sqlite(exc)
    return StorageError(detail=f"{type(exc).__name__}: {exc}")


def from_os_error(exc: OSError, path: Path | None = None) -> StorageError:
    """Translate a file-system error (a full disk, a read-only folder, …)."""
    where = f" ({path})" if path is not None else ""
    detail = f"{type(exc).__name__}: {exc}{where}"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(detail=detail)
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return ReadOnlyError(detail=detail)
    return StorageIOError(detail=detail)
