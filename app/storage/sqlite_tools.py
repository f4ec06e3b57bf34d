"""Plain ``sqlite3`` helpers shared by migrations, backups and recovery.

These work below the ORM on purpose: they run before a database is known to be
sound, on files that are not the library (backups, files set aside), and must
control transactions exactly.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"

# The library's own mark in the file header (PRAGMA application_id, "ShJn"): set when a
# library is built or upgraded, so another program's database is never taken for one.
APPLICATION_ID = 0x53684A6E
# What a library from before the mark holds (every version since 1).
LIBRARY_TABLES = frozenset({"poems", "tags", "poem_tags"})


def connect_raw(
    path: Path, *, timeout_s: float = 5.0, read_only: bool = False
) -> sqlite3.Connection:
    """A connection in autocommit mode: nothing is in a transaction unless we say ``BEGIN``.

    ``read_only`` opens with ``mode=ro`` (nothing can be written, no file is created).
    """
    if read_only:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=timeout_s, isolation_level=None)
    else:
        conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=None)
    return conn


def integrity_problems(conn: sqlite3.Connection, *, limit: int = 20) -> list[str]:
    """What ``PRAGMA integrity_check`` finds; an empty list means the file is sound."""
    rows = conn.execute(f"PRAGMA integrity_check({int(limit)})").fetchall()
    found = [str(row[0]) for row in rows]
    return [] if found == ["ok"] else found


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def application_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA application_id").fetchone()[0])


def header_problems(path: Path) -> list[str]:
    """What is impossible in the 100-byte SQLite header of ``path`` (empty: nothing found).

    SQLite refuses some of these with a plain "unsupported file format" (no corruption
    code), opens others read-only; both are damage to a file SQLite itself wrote.
    """
    with open(path, "rb") as handle:
        head = handle.read(100)
    if len(head) < 100 or head[:16] != SQLITE_MAGIC:
        return ["the SQLite header is missing or cut short"]
    found: list[str] = []
    page_size = int.from_bytes(head[16:18], "big")
    if page_size != 1 and not (512 <= page_size <= 32768 and page_size & (page_size - 1) == 0):
        found.append(f"page size {page_size}")
    if head[18] not in (1, 2) or head[19] not in (1, 2):
        found.append(f"file format versions {head[18]}/{head[19]}")
    if head[21:24] != bytes((64, 32, 32)):
        found.append(f"payload fractions {tuple(head[21:24])}")
    schema_format = int.from_bytes(head[44:48], "big")
    if schema_format > 4:
        found.append(f"schema format {schema_format}")
    encoding = int.from_bytes(head[56:60], "big")
    if encoding > 3:
        found.append(f"text encoding {encoding}")
    return found


def has_sqlite_header(path: Path) -> bool:
    """True when the file starts with SQLite's 16-byte magic string."""
    with open(path, "rb") as handle:
        return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def table_names(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'").fetchall()
    return {str(row[0]) for row in rows}


def read_meta(conn: sqlite3.Connection, key: str) -> str | None:
    """A value from the ``meta`` table, or ``None`` where the table or key is missing."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    except sqlite3.Error:
        return None
    return None if row is None else str(row[0])
