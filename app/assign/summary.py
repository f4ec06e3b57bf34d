"""The class at a glance: the table's figures, the distribution, the commonest faults."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from app.assign.grading import Status, StudentReport
from app.assign.model import BANDS
from app.assign.requirements import RequirementKind
from app.prosody.findings import Rule, Severity


@dataclass(frozen=True, slots=True)
class Bin:
    """One bar of the distribution: grades in [low, high] (``high`` inclusive for 100)."""

    low: float
    high: float
    zh: str
    en: str
    count: int

    def label(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True, slots=True)
class FaultCount:
    rule: Rule
    students: int  # graded submissions with at least one such error/warning
    occurrences: int

    def label(self, lang: str = "zh") -> str:
        return self.rule.en if lang == "en" else self.rule.zh


@dataclass(frozen=True, slots=True)
class ClassSummary:
    handed_in: int  # every entry (file or poem) looked at
    graded: int
    by_status: tuple[tuple[Status, int], ...]
    mean: float | None
    median: float | None
    lowest: float | None
    highest: float | None
    mean_scores: tuple[float, float, float, float] | None  # 平仄, 押韵, 对仗, 字数
    distribution: tuple[Bin, ...]
    faults: tuple[FaultCount, ...]  # most common first
    unmet: tuple[tuple[RequirementKind, int], ...]  # requirement → students who missed it

    @property
    def not_graded(self) -> int:
        return self.handed_in - self.graded


def summarize(reports: Sequence[StudentReport], *, top: int = 8) -> ClassSummary:
    graded = [r for r in reports if r.status is Status.GRADED and r.grade is not None]
    grades = [r.grade for r in graded if r.grade is not None]
    status_counts = Counter(r.status for r in reports)
    bins: list[Bin] = []
    previous_low = 100.0
    for i, (low, zh, en) in enumerate(BANDS):
        high = 100.0 if i == 0 else previous_low
        inside = [g for g in grades if g >= low and (g < high or (i == 0 and g <= high))]
        span = f"{low:g}–{high:g}"
        bins.append(Bin(low, high, f"{zh} {span}", f"{en} {span}", len(inside)))
        previous_low = low
    students: Counter[Rule] = Counter()
    occurrences: Counter[Rule] = Counter()
    unmet: Counter[RequirementKind] = Counter()
    for r in graded:
        seen: set[Rule] = set()
        for f in r.findings:
            if f.severity >= Severity.WARNING:
                occurrences[f.rule] += 1
                seen.add(f.rule)
        for rule in seen:
            students[rule] += 1
        for req in r.unmet:
            unmet[req.kind] += 1
    faults = sorted(students, key=lambda rule: (-students[rule], -occurrences[rule], rule.value))
    scores = [r.score for r in graded if r.score is not None]
    mean_scores = None
    if scores:
        n = len(scores)
        mean_scores = (
            sum(s.tones for s in scores) / n,
            sum(s.rhymes for s in scores) / n,
            sum(s.antithesis for s in scores) / n,
            sum(s.length for s in scores) / n,
        )
    return ClassSummary(
        handed_in=len(reports),
        graded=len(graded),
        by_status=tuple((s, status_counts[s]) for s in Status if status_counts[s]),
        mean=round(statistics.fmean(grades), 1) if grades else None,
        median=round(statistics.median(grades), 1) if grades else None,
        lowest=min(grades) if grades else None,
        highest=max(grades) if grades else None,
        mean_scores=mean_scores,
        distribution=tuple(reversed(bins)),  # lowest band first, as a chart reads
        faults=tuple(FaultCount(r, students[r], occurrences[r]) for r in faults[:top]),
        unmet=tuple(sorted(unmet.items(), key=lambda kv: (-kv[1], kv[0].value))),
    )
