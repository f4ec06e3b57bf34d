"""A damaged, missing or locked library file at start-up."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.paths import AppPaths
from app.storage.backup import list_backups
from app.storage.db import OpenReport, open_library
from app.storage.errors import DatabaseLockedError
from app.storage.records import PoemData, PoemQuery
from app.storage.repository import Library
from app.storage.sqlite_tools import integrity_problems
from tests.support import storage_damage as damage
from tests.support.storage_clock import StepClock
from tests.support.storage_options import hold_lock, library_options


class Bench:
    """A library with five poems in its newest backup and a sixth saved after it."""

    def __init__(self, tmp_path: Path) -> None:
        self.paths = AppPaths.under(tmp_path / "base")
        self.clock = StepClock()
        self.tmp_path = tmp_path
        library, _ = self.open()
        for i in range(5):
            library.save_poem(PoemData(title=f"旧{i}", text="白日依山尽\n黄河入海流" * 20))
        library.close()
        library, report = self.open()  # the start-up backup holds the five
        assert report.backup is not None and not report.backup.unchanged
        self.backup = report.backup.backup.path
        library.save_poem(PoemData(title="新", text="欲穷千里目"))
        library.close()

    def open(self, **changes: Any) -> tuple[Library, OpenReport]:
        return open_library(self.paths, library_options(self.tmp_path, clock=self.clock, **changes))

    def titles(self, library: Library) -> list[str]:
        return sorted(p.title for p in library.search(PoemQuery(state="all")))


OLD_FIVE = [f"旧{i}" for i in range(5)]


def _corrupt_poems_page(path: Path) -> None:
    page_size, root = damage.table_root_page(path, "poems")
    damage.corrupt_page(path, root, page_size)


DAMAGES: dict[str, Callable[[Path], None]] = {
    "truncated": damage.truncate,
    "garbage bytes": damage.fill_with_garbage,
    "zero length": damage.make_zero_length,
    "corrupted page": _corrupt_poems_page,
}


@pytest.mark.parametrize("how", list(DAMAGES))
def test_a_damaged_file_is_set_aside_and_the_newest_backup_restored(
    tmp_path: Path, how: str
) -> None:
    bench = Bench(tmp_path)
    DAMAGES[how](bench.paths.database)
    damaged_bytes = bench.paths.database.read_bytes()
    library, report = bench.open()
    recovery = report.recovery
    assert recovery is not None and report.needs_attention
    assert recovery.restored_from is not None and recovery.restored_from.path == bench.backup
    moved = recovery.moved_to[0]
    assert moved.name.startswith("library.sqlite3.damaged-")
    assert moved.read_bytes() == damaged_bytes  # kept as it was, for whoever wants to dig
    assert bench.titles(library) == OLD_FIVE  # the sixth poem came after the backup
    zh, en = report.messages("zh")[0], report.messages("en")[0]
    assert str(moved) in zh and str(moved) in en
    assert str(bench.backup) in zh and str(bench.backup) in en
    assert "恢复" in zh and "restored" in en
    library.save_poem(PoemData(title="恢复后", text="甲"))  # and it is a working library
    library.close()
    conn = sqlite3.connect(bench.paths.database)
    assert integrity_problems(conn) == []
    conn.close()


def test_a_wal_left_from_another_database_is_caught(tmp_path: Path) -> None:
    """The classic trap: a main file replaced by a copy while its old -wal stays behind."""
    bench = Bench(tmp_path)
    db = bench.paths.database
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("DELETE FROM revisions")
    conn.execute("UPDATE poems SET text = text || text || text")
    conn.commit()
    foreign_wal = Path(str(db) + "-wal").read_bytes()
    conn.close()  # the last connection checkpoints and removes its -wal
    other = AppPaths.under(tmp_path / "other")
    lib, _ = open_library(other, library_options(tmp_path / "other-spool"))
    for i in range(30):
        lib.save_poem(PoemData(title=f"别{i}", text="x" * 3000))
    lib.close()
    db.write_bytes(other.database.read_bytes())
    Path(str(db) + "-wal").write_bytes(foreign_wal)
    library, report = bench.open()
    assert report.recovery is not None
    moved = {p.name.rsplit("-", 1)[-1]: p for p in report.recovery.moved_to}
    assert moved["wal"].read_bytes() == foreign_wal  # set aside as found, not checkpointed
    assert bench.titles(library) == OLD_FIVE
    library.close()


def test_harmless_leftover_wal_and_shm_files_do_not_trigger_recovery(tmp_path: Path) -> None:
    bench = Bench(tmp_path)
    Path(str(bench.paths.database) + "-wal").write_bytes(damage.random_bytes(9000, 1))
    Path(str(bench.paths.database) + "-shm").write_bytes(damage.random_bytes(32768, 2))
    library, report = bench.open()
    assert report.recovery is None and not report.needs_attention
    assert bench.titles(library) == sorted([*OLD_FIVE, "新"])
    library.close()


def test_without_a_backup_an_empty_library_starts_and_says_so(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    library, _ = open_library(paths, library_options(tmp_path))
    library.save_poem(PoemData(text="甲"))
    library.close()
    damage.fill_with_garbage(paths.database)
    library, report = open_library(paths, library_options(tmp_path))
    assert report.recovery is not None and report.recovery.restored_from is None
    assert report.created
    assert library.count(PoemQuery(state="all")) == 0
    assert "空诗库" in report.messages("zh")[0] and "empty" in report.messages("en")[0]
    assert report.recovery.moved_to[0].exists()
    library.close()


def test_a_damaged_newest_backup_is_skipped_for_an_older_sound_one(tmp_path: Path) -> None:
    bench = Bench(tmp_path)
    library, report = bench.open()  # a second backup, holding all six
    assert report.backup is not None
    newest = report.backup.backup.path
    library.close()
    damage.fill_with_garbage(newest)
    damage.truncate(bench.paths.database)
    library, report = bench.open()
    assert report.recovery is not None
    assert [b.path for b in report.recovery.skipped_backups] == [newest]
    assert report.recovery.restored_from is not None
    assert report.recovery.restored_from.path == bench.backup
    assert bench.titles(library) == OLD_FIVE
    assert "skipped" in report.messages("en")[0]
    library.close()


def test_a_missing_library_with_backups_is_restored_not_silently_restarted(
    tmp_path: Path,
) -> None:
    bench = Bench(tmp_path)
    bench.paths.database.unlink()
    library, report = bench.open()
    assert report.recovery is not None and report.recovery.restored_from is not None
    assert "missing" in report.messages("en")[0] and "不见" in report.messages("zh")[0]
    assert bench.titles(library) == OLD_FIVE
    library.close()


def test_a_locked_library_is_an_error_not_damage(tmp_path: Path) -> None:
    bench = Bench(tmp_path)
    holder = hold_lock(bench.paths.database)
    try:
        with pytest.raises(DatabaseLockedError) as locked:
            bench.open(busy_timeout_ms=100)
        assert "locked" in locked.value.message.en
        assert not list(bench.paths.data.glob("*damaged*"))
    finally:
        holder.close()
    library, report = bench.open()
    assert report.recovery is None and bench.titles(library) == sorted([*OLD_FIVE, "新"])
    library.close()


def test_a_backup_that_cannot_be_written_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    library, _ = open_library(paths, library_options(tmp_path))
    library.save_poem(PoemData(text="甲"))
    library.close()
    assert not paths.backups.exists()  # a new library has nothing to back up yet
    paths.backups.write_text("not a folder")
    library, report = open_library(paths, library_options(tmp_path))
    assert report.backup is None and report.needs_attention
    assert "备份" in report.messages("zh")[0] and "backup" in report.messages("en")[0]
    assert library.count() == 1
    library.close()


def test_leftover_log_files_of_a_vanished_database_are_never_applied_to_a_new_one(
    tmp_path: Path,
) -> None:
    paths = AppPaths.under(tmp_path)
    paths.data.mkdir(parents=True)
    stray = Path(str(paths.database) + "-wal")
    stray.write_bytes(b"stray log")
    library, report = open_library(paths, library_options(tmp_path))
    assert report.created and not stray.exists()
    [kept] = list(paths.data.glob("library.sqlite3.orphaned-*-wal"))
    assert kept.read_bytes() == b"stray log"
    library.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_recovery_never_deletes_anything(tmp_path: Path) -> None:
    bench = Bench(tmp_path)
    backups_before = {b.path for b in list_backups(bench.paths.backups)}
    damage.truncate(bench.paths.database)
    library, report = bench.open()
    library.close()
    assert report.recovery is not None
    assert backups_before <= {b.path for b in list_backups(bench.paths.backups)}
    assert all(p.exists() for p in report.recovery.moved_to)
