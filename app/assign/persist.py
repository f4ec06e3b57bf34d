"""Between the assignment model and the library (app/storage/assignments.py).

Functions taking a :class:`~app.storage.repository.Library` first run on the
library's thread (``worker.submit(fn, ...)``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

from app.assign.codec import from_json, to_json
from app.assign.grading import StudentReport
from app.assign.intake import Submission, submissions_from_poems
from app.assign.model import Assignment
from app.storage.assignments import (
    AssignmentData,
    AssignmentRecord,
    SubmissionData,
    SubmissionRecord,
    record_grading,
    save_assignment,
)
from app.storage.records import PoemQuery
from app.storage.repository import Library


def assignment_data(a: Assignment) -> AssignmentData:
    """The row for ``a``. Its tag is fixed here (``作业·<title>`` unless set), so renaming
    the assignment later does not lose the poems already tagged for it."""
    fixed = replace(a, tag=a.library_tag)
    return AssignmentData(
        title=a.title,
        form=a.form_name,
        tag=fixed.tag,
        spec=to_json(fixed),
        due=a.due.isoformat() if a.due is not None else None,
    )


def assignment_of(record: AssignmentRecord) -> Assignment:
    """The stored assignment, with the row's tag (raises AssignmentFormatError for
    unreadable JSON)."""
    return replace(from_json(record.spec), tag=record.tag)


def store_assignment(
    library: Library, a: Assignment, assignment_id: int | None = None
) -> AssignmentRecord:
    return save_assignment(library, assignment_data(a), assignment_id=assignment_id)


def report_json(r: StudentReport) -> str:
    """A compact JSON summary of a report (what the gradebook needs, not the analysis)."""
    s = r.score
    summary: dict[str, object] = {
        "status": r.status.value,
        "title": r.submission.title,
        "encoding": r.submission.encoding,
        "reason": [r.reason.zh, r.reason.en] if r.reason else None,
        "scores": s.as_dict() if s else None,
        "base": r.base,
        "grade": r.grade,
        "deductions": [[d.label.zh, d.count, d.points] for d in r.deductions],
        "unmet": [q.kind.value for q in r.unmet],
        "errors": [f.rule.value for f in r.errors],
    }
    return json.dumps(summary, ensure_ascii=False, sort_keys=True)


def submission_data(r: StudentReport) -> SubmissionData:
    return SubmissionData(
        student=r.student,
        source=r.submission.source,
        status=r.status.value,
        text=r.submission.text,
        grade=r.grade,
        score_total=round(r.score.total, 2) if r.score else None,
        report=report_json(r),
        poem_id=r.submission.poem_id,
    )


def store_grading(
    library: Library, assignment_id: int, reports: Sequence[StudentReport]
) -> list[SubmissionRecord]:
    """Keep a grading run (replacing the assignment's earlier one)."""
    return record_grading(library, assignment_id, [submission_data(r) for r in reports])


def library_submissions(library: Library, a: Assignment) -> list[Submission]:
    """Poems in the library tagged with the assignment's tag, oldest first."""
    records = library.search(PoemQuery(tag=a.library_tag, sort="created", descending=False))
    return submissions_from_poems(records)
