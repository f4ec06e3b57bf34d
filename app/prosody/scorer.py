"""The four scores — 平仄, 押韵, 对仗, 字数 — and their total (meter-spec §8).

Each score is the percentage of its units that are correct; every definition is
here and in docs/scoring.md, so any figure can be reproduced from the code:

* **平仄 (tones)** — unit: a character position of the form's template (lines ×
  characters per line, counting only lines that exist and at most the form's
  number of lines and characters). A position is wrong when an *error* of a tonal
  rule paints it (a fixed position of the wrong tone, 失对, 失粘, 孤平, 三平尾,
  an unrescued 大拗, a bad 特拗, a wrong line ending). Polyphones and recognised
  拗救 forms are correct; guessed readings are never errors, so they count as correct.
* **押韵 (rhymes)** — unit: a rhyme slot the form requires (every even line, and line 1
  when the poem's template has 首句入韵). Correct when the character can be read in the
  poem's 平声 group (line 1 may borrow a neighbouring group). Missing lines count as wrong.
* **对仗 (antithesis)** — unit: a couplet that must be parallel (颔联 and 颈联 of a 律诗;
  every inner couplet of a 排律). Correct when its parallelism score (duizhang.py)
  is at least 0.5. A 绝句 requires none and scores 100.
* **字数 (length)** — unit: a line; correct when it has exactly the form's number of
  characters. The count is the larger of the form's number of lines and the poem's.

A 仄韵 poem is not 近体: it scores 0 for 平仄 and 押韵.

Two figures sum them up:

* ``weighted`` = 0.4·平仄 + 0.3·押韵 + 0.2·对仗 + 0.1·字数, the model card's formula,
  kept to compare a model's poems with its published figures;
* ``total`` — the poem's score (the library's, and the default grade of an
  assignment before its own requirements): the same weights over the scores that
  apply (a 绝句 requires no 对仗, so its weight is left out rather than given a
  free 100), minus :func:`error_cost` for every counted error (each error costs
  ``ERROR_POINTS`` in a 七律 and proportionally more in a shorter form, where it is
  a larger part of the poem), and a poem with any error stays at or below
  ``ERROR_CAP``, under the 90 of 优秀. See docs/scoring.md.

A couplet (对联, :func:`score_couplet`): 平仄 counts the rhythm points of every clause of
both sides (its 2nd, 4th … character and its last); 押韵 does not apply (``rhymes_apply``
False, the figure is None), so ``base`` is the weighted mean of the other three:
(0.4·平仄 + 0.2·对仗 + 0.1·字数) / 0.7; 对仗 and 字数 count the clause pairs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from app.prosody.analysis import PoemAnalysis, RhymeMark
from app.prosody.couplet.analysis import CoupletAnalysis
from app.prosody.couplet.rules import rhythm_points
from app.prosody.duizhang import Lexicon, couplet_score, required_couplets
from app.prosody.findings import Finding, Rule, Severity

WEIGHTS = {"tones": 0.4, "rhymes": 0.3, "antithesis": 0.2, "length": 0.1}

# The errors that cost points: every rule but advisory ones (对仗 has its own score,
# 冒韵 and 重字 are style) and an assignment's requirements (which cost their own).
COUNTED_RULES: frozenset[Rule] = frozenset(Rule) - {
    Rule.DUI_ZHANG,
    Rule.MAO_YUN,
    Rule.CHONG_ZI,
    Rule.REQUIREMENT,
}
ERROR_POINTS = 4.0  # what one error costs in a 七律 ...
REFERENCE_CHARS = 56  # ... of 56 characters; a shorter form pays more per error
ERROR_CAP = 89.0  # the best a poem with an error can score (优秀 starts at 90)

# The number of the rule these figures follow. Raise it with every change that gives a
# stored poem another score (the weights, the costs, the cap, what counts): a library whose
# scores follow another rule scores its poems again when it is opened (docs/scoring.md).
# 1: the weighted mean alone; 2: errors deducted and capped, 绝句 and 对联 bases.
SCORE_RULE = 2


def error_cost(form_chars: int, points: float = ERROR_POINTS, *, scaled: bool = True) -> float:
    """Points one error costs in a form of ``form_chars`` characters.

    ``points`` is the cost in a 七律 (56 characters); scaled by 56 ÷ ``form_chars``
    an error costs the same share of the poem in every form: 五绝 ×2.8, 七绝 ×2,
    五律 ×1.4, 七律 ×1, a 十韵 五言排律 ×0.56. Unscaled, ``points`` flat.
    """
    if not scaled or form_chars <= 0:
        return points
    return points * REFERENCE_CHARS / form_chars


def counted_errors(findings: Iterable[Finding], rules: frozenset[Rule] = COUNTED_RULES) -> int:
    """How many ERROR findings of ``rules`` there are."""
    return sum(1 for f in findings if f.severity is Severity.ERROR and f.rule in rules)


def weighted_mean(
    values: tuple[float, float, float, float],
    weights: tuple[float, float, float, float],
    applies: tuple[bool, bool, bool, bool] = (True, True, True, True),
) -> float:
    """The weighted mean of the four scores over those that apply (0 when none weighs)."""
    pairs = [(v, w) for v, w, a in zip(values, weights, applies, strict=True) if a and w > 0]
    total = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / total if total > 0 else 0.0


def capped_grade(base: float, deducted: float, *, errors: int, cap: float | None) -> float:
    """``base − deducted`` in 0…100, at most ``cap`` when there are ``errors``."""
    grade = max(0.0, min(100.0, base - deducted))
    if errors and cap is not None:
        grade = min(grade, cap)
    return grade


@dataclass(frozen=True, slots=True)
class PoemScore:
    tones: float
    rhymes: float
    antithesis: float
    length: float
    # the units behind each figure: (correct, counted)
    tone_units: tuple[int, int]
    rhyme_units: tuple[int, int]
    couplet_units: tuple[int, int]
    line_units: tuple[int, int]
    errors: int = 0  # counted errors (COUNTED_RULES)
    form_chars: int = 0  # the form's characters: lines × characters per line
    rhymes_apply: bool = True  # False for a couplet (对联): 押韵 does not apply

    @property
    def values(self) -> tuple[float, float, float, float]:
        return (self.tones, self.rhymes, self.antithesis, self.length)

    @property
    def applies(self) -> tuple[bool, bool, bool, bool]:
        """Which scores the form asks for (a 绝句 requires no couplet, a 对联 no rhyme)."""
        return (True, self.rhymes_apply, self.couplet_units[1] > 0, True)

    @property
    def rhymes_or_none(self) -> float | None:
        return self.rhymes if self.rhymes_apply else None

    @property
    def weighted(self) -> float:
        """The model card's formula over all four scores (a couplet, which has no rhyme
        score, over the three it has: its ``base``)."""
        if not self.rhymes_apply:
            return self.base
        return (
            WEIGHTS["tones"] * self.tones
            + WEIGHTS["rhymes"] * self.rhymes
            + WEIGHTS["antithesis"] * self.antithesis
            + WEIGHTS["length"] * self.length
        )

    @property
    def base(self) -> float:
        """The weighted mean of the scores that apply (before errors are deducted)."""
        w = WEIGHTS
        weights = (w["tones"], w["rhymes"], w["antithesis"], w["length"])
        return weighted_mean(self.values, weights, self.applies)

    @property
    def deducted(self) -> float:
        return self.errors * error_cost(self.form_chars)

    @property
    def total(self) -> float:
        """The poem's score: ``base`` less the errors' cost, capped when there are errors."""
        return capped_grade(self.base, self.deducted, errors=self.errors, cap=ERROR_CAP)

    def as_dict(self) -> dict[str, float | None]:
        return {
            "tones": round(self.tones, 2),
            "rhymes": round(self.rhymes, 2) if self.rhymes_apply else None,
            "antithesis": round(self.antithesis, 2),
            "length": round(self.length, 2),
            "weighted": round(self.weighted, 2),
            "errors": self.errors,
            "deducted": round(self.deducted, 2),
            "total": round(self.total, 2),
        }


def _pct(ok: int, n: int) -> float:
    return 100.0 * ok / n if n else 100.0


def score(analysis: PoemAnalysis, lexicon: Lexicon) -> PoemScore:
    """Score one analysed poem (analyse it with its intended form pinned when known).
    A 词 (:class:`~app.prosody.ci.analysis.CiAnalysis`) is scored against its 体."""
    from app.prosody.ci.analysis import CiAnalysis

    if isinstance(analysis, CiAnalysis):
        from app.prosody.ci.score import ci_score

        return ci_score(analysis)
    if isinstance(analysis, CoupletAnalysis):
        return score_couplet(analysis, lexicon)
    form = analysis.form
    if form is None or not analysis.lines:
        return PoemScore(0.0, 0.0, 0.0, 0.0, (0, 0), (0, 0), (0, 0), (0, 0))
    length = form.line_len
    n_actual = len(analysis.lines)
    n_expected = form.n_lines or max(10, n_actual + n_actual % 2)

    # 字数
    lines_ok = sum(1 for ln in analysis.lines[:n_expected] if ln.length_ok)
    line_units = (lines_ok, max(n_expected, n_actual))

    # 平仄
    counted = sum(min(len(ln.text.chars), length) for ln in analysis.lines[:n_expected])
    if analysis.ze_yun:
        tone_units = (0, max(counted, 1))
    else:
        wrong = {
            cell
            for f in analysis.findings
            if f.severity is Severity.ERROR and f.rule.is_tonal
            for cell in f.marks
            if cell[0] < n_expected and cell[1] < length
        }
        tone_units = (counted - len(wrong), counted)

    # 押韵
    first = analysis.scheme is not None and analysis.scheme.first_rhymes
    slots_required = n_expected // 2 + (1 if first else 0)
    if analysis.ze_yun:
        rhyme_units = (0, slots_required)
    else:
        good = sum(
            1
            for cell, status in zip(analysis.rhyme_slots, analysis.rhyme_status, strict=True)
            if cell[0] < n_expected
            and status in (RhymeMark.IN, RhymeMark.BORROWED)
            and analysis.lines[cell[0]].length_ok
        )
        rhyme_units = (good, slots_required)

    # 对仗
    pairs = required_couplets(form, n_expected)
    parallel = 0
    for i, j in pairs:
        if j < n_actual:
            s, _weak = couplet_score(analysis.lines[i].text.chars, analysis.lines[j].text.chars,
                                     lexicon)  # fmt: skip
            if s >= 0.5:
                parallel += 1
    couplet_units = (parallel, len(pairs))

    return PoemScore(
        tones=_pct(*tone_units),
        rhymes=_pct(*rhyme_units),
        antithesis=_pct(*couplet_units),
        length=_pct(*line_units),
        tone_units=tone_units,
        rhyme_units=rhyme_units,
        couplet_units=couplet_units,
        line_units=line_units,
        errors=counted_errors(analysis.findings),
        form_chars=n_expected * length,
    )


def score_couplet(analysis: CoupletAnalysis, lexicon: Lexicon) -> PoemScore:
    """A couplet's scores (see the module notes)."""
    lines = analysis.lines
    split = analysis.split
    ka, kb = split, len(lines) - split
    k = max(ka, kb)
    # 字数: a clause pair of equal lengths (a clause without its partner is wrong)
    pairs = analysis.pairs
    equal = sum(1 for a, b in pairs if len(lines[a].text.chars) == len(lines[b].text.chars))
    line_units = (equal, k)
    # 平仄: the rhythm points of every clause of both sides
    wrong = {
        cell
        for f in analysis.findings
        if f.severity is Severity.ERROR and f.rule.is_tonal
        for cell in f.marks
    }
    cells = {(i, p) for i, ln in enumerate(lines) for p in rhythm_points(len(ln.text.chars))}
    tone_units = (len(cells - wrong), len(cells))
    # 对仗: each clause pair at least half parallel (the poem checker's scorer)
    parallel = 0
    for a, b in pairs:
        x, y = lines[a].text.chars, lines[b].text.chars
        if len(x) == len(y) and couplet_score(x, y, lexicon)[0] >= 0.5:
            parallel += 1
    couplet_units = (parallel, k)
    chars = sum(len(ln.text.chars) for ln in lines)
    return PoemScore(
        tones=_pct(*tone_units),
        rhymes=100.0,
        antithesis=_pct(*couplet_units),
        length=_pct(*line_units),
        tone_units=tone_units,
        rhyme_units=(0, 0),
        couplet_units=couplet_units,
        line_units=line_units,
        errors=counted_errors(analysis.findings),
        form_chars=chars,
        rhymes_apply=False,
    )


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Mean scores over a collection (per poem, unweighted)."""

    n: int
    tones: float
    rhymes: float | None  # None: no poem of the collection has a rhyme score (couplets)
    antithesis: float
    length: float
    total: float
    weighted: float = 0.0

    def as_dict(self) -> dict[str, float | None]:
        return {
            "n": self.n,
            "tones": round(self.tones, 2),
            "rhymes": None if self.rhymes is None else round(self.rhymes, 2),
            "antithesis": round(self.antithesis, 2),
            "length": round(self.length, 2),
            "weighted": round(self.weighted, 2),
            "total": round(self.total, 2),
        }


def aggregate(scores: Iterable[PoemScore]) -> Aggregate:
    items = list(scores)
    n = len(items)
    if not n:
        return Aggregate(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    rhymed = [s.rhymes for s in items if s.rhymes_apply]  # couplets have no rhyme score
    return Aggregate(
        n,
        sum(s.tones for s in items) / n,
        sum(rhymed) / len(rhymed) if rhymed else None,
        sum(s.antithesis for s in items) / n,
        sum(s.length for s in items) / n,
        sum(s.total for s in items) / n,
        sum(s.weighted for s in items) / n,
    )


def aggregate_by(pairs: Iterable[tuple[str, PoemScore]]) -> dict[str, Aggregate]:
    """Group (key, score) pairs — e.g. by form — and aggregate each group and ``全部``."""
    groups: defaultdict[str, list[PoemScore]] = defaultdict(list)
    for key, s in pairs:
        groups[key].append(s)
        groups["全部"].append(s)
    return {key: aggregate(items) for key, items in groups.items()}
