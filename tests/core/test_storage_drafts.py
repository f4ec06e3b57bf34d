"""Autosaved drafts, and what still works when the database cannot be written."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.paths import AppPaths
from app.storage.db import LibraryOptions, open_library
from app.storage.errors import DatabaseLockedError, DiskFullError
from app.storage.records import DraftData, PoemData, PoemQuery, new_poem_slot, poem_slot
from app.storage.repository import Library
from tests.support.storage_options import library_options
from tests.support.unprivileged import without_privileges


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths.under(tmp_path / "base")


def _options(tmp_path: Path, **changes: Any) -> LibraryOptions:
    spool = (tmp_path / "spool-a", tmp_path / "spool-b")
    return library_options(tmp_path, spool_folders=spool, **changes)


@pytest.fixture
def library(paths: AppPaths, tmp_path: Path) -> Iterator[Library]:
    lib, _ = open_library(paths, _options(tmp_path))
    yield lib
    lib.close()


def draft(slot: str, text: str, poem_id: int | None = None, title: str = "") -> DraftData:
    return DraftData(slot=slot, poem_id=poem_id, poem=PoemData(title=title, text=text))


def test_a_draft_is_rewritten_each_tick_and_cleared_by_the_save(library: Library) -> None:
    slot = new_poem_slot()
    library.save_draft(draft(slot, "床前"))
    library.save_draft(draft(slot, "床前明月光"))
    [only] = library.load_drafts()
    assert (only.slot, only.poem.text, only.poem_id, only.spooled) == (
        slot,
        "床前明月光",
        None,
        False,
    )
    assert only.updated_at > only.created_at
    poem = library.save_poem(only.poem, draft_slot=slot)
    assert library.load_drafts(newer_only=False) == []
    assert library.get(poem.id).text == "床前明月光"


def test_drafts_survive_closing_and_reopening(paths: AppPaths, tmp_path: Path) -> None:
    lib, _ = open_library(paths, _options(tmp_path))
    lib.save_draft(draft(new_poem_slot("a"), "未存之诗", title="无题"))
    lib.close()
    lib, _ = open_library(paths, _options(tmp_path))
    [found] = lib.load_drafts()
    assert (found.poem.title, found.poem.text) == ("无题", "未存之诗")
    lib.clear_draft(found.slot)
    assert lib.load_drafts(newer_only=False) == []
    lib.close()


def test_only_drafts_newer_than_their_poem_and_different_are_offered(library: Library) -> None:
    a = library.save_poem(PoemData(text="甲"))
    b = library.save_poem(PoemData(text="乙"))
    c = library.save_poem(PoemData(text="丙"))
    library.save_draft(draft(poem_slot(a.id), "甲改", a.id))  # newer, different: offered
    library.save_draft(draft(poem_slot(b.id), "乙改", b.id))
    library.save_poem(PoemData(text="乙再改"), poem_id=b.id)  # saved after the draft: stale
    library.save_draft(draft(poem_slot(c.id), "丙", c.id))  # newer but the same text
    library.save_draft(draft(new_poem_slot(), "新"))
    offered = {d.slot: d.poem.text for d in library.load_drafts()}
    assert offered == {poem_slot(a.id): "甲改", new_poem_slot(): "新"}
    assert len(library.load_drafts(newer_only=False)) == 4
    assert [d.poem.text for d in library.load_drafts()] == ["新", "甲改"]  # newest first


def test_a_draft_for_a_poem_that_does_not_exist_is_kept_as_a_new_poem(library: Library) -> None:
    record = library.save_draft(draft(poem_slot(404), "孤稿", 404))
    assert record.poem_id is None
    assert [d.poem.text for d in library.load_drafts()] == ["孤稿"]


def test_drafts_never_fail_on_content(library: Library) -> None:
    odd = PoemData(text="稿\ud800", form="宋词", sampling={"x": object()}, origin="?")
    record = library.save_draft(DraftData(slot="new:odd", poem=odd))
    assert record.poem.text == "稿\ufffd"
    assert (record.poem.form, record.poem.sampling, record.poem.origin) == (None, None, "written")


def test_a_locked_database_refuses_saves_cleanly_but_drafts_go_to_the_spool(
    paths: AppPaths, tmp_path: Path
) -> None:
    library, _ = open_library(paths, _options(tmp_path, busy_timeout_ms=100))
    kept = library.save_poem(PoemData(title="旧作", text="甲"))
    conn = sqlite3.connect(paths.database, isolation_level=None, timeout=0.1)
    conn.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseLockedError) as locked:
            library.save_poem(PoemData(title="新作", text="乙"))
        assert "锁定" in locked.value.message.zh and "locked" in locked.value.message.en
        spooled = library.save_draft(draft(new_poem_slot(), "乙", title="新作"))
        assert spooled.spooled
        assert list((tmp_path / "spool-a").iterdir())
        # reading still works while another program writes (WAL)
        assert [p.title for p in library.search()] == ["旧作"]
        assert [(d.poem.text, d.spooled) for d in library.load_drafts()] == [("乙", True)]
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    # once the lock is gone the next tick lands in the database and the spool empties
    library.save_draft(draft(new_poem_slot(), "乙丙", title="新作"))
    assert list((tmp_path / "spool-a").iterdir()) == []
    [back] = library.load_drafts()
    assert (back.poem.text, back.spooled) == ("乙丙", False)
    library.save_poem(back.poem, draft_slot=back.slot)
    assert {p.title for p in library.search()} == {"旧作", "新作"}
    assert library.get(kept.id).text == "甲"
    library.close()


def test_a_spooled_draft_is_found_after_a_restart_and_cleared_with_the_save(
    paths: AppPaths, tmp_path: Path
) -> None:
    library, _ = open_library(paths, _options(tmp_path, busy_timeout_ms=100))
    conn = sqlite3.connect(paths.database, isolation_level=None, timeout=0.1)
    conn.execute("BEGIN IMMEDIATE")
    assert library.save_draft(draft(new_poem_slot(), "锁中所写")).spooled
    conn.execute("ROLLBACK")
    conn.close()
    library.close()
    library, _ = open_library(paths, _options(tmp_path))
    [found] = library.load_drafts()
    assert (found.poem.text, found.spooled) == ("锁中所写", True)
    library.save_poem(found.poem, draft_slot=found.slot)
    assert library.load_drafts(newer_only=False) == []
    assert list((tmp_path / "spool-a").iterdir()) == []
    library.close()


def test_the_spool_falls_back_to_its_next_folder(paths: AppPaths, tmp_path: Path) -> None:
    (tmp_path / "spool-a").write_text("a file where the first folder should be")
    library, _ = open_library(paths, _options(tmp_path, busy_timeout_ms=100))
    conn = sqlite3.connect(paths.database, isolation_level=None, timeout=0.1)
    conn.execute("BEGIN IMMEDIATE")
    try:
        assert library.save_draft(draft(new_poem_slot(), "退而求其次")).spooled
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    assert len(list((tmp_path / "spool-b").iterdir())) == 1
    assert [d.poem.text for d in library.load_drafts()] == ["退而求其次"]
    library.close()


def test_a_full_database_never_keeps_half_a_poem(paths: AppPaths, tmp_path: Path) -> None:
    library, _ = open_library(paths, _options(tmp_path))
    library.save_poem(PoemData(title="在", text="甲"))
    library.close()
    pages = sqlite3.connect(paths.database).execute("PRAGMA page_count").fetchone()[0]
    library, _ = open_library(paths, _options(tmp_path, max_page_count=pages + 3))
    long_text = "\n".join(["白日依山尽黄河入海流"] * 800)  # far more than three pages
    with pytest.raises(DiskFullError) as full:
        library.save_poem(PoemData(title="长诗", text=long_text, tags=("长",)))
    assert "磁盘已满" in full.value.message.zh and "full" in full.value.message.en
    stats = library.stats()
    assert (stats.poems, stats.revisions, stats.tags) == (1, 1, 0)
    assert [p.title for p in library.search(PoemQuery(state="all"))] == ["在"]
    # the autosave of the same text still lands somewhere
    assert library.save_draft(draft(new_poem_slot(), long_text)).spooled
    assert library.load_drafts()[0].poem.text == long_text
    library.close()


_READ_ONLY_PROBE = """
import json, sys
from pathlib import Path
from app.paths import AppPaths
from app.storage.db import LibraryOptions, open_library
from app.storage.errors import StorageError
try:
    open_library(AppPaths.under(Path(sys.argv[1])), LibraryOptions(spool_folders=(Path(sys.argv[2]),)))
    print(json.dumps({"error": None}))
except StorageError as exc:
    print(json.dumps({"error": type(exc).__name__, "zh": exc.message.zh, "en": exc.message.en}))
"""


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_read_only_data_folder_gives_a_typed_error_and_moves_nothing(
    paths: AppPaths, tmp_path: Path
) -> None:
    library, _ = open_library(paths, _options(tmp_path))
    library.save_poem(PoemData(text="甲"))
    library.close()
    before = sorted(p.name for p in paths.data.iterdir())
    os.chmod(paths.database, 0o444)
    os.chmod(paths.data, 0o555)
    try:
        command = [sys.executable, "-c", _READ_ONLY_PROBE, str(paths.data.parent), str(tmp_path)]
        done = subprocess.run(
            without_privileges(command),
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.chmod(paths.data, 0o755)
        os.chmod(paths.database, 0o644)
    result = json.loads(done.stdout)
    assert result["error"] == "ReadOnlyError", done.stdout + done.stderr
    assert "只读" in result["zh"] and "read-only" in result["en"]
    assert sorted(p.name for p in paths.data.iterdir()) == before  # nothing set aside
