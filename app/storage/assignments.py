"""Assignments and graded submissions in the library database (schema version 4).

Functions take the :class:`~app.storage.repository.Library` first, so the UI runs
them on the library's own thread like every other database call:

.. code-block:: python

    record = worker.submit(save_assignment, AssignmentData(...)).result()

Each call is one short transaction on its own connection to the library's file
(WAL lets it sit beside the Library's). The storage layer keeps an assignment's
details as the JSON that :mod:`app.assign.codec` writes, and a submission's
report as a JSON summary; it does not interpret either.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.storage.db import make_engine
from app.storage.errors import StorageError, from_database_error
from app.storage.files import utc_now
from app.storage.messages import Message
from app.storage.repository import Library
from app.storage.schema import AssignmentRow, SubmissionRow
from app.storage.text import clean_optional, clean_text


class AssignmentNotFoundError(StorageError):
    default_message = Message("找不到这份作业（可能已被删除）。", "The assignment was not found.")


class AssignmentTagTakenError(StorageError):
    default_message = Message(
        "已有一份作业使用这个标签，请换一个标题或标签。",
        "Another assignment already uses this tag; choose another title or tag.",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignmentData:
    title: str
    form: str
    tag: str
    spec: str  # JSON object (app.assign.codec)
    due: str | None = None  # ISO date


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignmentRecord:
    id: int
    title: str
    form: str
    tag: str
    spec: str
    due: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmissionData:
    student: str
    source: str
    status: str  # graded | empty | unreadable | wrong_form
    text: str | None = None
    grade: float | None = None
    score_total: float | None = None
    report: str = "{}"  # JSON summary
    poem_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmissionRecord:
    id: int
    assignment_id: int
    poem_id: int | None
    student: str
    source: str
    text: str | None
    status: str
    grade: float | None
    score_total: float | None
    report: str
    graded_at: datetime


def _assignment_record(row: AssignmentRow) -> AssignmentRecord:
    return AssignmentRecord(
        id=row.id,
        title=row.title,
        form=row.form,
        tag=row.tag,
        spec=row.spec,
        due=row.due,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _submission_record(row: SubmissionRow) -> SubmissionRecord:
    return SubmissionRecord(
        id=row.id,
        assignment_id=row.assignment_id,
        poem_id=row.poem_id,
        student=row.student,
        source=row.source,
        text=row.text,
        status=row.status,
        grade=row.grade,
        score_total=row.score_total,
        report=row.report,
        graded_at=row.graded_at,
    )


@contextlib.contextmanager
def _session(library: Library, *, write: bool) -> Iterator[Session]:
    """One transaction on a fresh connection; typed errors like the Library's own."""
    engine = make_engine(library.database)
    try:
        bound = engine.execution_options(sqlite_begin="IMMEDIATE") if write else engine
        with Session(bound, expire_on_commit=False) as session, session.begin():
            yield session
    except StorageError:
        raise
    except IntegrityError as exc:
        if "UNIQUE" in str(exc.orig) and "assignments.tag" in str(exc.orig):
            raise AssignmentTagTakenError(detail=str(exc.orig)) from exc
        raise StorageError(detail=str(exc.orig)) from exc
    except (sqlite3.Error, SQLAlchemyError) as exc:
        raise from_database_error(exc) from exc
    finally:
        engine.dispose()


def save_assignment(
    library: Library,
    data: AssignmentData,
    *,
    assignment_id: int | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> AssignmentRecord:
    """Create an assignment, or replace the details of an existing one."""
    now = clock()
    with _session(library, write=True) as session:
        if assignment_id is None:
            row = AssignmentRow(created_at=now)
            session.add(row)
        else:
            found = session.get(AssignmentRow, assignment_id)
            if found is None:
                raise AssignmentNotFoundError(detail=f"id {assignment_id}")
            row = found
        row.title = clean_text(data.title)
        row.form = data.form
        row.tag = clean_text(data.tag).strip()
        row.spec = clean_text(data.spec)
        row.due = clean_optional(data.due)
        row.updated_at = now
        session.flush()
        return _assignment_record(row)


def get_assignment(library: Library, assignment_id: int) -> AssignmentRecord:
    with _session(library, write=False) as session:
        row = session.get(AssignmentRow, assignment_id)
        if row is None:
            raise AssignmentNotFoundError(detail=f"id {assignment_id}")
        return _assignment_record(row)


def list_assignments(library: Library) -> list[AssignmentRecord]:
    """Every assignment, newest first."""
    with _session(library, write=False) as session:
        rows = session.scalars(
            select(AssignmentRow).order_by(AssignmentRow.created_at.desc(), AssignmentRow.id.desc())
        ).all()
        return [_assignment_record(r) for r in rows]


def delete_assignment(library: Library, assignment_id: int) -> None:
    """Delete an assignment and its graded submissions (the poems themselves stay)."""
    with _session(library, write=True) as session:
        row = session.get(AssignmentRow, assignment_id)
        if row is None:
            raise AssignmentNotFoundError(detail=f"id {assignment_id}")
        session.delete(row)
        session.execute(delete(SubmissionRow).where(SubmissionRow.assignment_id == assignment_id))


def record_grading(
    library: Library,
    assignment_id: int,
    submissions: Sequence[SubmissionData],
    *,
    replace: bool = True,
    clock: Callable[[], datetime] = utc_now,
) -> list[SubmissionRecord]:
    """Store one grading run; with ``replace``, the assignment's earlier results go."""
    now = clock()
    with _session(library, write=True) as session:
        if session.get(AssignmentRow, assignment_id) is None:
            raise AssignmentNotFoundError(detail=f"id {assignment_id}")
        if replace:
            session.execute(
                delete(SubmissionRow).where(SubmissionRow.assignment_id == assignment_id)
            )
        rows = [
            SubmissionRow(
                assignment_id=assignment_id,
                poem_id=s.poem_id,
                student=clean_text(s.student),
                source=clean_text(s.source),
                text=clean_optional(s.text),
                status=s.status,
                grade=s.grade,
                score_total=s.score_total,
                report=clean_text(s.report),
                graded_at=now,
            )
            for s in submissions
        ]
        session.add_all(rows)
        session.flush()
        return [_submission_record(r) for r in rows]


def list_submissions(library: Library, assignment_id: int) -> list[SubmissionRecord]:
    """The stored grading results of an assignment, in the order they were recorded."""
    with _session(library, write=False) as session:
        rows = session.scalars(
            select(SubmissionRow)
            .where(SubmissionRow.assignment_id == assignment_id)
            .order_by(SubmissionRow.id)
        ).all()
        return [_submission_record(r) for r in rows]


def submissions_of_poem(library: Library, poem_id: int) -> list[SubmissionRecord]:
    """Every graded submission made from this library poem (its link to assignments)."""
    with _session(library, write=False) as session:
        rows = session.scalars(
            select(SubmissionRow).where(SubmissionRow.poem_id == poem_id).order_by(SubmissionRow.id)
        ).all()
        return [_submission_record(r) for r in rows]
