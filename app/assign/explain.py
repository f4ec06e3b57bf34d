"""How a grade was reached, step by step, for the teacher and the student.

``grade_steps(report, policy, lang)`` spells out the arithmetic of
:func:`app.assign.grading.grade_submission` for one graded submission: the base
(which scores, which weights, what was left out), every deduction (count × cost
each), the cap on a poem with errors when it lowered the grade, and the grade
with its band. Each step is one sentence; the per-student PDF and the grading
dialog show them as they are.
"""

from __future__ import annotations

from app.assign.grading import StudentReport
from app.assign.model import GradingPolicy, band_of

__all__ = ["grade_steps"]

_NAMES = (("平仄", "tones"), ("押韵", "rhymes"), ("对仗", "antithesis"), ("字数", "length"))


def _n(value: float) -> str:
    return f"{round(value, 1):g}"


def grade_steps(r: StudentReport, policy: GradingPolicy, lang: str = "zh") -> list[str]:
    """The steps from the four scores to the grade (empty when not graded)."""
    s = r.score
    if not r.graded or s is None or r.base is None or r.grade is None:
        return []
    en = lang == "en"
    terms: list[str] = []
    left_out: list[str] = []
    used = 0.0
    for (zh, english), value, weight, applies in zip(
        _NAMES, s.values, policy.weights, s.applies, strict=True
    ):
        name = english if en else zh
        if not weight:
            continue
        if not applies:
            left_out.append(name)
            continue
        used += weight
        terms.append(f"{name} {_n(value)}×{weight:g}")
    sum_text = " + ".join(terms) if terms else "0"
    formula = f"({sum_text}) ÷ {used:g}" if len(terms) > 1 or used != 1 else sum_text
    steps: list[str] = []
    if en:
        line = f"Base {_n(r.base)} = {formula}"
        if left_out:
            line += f"; {', '.join(left_out)} left out (the form does not ask for it)"
        steps.append(line + ".")
    else:
        line = f"基础分 {_n(r.base)} = {formula}"
        if left_out:
            line += f"；{'、'.join(left_out)}不计（此诗体不要求）"
        steps.append(line + "。")
    for d in r.deductions:
        each = d.each or (d.points / d.count if d.count else 0.0)
        if en:
            label = d.label.en[:1].upper() + d.label.en[1:]
            steps.append(f"{label}: {d.count} × {_n(each)} = −{_n(d.points)}.")
        else:
            unit = "项" if d.label.zh == "未达要求" else "处"
            steps.append(f"{d.label.zh}：{d.count}{unit} × {_n(each)} = −{_n(d.points)}。")
    if policy.scale_errors and any(d.label.zh in ("错误", "注意") for d in r.deductions):
        form = r.analysis.form if r.analysis is not None else None
        ci_form = getattr(r.analysis, "ci_form", None)
        name, chars = "", 0
        if form is not None:
            name, chars = form.value, (form.n_lines or 0) * form.line_len
        elif ci_form is not None:  # a 词: its 体's characters
            name, chars = f"《{ci_form.tune}》", ci_form.chars
        if chars:
            if en:
                steps.append(
                    f"(An error costs {policy.error_points:g} in a 七律 of 56 characters; "
                    f"a {name} has {chars}, so ×56÷{chars}.)"
                )
            else:
                steps.append(
                    f"（七律56字每处错误扣{policy.error_points:g}分；{name}{chars}字，"
                    f"按56÷{chars}折算。）"
                )
    if r.cap is not None:
        steps.append(
            f"A poem with an error gets at most {r.cap:g}."
            if en
            else f"诗中有错误，成绩最高{r.cap:g}分。"
        )
    band = band_of(r.grade, lang)
    steps.append(f"Grade {_n(r.grade)}: {band}." if en else f"成绩 {_n(r.grade)}：{band}。")
    return steps
