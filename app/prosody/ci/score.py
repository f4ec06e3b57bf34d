"""The four scores of a 词 against its 体 (the 诗 scorer's figures, as docs/scoring.md).

* **平仄** — unit: a character of the text matched to the 体; wrong when a tone error
  (a definite tone against a 平/仄 mark, a rhyme of the wrong tone) paints it.
* **押韵** — unit: a rhyme position of the 体; correct when the text's character there
  rhymes in its group's 部 of the 词林正韵. A position the text does not reach is wrong.
* **对仗** — 词 require none: 100.
* **字数** — unit: a segment (句 or 讀) of the 体; wrong when a length finding names it
  (characters missing or extra, or the whole piece missing).

The total (:func:`ci_score`) is the 诗's: the weights 0.4 / 0.3 / 0.1 over 平仄, 押韵 and 字数
(对仗 does not apply), less 4 points per counted error scaled by 56 ÷ the 体's characters,
at most 89 with an error.
"""

from __future__ import annotations

from app.prosody.analysis import RhymeMark
from app.prosody.ci.analysis import CiAnalysis
from app.prosody.findings import Rule, Severity
from app.prosody.scorer import PoemScore, counted_errors

_TONE_RULES = frozenset({Rule.TONE, Rule.LINE_END})


def _pct(ok: int, n: int) -> float:
    return 100.0 * ok / n if n else 100.0


def ci_units(
    analysis: CiAnalysis,
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]:
    """(tone, rhyme, couplet, line) units as (correct, counted)."""
    form = analysis.ci_form
    if form is None:
        return (0, 0), (0, 0), (0, 0), (0, 0)
    counted = min(len(analysis.chars), form.chars)
    wrong = {
        cell
        for f in analysis.findings
        if f.severity is Severity.ERROR and f.rule in _TONE_RULES
        for cell in f.marks
    }
    tone_units = (max(counted - len(wrong), 0), max(counted, 1))
    required = sum(1 for s in form.segments if s.rhyme)
    good = sum(1 for m in analysis.rhyme_status if m is RhymeMark.IN)
    rhyme_units = (min(good, required), required)
    segments = len(form.segments)
    bad = sum(1 for f in analysis.findings if f.rule is Rule.LENGTH)
    line_units = (max(segments - bad, 0), segments)
    return tone_units, rhyme_units, (0, 0), line_units


def ci_score(analysis: CiAnalysis) -> PoemScore:
    """The four scores of a 词 against its 体, its counted errors and its 体's characters."""
    t, r, c, ln = ci_units(analysis)
    chars = analysis.ci_form.chars if analysis.ci_form is not None else 0
    return PoemScore(
        _pct(*t), _pct(*r), _pct(*c), _pct(*ln), t, r, c, ln,
        counted_errors(analysis.findings), chars,
    )  # fmt: skip
