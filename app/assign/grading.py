"""Grading submissions against an assignment: one at a time or a whole class.

For each readable submission (see docs/assignments.md for the full rule):

1. empty (no Han character) → status ``EMPTY``; unreadable → ``UNREADABLE``;
2. analysed as written (nothing pinned): another form's shape (五言 for 七言,
   绝句 for 律诗) → ``WRONG_FORM`` with the reason, not graded;
3. analysed again with the assignment's form (and group, when one is set) pinned
   and the policy's checker settings → the findings and the four scores;
4. the requirements checked (:mod:`app.assign.requirements`);
5. the grade by :class:`~app.assign.model.GradingPolicy`.

Everything returned is plain frozen data, safe to hand from a worker thread to the GUI.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from app.assign.ci import ci_wrong_form
from app.assign.intake import Submission
from app.assign.model import Assignment, GradingPolicy, band_of
from app.assign.requirements import RequirementResult, check_requirements, wrong_form
from app.prosody.analysis import PoemAnalysis
from app.prosody.checker import Checker
from app.prosody.ci.checker import CiChecker, CiSettings
from app.prosody.ci.score import ci_score
from app.prosody.findings import Finding, Severity
from app.prosody.forms import Form
from app.prosody.scorer import PoemScore, capped_grade, counted_errors, score, weighted_mean
from app.prosody.text import split_lines
from app.storage.messages import Message


class Status(StrEnum):
    GRADED = "graded"
    EMPTY = "empty"
    UNREADABLE = "unreadable"
    WRONG_FORM = "wrong_form"

    def label(self, lang: str = "zh") -> str:
        zh = {"graded": "已评", "empty": "空白", "unreadable": "无法读取",
              "wrong_form": "诗体不符"}[self.value]  # fmt: skip
        en = {"graded": "graded", "empty": "empty", "unreadable": "unreadable",
              "wrong_form": "wrong form"}[self.value]  # fmt: skip
        return en if lang == "en" else zh


@dataclass(frozen=True, slots=True)
class Deduction:
    label: Message
    count: int
    points: float  # total points taken off for this line item
    each: float = 0.0  # points per occurrence (points = count × each)


@dataclass(frozen=True, slots=True)
class StudentReport:
    """Everything graded about one submission."""

    submission: Submission
    status: Status
    reason: Message | None = None  # why it was not graded
    analysis: PoemAnalysis | None = None
    score: PoemScore | None = None
    requirements: tuple[RequirementResult, ...] = ()
    deductions: tuple[Deduction, ...] = ()
    base: float | None = None  # the weighted four scores, 0…100
    grade: float | None = None  # after deductions, 0…100
    cap: float | None = None  # the cap on a poem with errors, when it lowered the grade

    @property
    def student(self) -> str:
        return self.submission.student

    @property
    def graded(self) -> bool:
        return self.status is Status.GRADED

    @property
    def findings(self) -> tuple[Finding, ...]:
        """The checker's findings (requirement findings are in ``requirements``)."""
        return self.analysis.findings if self.analysis is not None else ()

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def unmet(self) -> tuple[RequirementResult, ...]:
        return tuple(r for r in self.requirements if not r.passed)

    def band(self, lang: str = "zh") -> str:
        return "" if self.grade is None else band_of(self.grade, lang)


def weighted_base(s: PoemScore, policy: GradingPolicy) -> float:
    """The policy's weights over the scores the form asks for (a 绝句 has no 对仗)."""
    return weighted_mean(s.values, policy.weights, s.applies)


def deductions_for(
    analysis: PoemAnalysis,
    requirements: tuple[RequirementResult, ...],
    policy: GradingPolicy,
    form: Form | int,
) -> tuple[Deduction, ...]:
    """The deductions of a graded poem; ``form`` is its form, or a 体's characters."""
    counted = [f for f in analysis.findings if f.rule in policy.counted_rules]
    n_err = sum(1 for f in counted if f.severity is Severity.ERROR)
    n_warn = sum(1 for f in counted if f.severity is Severity.WARNING)
    n_req = sum(1 for r in requirements if not r.passed)
    out: list[Deduction] = []
    per_error = policy.error_cost(form)
    if n_err and per_error:
        out.append(Deduction(Message("错误", "errors"), n_err, n_err * per_error, per_error))
    per_warning = policy.warning_cost(form)
    if n_warn and per_warning:
        out.append(
            Deduction(Message("注意", "warnings"), n_warn, n_warn * per_warning, per_warning)
        )
    if n_req and policy.requirement_points:
        out.append(
            Deduction(
                Message("未达要求", "requirements not met"),
                n_req,
                n_req * policy.requirement_points,
                policy.requirement_points,
            )
        )
    return tuple(out)


def counted_error_count(analysis: PoemAnalysis, policy: GradingPolicy) -> int:
    return counted_errors(analysis.findings, policy.counted_rules)


def grade_submission(
    submission: Submission, assignment: Assignment, checker: Checker | CiChecker
) -> StudentReport:
    """Grade one submission (never raises for bad content: the status says what happened).
    A 词 assignment is graded with the 词 checker in the assignment's rhyme book; a 诗
    or 对联 one with the checker of its ``book``."""
    if assignment.ci is not None and not (
        isinstance(checker, CiChecker) and checker.book_kind is assignment.ci.book
    ):
        raise ValueError(f"a ci assignment is graded with the ci checker of {assignment.ci.book}")
    if assignment.ci is None and isinstance(checker, CiChecker):
        raise ValueError("an assignment of 诗 is graded with the 诗 checker")
    if isinstance(checker, Checker) and checker.book.kind is not assignment.book:
        raise ValueError(
            f"a {assignment.book.value} assignment graded with a {checker.book.kind.value} checker"
        )
    if submission.text is None:
        return StudentReport(submission, Status.UNREADABLE, submission.problem)
    text = submission.text
    if not split_lines(text):
        return StudentReport(
            submission,
            Status.EMPTY,
            Message("没有写诗（没有汉字）。", "No poem (no Chinese characters)."),
        )
    policy = assignment.policy
    if isinstance(checker, CiChecker):
        return _grade_ci(submission, assignment, checker, text)
    settings = policy.check_settings()
    as_written = checker.analyze(text, settings=settings, per_char=False)
    problem = wrong_form(assignment, as_written)
    if problem is not None:
        return StudentReport(submission, Status.WRONG_FORM, problem, analysis=as_written)
    analysis = checker.analyze(
        text, form=assignment.form, group=assignment.rhyme.group, settings=settings
    )
    s = score(analysis, checker.lexicon)
    reqs = check_requirements(assignment, analysis, checker.book, final=True)
    return _graded(submission, assignment, analysis, s, reqs)


def _grade_ci(
    submission: Submission, assignment: Assignment, checker: CiChecker, text: str
) -> StudentReport:
    """A 词 against the assignment's 体: another shape is the wrong form; the 体 pinned
    (and the 部 the assignment pins), the 词's scores, its requirements."""
    ci = assignment.ci
    assert ci is not None
    problem = ci_wrong_form(ci, text, checker)
    if problem is not None:
        as_written = checker.analyze(text, form=ci.form)
        return StudentReport(submission, Status.WRONG_FORM, problem, analysis=as_written)
    analysis = checker.analyze(text, form=ci.form, settings=CiSettings(bu=ci.bu))
    reqs = check_requirements(assignment, analysis, checker.book, final=True)
    return _graded(submission, assignment, analysis, ci_score(analysis), reqs)


def _graded(
    submission: Submission,
    assignment: Assignment,
    analysis: PoemAnalysis,
    s: PoemScore,
    reqs: tuple[RequirementResult, ...],
) -> StudentReport:
    policy = assignment.policy
    chars = assignment.ci.form.chars if assignment.ci is not None else assignment.form
    deductions = deductions_for(analysis, reqs, policy, chars)
    base = weighted_base(s, policy)
    deducted = sum(d.points for d in deductions)
    n_err = counted_error_count(analysis, policy)
    grade = capped_grade(base, deducted, errors=n_err, cap=policy.error_cap)
    uncapped = max(0.0, min(100.0, base - deducted))
    return StudentReport(
        submission,
        Status.GRADED,
        None,
        analysis,
        s,
        reqs,
        deductions,
        round(base, 1),
        round(grade, 1),
        policy.error_cap if grade < uncapped else None,
    )


def grade_all(
    submissions: Iterable[Submission], assignment: Assignment, checker: Checker | CiChecker
) -> Iterator[StudentReport]:
    """Grade each submission in turn (a generator: run it on a worker thread)."""
    for sub in submissions:
        yield grade_submission(sub, assignment, checker)
