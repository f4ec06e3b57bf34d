"""Grading reports as PDF: one per student, and one for the class (summary, then everyone).

Laid out by ``QTextDocument`` from simple HTML (tables, a bar chart made of cell
widths) and printed through ``QPdfWriter`` with the embedded CJK face.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPdfWriter, QRawFont, QTextDocument

from app.assign.explain import grade_steps
from app.assign.grading import Status, StudentReport
from app.assign.model import Assignment
from app.assign.summary import ClassSummary, summarize
from app.export.canvas import ExportResult, PageSetup, new_writer
from app.export.fonts import FontLookup, find_cjk_family, resolve_family
from app.export.tounicode import fix_tounicode
from app.prosody.findings import Severity
from app.prosody.scorer import PoemScore

_SEVERITY_COLOR = {
    Severity.ERROR: "#b00020",
    Severity.WARNING: "#a05a00",
    Severity.NOTE: "#355e9a",
    Severity.HINT: "#555555",
}


@dataclass(frozen=True, slots=True)
class ReportOptions:
    page: PageSetup = field(default_factory=PageSetup)
    font_pt: float = 10.5
    lang: str = "zh"
    font_family: str = ""


_TABLE = '<table width="100%" border="1" cellspacing="0" cellpadding="3">'
BAR_IMAGE = "shijian-bar"  # the bar chart's colour, a one-pixel image the document holds
BAR_COLOR = "#3a6ea5"
BAR_MAX_PT = 260  # the longest bar
BAR_HEIGHT_PT = 10
_NOWRAP = ' style="white-space: nowrap;"'
MIN_FONT_SCALE = 0.6  # a table too wide for the page is set smaller, down to this


def _e(text: object) -> str:
    return html.escape(str(text))


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _antithesis(s: PoemScore | None) -> float | None:
    """The 对仗 score, or None (shown —) where the form asks for no couplet (a 绝句)."""
    return s.antithesis if s is not None and s.applies[2] else None


def _poem_html(r: StudentReport) -> str:
    """The poem with every character an error paints in red."""
    text = r.submission.text or ""
    bad: set[int] = set()
    if r.analysis is not None:
        for c in r.analysis.chars:
            if c.severity is not None and c.severity >= Severity.ERROR:
                bad.add(c.offset)
        for req in r.requirements:
            for f in req.findings:
                if f.offset is not None and f.severity is Severity.ERROR:
                    bad.add(f.offset)
    out = []
    for i, ch in enumerate(text):
        if ch == "\n":
            out.append("<br/>")
        elif i in bad:
            out.append(f'<span style="color:#b00020; text-decoration: underline;">{_e(ch)}</span>')
        else:
            out.append(_e(ch))
    return "".join(out)


def student_html(r: StudentReport, a: Assignment, lang: str, *, break_before: bool) -> str:
    brk = ' style="page-break-before: always;"' if break_before else ""
    parts = [f"<h2{brk}>{_e(a.title)} — {_e(r.student)}</h2>"]
    sub = r.submission
    meta = [f"{_t(lang, '文件', 'Source')}：{_e(sub.source)}",
            f"{_t(lang, '状态', 'Status')}：{_e(r.status.label(lang))}"]  # fmt: skip
    if sub.title:
        meta.append(f"{_t(lang, '诗题', 'Title')}：{_e(sub.title)}")
    if sub.encoding:
        meta.append(f"{_t(lang, '编码', 'Encoding')}：{_e(sub.encoding)}")
    parts.append("<p>" + "　".join(meta) + "</p>")
    if r.status is not Status.GRADED:
        reason = r.reason.text(lang) if r.reason else ""
        parts.append(f"<p><b>{_t(lang, '未评分', 'Not graded')}：</b>{_e(reason)}</p>")
        if sub.text:
            parts.append(f'<p style="font-size: large;">{_poem_html(r)}</p>')
        return "\n".join(parts)
    s = r.score
    assert s is not None
    pairs = (("平仄", "Tones"), ("押韵", "Rhymes"), ("对仗", "Antithesis"), ("字数", "Length"),
             ("总分", "Total"), ("基础分", "Base"), ("扣分", "Deducted"), ("成绩", "Grade"),
             ("等第", "Band"))  # fmt: skip
    heads = [_t(lang, zh, en) for zh, en in pairs]
    deducted = sum(d.points for d in r.deductions)
    values = [_num(s.tones), _num(s.rhymes_or_none), _num(_antithesis(s)), _num(s.length),
              _num(s.total), _num(r.base), _num(deducted), _num(r.grade),
              _e(r.band(lang))]  # fmt: skip
    parts.append(
        _TABLE
        + "<tr>"
        + "".join(f"<th>{h}</th>" for h in heads)
        + "</tr><tr>"
        + "".join(f'<td align="center"{_NOWRAP}>{v}</td>' for v in values)
        + "</tr></table>"
    )
    parts.append(f'<p style="font-size: large;">{_poem_html(r)}</p>')
    parts.append(f"<h3>{_t(lang, '作业要求', 'Requirements')}</h3>")
    rows = []
    for q in r.requirements:
        ok = _t(lang, "达到", "met") if q.passed else _t(lang, "未达到", "not met")
        color = "#1b6e20" if q.passed else "#b00020"
        rows.append(f"<tr><td>{_e(q.kind.label(lang))}</td><td>{_e(q.wanted.text(lang))}</td>"
                    f"<td>{_e(q.found.text(lang))}</td>"
                    f'<td style="color:{color};">{ok}</td></tr>')  # fmt: skip
    parts.append(
        '<table width="100%" border="1" cellspacing="0" cellpadding="3">'
        + "".join(rows)
        + "</table>"
    )
    findings = [f for f in r.findings if f.severity >= Severity.NOTE]
    findings += [f for q in r.requirements for f in q.findings]
    parts.append(f"<h3>{_t(lang, '检查结果', 'Findings')}</h3>")
    if findings:
        items = []
        for f in findings:
            sev = f.severity.en if lang == "en" else f.severity.zh
            color = _SEVERITY_COLOR[f.severity]
            items.append(f'<li><span style="color:{color};">[{_e(sev)}]</span> '
                         f"{_e(f.message(lang))}</li>")  # fmt: skip
        parts.append("<ul>" + "".join(items) + "</ul>")
    else:
        parts.append(f"<p>{_t(lang, '合律，无错误。', 'No faults found.')}</p>")
    parts.append(f"<h3>{_t(lang, '成绩怎样算出', 'How the grade was reached')}</h3>")
    steps = grade_steps(r, a.policy, lang)
    parts.append("<ol>" + "".join(f"<li>{_e(step)}</li>" for step in steps) + "</ol>")
    return "\n".join(parts)


def class_html(
    reports: Sequence[StudentReport], a: Assignment, summary: ClassSummary, lang: str,
    *, bar_max: float = BAR_MAX_PT,
) -> str:  # fmt: skip
    def t(zh: str, en: str) -> str:
        return _t(lang, zh, en)

    parts = [f"<h1>{_e(a.title)} — {t('全班汇总', 'class summary')}</h1>"]
    figures = [
        f"{t('交来', 'handed in')} {summary.handed_in}",
        f"{t('已评', 'graded')} {summary.graded}",
        f"{t('平均', 'mean')} {_num(summary.mean)}",
        f"{t('中位数', 'median')} {_num(summary.median)}",
        f"{t('最低', 'lowest')} {_num(summary.lowest)}",
        f"{t('最高', 'highest')} {_num(summary.highest)}",
    ]
    parts.append("<p>" + "　".join(figures) + "</p>")
    heads = [t("学生", "Student"), t("文件", "Source"), t("状态", "Status"), t("平仄", "Tones"),
             t("押韵", "Rhymes"), t("对仗", "Antithesis"), t("字数", "Length"), t("总分", "Total"),
             t("成绩", "Grade"), t("等第", "Band")]  # fmt: skip
    rows = ["<tr>" + "".join(f"<th>{h}</th>" for h in heads) + "</tr>"]
    for r in reports:
        s = r.score
        cells = [_e(r.student), _e(r.submission.source), _e(r.status.label(lang)),
                 _num(s.tones if s else None), _num(s.rhymes_or_none if s else None),
                 _num(_antithesis(s)), _num(s.length if s else None),
                 _num(s.total if s else None), _num(r.grade), _e(r.band(lang))]  # fmt: skip
        # names and files may wrap; a figure, a status or a band is never broken
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells[:2])
                    + "".join(f"<td{_NOWRAP}>{c}</td>" for c in cells[2:]) + "</tr>")  # fmt: skip
    parts.append(
        '<table width="100%" border="1" cellspacing="0" cellpadding="3">'
        + "".join(rows)
        + "</table>"
    )
    parts.append(f"<h3>{t('成绩分布', 'Distribution of grades')}</h3>")
    # Each bar an image whose width is in proportion to its count (table cells of
    # percentage widths are not kept by Qt's layout: 1 and 3 drew the same length).
    peak = max((b.count for b in summary.distribution), default=0) or 1
    bars = []
    for b in summary.distribution:
        length = round(bar_max * b.count / peak)
        bar = (f'<img src="{BAR_IMAGE}" width="{length}" height="{BAR_HEIGHT_PT}" />'
               if length else "")  # fmt: skip
        bars.append(f"<tr><td>{_e(b.label(lang))}</td><td align=\"right\">{b.count}</td>"
                    f"<td>{bar}</td></tr>")  # fmt: skip
    parts.append('<table cellspacing="2" cellpadding="2">' + "".join(bars) + "</table>")
    parts.append(f"<h3>{t('常见问题', 'Most common faults')}</h3>")
    if summary.faults:
        items = [f"<li>{_e(f.label(lang))}：{f.students} {t('人', 'students')}，"
                 f"{f.occurrences} {t('处', 'times')}</li>" for f in summary.faults]  # fmt: skip
        parts.append("<ul>" + "".join(items) + "</ul>")
    else:
        parts.append(f"<p>{t('无', 'None')}</p>")
    if summary.unmet:
        items = [f"<li>{_e(k.label(lang))}：{n} {t('人未达到', 'students missed it')}</li>"
                 for k, n in summary.unmet]  # fmt: skip
        parts.append(f"<h3>{t('未达要求', 'Requirements not met')}</h3><ul>{''.join(items)}</ul>")
    problems = [r for r in reports if r.status is not Status.GRADED]
    if problems:
        parts.append(f"<h3>{t('未评分的作业', 'Submissions not graded')}</h3>")
        items = [
            f"<li>{_e(r.submission.source)}（{_e(r.student)}）：{_e(r.status.label(lang))}"
            f" — {_e(r.reason.text(lang) if r.reason else '')}</li>"
            for r in problems
        ]
        parts.append("<ul>" + "".join(items) + "</ul>")
    for r in reports:
        parts.append(student_html(r, a, lang, break_before=True))
    return "\n".join(parts)


def _layout(html_text: str, writer: QPdfWriter, family: str, pt: float, width: float,
            page_h: float) -> QTextDocument:  # fmt: skip
    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(writer)
    font = QFont(family)
    font.setPointSizeF(pt)
    doc.setDefaultFont(font)
    doc.setDocumentMargin(0)
    bar = QImage(1, 1, QImage.Format.Format_RGB32)
    bar.fill(QColor(BAR_COLOR))
    doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(BAR_IMAGE), bar)
    doc.setHtml(html_text)
    doc.setPageSize(QSizeF(width, page_h))
    return doc


def _print(html_text: str, path: Path, title: str, family: str, options: ReportOptions) -> int:
    """Lay ``html_text`` out on the PDF's pages (72 dpi, points) and paint it; returns pages.

    A table that cannot be narrowed to the page (its numbers do not wrap) would run
    past the right margin: the text is then set smaller until everything fits."""
    writer = new_writer(path, options.page, title)
    width, height = options.page.area()
    footer = options.font_pt * 2.4
    page_h = height - footer
    pt = options.font_pt
    doc = _layout(html_text, writer, family, pt, width, page_h)
    while doc.size().width() > width + 0.5 and pt > options.font_pt * MIN_FONT_SCALE:
        pt = max(options.font_pt * MIN_FONT_SCALE, pt * 0.92)
        doc = _layout(html_text, writer, family, pt, width, page_h)
    font = doc.defaultFont()
    n = doc.pageCount()
    small = QFont(font)
    small.setPointSizeF(options.font_pt * 0.8)
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot write {path}")
    try:
        for i in range(n):
            if i:
                writer.newPage()
            painter.save()
            painter.translate(0, -i * page_h)
            doc.drawContents(painter, QRectF(0, i * page_h, width, page_h))
            painter.restore()
            if n > 1:
                painter.setFont(small)
                painter.drawText(QRectF(0, height - footer * 0.6, width, footer * 0.6),
                                 int(Qt.AlignmentFlag.AlignCenter), f"{i + 1} / {n}")  # fmt: skip
    finally:
        painter.end()
    bold = QFont(font)
    bold.setBold(True)
    drawn = [doc.toPlainText(), "0123456789 /"]
    fix_tounicode(path, drawn, [QRawFont.fromFont(font), QRawFont.fromFont(bold)])
    return n


class ReportExporter:
    """Writes per-student and class report PDFs."""

    def __init__(self, *, font_lookup: FontLookup = find_cjk_family) -> None:
        self._lookup = font_lookup

    def student(
        self, report: StudentReport, assignment: Assignment, path: Path,
        options: ReportOptions | None = None,
    ) -> ExportResult:  # fmt: skip
        options = options or ReportOptions()
        family = resolve_family(self._lookup, options.font_family)
        body = student_html(report, assignment, options.lang, break_before=False)
        pages = _print(body, path, f"{assignment.title} — {report.student}", family, options)
        return ExportResult(path, pages, family)

    def students(
        self,
        reports: Sequence[StudentReport],
        assignment: Assignment,
        folder: Path,
        options: ReportOptions | None = None,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[ExportResult]:
        """One PDF per submission in ``folder``, named ``<n>_<student>.pdf``;
        ``progress(done, total)`` is called after each."""
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        for n, r in enumerate(reports, 1):
            safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", r.student).strip() or "student"
            out.append(self.student(r, assignment, folder / f"{n:02d}_{safe}.pdf", options))
            if progress is not None:
                progress(n, len(reports))
        return out

    def class_report(
        self, reports: Sequence[StudentReport], assignment: Assignment, path: Path,
        options: ReportOptions | None = None,
    ) -> ExportResult:  # fmt: skip
        options = options or ReportOptions()
        family = resolve_family(self._lookup, options.font_family)
        bar_max = min(BAR_MAX_PT, options.page.area()[0] * 0.5)
        body = class_html(reports, assignment, summarize(reports), options.lang, bar_max=bar_max)
        pages = _print(body, path, assignment.title, family, options)
        return ExportResult(path, pages, family)
