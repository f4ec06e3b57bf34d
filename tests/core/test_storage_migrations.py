"""Schema versions: new databases, upgrades of hand-built old ones, refusals, rollbacks."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from app.paths import AppPaths
from app.storage.backup import list_backups
from app.storage.db import open_library
from app.storage.errors import MigrationError, NewerSchemaError
from app.storage.migrations import (
    LATEST_VERSION,
    MIGRATIONS,
    Migration,
    check_migrations,
    migrate,
)
from app.storage.records import DraftData, PoemData, PoemQuery, new_poem_slot
from app.storage.schema import Base
from app.storage.sqlite_tools import APPLICATION_ID, integrity_problems
from tests.support.storage_options import library_options


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _shape(path: Path) -> dict[str, object]:
    """Tables, columns, keys and indexes as SQLite itself reports them."""
    conn = sqlite3.connect(path)
    found: dict[str, object] = {}
    tables = conn.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name != 'sqlite_sequence'"
    ).fetchall()
    for (table,) in sorted(tables):
        columns = conn.execute(f"PRAGMA table_info({table})").fetchall()
        indexes = conn.execute(f"PRAGMA index_list({table})").fetchall()
        found[table] = {
            # (name, declared type, NOT NULL (a primary key counts), primary-key position)
            "columns": sorted((c[1], c[2].upper(), bool(c[3] or c[5]), c[5]) for c in columns),
            "fks": sorted(
                (fk[3], fk[2], fk[4], fk[6])
                for fk in conn.execute(f"PRAGMA foreign_key_list({table})")
            ),
            "indexes": sorted(
                (
                    i[1],
                    bool(i[2]),
                    bool(i[4]),
                    tuple(r[2] for r in conn.execute(f"PRAGMA index_info({i[1]})")),
                )
                for i in indexes
            ),
            "autoincrement": "AUTOINCREMENT"
            in str(
                conn.execute("SELECT sql FROM sqlite_schema WHERE name = ?", (table,)).fetchone()[0]
            ).upper(),
        }
    conn.close()
    return found


def test_the_migrations_build_exactly_what_the_orm_describes(tmp_path: Path) -> None:
    library, report = open_library(AppPaths.under(tmp_path / "a"), library_options(tmp_path))
    library.close()
    assert report.created and report.schema_version == LATEST_VERSION
    orm_engine = create_engine(f"sqlite:///{tmp_path / 'orm.sqlite3'}")
    Base.metadata.create_all(orm_engine)
    orm_engine.dispose()
    migrated = _shape(report.database)
    assert set(migrated) == {
        "poems", "tags", "poem_tags", "revisions", "drafts", "meta", "assignments", "submissions"
    }  # fmt: skip
    assert migrated == _shape(tmp_path / "orm.sqlite3")


def test_a_new_library_is_at_the_latest_version_with_wal_and_a_version_stamp(
    tmp_path: Path,
) -> None:
    paths = AppPaths.under(tmp_path)
    library, report = open_library(paths, library_options(tmp_path))
    library.close()
    conn = sqlite3.connect(paths.database)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT value FROM meta WHERE key='app_version'").fetchone()[0]
    conn.close()
    assert report.migration is None and report.backup is None  # nothing to back up yet
    assert list(paths.data.glob(".library*")) == []  # the temporary build file is gone


def test_an_empty_sqlite_file_is_not_taken_for_a_library(tmp_path: Path) -> None:
    """An empty, unversioned SQLite file in the library's place is moved aside untouched
    (it was once adopted: the library's tables were written into it)."""
    paths = AppPaths.under(tmp_path).ensure()
    conn = sqlite3.connect(paths.database)
    conn.execute("PRAGMA user_version = 0")
    conn.close()
    before = _digest(paths.database)
    library, report = open_library(paths, library_options(tmp_path))
    assert report.created and report.migration is None
    assert report.recovery is not None and "empty SQLite database" in report.messages("en")[0]
    [aside] = report.recovery.moved_to
    assert aside.name.startswith("library.sqlite3.foreign-") and _digest(aside) == before
    saved = library.save_poem(PoemData(title="新", text="甲"))
    assert library.get(saved.id).title == "新"
    library.close()


V1_SCHEMA = (
    """CREATE TABLE poems (
        id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL DEFAULT '',
        author TEXT NOT NULL DEFAULT '', form TEXT, rhyme_group TEXT,
        text TEXT NOT NULL DEFAULT '', notes TEXT NOT NULL DEFAULT '',
        origin TEXT NOT NULL DEFAULT 'written', model_id TEXT, sampling TEXT, reasoning TEXT,
        score_tones FLOAT, score_rhymes FLOAT, score_antithesis FLOAT, score_length FLOAT,
        score_total FLOAT, created_at VARCHAR(27) NOT NULL, updated_at VARCHAR(27) NOT NULL,
        deleted_at VARCHAR(27))""",
    "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
    """CREATE TABLE poem_tags (
        poem_id INTEGER NOT NULL REFERENCES poems (id) ON DELETE CASCADE,
        tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
        PRIMARY KEY (poem_id, tag_id))""",
    "CREATE INDEX ix_poem_tags_tag_id ON poem_tags (tag_id)",
)


def _build_v1(path: Path) -> None:
    conn = sqlite3.connect(path)
    for statement in V1_SCHEMA:
        conn.execute(statement)
    conn.executemany(
        "INSERT INTO poems (id, title, author, form, text, origin, model_id, sampling, "
        "score_total, created_at, updated_at, deleted_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            (1, "静夜思", "李白", "五绝", "床前明月光", "written", None, None, 0.8,
             "2023-01-01T00:00:00.000000Z", "2023-01-02T00:00:00.000000Z", None),
            (2, "生成", "", "七绝", "春风又绿江南岸", "generated", "m1", '{"seed": 3}', None,
             "2023-02-01T00:00:00.000000Z", "2023-02-01T00:00:00.000000Z",
             "2023-03-01T00:00:00.000000Z"),
        ],
    )  # fmt: skip
    conn.executemany("INSERT INTO tags (id, name) VALUES (?, ?)", [(1, "月"), (2, "思乡")])
    conn.executemany("INSERT INTO poem_tags VALUES (?, ?)", [(1, 1), (1, 2)])
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def test_a_version_1_database_keeps_its_poems_and_gains_history(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path).ensure()
    _build_v1(paths.database)
    library, report = open_library(paths, library_options(tmp_path))
    assert report.migration is not None and report.migration.from_version == 1
    assert len(report.migration.applied) == LATEST_VERSION - 1
    assert "1" in report.messages("en")[0] and "升级" in report.messages("zh")[0]
    poem = library.get(1)
    assert (poem.title, poem.author, poem.tags, poem.scores.total) == (
        "静夜思", "李白", ("思乡", "月"), 0.8
    )  # fmt: skip
    assert poem.updated_at.isoformat() == "2023-01-02T00:00:00+00:00"
    generated = library.get(2)
    assert generated.in_trash and generated.sampling == {"seed": 3}
    # history starts at the migrated state: one revision per poem
    [first] = library.revisions(1)
    assert (first.reason, first.text, first.tags) == ("migrate", "床前明月光", ("思乡", "月"))
    assert first.created_at == poem.updated_at
    assert len(library.revisions(2)) == 1
    # and the new tables work
    library.save_draft(DraftData(slot=new_poem_slot(), poem=PoemData(text="稿")))
    assert [d.poem.text for d in library.load_drafts()] == ["稿"]
    library.close()
    # the copy taken before migrating is the old file, untouched
    [before] = [b for b in list_backups(paths.backups) if b.label]
    assert before.label == f"before-v{LATEST_VERSION}-from-v1"
    old = sqlite3.connect(before.path)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    assert old.execute("SELECT count(*) FROM poems").fetchone()[0] == 2
    old.close()


def test_a_database_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path).ensure()
    conn = sqlite3.connect(paths.database)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO meta VALUES ('app_version', '9.1.0')")
    conn.execute("PRAGMA user_version = 99")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")  # a library, from a later 诗笺
    conn.commit()
    conn.close()
    before = _digest(paths.database)
    with pytest.raises(NewerSchemaError) as refused:
        open_library(paths, library_options(tmp_path))
    error = refused.value
    assert (error.found, error.supported, error.written_by) == (99, LATEST_VERSION, "9.1.0")
    assert "99" in error.message.zh and "9.1.0" in error.message.en
    assert "upgrade" in error.message.en
    assert _digest(paths.database) == before
    assert sorted(p.name for p in paths.data.iterdir()) == ["backups", "library.sqlite3"]
    assert list(paths.backups.iterdir()) == []


def _broken_step(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE half_done (x INTEGER)")
    conn.execute("UPDATE poems SET title = 'changed'")
    raise RuntimeError("a bug in a migration")


def test_a_failing_migration_rolls_back_completely(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    library, _ = open_library(paths, library_options(tmp_path))
    library.save_poem(PoemData(title="原题", text="甲"))
    library.close()
    steps = (*MIGRATIONS, Migration(LATEST_VERSION + 1, "broken", _broken_step))
    with pytest.raises(MigrationError) as failed:
        open_library(paths, library_options(tmp_path, migrations=steps))
    assert "a bug in a migration" in failed.value.detail
    conn = sqlite3.connect(paths.database)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
    assert conn.execute("SELECT title FROM poems").fetchall() == [("原题",)]
    assert "half_done" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_schema")}
    assert integrity_problems(conn) == []
    conn.close()
    assert any(b.label for b in list_backups(paths.backups))  # the copy taken first


def _orphan_rows(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO poem_tags (poem_id, tag_id) VALUES (4242, 4242)")


def test_a_migration_leaving_dangling_references_is_rolled_back(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    library, _ = open_library(paths, library_options(tmp_path))
    library.close()
    steps = (*MIGRATIONS, Migration(LATEST_VERSION + 1, "orphans", _orphan_rows))
    with pytest.raises(MigrationError) as failed:
        open_library(paths, library_options(tmp_path, migrations=steps))
    assert "foreign_key_check" in failed.value.detail
    conn = sqlite3.connect(paths.database)
    assert conn.execute("SELECT count(*) FROM poem_tags").fetchone()[0] == 0
    conn.close()


def _add_reading_lists(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE reading_lists (id INTEGER PRIMARY KEY, "
        "poem_id INTEGER REFERENCES poems (id) ON DELETE SET NULL, brief TEXT NOT NULL)"
    )
    conn.execute("ALTER TABLE poems ADD COLUMN reading_list_id INTEGER")


def test_adding_a_table_later_is_one_small_function(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    library, _ = open_library(paths, library_options(tmp_path))
    poem = library.save_poem(PoemData(title="旧", text="甲", tags=("t",)))
    library.close()
    steps = (*MIGRATIONS, Migration(LATEST_VERSION + 1, "reading lists", _add_reading_lists))
    library, report = open_library(paths, library_options(tmp_path, migrations=steps))
    assert report.schema_version == LATEST_VERSION + 1
    assert report.migration is not None and report.migration.applied == ("reading lists",)
    assert library.get(poem.id).tags == ("t",)
    assert library.search(PoemQuery(text="甲"))[0].id == poem.id
    library.close()
    conn = sqlite3.connect(paths.database)
    conn.execute("INSERT INTO reading_lists (poem_id, brief) VALUES (?, '咏月')", (poem.id,))
    columns = {row[1] for row in conn.execute("PRAGMA table_info(poems)")}
    assert "reading_list_id" in columns
    conn.close()
    # and the unchanged app now refuses the upgraded file instead of misreading it
    with pytest.raises(NewerSchemaError):
        open_library(paths, library_options(tmp_path))


def test_migration_lists_must_be_numbered_in_order() -> None:
    check_migrations(MIGRATIONS)
    with pytest.raises(ValueError, match=r"1\.\.n"):
        check_migrations((MIGRATIONS[0], MIGRATIONS[2]))


def test_migrate_refuses_to_run_inside_an_open_transaction(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None)
    conn.execute("BEGIN")
    with pytest.raises(RuntimeError):
        migrate(conn)
    conn.execute("ROLLBACK")
    result = migrate(conn)
    assert (result.from_version, result.to_version) == (0, LATEST_VERSION)
    assert migrate(conn).applied == ()
    conn.close()


def test_v2_seeding_writes_tags_as_json(tmp_path: Path) -> None:
    """The revision seeded for a migrated poem carries its tags in the JSON the ORM reads."""
    path = tmp_path / "v1.sqlite3"
    _build_v1(path)
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn)
    tags = conn.execute("SELECT tags FROM revisions WHERE poem_id = 1").fetchone()[0]
    conn.close()
    assert json.loads(tags) == ["思乡", "月"]
