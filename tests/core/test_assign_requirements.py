"""Requirement checks: each one met and not met, as Findings the editor can paint."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from app.assign.model import Assignment, FirstLine, Qi, RhymeRequirement
from app.assign.requirements import (
    RequirementChecker,
    RequirementKind,
    RequirementResult,
    check_requirements,
    wrong_form,
)
from app.prosody.analysis import PoemAnalysis
from app.prosody.checker import Checker
from app.prosody.findings import Rule, Severity
from app.prosody.forms import Form
from app.prosody.groups import group_by_name
from app.prosody.rhymebook import RhymeBook
from app.prosody.settings import CheckSettings
from tests.support.assign_class import BAIDI, CHU_SAI, DENGGAO, SHANXING, frontier_assignment


def _results(
    a: Assignment, text: str, checker: Checker, book: RhymeBook, **pin: Any
) -> tuple[dict[RequirementKind, RequirementResult], PoemAnalysis]:
    analysis = checker.analyze(text, **pin)
    return {r.kind: r for r in check_requirements(a, analysis, book, final=True)}, analysis


def test_a_poem_meeting_everything_passes_every_requirement(
    checker: Checker, book: RhymeBook
) -> None:
    a = frontier_assignment()
    results, analysis = _results(a, CHU_SAI, checker, book, form=a.form, group=a.rhyme.group)
    assert set(results) == {
        RequirementKind.FORM,
        RequirementKind.RHYME_GROUP,
        RequirementKind.FIRST_LINE,
        RequirementKind.IMAGERY,
        RequirementKind.FORBIDDEN_CHARS,
    }
    assert all(r.passed for r in results.values()), results
    assert RequirementChecker(a, book)(CHU_SAI, analysis) == []


def test_forbidden_characters_are_marked_where_they_stand(
    checker: Checker, book: RhymeBook
) -> None:
    a = replace(frontier_assignment(), forbidden_chars="月关")
    results, _ = _results(a, CHU_SAI, checker, book, form=a.form)
    r = results[RequirementKind.FORBIDDEN_CHARS]
    assert not r.passed and r.found.zh == "用了「月关」"
    cells = [(f.line, f.pos, f.char) for f in r.findings]
    assert cells == [(0, 3, "月"), (0, 6, "关")]
    for f in r.findings:
        assert f.rule is Rule.REQUIREMENT and f.severity is Severity.ERROR
        assert f.marks == ((f.line, f.pos),)
        assert f.offset is not None and CHU_SAI[f.offset] == f.char
        assert "禁用字" in f.message("zh") and "forbidden" in f.message("en")


def test_traditional_input_counts_for_simplified_requirements(
    checker: Checker, book: RhymeBook
) -> None:
    a = replace(frontier_assignment(), imagery=("长征",), forbidden_chars="马")
    trad = book.to_traditional(CHU_SAI)
    assert "長征" in trad and "馬" in trad
    results, _ = _results(a, trad, checker, book, form=a.form)
    assert results[RequirementKind.IMAGERY].passed
    forbidden = results[RequirementKind.FORBIDDEN_CHARS]
    assert [f.char for f in forbidden.findings] == ["馬"]


def test_missing_imagery_and_required_characters(checker: Checker, book: RhymeBook) -> None:
    a = replace(
        frontier_assignment(),
        imagery=("杨柳", "玉门", "明月"),
        imagery_min=0,
        required_chars="雪春",
    )
    results, _ = _results(a, CHU_SAI, checker, book, form=a.form)
    img = results[RequirementKind.IMAGERY]
    assert not img.passed and img.found.zh == "已用：明月"
    (f,) = img.findings
    assert f.severity is Severity.ERROR and f.marks == ()
    assert "还需用上2个意象" in f.message() and "杨柳" in f.message()
    req = results[RequirementKind.REQUIRED_CHARS]
    assert not req.passed and req.found.zh == "缺「雪春」"
    # at least one of three is enough when imagery_min says so
    results, _ = _results(replace(a, imagery_min=1), CHU_SAI, checker, book, form=a.form)
    assert results[RequirementKind.IMAGERY].passed


def test_the_rhyme_group_and_the_first_line(checker: Checker, book: RhymeBook) -> None:
    a = frontier_assignment()
    # not pinned: the poem's own group is compared
    results, _ = _results(a, SHANXING, checker, book, form=a.form)
    r = results[RequirementKind.RHYME_GROUP]
    assert not r.passed and "下平六麻" in r.findings[0].message()
    # pinned (as when writing against the assignment): the checker's 出韵 paints the
    # characters, so the requirement is unmet but adds no second finding
    results, analysis = _results(a, SHANXING, checker, book, form=a.form, group=a.rhyme.group)
    r = results[RequirementKind.RHYME_GROUP]
    assert not r.passed and r.findings == ()
    assert any(f.rule is Rule.CHU_YUN for f in analysis.findings)
    # any level-tone group is fine when none is set
    anyg = replace(a, rhyme=RhymeRequirement(None, FirstLine.OPTIONAL))
    results, _ = _results(anyg, SHANXING, checker, book, form=a.form)
    assert results[RequirementKind.RHYME_GROUP].passed
    assert RequirementKind.FIRST_LINE not in results
    # 首句不入韵 demanded of a poem whose first line rhymes
    no_first = replace(a, rhyme=RhymeRequirement(a.rhyme.group_id, FirstLine.FORBIDDEN))
    results, _ = _results(no_first, BAIDI, checker, book, form=a.form, group=a.rhyme.group)
    first = results[RequirementKind.FIRST_LINE]
    assert not first.passed
    assert [(f.line, f.pos, f.char) for f in first.findings] == [(0, 6, "间")]


def test_qi_requirement(checker: Checker, book: RhymeBook) -> None:
    a = replace(frontier_assignment(), qi=Qi.ZE)
    results, _ = _results(a, BAIDI, checker, book, form=a.form)  # 朝辞…: 平起
    r = results[RequirementKind.QI]
    assert not r.passed and r.findings[0].pos == 1 and r.findings[0].char == "辞"
    results, _ = _results(replace(a, qi=Qi.PING), BAIDI, checker, book, form=a.form)
    assert results[RequirementKind.QI].passed


def test_wrong_form_is_a_shape_not_a_missing_line(checker: Checker) -> None:
    a = frontier_assignment()
    assert wrong_form(a, checker.analyze(DENGGAO)) is not None  # 七律 for a 七绝
    five = wrong_form(a, checker.analyze("床前明月光，疑是地上霜。举头望明月，低头思故乡。"))
    assert five is not None and "五绝" in five.zh and "5" in five.en
    three_lines = CHU_SAI.rsplit("，", 1)[0]
    assert len(checker.analyze(three_lines).lines) == 3
    assert wrong_form(a, checker.analyze(three_lines)) is None  # graded, with a length fault


def test_while_typing_missing_things_are_hints_and_wrong_things_errors(
    checker: Checker, book: RhymeBook
) -> None:
    a = replace(frontier_assignment(), imagery=("玉门",), forbidden_chars="秦")
    provider = RequirementChecker(a, book)
    typing = CheckSettings(partial=True)
    analysis = checker.analyze("秦时明月汉时关，万里", form=a.form, group=a.rhyme.group,
                               settings=typing)  # fmt: skip
    found = {f.get("kind"): f for f in provider("", analysis)}
    assert found["imagery"].severity is Severity.HINT
    assert found["forbidden_chars"].severity is Severity.ERROR
    assert "form" not in found and "first_line" not in found
    # 五言 lines typed into a 七言 assignment are wrong at once
    analysis = checker.analyze("床前明月光，疑是地上霜。举头", form=a.form, settings=typing)
    kinds = {f.get("kind") for f in provider("", analysis)}
    assert "form" in kinds
    assert provider("", checker.analyze("", form=a.form)) == []


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"title": " "}, "标题"),
        ({"form": Form.WUPAI}, "五言排律"),
        ({"rhyme": RhymeRequirement(100)}, "仄声"),
        ({"required_chars": "月", "forbidden_chars": "月"}, "既是必用字又是禁用字"),
        ({"imagery": ("月",), "imagery_min": 3}, "至少用3个"),
    ],
)
def test_an_assignment_says_what_is_wrong_with_it(change: dict[str, object], fragment: str) -> None:
    a = replace(frontier_assignment(), **change)  # type: ignore[arg-type]
    problems = a.problems()
    assert problems and any(fragment in p.zh for p in problems), problems
    assert all(p.en for p in problems)
    assert frontier_assignment().problems() == []
    g = group_by_name("上平十五删")
    assert g is not None and frontier_assignment().rhyme.group == g
