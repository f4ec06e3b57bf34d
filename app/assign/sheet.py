"""What the student sees: the assignment sheet as data (the PDF and the wizard's preview).

The 平仄 template shown is one of the form's four (平起/仄起 × 首句入韵 or not):
the one the assignment asks for; where it leaves a choice, the commonest —
五言 仄起 with line 1 unrhymed, 七言 平起 with line 1 rhymed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.assign.model import Assignment, FirstLine, Qi
from app.prosody.forms import SCHEMES, Scheme

if TYPE_CHECKING:
    from app.prosody.books.protocol import Book

RHYME_CHARS_SHOWN = 40


def sheet_scheme(assignment: Assignment) -> Scheme:
    length = assignment.form.line_len
    qi = assignment.qi or (Qi.ZE if length == 5 else Qi.PING)
    first = assignment.rhyme.first_line
    rhymes = first is FirstLine.REQUIRED or (first is FirstLine.OPTIONAL and length == 7)
    for s in SCHEMES:
        if s.qi(length) == qi.value and s.first_rhymes == rhymes:
            return s
    raise AssertionError("every qi/first-line pair has a scheme")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class SheetLine:
    template: str  # ⊙平⊙仄仄平平
    rhymes: bool  # ends on a rhyme


@dataclass(frozen=True, slots=True)
class SheetContent:
    title: str
    form: str  # 七律
    line_len: int
    lines: tuple[SheetLine, ...]
    qi: str  # of the template shown
    instructions: str
    requirements: tuple[str, ...]  # sentences in the sheet's language
    rhyme_group: str  # "" for any group
    rhyme_chars: str  # the group's commonest characters
    due: str  # ISO date or ""
    lang: str


def sheet_content(
    assignment: Assignment, book: Book | None = None, lang: str = "zh"
) -> SheetContent:
    form = assignment.form
    scheme = sheet_scheme(assignment)
    n = form.n_lines or 8
    lines = tuple(
        SheetLine(scheme.line_type(i).template_text(form.line_len), scheme.line_type(i).rhymes)
        for i in range(n)
    )
    en = lang == "en"
    reqs: list[str] = []
    reqs.append(
        f"Form: {form.value} ({form.en}), {n} lines of {form.line_len} characters"
        if en
        else f"诗体：{form.value}，{n}句，每句{form.line_len}字"
    )
    reqs.append(("Rhyme: " if en else "用韵：") + assignment.rhyme.label(lang))
    if assignment.qi is not None:
        reqs.append(("Start: " if en else "起式：") + (assignment.qi.en if en else assignment.qi))
    if assignment.theme.strip():
        reqs.append(("Theme: " if en else "题材：") + assignment.theme.strip())
    if assignment.imagery:
        need = assignment.imagery_needed
        words = (", " if en else "、").join(assignment.imagery)
        if en:
            extra = "" if need == len(assignment.imagery) else f" (at least {need})"
            reqs.append(f"Images to use: {words}{extra}")
        else:
            extra = "" if need == len(assignment.imagery) else f"（至少用{need}个）"
            reqs.append(f"须用意象：{words}{extra}")
    if assignment.required_chars.strip():
        reqs.append(
            ("Characters to use: " if en else "必用字：") + assignment.required_chars.strip()
        )
    if assignment.forbidden_chars.strip():
        reqs.append(
            ("Characters not to use: " if en else "禁用字：") + assignment.forbidden_chars.strip()
        )
    g = assignment.rhyme.group
    chars = ""
    if g is not None and book is not None:
        chars = "".join(book.group_chars(g.id)[:RHYME_CHARS_SHOWN])
    return SheetContent(
        title=assignment.title,
        form=form.value,
        line_len=form.line_len,
        lines=lines,
        qi=scheme.qi(form.line_len),
        instructions=assignment.instructions.strip(),
        requirements=tuple(reqs),
        rhyme_group=g.name if g is not None else "",
        rhyme_chars=chars,
        due=assignment.due.isoformat() if assignment.due is not None else "",
        lang=lang,
    )


def sheet_text(content: SheetContent) -> str:
    """The sheet as plain text (the wizard's live preview)."""
    en = content.lang == "en"
    out = [content.title or ("(untitled)" if en else "（未命名）")]
    if content.due:
        out.append(("Due: " if en else "截止日期：") + content.due)
    if content.instructions:
        out += ["", content.instructions]
    out += ["", *content.requirements, ""]
    head = "Tone template" if en else "平仄格式"
    out.append(f"{head}（{content.qi}）:" if en else f"{head}（{content.qi}）：")
    for i, line in enumerate(content.lines, 1):
        mark = (" (rhyme)" if en else "（韵）") if line.rhymes else ""
        out.append(f"{i:>2}. {line.template}{mark}")
    if content.rhyme_chars:
        out += [
            "",
            (f"Common characters of {content.rhyme_group}: " if en else
             f"{content.rhyme_group}常用字：") + content.rhyme_chars,
        ]  # fmt: skip
    return "\n".join(out)
