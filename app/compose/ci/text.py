"""A generated 词 as text: the answer's lines (one per segment of the 体) punctuated.

A strict-metre answer has exactly one line per segment of the 体 (each 句 and each 讀);
:func:`format_answer` writes it the way the 体's template reads (:meth:`CiForm.template`):
、 after a 讀, 。 after a rhyme, ， after any other 句, the 段 on lines of their own. An
answer of another shape (the model's own, without the constraint) is kept as it came, its
lines joined by line breaks: the 词 checker reads either.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.prosody.ci.table import CiForm

__all__ = ["format_answer", "matches_form"]


def matches_form(lines: Sequence[str], form: CiForm) -> bool:
    """One line per segment, each as long as its segment."""
    return len(lines) == len(form.segments) and all(
        len(line) == seg.length for line, seg in zip(lines, form.segments, strict=True)
    )


def format_answer(lines: Sequence[str], form: CiForm | None) -> str:
    """The text of a generated 词 (see the module docstring)."""
    lines = [line.strip() for line in lines if line.strip()]
    if form is None or not matches_form(lines, form):
        return "\n".join(lines)
    out: list[str] = []
    for i, (line, seg) in enumerate(zip(lines, form.segments, strict=True)):
        if i and seg.section != form.segments[i - 1].section:
            out.append("\n")
        out.append(line)
        out.append("、" if seg.pause else "。" if seg.rhyme else "，")
    return "".join(out)
