"""Assignments in the library: the migration, JSON round trips, grading runs, tagged poems."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from app.assign.codec import AssignmentFormatError, from_json, to_json
from app.assign.grading import grade_all
from app.assign.model import GradingPolicy, Qi
from app.assign.persist import (
    assignment_of,
    library_submissions,
    store_assignment,
    store_grading,
)
from app.paths import AppPaths
from app.prosody.checker import Checker
from app.prosody.findings import Rule
from app.storage.assignments import (
    AssignmentNotFoundError,
    AssignmentTagTakenError,
    delete_assignment,
    get_assignment,
    list_assignments,
    list_submissions,
    submissions_of_poem,
)
from app.storage.db import LibraryOptions, open_library
from app.storage.migrations import MIGRATIONS, migrate
from app.storage.records import PoemData
from app.storage.worker import LibraryWorker
from tests.support.assign_class import BAIDI, CHU_SAI, SHANXING, frontier_assignment
from tests.support.storage_clock import StepClock


def _options(tmp_path: Path) -> LibraryOptions:
    return LibraryOptions(clock=StepClock(), spool_folders=(tmp_path / "spool",))


def test_the_json_round_trip_keeps_everything() -> None:
    a = replace(
        frontier_assignment(),
        qi=Qi.PING,
        due=date(2025, 4, 1),
        policy=GradingPolicy(strict_135=True, weights=(1, 1, 0, 0), error_points=3,
                             counted_rules=frozenset({Rule.TONE, Rule.CHU_YUN})),
    )  # fmt: skip
    assert from_json(to_json(a)) == a
    raw = json.loads(to_json(a))
    assert raw["v"] == 2 and raw["rhyme_group"] == "上平十五删"
    raw["unknown_future_field"] = [1, 2]
    del raw["theme"]
    assert from_json(json.dumps(raw)) == replace(a, theme="")


def test_an_assignment_set_before_scaled_errors_grades_as_it_did() -> None:
    # Version 1 took a flat error_points off per error, with no cap on the grade.
    old = json.loads(to_json(frontier_assignment()))
    old["v"] = 1
    for key in ("scale_errors", "error_cap"):
        del old["policy"][key]
    old["policy"]["error_points"] = 2.0
    policy = from_json(json.dumps(old)).policy
    assert policy.error_points == 2.0 and not policy.scale_errors and policy.error_cap is None
    # a new one without a policy gets today's default
    fresh = from_json('{"v": 2, "title": "t", "form": "五绝"}').policy
    assert fresh == GradingPolicy() and fresh.scale_errors and fresh.error_cap == 89.0
    capless = from_json('{"title": "t", "form": "五绝", "policy": {"error_cap": null}}').policy
    assert capless.error_cap is None and capless.scale_errors


@pytest.mark.parametrize(
    "bad",
    [
        "[]",
        "{not json",
        '{"form": "五言古诗"}',
        '{"form": "七绝", "rhyme_group": "不存在"}',
        '{"form": "七绝", "due": "tomorrow"}',
        '{"form": "七绝", "policy": {"weights": [0, 0, 0, 0]}}',
        '{"form": "七绝", "policy": {"error_points": -1}}',
        '{"form": "七绝", "policy": {"error_cap": 101}}',
        '{"form": "七绝", "policy": {"scale_errors": "yes"}}',
        '{"v": "2", "form": "七绝"}',
        '{"form": "七绝", "imagery": "月"}',
    ],
)
def test_unreadable_assignment_json_is_refused_with_a_message(bad: str) -> None:
    with pytest.raises(AssignmentFormatError) as caught:
        from_json(bad)
    assert caught.value.message.zh.startswith("作业数据无法读取")


def test_a_version_3_library_gains_the_assignment_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, MIGRATIONS[:3])
    conn.execute(
        "INSERT INTO poems (title, text, created_at, updated_at) VALUES ('旧', '甲', "
        "'2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z')"
    )
    result = migrate(conn, MIGRATIONS[:4])
    assert (result.from_version, result.to_version) == (3, 4)
    assert result.applied == ("assignments and graded submissions",)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
    assert {"assignments", "submissions"} <= tables
    assert conn.execute("SELECT title FROM poems").fetchall() == [("旧",)]
    conn.close()


def test_assignments_and_grading_runs_are_kept(checker: Checker, tmp_path: Path) -> None:
    library, _ = open_library(AppPaths.under(tmp_path), _options(tmp_path))
    try:
        a = frontier_assignment()
        rec = store_assignment(library, a)
        assert rec.tag == "作业·边塞七绝" and rec.form == "七绝"
        assert assignment_of(get_assignment(library, rec.id)) == replace(a, tag=rec.tag)
        with pytest.raises(AssignmentTagTakenError) as caught:
            store_assignment(library, a)
        assert "标签" in caught.value.message.zh
        # renamed later: the tag stays the one its poems carry
        edited = replace(assignment_of(rec), title="边塞七绝（修订）", instructions="改过的说明")
        again = store_assignment(library, edited, rec.id)
        assert again.id == rec.id and assignment_of(again).instructions == "改过的说明"
        assert again.tag == rec.tag == assignment_of(again).library_tag
        assert [r.id for r in list_assignments(library)] == [rec.id]

        # students' poems in the library, tagged with the assignment
        p1 = library.save_poem(PoemData(title="出塞", author="王昌龄", text=CHU_SAI,
                                        tags=(rec.tag,)))  # fmt: skip
        p2 = library.save_poem(PoemData(title="山行", author="杜牧", text=SHANXING,
                                        tags=(rec.tag, "秋")))  # fmt: skip
        library.save_poem(PoemData(title="别的", author="李白", text=BAIDI))
        subs = library_submissions(library, edited)
        assert [(s.student, s.poem_id) for s in subs] == [("王昌龄", p1.id), ("杜牧", p2.id)]
        reports = list(grade_all(subs, edited, checker))
        stored = store_grading(library, rec.id, reports)
        assert [s.poem_id for s in stored] == [p1.id, p2.id]
        back = list_submissions(library, rec.id)
        assert [(s.student, s.status, s.grade) for s in back] == [
            (r.student, r.status.value, r.grade) for r in reports
        ]
        summary = json.loads(back[1].report)
        assert summary["unmet"] == ["rhyme_group"] and "chu_yun" in summary["errors"]
        assert [s.assignment_id for s in submissions_of_poem(library, p2.id)] == [rec.id]
        # grading again replaces the run; deleting the poem keeps the result, unlinked
        store_grading(library, rec.id, reports[:1])
        assert len(list_submissions(library, rec.id)) == 1
        library.delete(p1.id)
        library.empty_trash()
        assert list_submissions(library, rec.id)[0].poem_id is None
        delete_assignment(library, rec.id)
        assert list_submissions(library, rec.id) == []
        with pytest.raises(AssignmentNotFoundError):
            get_assignment(library, rec.id)
    finally:
        library.close()


def test_through_the_library_worker(tmp_path: Path) -> None:
    with LibraryWorker(AppPaths.under(tmp_path), _options(tmp_path)) as worker:
        worker.opened.result()
        rec = worker.submit(store_assignment, frontier_assignment()).result()
        found = worker.submit(list_assignments).result()
        assert [r.id for r in found] == [rec.id]
