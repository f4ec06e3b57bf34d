"""对联 (couplet) assignments: the sheet's templates and the requirements a couplet meets.

A couplet assignment either gives the 上联 (出句) and asks for the 下联 — the commonest
school exercise — or asks for a whole couplet of a given length. Its template follows
meter-spec §10: at the rhythm points (the 2nd, 4th … character and the last) the tones
alternate back from the end — the 上联 ends 仄, the 下联 平 — and the two sides are
opposed; the other positions are free (⊙). With a given 上联, the 下联's template is the
opposite of the 上联's definite tones at its rhythm points.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.assign.model import Assignment
from app.prosody.analysis import PoemAnalysis
from app.prosody.couplet.rules import rhythm_points
from app.prosody.couplet.shape import clauses
from app.prosody.findings import Finding, Rule, Severity
from app.prosody.forms import PING, ZE, Form
from app.prosody.tones import PING_BIT, ZE_BIT
from app.storage.messages import Message

if TYPE_CHECKING:
    from app.prosody.books.protocol import Book


def couplet_template(length: int, side: int) -> str:
    """⊙平⊙仄⊙平仄 for a 7-character 上联 (side 0); the 下联 (side 1) is opposed."""
    if length <= 0:
        return ""
    row = ["⊙"] * length
    end = "仄" if side == 0 else "平"
    row[-1] = end
    # the even positions (1-based) alternate back from the end: the last of them is the
    # end itself when the length is even, the tone opposite it when it is odd
    want = end if length % 2 == 0 else _opposite(end)
    for q in range(length - 1 if length % 2 == 0 else length - 2, -1, -2):
        row[q] = want
        want = _opposite(want)
    return "".join(row)


def _opposite(level: str) -> str:
    return "平" if level == "仄" else "仄"


def given_clauses(assignment: Assignment) -> tuple[str, ...]:
    """The clauses of the given 上联 ('' when none is given)."""
    return tuple(tl.chars for tl in clauses(assignment.couplet_first))


def answer_template(clause: str, book: Book | None) -> str:
    """The 下联 clause's template opposite a given 上联 clause (its definite tones)."""
    row = list(couplet_template(len(clause), 1))
    if book is None:
        return "".join(row)
    for p in rhythm_points(len(clause))[:-1]:
        mask = book.mask(clause[p]) & (PING_BIT | ZE_BIT)
        if mask == PING_BIT:
            row[p] = "仄"
        elif mask == ZE_BIT:
            row[p] = "平"
        else:
            row[p] = "⊙"
    return "".join(row)


def wrong_couplet_form(assignment: Assignment, analysis: PoemAnalysis) -> Message | None:
    """A finished text that is not what a couplet (or a poem) assignment asks for."""
    want, got = assignment.form, analysis.form
    if want is Form.DUILIAN and got is not Form.DUILIAN:
        return Message(
            f"本题要求对联（上下两联），此稿为{got.value if got else '未定体'}。",
            f"The assignment is a couplet; this text is a {got.value if got else 'poem'}.",
        )
    if want is not Form.DUILIAN and got is Form.DUILIAN:
        return Message(f"本题要求{want.value}，此稿为对联。",
                       f"The assignment is a {want.value}; this text is a couplet.")  # fmt: skip
    return None


def given_line_finding(
    assignment: Assignment, analysis: PoemAnalysis, book: Book | None
) -> tuple[bool, Message, Finding | None]:
    """Whether the 上联 written is the given one (characters compared as simplified)."""
    fold = (lambda s: s) if book is None else book.to_simplified
    given = "".join(given_clauses(assignment))
    split = getattr(analysis, "split", 0)
    written = "".join(ln.text.chars for ln in analysis.lines[:split])
    found = Message(f"上联「{written}」", f"first line 「{written}」")
    if fold(written) == fold(given):
        return True, found, None
    msg = Message(
        f"本题给出上联「{given}」，请照录上联，再对下联。",
        f"The first line is given: 「{given}」. Copy it, then write the second.",
    )
    f = Finding(Rule.REQUIREMENT, Severity.ERROR, 0, None, "", None, given, written,
                detail=(("kind", "form"), ("zh", msg.zh), ("en", msg.en)))  # fmt: skip
    return False, found, f


__all__ = [
    "PING",
    "ZE",
    "answer_template",
    "couplet_template",
    "given_clauses",
    "given_line_finding",
    "wrong_couplet_form",
]
