"""An assignment's requirements checked against a poem, as checker-style Findings.

Each requirement gives a :class:`RequirementResult` (met or not, and why); those
not met also give :class:`~app.prosody.findings.Finding`\\ s of rule
``Rule.REQUIREMENT`` so the editor paints and lists them beside the checker's own
(through ``PoemEditorPane.set_extra_findings``; :class:`RequirementChecker` is
that provider). A requirement the checker already paints (a rhyme out of the
pinned group is 出韵) is reported in the result but adds no second finding.

While a poem is still being typed (the analysis is not ``complete``), what is
*missing* (an image, a required character) is only a hint; what is *wrong*
(a forbidden character, a 五言 line in a 七言 assignment) is an error at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from app.assign.ci import CiAssignment
from app.assign.couplet import given_line_finding, wrong_couplet_form
from app.assign.model import Assignment, FirstLine
from app.prosody.analysis import PoemAnalysis, RhymeMark
from app.prosody.findings import Finding, Rule, Severity
from app.prosody.forms import Form
from app.storage.messages import Message

if TYPE_CHECKING:
    from app.prosody.books.protocol import Book


class RequirementKind(StrEnum):
    FORM = "form"
    RHYME_GROUP = "rhyme_group"
    FIRST_LINE = "first_line"
    QI = "qi"
    IMAGERY = "imagery"
    REQUIRED_CHARS = "required_chars"
    FORBIDDEN_CHARS = "forbidden_chars"
    GIVEN_LINE = "given_line"  # 对联: the given 上联 copied as it is

    def label(self, lang: str = "zh") -> str:
        zh, en = _KIND_LABELS[self]
        return en if lang == "en" else zh


_KIND_LABELS = {
    RequirementKind.FORM: ("诗体", "form"),
    RequirementKind.RHYME_GROUP: ("韵部", "rhyme group"),
    RequirementKind.FIRST_LINE: ("首句入韵", "first-line rhyme"),
    RequirementKind.QI: ("平起仄起", "level/oblique start"),
    RequirementKind.IMAGERY: ("意象", "imagery"),
    RequirementKind.REQUIRED_CHARS: ("必用字", "required characters"),
    RequirementKind.FORBIDDEN_CHARS: ("禁用字", "forbidden characters"),
    RequirementKind.GIVEN_LINE: ("出句", "given first line"),
}


@dataclass(frozen=True, slots=True)
class RequirementResult:
    kind: RequirementKind
    passed: bool
    wanted: Message  # what the assignment asks
    found: Message  # what the poem does
    findings: tuple[Finding, ...] = ()  # painted/listed when not met (may be empty)


def _finding(
    kind: RequirementKind,
    severity: Severity,
    msg: Message,
    *,
    line: int = 0,
    pos: int | None = None,
    char: str = "",
    offset: int | None = None,
    marks: tuple[tuple[int, int], ...] = (),
    expected: str = "",
    found: str = "",
) -> Finding:
    return Finding(
        Rule.REQUIREMENT,
        severity,
        line,
        pos,
        char,
        offset,
        expected,
        found,
        detail=(("kind", kind.value), ("zh", msg.zh), ("en", msg.en)),
        marks=marks,
    )


def _fold(text: str, book: Book | None) -> str:
    """Simplified form for comparisons (traditional input counts the same)."""
    return book.to_simplified(text) if book is not None else text


def _majority(lengths: list[int]) -> int:
    fives = lengths.count(5)
    sevens = lengths.count(7)
    if fives or sevens:
        return 7 if sevens > fives else 5
    return 7 if max(lengths) >= 6 else 5


def _shape(analysis: PoemAnalysis) -> tuple[int, int]:
    """(majority line length, number of lines) of what is written."""
    return _majority([len(ln.text.chars) for ln in analysis.lines]), len(analysis.lines)


def wrong_form(assignment: Assignment, analysis: PoemAnalysis) -> Message | None:
    """Why a *finished* poem is the wrong form (五言 for 七言, 绝句 for 律诗), or None.

    A missing or surplus line within the form's shape (7 lines for a 七律) is not
    the wrong form: the checker reports it as a length fault and it is graded.
    """
    if not analysis.lines:
        return None
    if Form.DUILIAN in (assignment.form, analysis.form):
        return wrong_couplet_form(assignment, analysis)
    length, n = _shape(analysis)
    shape = Form.for_shape(length, n)
    want = assignment.form
    if shape is want:
        return None
    expected_n = want.n_lines or 0
    return Message(
        f"本题要求{want.value}（{expected_n}句，每句{want.line_len}字），"
        f"此稿为{n}句、每句多为{length}字（{shape.value}）。",
        f"The assignment is a {want.value} ({expected_n} lines of {want.line_len}); this "
        f"text has {n} lines of mostly {length} characters (a {shape.value}).",
    )


def _form_result(assignment: Assignment, analysis: PoemAnalysis) -> RequirementResult:
    want = assignment.form
    wanted = Message(f"{want.value}", want.en)
    if not analysis.lines:
        return RequirementResult(RequirementKind.FORM, False, wanted, Message("空", "empty"))
    length, n = _shape(analysis)
    expected_n = want.n_lines or 0
    problem: Message | None = None
    if analysis.complete:
        problem = wrong_form(assignment, analysis)
    else:  # still being written: only what typing more cannot put right
        done = [len(ln.text.chars) for ln in analysis.lines[:-1]]
        if done and _majority(done) != want.line_len:
            problem = Message(
                f"本题为{want.value}，每句{want.line_len}字；此稿每句多为{_majority(done)}字。",
                f"This is a {want.value} with {want.line_len} characters a line; these "
                f"lines mostly have {_majority(done)}.",
            )
        elif n > expected_n:
            problem = Message(
                f"本题为{want.value}，只有{expected_n}句；此稿已有{n}句。",
                f"A {want.value} has {expected_n} lines; this text already has {n}.",
            )
    found = Message(f"{n}句×{length}字", f"{n} lines × {length}")
    if problem is None:
        return RequirementResult(RequirementKind.FORM, True, wanted, found)
    f = _finding(RequirementKind.FORM, Severity.ERROR, problem, expected=want.value, found=found.zh)
    return RequirementResult(RequirementKind.FORM, False, wanted, found, (f,))


def _rhyme_result(assignment: Assignment, analysis: PoemAnalysis) -> RequirementResult:
    req = assignment.rhyme
    g = req.group
    wanted = Message(
        f"押{g.name}" if g else "押任一平声韵",
        f"rhyme in {g.name}" if g else "any level-tone rhyme group",
    )
    got = analysis.rhyme_group
    found = Message(
        f"押{got.name}" if got else "未定韵", f"rhymes in {got.name}" if got else "no rhyme yet"
    )
    kind = RequirementKind.RHYME_GROUP
    if analysis.ze_yun:
        msg = Message("本题须押平声韵，此稿押仄声韵。", "The poem must rhyme in a level tone.")
        f = _finding(kind, Severity.ERROR, msg, expected="平声韵", found="仄韵")
        return RequirementResult(kind, False, wanted, Message("仄韵", "oblique rhyme"), (f,))
    if g is None:
        ok = got is None or got.is_ping
        return RequirementResult(kind, ok, wanted, found)
    if analysis.group_pinned and got is not None and got.id == g.id:
        # The checker itself paints every rhyme out of the pinned group (出韵).
        out = [
            analysis.lines[line].text.chars[pos]
            for (line, pos), status in zip(analysis.rhyme_slots, analysis.rhyme_status,
                                           strict=True)
            if status is RhymeMark.OUT and line < len(analysis.lines)
        ]  # fmt: skip
        if not out:
            return RequirementResult(kind, True, wanted, found)
        return RequirementResult(
            kind,
            False,
            wanted,
            Message(f"「{''.join(out)}」不在{g.name}", f"「{''.join(out)}」 not in {g.name}"),
        )
    if got is None or got.id == g.id:
        return RequirementResult(kind, True, wanted, found)
    msg = Message(
        f"本题限押{g.name}，此诗押{got.name}。",
        f"The assignment sets {g.name}; this poem rhymes in {got.name}.",
    )
    slot_line = analysis.rhyme_slots[1][0] if len(analysis.rhyme_slots) > 1 else 0
    f = _finding(kind, Severity.ERROR, msg, line=slot_line, expected=g.name, found=got.name)
    return RequirementResult(kind, False, wanted, found, (f,))


def _first_line_result(assignment: Assignment, analysis: PoemAnalysis) -> RequirementResult | None:
    want = assignment.rhyme.first_line
    if want is FirstLine.OPTIONAL:
        return None
    kind = RequirementKind.FIRST_LINE
    wanted = Message(want.label("zh"), want.label("en"))
    first = analysis.lines[0] if analysis.lines else None
    if first is None or analysis.scheme is None or len(first.text.chars) < assignment.form.line_len:
        return RequirementResult(kind, True, wanted, Message("尚未写完首句", "line 1 unfinished"))
    rhymes = analysis.scheme.first_rhymes
    if rhymes:
        status = dict(zip(analysis.rhyme_slots, analysis.rhyme_status, strict=True))
        pos = len(first.text.chars) - 1
        if status.get((0, pos), RhymeMark.NONE) not in (RhymeMark.IN, RhymeMark.BORROWED):
            # Out of the set group: it still "rhymes" if it rhymes with line 2 (a wrong
            # group is the rhyme-group requirement's fault, not counted twice).
            rhymes = _rhymes_with_line2(analysis, first.text.offsets[pos])
    found = Message("首句入韵" if rhymes else "首句不入韵",
                    "line 1 rhymes" if rhymes else "line 1 does not rhyme")  # fmt: skip
    ok = rhymes if want is FirstLine.REQUIRED else not rhymes
    if ok:
        return RequirementResult(kind, True, wanted, found)
    pos = len(first.text.chars) - 1
    ch = first.text.chars[pos]
    if want is FirstLine.REQUIRED:
        msg = Message(
            f"本题要求首句入韵：首句句脚「{ch}」不押韵。",
            f"Line 1 must rhyme: its last character 「{ch}」 does not.",
        )
    else:
        msg = Message(
            f"本题要求首句不入韵：首句句脚「{ch}」押了韵。",
            f"Line 1 must not rhyme: its last character 「{ch}」 rhymes.",
        )
    f = _finding(kind, Severity.ERROR, msg, line=0, pos=pos, char=ch,
                 offset=first.text.offsets[pos], marks=((0, pos),))  # fmt: skip
    return RequirementResult(kind, False, wanted, found, (f,))


def _rhymes_with_line2(analysis: PoemAnalysis, offset: int) -> bool:
    if len(analysis.lines) < 2 or not analysis.lines[1].text.offsets:
        return False
    a = analysis.char_at_offset(offset)
    b = analysis.char_at_offset(analysis.lines[1].text.offsets[-1])
    if a is None or b is None or a.info is None or b.info is None:
        return False
    return bool(a.info.ping_groups & b.info.ping_groups)


def _qi_result(assignment: Assignment, analysis: PoemAnalysis) -> RequirementResult | None:
    qi = assignment.qi
    if qi is None:
        return None
    kind = RequirementKind.QI
    wanted = Message(qi.value, qi.en)
    first = analysis.lines[0] if analysis.lines else None
    if first is None or len(first.text.chars) < 2 or not analysis.qi:
        return RequirementResult(kind, True, wanted, Message("尚未写完首句", "line 1 unfinished"))
    found = Message(analysis.qi, analysis.qi)
    if analysis.qi == qi.value:
        return RequirementResult(kind, True, wanted, found)
    ch = first.text.chars[1]
    msg = Message(
        f"本题要求{qi.value}：首句第2字「{ch}」使全诗成为{analysis.qi}。",
        f"The assignment asks for a {qi.en}; line 1's second character 「{ch}」 makes it "
        f"{analysis.qi}.",
    )
    f = _finding(kind, Severity.ERROR, msg, line=0, pos=1, char=ch,
                 offset=first.text.offsets[1], marks=((0, 1),))  # fmt: skip
    return RequirementResult(kind, False, wanted, found, (f,))


def _imagery_result(
    assignment: Assignment, analysis: PoemAnalysis, book: Book | None, final: bool
) -> RequirementResult | None:
    words = assignment.imagery
    if not words:
        return None
    kind = RequirementKind.IMAGERY
    need = assignment.imagery_needed
    lines = [_fold(ln.text.chars, book) for ln in analysis.lines]
    present = [w for w in words if any(_fold(w, book) in ln for ln in lines)]
    missing = [w for w in words if w not in present]
    listed = "、".join(words)
    wanted = Message(
        f"用上意象：{listed}" + ("" if need == len(words) else f"（至少{need}个）"),
        f"use the images: {', '.join(words)}"
        + ("" if need == len(words) else f" (at least {need})"),
    )
    found = Message(
        "已用：" + ("、".join(present) or "无"), "used: " + (", ".join(present) or "none")
    )
    if len(present) >= need:
        return RequirementResult(kind, True, wanted, found)
    short = need - len(present)
    severity = Severity.ERROR if final else Severity.HINT
    msg = Message(
        f"还需用上{short}个意象（可选：{'、'.join(missing)}）。",
        f"{short} more image(s) needed (from: {', '.join(missing)}).",
    )
    f = _finding(kind, severity, msg, expected=listed, found="、".join(present))
    return RequirementResult(kind, False, wanted, found, (f,))


def _required_result(
    assignment: Assignment, analysis: PoemAnalysis, book: Book | None, final: bool
) -> RequirementResult | None:
    req = _unique(assignment.required_chars)
    if not req:
        return None
    kind = RequirementKind.REQUIRED_CHARS
    written = set(_fold("".join(ln.text.chars for ln in analysis.lines), book))
    missing = [c for c in req if _fold(c, book) not in written]
    wanted = Message(f"须用「{req}」", f"must use 「{req}」")
    if not missing:
        return RequirementResult(kind, True, wanted, Message("都已用上", "all used"))
    m = "".join(missing)
    found = Message(f"缺「{m}」", f"missing 「{m}」")
    severity = Severity.ERROR if final else Severity.HINT
    msg = Message(
        f"本题须用「{m}」字，诗中尚未出现。", f"The poem must use 「{m}」; not there yet."
    )
    f = _finding(kind, severity, msg, expected=req, found="")
    return RequirementResult(kind, False, wanted, found, (f,))


def _forbidden_result(
    assignment: Assignment, analysis: PoemAnalysis, book: Book | None
) -> RequirementResult | None:
    banned = _unique(assignment.forbidden_chars)
    if not banned:
        return None
    kind = RequirementKind.FORBIDDEN_CHARS
    folded = {_fold(c, book) for c in banned}
    wanted = Message(f"不得用「{banned}」", f"must not use 「{banned}」")
    found_f: list[Finding] = []
    used: list[str] = []
    for ln in analysis.lines:
        for pos, ch in enumerate(ln.text.chars):
            if _fold(ch, book) in folded:
                used.append(ch)
                msg = Message(
                    f"第{ln.index + 1}句第{pos + 1}字「{ch}」是本题的禁用字。",
                    f"Line {ln.index + 1}, character {pos + 1} 「{ch}」 is forbidden here.",
                )
                found_f.append(
                    _finding(kind, Severity.ERROR, msg, line=ln.index, pos=pos, char=ch,
                             offset=ln.text.offsets[pos], marks=((ln.index, pos),),
                             expected="", found=ch)
                )  # fmt: skip
    if not found_f:
        return RequirementResult(kind, True, wanted, Message("未用", "none used"))
    u = _unique("".join(used))
    return RequirementResult(
        kind, False, wanted, Message(f"用了「{u}」", f"used 「{u}」"), tuple(found_f)
    )


def _unique(chars: str) -> str:
    seen: dict[str, None] = {}
    for c in chars:
        if not c.isspace() and c not in "，,、；;":
            seen[c] = None
    return "".join(seen)


def check_requirements(
    assignment: Assignment,
    analysis: PoemAnalysis,
    book: Book | None = None,
    *,
    final: bool | None = None,
) -> tuple[RequirementResult, ...]:
    """Every requirement of ``assignment`` for the analysed poem, in a fixed order.

    ``final`` (default: ``analysis.complete``) says the poem is handed in: what is
    missing is then an error, not a hint. ``book`` folds traditional characters to
    simplified for the comparisons.
    """
    if final is None:
        final = analysis.complete
    if assignment.form is Form.DUILIAN and assignment.ci is None:
        return _couplet_requirements(assignment, analysis, book, final)
    if assignment.ci is not None:  # a 词: its 体 and the 部 the assignment pins
        out = [_ci_form_result(assignment.ci, analysis, final)]
        if analysis.lines:
            out.extend(_ci_rhyme_results(assignment.ci, analysis))
    else:
        out = [_form_result(assignment, analysis)]
        if analysis.lines:
            out.append(_rhyme_result(assignment, analysis))
    for maybe in (
        _first_line_result(assignment, analysis)
        if analysis.lines and assignment.ci is None
        else None,
        _qi_result(assignment, analysis) if assignment.ci is None else None,
    ):
        if maybe is not None:
            out.append(maybe)
    out.extend(_content_results(assignment, analysis, book, final))
    return tuple(out)


def _content_results(
    assignment: Assignment, analysis: PoemAnalysis, book: Book | None, final: bool
) -> list[RequirementResult]:
    """The requirements on what the poem says (imagery, required and forbidden
    characters): the same for a 诗, a 词 and a couplet; only those the assignment has."""
    return [
        r
        for r in (
            _imagery_result(assignment, analysis, book, final),
            _required_result(assignment, analysis, book, final),
            _forbidden_result(assignment, analysis, book),
        )
        if r is not None
    ]


def _ci_form_result(ci: CiAssignment, analysis: PoemAnalysis, final: bool) -> RequirementResult:
    """The 体's length: within a quarter (and four characters) of it, the 词 is this 体 with
    faults (the checker's length findings say which); further off, another shape."""
    kind = RequirementKind.FORM
    want = ci.form.chars
    wanted = Message(f"《{ci.form.tune}》{ci.name()}", ci.name("en"))
    n = len(analysis.chars)
    found = Message(f"{n}字", f"{n} characters")
    slack = max(4, want // 4)
    if n - want > slack or (final and want - n > slack):
        msg = Message(
            f"本题为{ci.name()}，共{want}字；此稿{n}字。",
            f"The assignment is {ci.name('en')}, {want} characters; this text has {n}.",
        )
        f = _finding(kind, Severity.ERROR, msg, expected=str(want), found=str(n))
        return RequirementResult(kind, False, wanted, found, (f,))
    return RequirementResult(kind, True, wanted, found)


def _ci_rhyme_results(ci: CiAssignment, analysis: PoemAnalysis) -> list[RequirementResult]:
    """One result per rhyme group whose 部 the assignment pins (the checker, given the
    pins, paints every rhyme outside it as 出韵: no second finding here)."""
    pinned = dict(ci.bu)
    out: list[RequirementResult] = []
    status = dict(zip(analysis.rhyme_slots, analysis.rhyme_status, strict=True))
    for group in getattr(analysis, "groups", ()):
        if group.letter not in pinned:
            continue
        name = group.bu_name or str(pinned[group.letter])
        wanted = Message(f"{group.letter}韵押{name}", f"rhyme {group.letter} in {name}")
        bad = [
            analysis.lines[line].text.chars[pos]
            for line, pos in group.slots
            if status.get((line, pos)) is RhymeMark.OUT and line < len(analysis.lines)
        ]
        if not bad:
            out.append(RequirementResult(RequirementKind.RHYME_GROUP, True, wanted, wanted))
            continue
        chars = "".join(bad)
        found = Message(f"「{chars}」不在{name}", f"「{chars}」 not in {name}")
        out.append(RequirementResult(RequirementKind.RHYME_GROUP, False, wanted, found))
    return out


def _couplet_requirements(
    assignment: Assignment, analysis: PoemAnalysis, book: Book | None, final: bool
) -> tuple[RequirementResult, ...]:
    """A couplet: the form, the given 上联, and the content requirements (no rhyme)."""
    kind = RequirementKind.FORM
    wanted = Message("对联", "a couplet")
    found = Message(
        analysis.form.value if analysis.form else "空",
        analysis.form.en if analysis.form else "empty",
    )
    out: list[RequirementResult] = []
    problem = wrong_couplet_form(assignment, analysis) if analysis.lines else None
    if problem is None:
        out.append(RequirementResult(kind, bool(analysis.lines), wanted, found))
    else:
        severity = Severity.ERROR if final else Severity.HINT
        f = _finding(kind, severity, problem, expected="对联", found=found.zh)
        out.append(RequirementResult(kind, False, wanted, found, (f,)))
    if assignment.couplet_first.strip() and analysis.form is Form.DUILIAN:
        ok, got, finding = given_line_finding(assignment, analysis, book)
        given = Message(f"出句「{assignment.couplet_first.strip()}」",
                        f"the given 「{assignment.couplet_first.strip()}」")  # fmt: skip
        out.append(RequirementResult(RequirementKind.GIVEN_LINE, ok, given, got,
                                     () if finding is None else (finding,)))  # fmt: skip
    out.extend(_content_results(assignment, analysis, book, final))
    return tuple(out)


def requirement_findings(results: Sequence[RequirementResult]) -> list[Finding]:
    return [f for r in results if not r.passed for f in r.findings]


class RequirementChecker:
    """The editor's extra-findings provider for writing against an assignment.

    ``PoemEditorPane.set_extra_findings(RequirementChecker(assignment, book))``: called
    with ``(text, analysis)`` after each analysis, returns the requirement findings.
    """

    def __init__(self, assignment: Assignment, book: Book | None = None) -> None:
        self.assignment = assignment
        self.book = book

    def results(self, analysis: PoemAnalysis) -> tuple[RequirementResult, ...]:
        return check_requirements(self.assignment, analysis, self.book)

    def results_final(self, analysis: PoemAnalysis) -> tuple[RequirementResult, ...]:
        """As handed in: what is missing is an error, not a hint."""
        return check_requirements(self.assignment, analysis, self.book, final=True)

    def __call__(self, text: str, analysis: PoemAnalysis) -> list[Finding]:
        if not analysis.lines:
            return []
        return requirement_findings(self.results(analysis))
