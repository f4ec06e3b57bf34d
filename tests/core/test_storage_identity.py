"""What sits in the library's place: a 诗笺 library, or something to set aside untouched.

The library is known by its own mark (``PRAGMA application_id``) and its schema version;
another program's database, or an empty SQLite file, in its place used to be adopted (the
library's tables written into it, the poet facing an empty library while the backups held
the poems). A damaged schema-format field in the header gave a vague "storage error" and
no recovery. And half-written backup copies of killed start-ups piled up.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.paths import AppPaths
from app.storage.backup import list_backups
from app.storage.db import OpenReport, open_library
from app.storage.errors import DatabaseCorruptError, sqlite_error_class
from app.storage.files import temp_name
from app.storage.records import PoemData, PoemQuery
from app.storage.repository import Library
from app.storage.sqlite_tools import APPLICATION_ID
from tests.support.storage_clock import StepClock
from tests.support.storage_options import library_options


class Shelf:
    """A library with three poems, all of them in its newest backup."""

    def __init__(self, tmp_path: Path) -> None:
        self.paths = AppPaths.under(tmp_path / "base")
        self.tmp_path = tmp_path
        self.clock = StepClock()
        library, _ = self.open()
        for title in ("春晓", "静夜思", "登鹳雀楼"):
            library.save_poem(PoemData(title=title, text="白日依山尽"))
        library.close()
        library, report = self.open()  # the start-up backup holds the three
        assert report.backup is not None
        library.close()

    def open(self, **changes: Any) -> tuple[Library, OpenReport]:
        return open_library(self.paths, library_options(self.tmp_path, clock=self.clock, **changes))

    def replace_with(self, build: Any) -> bytes:
        """Put what ``build(path)`` makes in the library's place; returns its digest."""
        self.paths.database.unlink()
        for companion in ("-wal", "-shm"):
            Path(str(self.paths.database) + companion).unlink(missing_ok=True)
        build(self.paths.database)
        return digest(self.paths.database)


def digest(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def titles(library: Library) -> list[str]:
    return sorted(p.title for p in library.search(PoemQuery(state="all")))


RESTORED = sorted(["春晓", "静夜思", "登鹳雀楼"])


def another_programs_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    conn.execute("INSERT INTO moz_places (url) VALUES ('https://example.org')")
    conn.execute("PRAGMA user_version = 3")  # a version number of its own
    conn.commit()
    conn.close()


def a_marked_foreign_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 252006675")  # another program's own mark
    conn.execute("CREATE TABLE poems (x)")  # even with a table of the same name
    conn.commit()
    conn.close()


def an_empty_sqlite_file(path: Path) -> None:
    sqlite3.connect(path).close()
    path.write_bytes(b"")  # sqlite leaves 0 bytes until a page is written …
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 0")
    conn.execute("VACUUM")  # … so make it a real, empty database file
    conn.close()


NOT_LIBRARIES = {
    "another program's database": (another_programs_database, "another program's database"),
    "marked by another program": (a_marked_foreign_database, "another program's database"),
    "an empty SQLite file": (an_empty_sqlite_file, "an empty SQLite database"),
}


@pytest.mark.parametrize("kind", list(NOT_LIBRARIES))
def test_what_is_not_a_library_is_set_aside_untouched_and_the_backup_restored(
    tmp_path: Path, kind: str
) -> None:
    shelf = Shelf(tmp_path)
    build, said = NOT_LIBRARIES[kind]
    before = shelf.replace_with(build)
    library, report = shelf.open()
    assert titles(library) == RESTORED  # not an empty library: the poems are back
    assert report.recovery is not None and report.recovery.restored_from is not None
    message = report.messages("en")[0]
    assert said in message and "moved, untouched" in message
    assert "别的程序" in report.messages("zh")[0] or "空的 SQLite" in report.messages("zh")[0]
    [aside] = report.recovery.moved_to
    assert aside.name.startswith("library.sqlite3.foreign-")
    assert digest(aside) == before  # never written to
    library.close()


def test_a_new_library_carries_the_mark(tmp_path: Path) -> None:
    shelf = Shelf(tmp_path)
    conn = sqlite3.connect(shelf.paths.database)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()
    for backup in list_backups(shelf.paths.backups):
        conn = sqlite3.connect(backup.path)
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        conn.close()


def test_a_library_from_before_the_mark_is_recognised_and_marked(tmp_path: Path) -> None:
    shelf = Shelf(tmp_path)
    conn = sqlite3.connect(shelf.paths.database)
    conn.execute("PRAGMA application_id = 0")  # as every library was before the mark
    conn.close()
    library, report = shelf.open()
    assert report.recovery is None and titles(library) == RESTORED
    library.close()
    conn = sqlite3.connect(shelf.paths.database)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()


# ------------------------------------------------------------------ a damaged header
HEADER_DAMAGE = {
    "schema format": (44, (99).to_bytes(4, "big")),  # SQLite: "unsupported file format"
    "page size": (16, (3).to_bytes(2, "big")),
    "read version": (19, bytes([9])),
    "write version": (18, bytes([9])),  # SQLite would open it read-only
    "payload fractions": (21, bytes([65])),
}


@pytest.mark.parametrize("field", list(HEADER_DAMAGE))
def test_a_damaged_header_field_is_recovered_like_other_damage(tmp_path: Path, field: str) -> None:
    shelf = Shelf(tmp_path)
    library, _ = shelf.open()
    library.close()  # checkpointed: the header on disk is the whole truth
    offset, raw = HEADER_DAMAGE[field]
    data = bytearray(shelf.paths.database.read_bytes())
    data[offset : offset + len(raw)] = raw
    shelf.paths.database.write_bytes(bytes(data))
    library, report = shelf.open()
    assert report.recovery is not None and report.recovery.restored_from is not None
    assert "header is damaged" in report.messages("en")[0]
    assert report.recovery.moved_to[0].name.startswith("library.sqlite3.damaged-")
    assert titles(library) == RESTORED
    library.close()


def test_unsupported_file_format_reads_as_damage() -> None:
    error = sqlite3.OperationalError("unsupported file format")
    assert sqlite_error_class(error) is DatabaseCorruptError


# ------------------------------------------------------------------ killed start-ups
_LEAVE_A_PARTIAL_COPY = """
import os, sys
from pathlib import Path
from app.storage.files import temp_name
target = Path(sys.argv[1])
for tag in sys.argv[2:]:
    partial = temp_name(target, tag)
    partial.write_bytes(b"half a copy " * 100_000)
    print(partial)
os._exit(9)  # killed before the rename: the copies stay behind
"""


def _killed_writer(target: Path, *tags: str) -> list[Path]:
    done = subprocess.run(
        [sys.executable, "-c", _LEAVE_A_PARTIAL_COPY, str(target), *tags],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 9, done.stderr
    return [Path(line) for line in done.stdout.split()]


def test_copies_left_by_killed_start_ups_are_cleaned_at_the_next_start(tmp_path: Path) -> None:
    shelf = Shelf(tmp_path)
    left: list[Path] = []
    for _ in range(5):  # five start-ups killed while copying, seconds ago
        left += _killed_writer(shelf.paths.backups / "library-20240101T000000000000Z.sqlite3",
                               "partial")  # fmt: skip
        left += _killed_writer(shelf.paths.database, "partial", "new")
    journal = left[0].with_name(left[0].name + "-journal")
    journal.write_bytes(b"x")
    left.append(journal)
    assert all(p.exists() for p in left)
    # a copy being written right now by a live process is not touched
    live = temp_name(shelf.paths.backups / "library-20240101T000000000001Z.sqlite3", "partial")
    live.write_bytes(b"in progress")
    library, report = shelf.open()
    assert not any(p.exists() for p in left)
    assert set(report.cleaned) == set(left)
    assert live.exists()
    assert titles(library) == RESTORED
    library.close()
