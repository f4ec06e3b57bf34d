"""Grading one submission and a whole class folder: every file accounted for."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest

from app.assign.explain import grade_steps
from app.assign.gradebook import gradebook_csv, write_gradebook
from app.assign.grading import Status, grade_all, grade_submission
from app.assign.intake import Submission, read_folder
from app.assign.model import Assignment, GradingPolicy, band_of
from app.assign.requirements import RequirementKind
from app.assign.summary import summarize
from app.prosody.checker import Checker
from app.prosody.findings import Rule
from app.prosody.forms import Form
from app.prosody.scorer import score
from tests.support.assign_class import (
    CHU_SAI,
    LIANGZHOU,
    frontier_assignment,
    graded_class,
    make_class_folder,
)


def test_a_perfect_poem_gets_its_score_as_its_grade(checker: Checker) -> None:
    a = frontier_assignment()
    r = grade_submission(Submission("王昌龄", "a.txt", CHU_SAI), a, checker)
    assert r.status is Status.GRADED and r.reason is None
    assert r.score is not None and r.score.total == pytest.approx(100.0)
    assert r.unmet == () and r.deductions == ()
    assert r.base == r.grade == 100.0 and r.band() == "优秀" and r.band("en") == "excellent"


# 凉州词 with one slip: 孤国 puts 入声 国 where line 2's 4th character must be 平 (the poem
# itself keeps the rules: 羌笛何须怨杨柳 is a 特拗 line, 怨 read 仄).
LIANGZHOU_SLIP = LIANGZHOU.replace("孤城", "孤国")


def test_the_grade_is_the_weighted_scores_less_the_deductions(checker: Checker) -> None:
    a = frontier_assignment()  # a 七绝: no couplet required, 28 characters
    r = grade_submission(Submission("王之涣", "b.txt", LIANGZHOU_SLIP), a, checker)
    analysis = checker.analyze(LIANGZHOU_SLIP, form=a.form, group=a.rhyme.group)
    s = score(analysis, checker.lexicon)
    n_errors = sum(1 for f in analysis.findings if f.is_error)
    assert n_errors == 1 and len(r.errors) == 1
    # 对仗 does not apply to a 绝句: its weight is left out, not paid as a free 100
    assert r.base == round((0.4 * s.tones + 0.3 * s.rhymes + 0.1 * s.length) / 0.8, 1)
    # an error costs 4 in a 七律 (56 characters), 4 × 56 / 28 = 8 in a 七绝
    assert [(d.count, d.each, d.points) for d in r.deductions] == [(1, 8.0, 8.0)]
    uncapped = round(r.base - 8.0, 1)
    assert uncapped > 89 and r.grade == 89.0 and r.cap == 89.0 and r.band() == "良好"
    # the library's score of the poem is the default policy's grade
    assert r.grade == round(s.total, 1)
    # another policy: tones only, 5 points an error, flat, no cap
    heavy = replace(a, policy=GradingPolicy(weights=(1, 0, 0, 0), error_points=5,
                                            scale_errors=False, error_cap=None))  # fmt: skip
    r2 = grade_submission(Submission("王之涣", "b.txt", LIANGZHOU_SLIP), heavy, checker)
    assert r2.base == round(s.tones, 1) and r2.grade == round(s.tones - 5, 1) and r2.cap is None
    # rules that do not count take nothing off and do not cap
    lenient = replace(a, policy=GradingPolicy(counted_rules=frozenset({Rule.CHU_YUN})))
    r3 = grade_submission(Submission("王之涣", "b.txt", LIANGZHOU_SLIP), lenient, checker)
    assert r3.grade == r3.base and r3.cap is None


JINGYESI = "床前明月光，疑是地上霜。举头望明月，低头思故乡。"


def test_a_quatrain_with_shi_nian_and_shi_dui_is_not_excellent(checker: Checker) -> None:
    # 静夜思 as a 五绝: 平仄 at 上, 失对 and 失粘 at 头 — three errors in twenty characters.
    a = Assignment(title="静夜", form=Form.WUJUE)
    r = grade_submission(Submission("李白", "j.txt", JINGYESI), a, checker)
    assert {f.rule for f in r.errors} == {Rule.TONE, Rule.SHI_DUI, Rule.SHI_NIAN}
    assert r.base == 95.0  # (90×0.4 + 100×0.3 + 100×0.1) ÷ 0.8
    assert [(d.count, d.each) for d in r.deductions] == [(3, 11.2)]  # 4 × 56 / 20
    assert r.grade == 61.4 and r.band() == "及格"
    s = score(checker.analyze(JINGYESI), checker.lexicon)
    assert s.weighted == pytest.approx(96.0)  # the model card's formula, as before
    assert round(s.total, 1) == 61.4  # the library's score agrees with the grade
    steps = grade_steps(r, a.policy)
    assert (
        steps[0]
        == "基础分 95 = (平仄 90×0.4 + 押韵 100×0.3 + 字数 100×0.1) ÷ 0.8；对仗不计（此诗体不要求）。"
    )
    assert "错误：3处 × 11.2 = −33.6。" in steps
    assert steps[-1] == "成绩 61.4：及格。"
    en = grade_steps(r, a.policy, "en")
    assert en[-1] == "Grade 61.4: pass." and "Errors: 3 × 11.2 = −33.6." in en


def test_any_counted_error_keeps_a_poem_below_excellent(checker: Checker) -> None:
    # One error in a 七律 costs 4 points: 99-odd, but the cap holds it at 89 (良好).
    huanghelou = ("昔人已乘黄鹤去，此地空余黄鹤楼。黄鹤一去不复返，白云千载空悠悠。"
                  "晴川历历汉阳树，芳草萋萋鹦鹉洲。日暮乡关何处是，烟波江上使人愁。")  # fmt: skip
    a = Assignment(title="登楼", form=Form.QILV)
    r = grade_submission(Submission("崔颢", "h.txt", huanghelou), a, checker)
    assert len(r.errors) >= 1 and r.grade is not None and r.grade <= 89.0
    assert band_of(r.grade) != "优秀" and r.cap == 89.0
    assert "诗中有错误，成绩最高89分。" in grade_steps(r, a.policy)
    # the same error costs a 五绝 2.8 times as much as a 七律
    assert GradingPolicy().error_cost(Form.WUJUE) == pytest.approx(2.8 * 4)
    assert GradingPolicy().error_cost(Form.QILV) == pytest.approx(4)


def test_a_class_folder_every_file_accounted_for(checker: Checker, tmp_path: Path) -> None:
    expected = make_class_folder(tmp_path / "class")
    subs = read_folder(tmp_path / "class")
    reports = list(grade_all(subs, frontier_assignment(), checker))
    assert len(reports) == len(expected)
    got = {r.submission.source: (r.student, r.status.value) for r in reports}
    assert got == expected
    for r in reports:
        if r.status is Status.GRADED:
            assert r.grade is not None and 0 <= r.grade <= 100 and r.reason is None
        else:
            assert r.grade is None and r.reason is not None
            assert r.reason.zh and r.reason.en
    by_source = {r.submission.source: r for r in reports}
    assert by_source["02_李白.txt"].submission.encoding == "GB18030/GBK"
    assert by_source["03 王之涣.txt"].submission.encoding == "UTF-16"
    assert "PNG" in by_source["07_图片.txt"].reason.zh  # type: ignore[union-attr]
    zhang = by_source["09.txt"]
    assert zhang.submission.title == "月夜"
    assert RequirementKind.FORBIDDEN_CHARS in {q.kind for q in zhang.unmet}
    assert any(f.rule is Rule.LENGTH for f in zhang.errors)  # 8 characters in line 2
    wrong = by_source["06_杜甫.txt"]
    assert "七律" in wrong.reason.zh  # type: ignore[union-attr]


def test_the_class_summary(checker: Checker, tmp_path: Path) -> None:
    _, reports = graded_class(tmp_path / "class", checker)
    summary = summarize(reports)
    graded = [r for r in reports if r.graded]
    assert summary.handed_in == 13 and summary.graded == len(graded) == 5
    assert dict(summary.by_status) == {
        Status.GRADED: 5,
        Status.EMPTY: 2,
        Status.UNREADABLE: 4,
        Status.WRONG_FORM: 2,
    }
    assert sum(b.count for b in summary.distribution) == 5
    grades = sorted(r.grade for r in graded if r.grade is not None)
    assert summary.lowest == grades[0] and summary.highest == grades[-1]
    assert summary.median == grades[2]
    for b in summary.distribution:
        assert b.count == sum(1 for g in grades if b.low <= g < b.high or g == b.high == 100)
    rules = [f.rule for f in summary.faults]
    assert Rule.CHU_YUN in rules and Rule.LENGTH in rules
    top = summary.faults[0]
    assert top.students >= 1 and top.occurrences >= top.students
    assert dict(summary.unmet)[RequirementKind.RHYME_GROUP] == 1
    assert summary.mean_scores is not None and all(0 <= x <= 100 for x in summary.mean_scores)


def test_the_gradebook_csv_opens_in_excel(checker: Checker, tmp_path: Path) -> None:
    _, reports = graded_class(tmp_path / "class", checker)
    path = write_gradebook(tmp_path / "grades.csv", reports)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert table[0][:3] == ["学生", "文件", "状态"] and len(table) == 1 + len(reports)
    rows = {row[1]: row for row in table[1:]}
    assert rows["01_王昌龄.txt"][0] == "王昌龄" and rows["01_王昌龄.txt"][10] == "100.0"
    assert rows["05_空白.txt"][2] == "空白" and rows["05_空白.txt"][10] == ""
    assert "PNG" in rows["07_图片.txt"][14]
    english = list(csv.reader(io.StringIO(gradebook_csv(reports, "en"), newline="")))
    assert english[0][0] == "Student" and english[1][2] == "graded"


def test_a_formula_looking_name_is_defused(checker: Checker) -> None:
    r = grade_submission(Submission("=HYPERLINK(1)", "x.txt", CHU_SAI), frontier_assignment(),
                         checker)  # fmt: skip
    table = list(csv.reader(io.StringIO(gradebook_csv([r]), newline="")))
    assert table[1][0] == "'=HYPERLINK(1)"
