"""A 词 assignment: it names a 词牌 and 体 (and a rhyme book, and may pin a 部); it is kept
as JSON, graded against the 体 — tones, rhymes, length —, its sheet shows the 体's rows
(a small 词谱 written by the tests)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.assign.ci import CiAssignment, ci_sheet_lines
from app.assign.codec import AssignmentFormatError, from_json, to_json
from app.assign.explain import grade_steps
from app.assign.grading import Status, StudentReport, grade_submission
from app.assign.intake import Submission
from app.assign.model import Assignment, GradingPolicy
from app.assign.persist import assignment_data
from app.assign.requirements import RequirementKind, check_requirements
from app.assign.sheet import sheet_content, sheet_text
from app.prosody.books.shelf import Shelf
from app.prosody.checker import Checker
from app.prosody.ci import CiChecker, CipuTable
from app.prosody.ci.books import CiBookKind, ci_book
from app.prosody.ci.checker import CiSettings
from app.prosody.findings import Rule
from app.prosody.forms import Form
from app.prosody.rhymebook.cilin import CilinBook
from tests.support.cipu_fixture import (  # noqa: F401
    PUSAMAN,
    QINGPINGYUE,
    cilin_fixture,
    cipu_table_fixture,
)

CHU_SAI = "秦时明月汉时关，万里长征人未还。但使龙城飞将在，不教胡马度阴山。"


@pytest.fixture(scope="module")
def ci(shelf: Shelf, cilin: CilinBook, table: CipuTable) -> CiChecker:
    return CiChecker.of(ci_book(CiBookKind.CILIN, shelf, cilin), table)


def _assignment(table: CipuTable, tune: str = "菩萨蛮", **kw: object) -> Assignment:
    found = table.find(tune)
    assert found is not None
    ci_kw = {k: kw.pop(k) for k in ("book", "bu") if k in kw}
    return Assignment(
        title="秋思",
        form=Form.QIJUE,
        ci=CiAssignment(found.forms[0], **ci_kw),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def _grade(a: Assignment, text: str, checker: CiChecker) -> StudentReport:
    return grade_submission(Submission("李白", "a.txt", text), a, checker)


def test_it_is_kept_as_json_with_its_form_itself(table: CipuTable) -> None:
    a = _assignment(table, bu=(("B", 12),), imagery=("楼",), due=None)
    again = from_json(to_json(a))
    assert again.ci is not None and again.ci == a.ci
    assert again.ci.form.segments == a.ci.form.segments and again.ci.bu == (("B", 12),)
    assert again.form_name == "词" and again.form_label == "词·菩薩蠻·正体（44字）"
    assert assignment_data(a).form == "词"
    assert '"ci"' in to_json(a) and '"form": "词"' in to_json(a)
    plain = replace(a, ci=None)
    assert from_json(to_json(plain)).ci is None and assignment_data(plain).form == "七绝"
    with pytest.raises(AssignmentFormatError):
        from_json(to_json(a).replace('"book": "cilin"', '"book": "没有"'))
    with pytest.raises(AssignmentFormatError):
        from_json(to_json(a).replace('"bu": {"B": 12}', '"bu": {"B": "十二"}'))


def test_what_cannot_be_saved(table: CipuTable, ci: CiChecker) -> None:
    assert _assignment(table).problems() == []
    wrong = _assignment(table, bu=(("Z", 7),))
    assert any("没有Z韵" in m.zh for m in wrong.problems())
    rhymed = replace(_assignment(table), rhyme=replace(_assignment(table).rhyme, group_id=0))
    assert any("词的押韵按词牌的韵组指定" in m.zh for m in rhymed.problems())
    bad_bu = CiAssignment(_assignment(table).ci.form, bu=(("A", 40),))  # type: ignore[union-attr]
    assert any("没有这个韵部" in m.zh for m in bad_bu.problems(ci.rhymes))


def test_a_ci_that_keeps_its_form_gets_full_marks(table: CipuTable, ci: CiChecker) -> None:
    r = _grade(_assignment(table), PUSAMAN, ci)
    assert r.status is Status.GRADED and r.grade == 100.0 and r.deductions == ()
    assert r.score is not None
    assert r.score.tone_units == (44, 44) and r.score.rhyme_units == (8, 8)
    assert not r.score.applies[2]  # no 对仗 in a 词


def test_tones_rhymes_and_length_are_graded_against_the_form(
    table: CipuTable, ci: CiChecker
) -> None:
    a = _assignment(table)
    slip = PUSAMAN.replace("长亭更短亭", "长亭更短天").replace("有人楼上愁", "有客楼上愁")
    r = _grade(a, slip, ci)
    assert r.status is Status.GRADED
    rules = sorted(f.rule.value for f in r.errors)
    assert rules == sorted([Rule.CHU_YUN.value, Rule.TONE.value])
    each = 4 * 56 / 44  # an error in a 44-character 词
    assert [(d.count, round(d.each, 2)) for d in r.deductions] == [(2, round(each, 2))]
    assert r.grade is not None and r.grade <= 89.0 and r.cap in (None, 89.0)
    steps = grade_steps(r, a.policy)
    assert any("《菩薩蠻》44字" in s for s in steps), steps
    short = _grade(a, PUSAMAN.replace("宿鸟归飞急。", ""), ci)
    assert short.status is Status.GRADED and short.score is not None
    assert short.score.line_units == (7, 8)


def test_another_shape_is_the_wrong_form(table: CipuTable, ci: CiChecker) -> None:
    a = _assignment(table)
    verse = _grade(a, CHU_SAI, ci)  # a 七绝: 28 characters for a 44-character 词
    assert verse.status is Status.WRONG_FORM and verse.reason is not None
    assert "共44字" in verse.reason.zh and "28字" in verse.reason.zh
    other = _grade(a, QINGPINGYUE, ci)  # 46 characters: near in length, but 清平乐's shape
    assert other.status is Status.WRONG_FORM and other.reason is not None
    assert "此稿合《清平樂》的体式" in other.reason.zh


def test_a_pinned_bu_and_other_requirements(table: CipuTable, ci: CiChecker) -> None:
    a = _assignment(table, bu=(("B", 1),), imagery=("楼", "雁"), forbidden_chars="碧")
    r = _grade(a, PUSAMAN, ci)
    by_kind = {q.kind: q for q in r.requirements}
    assert not by_kind[RequirementKind.RHYME_GROUP].passed  # 楼/愁 are not in 第一部
    assert "「楼愁」不在第一部" in by_kind[RequirementKind.RHYME_GROUP].found.zh
    assert [f.char for f in r.errors if f.rule is Rule.CHU_YUN] == ["楼", "愁"]
    assert not by_kind[RequirementKind.IMAGERY].passed  # 雁 is missing
    assert not by_kind[RequirementKind.FORBIDDEN_CHARS].passed  # 碧 is used
    assert by_kind[RequirementKind.FORM].passed
    kept = _grade(_assignment(table, bu=(("B", 12),)), PUSAMAN, ci)
    assert kept.grade == 100.0
    # while writing, the editor's reading of an unfinished 词 is not yet a wrong length
    partial = ci.analyze("平林漠漠烟如织", form=a.ci.form, settings=CiSettings(partial=True))  # type: ignore[union-attr]
    results = check_requirements(a, partial, ci.book)
    assert next(q for q in results if q.kind is RequirementKind.FORM).passed


def test_it_is_graded_in_its_own_book(
    table: CipuTable, ci: CiChecker, shelf: Shelf, cilin: CilinBook, checker: Checker
) -> None:
    pingshui = CiChecker.of(ci_book(CiBookKind.PINGSHUI, shelf, cilin), table)
    a = _assignment(table, book=CiBookKind.PINGSHUI)
    r = _grade(a, PUSAMAN, pingshui)
    assert r.status is Status.GRADED and r.grade is not None and r.grade < 90
    assert {f.char for f in r.errors} >= {"碧", "亭"}
    with pytest.raises(ValueError, match="ci checker"):
        _grade(a, PUSAMAN, ci)  # the 词林正韵's checker for a 平水韵 assignment
    with pytest.raises(ValueError, match="ci checker"):
        grade_submission(Submission("x", "a", PUSAMAN), a, checker)
    plain = Assignment("七绝", Form.QIJUE)
    with pytest.raises(ValueError, match="诗 checker"):
        grade_submission(Submission("x", "a", CHU_SAI), plain, ci)


def test_the_sheet_shows_the_form_row_by_row(table: CipuTable, ci: CiChecker) -> None:
    a = _assignment(table, "采桑子", bu=(("A", 7),), policy=GradingPolicy())
    rows = ci_sheet_lines(a.ci.form)  # type: ignore[union-attr]
    assert [r.template for r in rows][:2] == ["⊙平⊙仄平平仄", "⊙仄平平"]
    assert [r.rhymes for r in rows][:2] == [False, True]
    content = sheet_content(a, ci_rhymes=ci.rhymes)
    assert content.line_len == 0 and len(content.lines) == len(a.ci.form.segments)  # type: ignore[union-attr]
    assert content.requirements[0] == "词牌：采桑子·正体（44字），2段（4句、4句）"
    assert content.requirements[1] == "用韵：押词林正韵；A韵押第七部"
    assert content.rhyme_group == "A韵第七部" and "天" in content.rhyme_chars
    text = sheet_text(content)
    assert "词谱（采桑子·正体（44字））：" in text and "（韵）" in text and "可平可仄" in text
    assert "孤平" not in text
    en = sheet_content(a, ci_rhymes=ci.rhymes, lang="en")
    assert en.requirements[0].startswith("Ci: 采桑子, main form (44 characters)")
    li = _assignment(table, "采桑子").ci
    assert li is not None
    pauses = ci_sheet_lines(table.find("采桑子").forms[1])  # type: ignore[union-attr]
    assert any(r.pause for r in pauses)  # 李清照's 体 has a 讀
