"""Ways to damage an SQLite library file, for recovery tests and benchmarks."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def truncate(path: Path, keep_fraction: float = 0.5) -> None:
    """Cut the file short, not on a page boundary."""
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.truncate(max(1, int(size * keep_fraction)) - 7)


def fill_with_garbage(path: Path, seed: int = 7) -> None:
    """Replace the whole file with random bytes of the same length."""
    size = max(path.stat().st_size, 4096)
    path.write_bytes(random_bytes(size, seed))


def make_zero_length(path: Path) -> None:
    path.write_bytes(b"")


def random_bytes(size: int, seed: int) -> bytes:
    import random

    return random.Random(seed).randbytes(size)


def table_root_page(path: Path, table: str) -> tuple[int, int]:
    """(page size, 1-based root page number) of ``table``; the file must be checkpointed."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        row = conn.execute(
            "SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
    finally:
        conn.close()
    if row is None:
        raise LookupError(table)
    return page_size, int(row[0])


def corrupt_page(path: Path, page: int, page_size: int, seed: int = 11) -> None:
    """Overwrite the b-tree header and cell pointers of one page with random bytes."""
    offset = (page - 1) * page_size + (100 if page == 1 else 0)
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(random_bytes(64, seed))
        handle.flush()
        os.fsync(handle.fileno())
