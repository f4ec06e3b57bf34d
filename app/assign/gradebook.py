"""The gradebook as CSV: one row per submission, UTF-8 with a BOM so Excel reads it.

Columns (Chinese or English headers by ``lang``): student, file, status, the four
scores, total, base, deductions, grade, band, requirements not met, errors,
note (why a submission was not graded). Cells that a spreadsheet would take for
a formula (starting ``=``, ``+``, ``-``, ``@``) are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from app.assign.grading import StudentReport

_HEADERS = {
    "zh": ["学生", "文件", "状态", "平仄", "押韵", "对仗", "字数", "总分", "基础分", "扣分",
           "成绩", "等第", "未达要求", "错误数", "说明"],
    "en": ["Student", "Source", "Status", "Tones", "Rhymes", "Antithesis", "Length", "Total",
           "Base", "Deductions", "Grade", "Band", "Requirements not met", "Errors", "Note"],
}  # fmt: skip


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def rows(reports: Sequence[StudentReport], lang: str = "zh") -> list[list[str]]:
    out = [list(_HEADERS["en" if lang == "en" else "zh"])]
    sep = "; " if lang == "en" else "；"
    for r in reports:
        s = r.score
        unmet = sep.join(req.kind.label(lang) for req in r.unmet)
        deducted = sum(d.points for d in r.deductions) if r.graded else None
        out.append(
            [
                _cell(r.student),
                _cell(r.submission.source),
                _cell(r.status.label(lang)),
                _cell(s.tones if s else None),
                _cell(s.rhymes_or_none if s else None),
                _cell(s.antithesis if s else None),
                _cell(s.length if s else None),
                _cell(s.total if s else None),
                _cell(r.base),
                _cell(deducted),
                _cell(r.grade),
                _cell(r.band(lang)),
                _cell(unmet),
                _cell(len(r.errors) if r.graded else None),
                _cell(r.reason.text(lang) if r.reason else ""),
            ]
        )
    return out


def gradebook_csv(reports: Sequence[StudentReport], lang: str = "zh") -> str:
    """The CSV text (without the BOM), CRLF line ends as spreadsheets expect."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerows(rows(reports, lang))
    return buf.getvalue()


def write_gradebook(path: Path, reports: Sequence[StudentReport], lang: str = "zh") -> Path:
    """Write the gradebook to ``path`` as UTF-8 with a BOM."""
    path.write_bytes(gradebook_csv(reports, lang).encode("utf-8-sig"))
    return path
