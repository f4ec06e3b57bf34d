"""What the student sees: the assignment sheet as data (the PDF and the wizard's preview).

The 平仄 templates shown are the form's (平起/仄起 × 首句入韵 or not) that the
assignment allows: both 平起 and 仄起 when it leaves the start open (平起 first);
for 首句入韵 left open, the commonest — 五言 unrhymed, 七言 rhymed.

A template is one a student can follow without knowing the 拗救 rules: the first
character of 平平仄仄平 (七言 the third, of 仄仄平平仄仄平) is shown 平, not free —
read 仄 it makes 孤平 unless the next-but-one character turns 平 (孤平拗救); the
sheet says so in a note.

The rhyme group's common characters are the ones a student can rhyme with
safely: characters read only 平, and only in this group (不, 看, 思 … have 仄 or
other readings and are left out), never a forbidden character, most used first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.assign.ci import CiAssignment, ci_sheet_lines
from app.assign.couplet import answer_template, couplet_template, given_clauses
from app.assign.model import Assignment, FirstLine, Qi
from app.prosody.forms import SCHEMES, Form, LineType, Scheme
from app.prosody.tones import PING_BIT, UNCERTAIN_BIT, ZE_BIT, Level

if TYPE_CHECKING:
    from app.prosody.books.kinds import BookKind
    from app.prosody.books.protocol import Book
    from app.prosody.ci.books import CiRhymes

RHYME_CHARS_SHOWN = 40


def _first_rhymes(assignment: Assignment) -> bool:
    first = assignment.rhyme.first_line
    return first is FirstLine.REQUIRED or (
        first is FirstLine.OPTIONAL and assignment.form.line_len == 7
    )


def sheet_schemes(assignment: Assignment) -> tuple[Scheme, ...]:
    """The schemes the sheet shows: the assignment's start, or 平起 then 仄起."""
    length = assignment.form.line_len
    rhymes = _first_rhymes(assignment)
    starts = (assignment.qi,) if assignment.qi is not None else (Qi.PING, Qi.ZE)
    out = []
    for qi in starts:
        for s in SCHEMES:
            if s.qi(length) == qi.value and s.first_rhymes == rhymes:
                out.append(s)
    return tuple(out)


def sheet_scheme(assignment: Assignment) -> Scheme:
    """The first scheme the sheet shows."""
    return sheet_schemes(assignment)[0]


def writing_template(line_type: LineType, length: int) -> str:
    """The template a student can follow safely: a B line's first free position is 平."""
    levels = list(line_type.template(length))
    if line_type is LineType.B:
        levels[length - 5] = Level.PING  # 仄 there is 孤平 unless rescued
    return "".join(level.value for level in levels)


def safe_rhyme_chars(
    book: Book, group_id: int, forbidden: str = "", limit: int = RHYME_CHARS_SHOWN
) -> str:
    """The group's characters read only 平 and only in this group, most used first,
    none of ``forbidden`` (in either script)."""
    banned = set(book.to_simplified(forbidden)) | set(book.to_traditional(forbidden))
    banned |= set(forbidden)
    out: list[str] = []
    for ch in book.group_chars(group_id):
        if ch in banned or book.to_simplified(ch) in banned:
            continue
        if book.mask(ch) & (ZE_BIT | UNCERTAIN_BIT) or not book.mask(ch) & PING_BIT:
            continue
        info = book.lookup(ch)
        if info is None or info.ping_groups != frozenset({group_id}):
            continue
        out.append(ch)
        if len(out) >= limit:
            break
    return "".join(out)


@dataclass(frozen=True, slots=True)
class SheetLine:
    templates: tuple[str, ...]  # one per start shown (SheetContent.qis): ⊙平⊙仄仄平平 …
    rhymes: bool  # ends on a rhyme
    pause: bool = False  # a 词's 讀: the 句 goes on in the next row
    given: str = ""  # 对联: the given 上联's characters, printed in the cells

    @property
    def template(self) -> str:
        return self.templates[0]


@dataclass(frozen=True, slots=True)
class SheetContent:
    title: str
    form: str  # 七律
    line_len: int
    lines: tuple[SheetLine, ...]
    qis: tuple[str, ...]  # the starts shown, each with its template per line: 平起, 仄起
    instructions: str
    requirements: tuple[str, ...]  # sentences in the sheet's language
    rhyme_group: str  # "" for any group
    rhyme_chars: str  # the group's common characters that are safe rhymes
    due: str  # ISO date or ""
    lang: str


def _couplet_lines(assignment: Assignment, book: Book | None) -> tuple[SheetLine, ...]:
    """上联 then 下联: a given 上联 printed in its cells over its template, the 下联's
    template opposed to it; without one, two templates of the set length."""
    given = given_clauses(assignment)
    if given:
        first = tuple(SheetLine((couplet_template(len(c), 0),), False, given=c) for c in given)
        second = tuple(SheetLine((answer_template(c, book),), False) for c in given)
        return first + second
    n = assignment.couplet_length
    return (
        SheetLine((couplet_template(n, 0),), False),
        SheetLine((couplet_template(n, 1),), False),
    )


def _couplet_content(assignment: Assignment, book: Book | None, lang: str) -> SheetContent:
    """A 对联 assignment's sheet: the rules, the given 上联, the templates and cells."""
    en = lang == "en"
    given = "".join(given_clauses(assignment))
    size = len(given) if given else assignment.couplet_length
    reqs = [
        f"Form: a couplet (对联), {size} characters a side: the first line ends oblique, "
        "the second level, tones opposed at the rhythm points, parallel"
        if en
        else f"诗体：对联，上下联各{size}字；上联仄收、下联平收，节奏点平仄相对，对仗工整"
    ]
    if given:
        reqs.append(
            f"Given first line: 「{given}」 — write the second" if en
            else f"出句（上联）：「{given}」，请对出下联"
        )  # fmt: skip
    reqs.append(_book_requirement(assignment.book, en))
    reqs += _extras(assignment, en)
    return SheetContent(
        title=assignment.title,
        form=assignment.form.value,
        line_len=size,
        lines=_couplet_lines(assignment, book),
        qis=("对联",),
        instructions=assignment.instructions.strip(),
        requirements=tuple(reqs),
        rhyme_group="",
        rhyme_chars="",
        due=assignment.due.isoformat() if assignment.due is not None else "",
        lang=lang,
    )


def sheet_content(
    assignment: Assignment,
    book: Book | None = None,
    lang: str = "zh",
    *,
    ci_rhymes: CiRhymes | None = None,
) -> SheetContent:
    """What the sheet shows. A 词 assignment: the 体's rows (``ci_rhymes``, the book of the
    词, names its pinned 部 and gives their characters)."""
    if assignment.ci is not None:
        return _ci_content(assignment, assignment.ci, ci_rhymes, lang)
    if book is not None and book.kind is not assignment.book:
        raise ValueError(f"the sheet of a {assignment.book.zh} assignment needs that book")
    if assignment.form is Form.DUILIAN:
        return _couplet_content(assignment, book, lang)
    form = assignment.form
    schemes = sheet_schemes(assignment)
    n = form.n_lines or 8
    lines = tuple(
        SheetLine(
            tuple(writing_template(s.line_type(i), form.line_len) for s in schemes),
            schemes[0].line_type(i).rhymes,
        )
        for i in range(n)
    )
    en = lang == "en"
    reqs: list[str] = []
    reqs.append(
        f"Form: {form.value} ({form.en}), {n} lines of {form.line_len} characters"
        if en
        else f"诗体：{form.value}，{n}句，每句{form.line_len}字"
    )
    reqs.append(_book_requirement(assignment.book, en))
    reqs.append(("Rhyme: " if en else "用韵：") + assignment.rhyme.label(lang))
    if assignment.qi is not None:
        reqs.append(("Start: " if en else "起式：") + (assignment.qi.en if en else assignment.qi))
    reqs.extend(_extras(assignment, en))
    g = assignment.rhyme.group
    chars = ""
    if g is not None and book is not None:
        chars = safe_rhyme_chars(book, g.id, assignment.forbidden_chars)
    return SheetContent(
        title=assignment.title,
        form=form.value,
        line_len=form.line_len,
        lines=lines,
        qis=tuple(s.qi(form.line_len) for s in schemes),
        instructions=assignment.instructions.strip(),
        requirements=tuple(reqs),
        rhyme_group=g.name if g is not None else "",
        rhyme_chars=chars,
        due=assignment.due.isoformat() if assignment.due is not None else "",
        lang=lang,
    )


def _book_requirement(kind: BookKind, en: bool) -> str:
    """The sheet's line naming the rhyme book (a modern one: its tones in a word)."""
    if en:
        return f"Rhyme book: {kind.en}" + ("; today's tones" if kind.is_modern else "")
    modern = "（今音：阴平、阳平为平，上声、去声为仄，无入声）" if kind.is_modern else ""
    return f"韵书：{kind.zh}{modern}"


def _extras(assignment: Assignment, en: bool) -> list[str]:
    """The theme, images and characters an assignment asks for, as sheet sentences."""
    reqs: list[str] = []
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
    return reqs


def _ci_content(
    assignment: Assignment, ci: CiAssignment, rhymes: CiRhymes | None, lang: str
) -> SheetContent:
    en = lang == "en"
    lines = tuple(
        SheetLine((row.template,), row.rhymes, row.pause) for row in ci_sheet_lines(ci.form)
    )
    per = "、".join(f"{n}句" for n in ci.form.sentences_per_section())
    reqs = [
        f"Ci: {ci.name('en')}, {ci.form.n_sections} stanza(s)"
        if en
        else f"词牌：{ci.name()}，{ci.form.n_sections}段（{per}）",
        ("Rhyme: " if en else "用韵：") + ci.rhyme_label(rhymes, lang),
    ]
    reqs.extend(_extras(assignment, en))
    chars = ""
    pinned = dict(ci.bu)
    group = ""
    if rhymes is not None and pinned:
        letter = next(iter(sorted(pinned)))
        bu = pinned[letter]
        kind = next(
            (s.rhyme_kind for s in ci.form.segments if s.rhyme and s.rhyme_group == letter), "平"
        )
        banned = set(assignment.forbidden_chars)
        chars = "".join(c for c in rhymes.members(bu, "平" if kind == "平" else "仄")
                        if c not in banned)[:RHYME_CHARS_SHOWN]  # fmt: skip
        group = f"{letter}韵{rhymes.bu_name(bu)}" if not en else f"{rhymes.bu_name(bu)}"
    return SheetContent(
        title=assignment.title,
        form=assignment.form_label,
        line_len=0,
        lines=lines,
        qis=(ci.name(lang),),
        instructions=assignment.instructions.strip(),
        requirements=tuple(reqs),
        rhyme_group=group,
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
    if not content.line_len:
        head = "Pattern" if en else "词谱"
    for k, qi in enumerate(content.qis):
        out.append(f"{head} ({qi}):" if en else f"{head}（{qi}）：")
        for i, line in enumerate(content.lines, 1):
            mark = (" (rhyme)" if en else "（韵）") if line.rhymes else ""
            mark = mark or ((" (pause)" if en else "、") if line.pause else "")
            given = f"  {line.given}" if line.given else ""
            out.append(f"{i:>2}. {line.templates[k]}{mark}{given}")
    if content.form != Form.DUILIAN.value:
        out.append(template_note(content.line_len, content.lang))
    if content.rhyme_chars:
        out += [
            "",
            (f"Common characters of {content.rhyme_group}: " if en else
             f"{content.rhyme_group}常用字：") + content.rhyme_chars,
        ]  # fmt: skip
    return "\n".join(out)


def template_note(line_len: int, lang: str = "zh") -> str:
    """The note under the templates: for 诗 why a B line's first free character is shown
    平 (:func:`gu_ping_note`); for a 词 what the marks mean."""
    if line_len in (5, 7):
        return gu_ping_note(line_len, lang)
    if lang == "en":
        return "⊙ either tone; (rhyme) a rhyme position; (pause) a pause inside the line (讀)."
    return "⊙ 可平可仄；（韵）为韵脚；、为句中的读（停顿）。"


def gu_ping_note(line_len: int, lang: str = "zh") -> str:
    """Why the first free character of 平平仄仄平 is shown 平 (the sheet's footnote)."""
    pattern, pos, rescue = ("平平仄仄平", 1, 3) if line_len == 5 else ("仄仄平平仄仄平", 3, 5)
    if lang == "en":
        return (
            f"Rhyming lines of the pattern {pattern}: character {pos} is shown 平 — read 仄 it "
            f"leaves a lonely level tone (孤平) unless character {rescue} is 平 (孤平拗救)."
        )
    return f"{pattern}式的句子：第{pos}字标作平，用仄则犯孤平，除非第{rescue}字改用平（孤平拗救）。"
