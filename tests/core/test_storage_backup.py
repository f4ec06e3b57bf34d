"""Backups: verified single-file copies, de-duplication, rotation."""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.paths import AppPaths
from app.storage.backup import (
    BackupPolicy,
    backup_name,
    list_backups,
    make_backup,
    rotate_backups,
    verify_database_file,
)
from app.storage.db import open_library
from app.storage.errors import BackupError, DatabaseCorruptError
from app.storage.records import DraftData, PoemData, new_poem_slot
from tests.support import storage_damage as damage
from tests.support.storage_clock import StepClock
from tests.support.storage_options import library_options

T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)  # a Monday


def _live_database(path: Path, rows: int = 50) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [(f"行{i}",) for i in range(rows)])
    return conn


def test_a_backup_is_one_verified_file_even_of_a_database_in_use(tmp_path: Path) -> None:
    conn = _live_database(tmp_path / "live.sqlite3")  # left open, with its -wal
    result = make_backup(tmp_path / "live.sqlite3", tmp_path / "b", now=T0)
    conn.close()
    path = result.backup.path
    assert path.name == "library-20240101T120000000000Z.sqlite3"
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [path.name]  # no -wal, no temp
    copy = sqlite3.connect(path)
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert copy.execute("SELECT count(*) FROM t").fetchone()[0] == 50
    copy.close()
    assert verify_database_file(path) == []


def test_an_unchanged_database_is_not_backed_up_twice(tmp_path: Path) -> None:
    conn = _live_database(tmp_path / "db.sqlite3")
    first = make_backup(tmp_path / "db.sqlite3", tmp_path / "b", now=T0)
    again = make_backup(tmp_path / "db.sqlite3", tmp_path / "b", now=T0 + timedelta(hours=1))
    assert again.unchanged and again.backup.path == first.backup.path
    conn.execute("INSERT INTO t VALUES ('新')")
    changed = make_backup(tmp_path / "db.sqlite3", tmp_path / "b", now=T0 + timedelta(hours=2))
    assert not changed.unchanged
    labelled = make_backup(
        tmp_path / "db.sqlite3", tmp_path / "b", now=T0 + timedelta(hours=3), label="before-x"
    )
    assert not labelled.unchanged  # labelled copies are always kept
    conn.close()
    assert len(list_backups(tmp_path / "b")) == 3


def test_backing_up_a_damaged_database_fails_and_leaves_nothing(tmp_path: Path) -> None:
    conn = _live_database(tmp_path / "db.sqlite3", rows=3000)
    conn.close()
    page_size, root = damage.table_root_page(tmp_path / "db.sqlite3", "t")
    damage.corrupt_page(tmp_path / "db.sqlite3", root, page_size)
    # the copy's check fails (BackupError) or reading the pages does (DatabaseCorruptError)
    with pytest.raises((BackupError, DatabaseCorruptError)):
        make_backup(tmp_path / "db.sqlite3", tmp_path / "b", now=T0)
    assert list((tmp_path / "b").iterdir()) == []


def test_verification_names_what_is_wrong(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"hello" * 1000)
    assert verify_database_file(empty) == ["empty file"]
    assert "header" in verify_database_file(junk)[0]
    assert verify_database_file(tmp_path / "absent.sqlite3")


def test_backup_labels_are_checked() -> None:
    assert backup_name(T0, "before-v3-from-v1").endswith("-before-v3-from-v1.sqlite3")
    with pytest.raises(ValueError):
        backup_name(T0, "../escape")


def _touch_backups(folder: Path, moments: list[datetime], label: str | None = None) -> None:
    folder.mkdir(exist_ok=True)
    for moment in moments:
        (folder / backup_name(moment, label)).write_bytes(b"x")


def test_rotation_keeps_the_last_n_and_one_per_recent_week(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    daily = [T0 + timedelta(days=d) for d in range(35)]  # five weeks, one a day
    _touch_backups(folder, daily)
    _touch_backups(folder, [T0, T0 + timedelta(days=1), T0 + timedelta(days=2)], "before-v3")
    (folder / "notes.txt").write_text("not a backup")
    policy = BackupPolicy(keep_last=3, keep_daily=0, keep_weekly=3, keep_labelled=2)
    removed = rotate_backups(folder, policy)
    kept = list_backups(folder)
    routine = [b.created_at for b in kept if b.label is None]
    # the last three days, plus the newest of each of the three most recent weeks
    assert routine == [daily[34], daily[33], daily[32], daily[27], daily[20]]
    assert [b.created_at for b in kept if b.label] == [
        T0 + timedelta(days=2),
        T0 + timedelta(days=1),
    ]
    assert len(removed) == 35 + 3 - 7
    assert (folder / "notes.txt").exists()


def test_rotation_keeps_one_per_recent_day_of_frequent_backups(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    # twenty days of work (three weeks), a backup every five minutes for two hours a day
    moments = [T0 + timedelta(days=d, minutes=5 * k) for d in range(20) for k in range(24)]
    _touch_backups(folder, moments)
    rotate_backups(folder, BackupPolicy(keep_last=7, keep_daily=7, keep_weekly=8))
    routine = [b.created_at for b in list_backups(folder)]
    last_day = [m for m in moments if m.date() == moments[-1].date()]
    assert routine[:7] == sorted(last_day, reverse=True)[:7]  # the last 35 minutes
    # then the newest of each of the six days before, and of the weeks before those
    newest_of_day = {m.date(): m for m in moments}
    older = routine[7:]
    assert older[:6] == [newest_of_day[d] for d in sorted(newest_of_day, reverse=True)[1:7]]
    assert newest_of_day[(T0 + timedelta(days=6)).date()] in older  # the first week's newest
    assert newest_of_day[(T0 + timedelta(days=2)).date()] not in older
    assert len(set(routine)) == len(routine)


def test_rotation_removes_only_stale_temporary_files(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    stale = folder / ".library-x.sqlite3.partial-1-ab"
    fresh = folder / ".library-y.sqlite3.partial-2-cd"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"x")
    an_hour_and_more = time.time() - 4000
    os.utime(stale, (an_hour_and_more, an_hour_and_more))
    rotate_backups(folder, BackupPolicy())
    assert not stale.exists() and fresh.exists()


def test_a_policy_must_keep_something() -> None:
    with pytest.raises(ValueError):
        BackupPolicy(keep_last=0)
    with pytest.raises(ValueError):
        BackupPolicy(keep_weekly=-1)


def test_start_up_backups_rotate_over_many_days(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    clock = StepClock(start=T0, step=timedelta(seconds=1))
    policy = BackupPolicy(keep_last=4, keep_daily=0, keep_weekly=2)
    options = library_options(tmp_path, clock=clock, backup_policy=policy)
    for day in range(20):
        library, report = open_library(paths, options)
        library.save_poem(PoemData(title=f"第{day}天", text="甲"))  # something new each day
        library.close()
        clock.advance(timedelta(days=1))
    library, report = open_library(paths, options)
    library.close()
    assert report.backup is not None
    routine = [b for b in list_backups(paths.backups) if b.label is None]
    assert len(routine) == 5  # four newest, plus the newest of the week before them
    assert routine[0].path == report.backup.backup.path
    assert all(verify_database_file(b.path) == [] for b in routine)


def test_a_backup_is_due_after_changes_once_the_last_is_old_enough(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    clock = StepClock(start=T0, step=timedelta(seconds=1))
    options = library_options(tmp_path, clock=clock, backup_policy=BackupPolicy(every_s=300))
    library, report = open_library(paths, options)
    assert report.created and report.backup is None
    assert library.backup_if_due() is None  # a new, empty library: nothing to keep yet
    library.save_poem(PoemData(title="一", text="甲"))
    first = library.backup_if_due()  # there is no backup at all: due at once
    assert first is not None and not first.unchanged
    library.save_poem(PoemData(title="二", text="乙"))
    clock.advance(timedelta(seconds=120))
    assert library.backup_if_due() is None  # changed, but the last backup is 2 minutes old
    clock.advance(timedelta(seconds=200))
    second = library.backup_if_due()
    assert second is not None and second.backup.path != first.backup.path
    clock.advance(timedelta(hours=1))
    assert library.backup_if_due() is None  # nothing changed since
    library.save_draft(DraftData(slot=new_poem_slot("1"), poem=PoemData(text="丙")))
    third = library.backup_if_due()  # a draft is work too
    assert third is not None
    library.close()
    assert [b.path for b in list_backups(paths.backups)][:3] == [
        third.backup.path,
        second.backup.path,
        first.backup.path,
    ]


def test_quitting_backs_up_what_changed_since_the_last_backup(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    options = library_options(tmp_path)
    library, _ = open_library(paths, options)
    library.save_poem(PoemData(title="一", text="甲"))
    library.close()
    library, report = open_library(paths, options)
    assert report.backup is not None  # the start-up backup
    assert library.backup_if_changed() is None  # nothing since
    record = library.save_poem(PoemData(title="二", text="乙"))
    quit_backup = library.backup_if_changed()
    assert quit_backup is not None
    library.close()
    copy = sqlite3.connect(quit_backup.backup.path)
    titles = {row[0] for row in copy.execute("SELECT title FROM poems")}
    copy.close()
    assert titles == {"一", "二"} and record.title == "二"
    off = library_options(tmp_path, backup_policy=BackupPolicy(on_quit=False))
    library, _ = open_library(paths, off)
    library.save_poem(PoemData(title="三", text="丙"))
    assert library.backup_if_changed() is None
    library.close()


def test_policy_can_turn_start_up_backups_off(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    options = library_options(tmp_path, backup_policy=BackupPolicy(on_startup=False))
    library, _ = open_library(paths, options)
    library.save_poem(PoemData(text="甲"))
    library.close()
    library, report = open_library(paths, options)
    assert report.backup is None
    manual = library.backup()
    assert manual.backup.path.exists() and not manual.unchanged
    library.close()
