"""The poem library: every read and write of poems, revisions, tags and drafts.

A :class:`Library` is confined to the thread that opened it (the UI runs it on
one worker, see :mod:`app.storage.worker`). Each method is one short
transaction; writes use ``BEGIN IMMEDIATE`` so they never fail half-way on a
lock upgrade. Failures surface as typed
:class:`~app.storage.errors.StorageError`\\ s with a Chinese and English
message; a failed write changes nothing (the transaction is rolled back whole).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, Engine, Select, delete, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.storage.backup import (
    BackupPolicy,
    BackupResult,
    BackupSchedule,
    list_backups,
    make_backup,
    rotate_backups,
)
from app.storage.errors import (
    InvalidPoemError,
    LibraryClosedError,
    PoemNotFoundError,
    RevisionNotFoundError,
    StorageError,
    from_database_error,
    from_os_error,
)
from app.storage.files import sqlite_companions
from app.storage.messages import Message
from app.storage.queries import count_statement, search_statement
from app.storage.records import (
    DraftData,
    DraftRecord,
    LibraryStats,
    PoemData,
    PoemQuery,
    PoemRecord,
    RevisionRecord,
    Scores,
    TagCount,
    poem_data_to_json,
    poem_slot,
    sampling_json,
)
from app.storage.rescore import Scorable, stale_scores, store_scores
from app.storage.rows import draft_record, poem_record, revision_record
from app.storage.schema import Draft, Poem, Revision, Tag, poem_tags
from app.storage.spool import DraftSpool


class Library:
    """The poem library on one SQLite file. Made by :func:`app.storage.db.open_library`."""

    def __init__(
        self,
        engine: Engine,
        *,
        database: Path,
        backups: Path,
        spool: DraftSpool,
        clock: Callable[[], datetime],
        backup_policy: BackupPolicy,
        schema_version: int,
        busy_timeout_s: float = 5.0,
        backed_up: bool = False,
        script_forms: Callable[[str], str] | None = None,
    ) -> None:
        self._engine = engine
        self._forms = script_forms
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(
            engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )
        self._database = database
        self._backups = backups
        self._spool = spool
        self._spooled = spool.slots()
        self._clock = clock
        self._backup_policy = backup_policy
        newest = next((b for b in list_backups(backups) if b.label is None), None)
        self._schedule = BackupSchedule(
            backup_policy,
            database,
            last_at=newest.created_at if newest is not None else None,
            current=backed_up,  # ``backed_up``: a start-up backup was just taken
        )
        self._schema_version = schema_version
        self._busy_timeout_s = busy_timeout_s
        self._thread = threading.get_ident()
        self._closed = False

    # ------------------------------------------------------------------ plumbing
    @property
    def database(self) -> Path:
        return self._database

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Check the thread and translate every database or file fault into a typed error."""
        if self._closed:
            raise LibraryClosedError
        if threading.get_ident() != self._thread:
            raise RuntimeError("a Library is confined to the thread that opened it")
        try:
            yield
        except StorageError:
            raise
        except (sqlite3.Error, SQLAlchemyError) as exc:
            raise from_database_error(exc) from exc
        except OSError as exc:
            raise from_os_error(exc, self._database) from exc

    def _unspool(self, slots: list[str]) -> None:
        held = [slot for slot in slots if slot in self._spooled]
        if held:
            self._spool.remove(held)
            self._spooled.difference_update(held)

    # ------------------------------------------------------------------ poems
    def save_poem(
        self, data: PoemData, *, poem_id: int | None = None, draft_slot: str | None = None
    ) -> PoemRecord:
        """Save a new poem (``poem_id=None``) or a new version of an existing one.

        Every save that changes something keeps a revision; a save that changes
        nothing is a no-op (no revision, ``updated_at`` unchanged). With
        ``draft_slot``, that slot's draft is cleared in the same transaction.
        Text is cleaned first (:mod:`app.storage.text`); compare the returned
        record with what was given to see whether anything was replaced.
        """
        clean = data.cleaned()
        now = self._clock()
        with self._guard(), self._write.begin() as session:
            if poem_id is None:
                poem = Poem(created_at=now, updated_at=now, deleted_at=None)
                session.add(poem)
                self._store(session, poem, clean, now, reason="create")
            else:
                poem = self._poem(session, poem_id)
                self._store(session, poem, clean, now, reason="save")
            if draft_slot is not None:
                session.execute(delete(Draft).where(Draft.slot == draft_slot))
            record = poem_record(poem)
        if draft_slot is not None:
            self._unspool([draft_slot])
        return record

    @staticmethod
    def _poem(session: Session, poem_id: int) -> Poem:
        poem = session.get(Poem, poem_id)
        if poem is None:
            raise PoemNotFoundError(poem_id)
        return poem

    def _store(
        self,
        session: Session,
        poem: Poem,
        data: PoemData,
        now: datetime,
        *,
        reason: str,
        restored_from: int | None = None,
    ) -> None:
        """Write ``data`` into ``poem`` and keep a revision; do nothing if nothing changed."""
        sampling = None if data.sampling is None else sampling_json(data.sampling)
        fields = {
            "title": data.title,
            "text": data.text,
            "author": data.author,
            "notes": data.notes,
            "form": data.form,
            "rhyme_group": data.rhyme_group,
            "rhyme_book": data.rhyme_book,
            "tune": data.tune,
            "ci_form": data.ci_form,
            "origin": data.origin,
            "model_id": data.model_id,
            "sampling": sampling,
            "reasoning": data.reasoning,
            "score_tones": data.scores.tones,
            "score_rhymes": data.scores.rhymes,
            "score_antithesis": data.scores.antithesis,
            "score_length": data.scores.length,
            "score_total": data.scores.total,
        }
        is_new = poem.id is None
        old_tags = tuple(tag.name for tag in poem.tags) if not is_new else ()
        if (
            not is_new
            and old_tags == data.tags
            and all(getattr(poem, name) == value for name, value in fields.items())
        ):
            return
        for name, value in fields.items():
            setattr(poem, name, value)
        if old_tags != data.tags:
            poem.tags = self._tags(session, data.tags)
        poem.updated_at = now
        session.flush()
        session.add(
            Revision(
                poem_id=poem.id,
                created_at=now,
                reason=reason,
                restored_from=restored_from,
                title=data.title,
                author=data.author,
                form=data.form,
                rhyme_group=data.rhyme_group,
                rhyme_book=data.rhyme_book,
                tune=data.tune,
                ci_form=data.ci_form,
                text=data.text,
                notes=data.notes,
                tags=json.dumps(list(data.tags), ensure_ascii=False),
                score_tones=data.scores.tones,
                score_rhymes=data.scores.rhymes,
                score_antithesis=data.scores.antithesis,
                score_length=data.scores.length,
                score_total=data.scores.total,
            )
        )
        if old_tags and old_tags != data.tags:
            session.flush()
            self._drop_unused_tags(session)

    @staticmethod
    def _tags(session: Session, names: tuple[str, ...]) -> list[Tag]:
        if not names:
            return []
        existing = {t.name: t for t in session.scalars(select(Tag).where(Tag.name.in_(names)))}
        tags = [existing.get(name) or Tag(name=name) for name in names]
        session.add_all(t for t in tags if t.name not in existing)
        return tags

    @staticmethod
    def _drop_unused_tags(session: Session) -> None:
        used = select(poem_tags.c.tag_id)
        session.execute(delete(Tag).where(Tag.id.not_in(used)))

    def get(self, poem_id: int) -> PoemRecord:
        """The poem with this id (in the trash or not); raises :class:`PoemNotFoundError`."""
        with self._guard(), self._read() as session:
            return poem_record(self._poem(session, poem_id))

    def search(self, query: PoemQuery | None = None) -> list[PoemRecord]:
        """Poems matching ``query`` (default: everything outside the trash, newest first)."""
        with self._guard(), self._read() as session:
            rows = session.scalars(search_statement(query or PoemQuery(), self._forms)).all()
            return [poem_record(row) for row in rows]

    def count(self, query: PoemQuery | None = None) -> int:
        """How many poems match ``query`` (ignoring its limit and offset)."""
        with self._guard(), self._read() as session:
            return int(session.scalar(count_statement(query or PoemQuery(), self._forms)) or 0)

    # ------------------------------------------------------------------ scoring rule
    def stale_scores(self, rule: int) -> list[Scorable] | None:
        """The poems and revisions to score again when the scoring rule is now ``rule``
        (None when the stored scores follow it): see :mod:`app.storage.rescore`."""
        with self._guard(), self._read() as session:
            return stale_scores(session, rule)

    def store_scores(self, rule: int, scored: list[tuple[Scorable, Scores | None]]) -> int:
        """Write scores made under ``rule`` and record that the library follows it."""
        with self._guard(), self._write.begin() as session:
            return store_scores(session, rule, scored)

    # ------------------------------------------------------------------ revisions
    def revisions(self, poem_id: int) -> list[RevisionRecord]:
        """The poem's revisions, newest first."""
        with self._guard(), self._read() as session:
            self._poem(session, poem_id)
            rows = session.scalars(
                select(Revision).where(Revision.poem_id == poem_id).order_by(Revision.id.desc())
            ).all()
            return [revision_record(row) for row in rows]

    def restore_revision(self, revision_id: int) -> PoemRecord:
        """Make a revision current again. This is itself a save (reason ``restore``).

        So it can be undone by restoring the revision before it. Generation
        metadata (origin, model, sampling, reasoning) is kept as it is.
        """
        now = self._clock()
        with self._guard(), self._write.begin() as session:
            row = session.get(Revision, revision_id)
            if row is None:
                raise RevisionNotFoundError(revision_id)
            snapshot = revision_record(row)
            poem = self._poem(session, row.poem_id)
            current = poem_record(poem).to_data()
            data = PoemData(
                title=snapshot.title,
                text=snapshot.text,
                author=snapshot.author,
                notes=snapshot.notes,
                form=snapshot.form,
                rhyme_group=snapshot.rhyme_group,
                rhyme_book=snapshot.rhyme_book,
                tune=snapshot.tune,
                ci_form=snapshot.ci_form,
                tags=snapshot.tags,
                origin=current.origin,
                model_id=current.model_id,
                sampling=current.sampling,
                reasoning=current.reasoning,
                scores=snapshot.scores,
            ).cleaned(strict=False)
            self._store(session, poem, data, now, reason="restore", restored_from=revision_id)
            return poem_record(poem)

    # ------------------------------------------------------------------ trash
    def delete(self, poem_id: int) -> PoemRecord:
        """Move a poem to the trash (soft delete). Its revisions stay."""
        return self._set_deleted(poem_id, self._clock())

    def undelete(self, poem_id: int) -> PoemRecord:
        """Take a poem out of the trash."""
        return self._set_deleted(poem_id, None)

    def _set_deleted(self, poem_id: int, when: datetime | None) -> PoemRecord:
        with self._guard(), self._write.begin() as session:
            poem = self._poem(session, poem_id)
            if (poem.deleted_at is None) != (when is None):
                poem.deleted_at = when
            return poem_record(poem)

    def empty_trash(self, *, older_than: timedelta | None = None) -> int:
        """Delete poems in the trash for good (all, or those trashed before ``older_than`` ago).

        This is the only way anything is deleted for good, and a backup labelled
        ``before-empty-trash`` is taken first. Returns how many poems went.
        """
        now = self._clock()
        cutoff = now - older_than if older_than is not None else None
        condition: ColumnElement[bool] = Poem.deleted_at.is_not(None)
        if cutoff is not None:
            condition = condition & (Poem.deleted_at <= cutoff)
        with self._guard(), self._read() as session:
            doomed = list(session.scalars(select(Poem.id).where(condition)))
        if not doomed:
            return 0
        self.backup(label="before-empty-trash")
        with self._guard(), self._write.begin() as session:
            doomed = list(session.scalars(select(Poem.id).where(condition)))
            session.execute(delete(Poem).where(Poem.id.in_(doomed)))
            self._drop_unused_tags(session)
        self._unspool([poem_slot(poem_id) for poem_id in doomed])
        return len(doomed)

    # ------------------------------------------------------------------ tags
    def tags(self) -> list[TagCount]:
        """Every tag with the number of poems outside the trash that carry it, by name."""
        active = (
            select(poem_tags.c.tag_id, func.count().label("n"))
            .join(Poem, Poem.id == poem_tags.c.poem_id)
            .where(Poem.deleted_at.is_(None))
            .group_by(poem_tags.c.tag_id)
            .subquery()
        )
        statement = (
            select(Tag.name, func.coalesce(active.c.n, 0))
            .outerjoin(active, active.c.tag_id == Tag.id)
            .order_by(Tag.name)
        )
        with self._guard(), self._read() as session:
            return [TagCount(str(name), int(n)) for name, n in session.execute(statement)]

    def rename_tag(self, old: str, new: str) -> int:
        """Rename a tag everywhere, merging into ``new`` if it exists. Returns poems touched.

        Tags are labels: renaming one adds no revisions.
        """
        new_name = PoemData(tags=(new,)).cleaned().tags
        if not new_name:
            raise InvalidPoemError(Message("标签不能为空。", "A tag cannot be empty."))
        with self._guard(), self._write.begin() as session:
            source = session.scalar(select(Tag).where(Tag.name == old))
            if source is None or source.name == new_name[0]:
                return 0
            touched = int(
                session.scalar(select(func.count()).where(poem_tags.c.tag_id == source.id)) or 0
            )
            target = session.scalar(select(Tag).where(Tag.name == new_name[0]))
            if target is None:
                source.name = new_name[0]
                return touched
            session.execute(
                text(
                    "INSERT OR IGNORE INTO poem_tags (poem_id, tag_id) "
                    "SELECT poem_id, :target FROM poem_tags WHERE tag_id = :source"
                ),
                {"target": target.id, "source": source.id},
            )
            session.execute(delete(Tag).where(Tag.id == source.id))
            return touched

    # ------------------------------------------------------------------ drafts
    def save_draft(self, draft: DraftData) -> DraftRecord:
        """Store unsaved editor content for ``draft.slot`` (an autosave tick).

        Never fails on content (odd values are dropped, text is cleaned). If the
        database cannot take it (locked, full, read-only, an I/O error, damage
        found mid-session), the draft goes to the spool
        (``DraftRecord.spooled``); only when that fails too is the database's
        error raised.
        """
        poem = draft.poem.cleaned(strict=False)
        now = self._clock()
        try:
            with self._guard(), self._write.begin() as session:
                poem_id = draft.poem_id
                if poem_id is not None and session.get(Poem, poem_id) is None:
                    poem_id = None  # the poem is gone: keep the text as a new-poem draft
                row = session.get(Draft, draft.slot)
                if row is None:
                    row = Draft(slot=draft.slot, created_at=now)
                    session.add(row)
                row.poem_id = poem_id
                row.payload = poem_data_to_json(poem)
                row.updated_at = now
                session.flush()
                record = draft_record(row)
        except StorageError as exc:  # locked, full, read-only, I/O, damaged, closed
            record = DraftRecord(
                slot=draft.slot,
                poem=poem,
                poem_id=draft.poem_id,
                created_at=now,
                updated_at=now,
                spooled=True,
            )
            try:
                self._spool.write(record)
            except StorageError:
                raise exc from None
            self._spooled.add(draft.slot)
            return record
        self._unspool([draft.slot])
        return record

    def load_drafts(self, *, newer_only: bool = True) -> list[DraftRecord]:
        """Drafts to offer for restoring at start-up, newest first.

        With ``newer_only``, a draft of an existing poem is returned only when it
        is newer than the poem's last save and differs from it. Drafts held in
        the spool are included; for a slot in both places, the newer copy wins.
        """
        with self._guard(), self._read() as session:
            found = {row.slot: draft_record(row) for row in session.scalars(select(Draft))}
            for spooled in self._spool.read_all():
                held = found.get(spooled.slot)
                if held is None or spooled.updated_at > held.updated_at:
                    found[spooled.slot] = spooled
            drafts = sorted(found.values(), key=lambda d: d.updated_at, reverse=True)
            if not newer_only:
                return drafts
            kept: list[DraftRecord] = []
            for draft in drafts:
                if draft.poem_id is None:
                    kept.append(draft)
                    continue
                poem = session.get(Poem, draft.poem_id)
                if poem is None or self._draft_is_news(draft, poem):
                    kept.append(draft)
            return kept

    @staticmethod
    def _draft_is_news(draft: DraftRecord, poem: Poem) -> bool:
        """Newer than the poem's last save, and different from it."""
        if draft.updated_at <= poem.updated_at:
            return False
        return draft.poem != poem_record(poem).to_data().cleaned(strict=False)

    def clear_draft(self, slot: str) -> None:
        """Forget the draft of ``slot`` (the editor was saved or its changes discarded)."""
        with self._guard(), self._write.begin() as session:
            session.execute(delete(Draft).where(Draft.slot == slot))
        self._unspool([slot])

    # ------------------------------------------------------------------ the file
    def stats(self) -> LibraryStats:
        active = Poem.deleted_at.is_(None)

        def poems_where(condition: ColumnElement[bool]) -> Select[int]:
            return select(func.count()).select_from(Poem).where(condition)

        with self._guard(), self._read() as session:

            def count(statement: Select[int]) -> int:
                return int(session.scalar(statement) or 0)

            by_form = session.execute(
                select(func.coalesce(Poem.form, "—"), func.count())
                .where(active)
                .group_by(Poem.form)
                .order_by(Poem.form)
            ).all()
            by_origin = session.execute(
                select(Poem.origin, func.count()).where(active).group_by(Poem.origin)
            ).all()
            return LibraryStats(
                poems=count(poems_where(active)),
                in_trash=count(poems_where(~active)),
                revisions=count(select(func.count()).select_from(Revision)),
                drafts=count(select(func.count()).select_from(Draft)),
                tags=count(select(func.count()).select_from(Tag)),
                by_form=tuple((str(f), int(n)) for f, n in by_form),
                by_origin=tuple((str(o), int(n)) for o, n in by_origin),
                schema_version=self._schema_version,
                database_bytes=sum(
                    path.stat().st_size
                    for path in (self._database, sqlite_companions(self._database)[0])
                    if path.exists()
                ),
            )

    def backup(self, *, label: str | None = None) -> BackupResult:
        """Back the library up now and rotate old backups by the policy."""
        with self._guard():
            now = self._clock()
            signature = self._schedule.about_to_copy()
            result = make_backup(
                self._database,
                self._backups,
                now=now,
                label=label,
                timeout_s=self._busy_timeout_s,
            )
            if label is None:
                self._schedule.taken(now, signature)
            removed = rotate_backups(self._backups, self._backup_policy)
            return BackupResult(result.backup, result.unchanged, removed)

    def backup_if_due(self, every_s: float | None = None) -> BackupResult | None:
        """A routine backup if the library changed and the last one is ``every_s`` old
        (the policy's unless given; the app asks every minute or so); None when none was
        due."""
        with self._guard():
            due = self._schedule.due(self._clock(), every_s)
        return self.backup() if due else None

    def backup_if_changed(self) -> BackupResult | None:
        """On quit: a routine backup if anything changed since the last one (and the
        policy's ``on_quit``); None otherwise."""
        with self._guard():
            wanted = self._backup_policy.on_quit and self._schedule.changed()
        return self.backup() if wanted else None

    def close(self) -> None:
        """Fold the write-ahead log into the main file and close every connection."""
        if self._closed:
            return
        with contextlib.suppress(StorageError), self._guard(), self._engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA optimize")  # SQLite's advice before closing
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        self._engine.dispose()
        self._closed = True

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
