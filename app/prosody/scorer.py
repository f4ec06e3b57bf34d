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
total = 0.4·平仄 + 0.3·押韵 + 0.2·对仗 + 0.1·字数.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from app.prosody.analysis import PoemAnalysis, RhymeMark
from app.prosody.duizhang import Lexicon, couplet_score, required_couplets
from app.prosody.findings import Severity

WEIGHTS = {"tones": 0.4, "rhymes": 0.3, "antithesis": 0.2, "length": 0.1}


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

    @property
    def total(self) -> float:
        return (
            WEIGHTS["tones"] * self.tones
            + WEIGHTS["rhymes"] * self.rhymes
            + WEIGHTS["antithesis"] * self.antithesis
            + WEIGHTS["length"] * self.length
        )

    def as_dict(self) -> dict[str, float]:
        return {
            "tones": round(self.tones, 2),
            "rhymes": round(self.rhymes, 2),
            "antithesis": round(self.antithesis, 2),
            "length": round(self.length, 2),
            "total": round(self.total, 2),
        }


def _pct(ok: int, n: int) -> float:
    return 100.0 * ok / n if n else 100.0


def score(analysis: PoemAnalysis, lexicon: Lexicon) -> PoemScore:
    """Score one analysed poem (analyse it with its intended form pinned when known).
    A 词 (:class:`~app.prosody.ci.analysis.CiAnalysis`) is scored against its 体."""
    from app.prosody.ci.analysis import CiAnalysis

    if isinstance(analysis, CiAnalysis):
        from app.prosody.ci.score import ci_units

        t, r, c, ln = ci_units(analysis)
        return PoemScore(_pct(*t), _pct(*r), _pct(*c), _pct(*ln), t, r, c, ln)
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
    )


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Mean scores over a collection (per poem, unweighted)."""

    n: int
    tones: float
    rhymes: float
    antithesis: float
    length: float
    total: float

    def as_dict(self) -> dict[str, float]:
        return {
            "n": self.n,
            "tones": round(self.tones, 2),
            "rhymes": round(self.rhymes, 2),
            "antithesis": round(self.antithesis, 2),
            "length": round(self.length, 2),
            "total": round(self.total, 2),
        }


def aggregate(scores: Iterable[PoemScore]) -> Aggregate:
    items = list(scores)
    n = len(items)
    if not n:
        return Aggregate(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    return Aggregate(
        n,
        sum(s.tones for s in items) / n,
        sum(s.rhymes for s in items) / n,
        sum(s.antithesis for s in items) / n,
        sum(s.length for s in items) / n,
        sum(s.total for s in items) / n,
    )


def aggregate_by(pairs: Iterable[tuple[str, PoemScore]]) -> dict[str, Aggregate]:
    """Group (key, score) pairs — e.g. by form — and aggregate each group and ``全部``."""
    groups: defaultdict[str, list[PoemScore]] = defaultdict(list)
    for key, s in pairs:
        groups[key].append(s)
        groups["全部"].append(s)
    return {key: aggregate(items) for key, items in groups.items()}
