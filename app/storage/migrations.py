"""The schema as ordered migrations, versioned with ``PRAGMA user_version``.

Version *n* of a database is what migrations 1…*n* build. A new database runs
all of them, so the upgrade path is the creation path and is exercised on every
new install. Migrations are frozen DDL: once released, a step never changes,
because databases in the field were built by it. The ORM models in
:mod:`app.storage.schema` describe the result of the last step.

To change the schema later, append one function and one :class:`Migration`:

.. code-block:: python

    def _add_reading_lists(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE reading_lists (id INTEGER PRIMARY KEY, ...)")

    MIGRATIONS = (..., Migration(5, "reading lists", _add_reading_lists))

…and update :mod:`app.storage.schema` to match.

:func:`migrate` runs the pending steps inside one ``BEGIN IMMEDIATE``
transaction with foreign keys off (SQLite's documented procedure for altering
tables), then checks ``foreign_key_check`` and ``integrity_check`` before
``COMMIT``. Any failure rolls everything back: the file stays at its old
version. The caller takes a backup first (see :func:`app.storage.db.open_library`).
Steps must not ``COMMIT`` themselves (so no ``executescript``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.storage.errors import (
    MigrationError,
    NewerSchemaError,
    StorageError,
    from_sqlite,
    sqlite_error_class,
)
from app.storage.sqlite_tools import (
    APPLICATION_ID,
    integrity_problems,
    read_meta,
    table_names,
    user_version,
)


@dataclass(frozen=True, slots=True)
class Migration:
    """One step: takes a database from ``version - 1`` to ``version``."""

    version: int
    summary: str
    apply: Callable[[sqlite3.Connection], None]


@dataclass(frozen=True, slots=True)
class MigrationResult:
    from_version: int
    to_version: int
    applied: tuple[str, ...]  # summaries of the steps run, in order

    @property
    def changed(self) -> bool:
        return self.from_version != self.to_version


def _execute_all(conn: sqlite3.Connection, statements: Sequence[str]) -> None:
    for statement in statements:
        conn.execute(statement)


def _v1_library(conn: sqlite3.Connection) -> None:
    _execute_all(
        conn,
        (
            """CREATE TABLE poems (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                title TEXT NOT NULL DEFAULT '',
                author TEXT NOT NULL DEFAULT '',
                form TEXT,
                rhyme_group TEXT,
                text TEXT NOT NULL DEFAULT '',
                notes TEXT NOT NULL DEFAULT '',
                origin TEXT NOT NULL DEFAULT 'written',
                model_id TEXT,
                sampling TEXT,
                reasoning TEXT,
                score_tones FLOAT,
                score_rhymes FLOAT,
                score_antithesis FLOAT,
                score_length FLOAT,
                score_total FLOAT,
                created_at VARCHAR(27) NOT NULL,
                updated_at VARCHAR(27) NOT NULL,
                deleted_at VARCHAR(27)
            )""",
            """CREATE TABLE tags (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE
            )""",
            """CREATE TABLE poem_tags (
                poem_id INTEGER NOT NULL REFERENCES poems (id) ON DELETE CASCADE,
                tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
                PRIMARY KEY (poem_id, tag_id)
            )""",
            "CREATE INDEX ix_poem_tags_tag_id ON poem_tags (tag_id)",
        ),
    )


_SNAPSHOT_COLUMNS = (
    "title, author, form, rhyme_group, text, notes, "
    "score_tones, score_rhymes, score_antithesis, score_length, score_total"
)


def _v2_revisions(conn: sqlite3.Connection) -> None:
    _execute_all(
        conn,
        (
            """CREATE TABLE revisions (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                poem_id INTEGER NOT NULL REFERENCES poems (id) ON DELETE CASCADE,
                created_at VARCHAR(27) NOT NULL,
                reason TEXT NOT NULL,
                restored_from INTEGER,
                title TEXT NOT NULL DEFAULT '',
                author TEXT NOT NULL DEFAULT '',
                form TEXT,
                rhyme_group TEXT,
                text TEXT NOT NULL DEFAULT '',
                notes TEXT NOT NULL DEFAULT '',
                tags TEXT NOT NULL DEFAULT '[]',
                score_tones FLOAT,
                score_rhymes FLOAT,
                score_antithesis FLOAT,
                score_length FLOAT,
                score_total FLOAT
            )""",
            "CREATE INDEX ix_revisions_poem_id ON revisions (poem_id, id)",
        ),
    )
    # History starts where the poems stand: one revision per existing poem.
    tags_of: dict[int, list[str]] = {}
    for poem_id, name in conn.execute(
        "SELECT pt.poem_id, t.name FROM poem_tags pt "
        "JOIN tags t ON t.id = pt.tag_id ORDER BY t.name"
    ):
        tags_of.setdefault(int(poem_id), []).append(str(name))
    poems = conn.execute(f"SELECT id, updated_at, {_SNAPSHOT_COLUMNS} FROM poems ORDER BY id")
    for poem_id, updated_at, *snapshot in poems.fetchall():
        tags = json.dumps(tags_of.get(int(poem_id), []), ensure_ascii=False)
        conn.execute(
            f"INSERT INTO revisions (poem_id, created_at, reason, {_SNAPSHOT_COLUMNS}, tags) "
            "VALUES (?, ?, 'migrate', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (poem_id, updated_at, *snapshot, tags),
        )


def _v3_drafts_meta_indexes(conn: sqlite3.Connection) -> None:
    _execute_all(
        conn,
        (
            """CREATE TABLE drafts (
                slot TEXT NOT NULL PRIMARY KEY,
                poem_id INTEGER REFERENCES poems (id) ON DELETE CASCADE,
                payload TEXT NOT NULL,
                created_at VARCHAR(27) NOT NULL,
                updated_at VARCHAR(27) NOT NULL
            )""",
            """CREATE TABLE meta (
                key TEXT NOT NULL PRIMARY KEY,
                value TEXT NOT NULL
            )""",
            "CREATE INDEX ix_poems_updated_at ON poems (updated_at)",
            "CREATE INDEX ix_poems_created_at ON poems (created_at)",
            # Partial: "not in the trash" matches nearly every row, and a plain index
            # on deleted_at would lure the planner away from the ordering indexes.
            "CREATE INDEX ix_poems_trash ON poems (deleted_at) WHERE deleted_at IS NOT NULL",
        ),
    )


def _v4_assignments(conn: sqlite3.Connection) -> None:
    _execute_all(
        conn,
        (
            """CREATE TABLE assignments (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                title TEXT NOT NULL DEFAULT '',
                form TEXT NOT NULL,
                tag TEXT NOT NULL UNIQUE,
                spec TEXT NOT NULL,
                due TEXT,
                created_at VARCHAR(27) NOT NULL,
                updated_at VARCHAR(27) NOT NULL
            )""",
            """CREATE TABLE submissions (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                assignment_id INTEGER NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
                poem_id INTEGER REFERENCES poems (id) ON DELETE SET NULL,
                student TEXT NOT NULL DEFAULT '',
                source TEXT NOT NULL DEFAULT '',
                text TEXT,
                status TEXT NOT NULL,
                grade FLOAT,
                score_total FLOAT,
                report TEXT NOT NULL DEFAULT '{}',
                graded_at VARCHAR(27) NOT NULL
            )""",
            "CREATE INDEX ix_submissions_assignment_id ON submissions (assignment_id, id)",
            "CREATE INDEX ix_submissions_poem_id ON submissions (poem_id)",
        ),
    )


def _v5_ci(conn: sqlite3.Connection) -> None:
    """词: the 词牌 (tune) and 体 (form key, e.g. 菩薩蠻#0) of a poem and of each revision."""
    _execute_all(
        conn,
        (
            "ALTER TABLE poems ADD COLUMN tune TEXT",
            "ALTER TABLE poems ADD COLUMN ci_form TEXT",
            "ALTER TABLE revisions ADD COLUMN tune TEXT",
            "ALTER TABLE revisions ADD COLUMN ci_form TEXT",
        ),
    )


def _v6_rhyme_book(conn: sqlite3.Connection) -> None:
    """The rhyme book a poem is checked against (pingshui / xinyun / tongyun; NULL: the
    default, 平水韵), on poems and on each revision."""
    _execute_all(
        conn,
        (
            "ALTER TABLE poems ADD COLUMN rhyme_book TEXT",
            "ALTER TABLE revisions ADD COLUMN rhyme_book TEXT",
        ),
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "poems and tags", _v1_library),
    Migration(2, "revisions, one per existing poem", _v2_revisions),
    Migration(3, "drafts, meta, list indexes", _v3_drafts_meta_indexes),
    Migration(4, "assignments and graded submissions", _v4_assignments),
    Migration(5, "词: a poem's 词牌 and 体", _v5_ci),
    Migration(6, "a poem's rhyme book (平水韵, 中华新韵, 中华通韵)", _v6_rhyme_book),
)
LATEST_VERSION = MIGRATIONS[-1].version


def check_migrations(migrations: Sequence[Migration]) -> None:
    """Refuse a list whose versions are not exactly 1, 2, …, n."""
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(migrations) + 1)):
        raise ValueError(f"migration versions must be 1..n in order, got {versions}")


def newer_schema_error(conn: sqlite3.Connection, found: int, supported: int) -> NewerSchemaError:
    return NewerSchemaError(found, supported, written_by=read_meta(conn, "app_version"))


def migrate(
    conn: sqlite3.Connection,
    migrations: Sequence[Migration] = MIGRATIONS,
    *,
    app_version: str = "",
) -> MigrationResult:
    """Bring the database on ``conn`` (autocommit mode) up to the last migration.

    Raises :class:`NewerSchemaError` without touching a database from a newer
    version, and :class:`MigrationError` (after rolling back) when a step fails
    or leaves the file unsound.
    """
    check_migrations(migrations)
    if conn.in_transaction:
        raise RuntimeError("migrate() needs a connection outside any transaction")
    target = migrations[-1].version if migrations else 0
    current = user_version(conn)
    if current > target:
        raise newer_schema_error(conn, current, target)
    if current == target:
        return MigrationResult(current, current, ())
    pending = migrations[current:]
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for step in pending:
                step.apply(conn)
            conn.execute(f"PRAGMA user_version = {int(target)}")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            if app_version and "meta" in table_names(conn):
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('app_version', ?)",
                    (app_version,),
                )
            violations = conn.execute("PRAGMA foreign_key_check").fetchall()
            if violations:
                raise MigrationError(detail=f"foreign_key_check: {violations[:5]}")
            problems = integrity_problems(conn)
            if problems:
                raise MigrationError(detail=f"integrity_check: {problems[:5]}")
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, StorageError) or not isinstance(exc, Exception):
                raise
            if isinstance(exc, sqlite3.Error) and sqlite_error_class(exc) is not None:
                raise from_sqlite(exc) from exc
            raise MigrationError(detail=f"{type(exc).__name__}: {exc}") from exc
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    return MigrationResult(current, target, tuple(step.summary for step in pending))
