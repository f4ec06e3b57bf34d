"""Analyse any text as regulated verse: the single entry point is :func:`analyze`.

Data flows one way: text → lines of Han characters → tone codes from the rhyme
book → the poem's template (a vote over all lines) → findings → per-character
verdicts. Pure function of (text, book, settings, pins); no I/O, no Qt.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from typing import TYPE_CHECKING, cast

from app.prosody.analysis import CharResult, LineResult, PoemAnalysis, RhymeMark
from app.prosody.books.findings import other_book_finding, settled_finding
from app.prosody.books.tables import book_of_group
from app.prosody.chars import CharInfo
from app.prosody.duizhang import Lexicon, couplet_findings
from app.prosody.findings import Finding, Rule, Severity, finding_order, worst_by_cell
from app.prosody.forms import (
    EITHER,
    PING,
    UNKNOWN,
    ZE,
    Form,
    LineType,
    Scheme,
)
from app.prosody.frame import frame_lines
from app.prosody.groups import RhymeGroup
from app.prosody.linerules import (
    GPING,
    GZE,
    LineInput,
    check_line_as_written,
)
from app.prosody.niandui import second_char_findings
from app.prosody.rhyme import RhymeSlot, rhyme_findings
from app.prosody.scheme_vote import first_line_judge, is_ze_yun, vote_scheme
from app.prosody.settings import CheckSettings
from app.prosody.text import TextLine
from app.prosody.tones import RU_BIT, UNCERTAIN_BIT, Level, Source

if TYPE_CHECKING:
    from app.prosody.books.protocol import Book

DEFAULT_SETTINGS = CheckSettings()

# mask & (PING_BIT | ZE_BIT) → code
_CODE_OF_MASK = (UNKNOWN, PING, ZE, EITHER)
_tuple_new = tuple.__new__
_RUN_SHAPES = {20: 5, 28: 7, 40: 5, 56: 7}  # one unpunctuated run of a whole poem


class Checker:
    """The checker as a service: holds the rhyme book and a per-character tone cache.

    Construct one per app (or per test) and call :meth:`analyze` per keystroke. ``others``
    are the rhyme books a poem that breaks ``book``'s rules is also tried against: when it
    keeps one of them, the analysis says so in one note (按中华通韵合律). It may be a
    function returning them, called the first time they are needed (so the modern books
    are not built until a poem with errors asks for them).
    """

    __slots__ = (
        "_clean_lines",
        "_codes",
        "_context",
        "_entries",
        "_found_lines",
        "_infos",
        "_line_costs",
        "_other_checkers",
        "_ru",
        "_settles",
        "book",
        "lexicon",
        "others",
        "settings",
    )

    def __init__(
        self,
        book: Book,
        settings: CheckSettings = DEFAULT_SETTINGS,
        *,
        others: Sequence[Book] | Callable[[], Sequence[Book]] = (),
    ) -> None:
        self.book = book
        self.settings = settings
        self.others = others
        self._other_checkers: list[Checker] | None = None
        self._settles = book.kind.is_modern  # phrase context settles polyphones
        self._context: dict[tuple[int, str, int], Finding] = {}  # settled-reading hints
        # char → (tone code, 入声?, info): one dict hit per character per analysis
        self._entries: dict[str, tuple[int, bool, CharInfo | None]] = {}
        self._codes: dict[str, int] = {}  # the same, flat, for C-level map() lookups
        self._ru: dict[str, bool] = {}
        self._infos: dict[str, CharInfo | None] = {}
        self.lexicon = Lexicon(book)
        # Memos of pure functions of a line's tone codes (a small domain, so hits are
        # common across different poems): the template-vote cost of a line as a type,
        # and whether a line of a type has no finding at all.
        self._line_costs: dict[tuple[object, ...], float] = {}
        self._clean_lines: dict[tuple[object, ...], bool] = {}
        self._found_lines: dict[tuple[object, ...], list[Finding]] = {}

    def _entry(self, ch: str) -> tuple[int, bool, CharInfo | None]:
        info = self.book.lookup(ch)
        mask = info.mask if info is not None else 0
        code = _CODE_OF_MASK[mask & 3]
        if (
            mask & UNCERTAIN_BIT
            and code in (PING, ZE)
            and info is not None
            and info.source is Source.GUESSED
        ):
            code = GPING if code == PING else GZE
        entry = (code, bool(mask & RU_BIT), info)
        self._entries[ch] = entry
        self._codes[ch] = code
        self._ru[ch] = entry[1]
        self._infos[ch] = info
        return entry

    def analyze(
        self,
        text: str,
        *,
        form: Form | None = None,
        group: RhymeGroup | None = None,
        pins: Mapping[int, int] | None = None,
        settings: CheckSettings | None = None,
        per_char: bool = True,
    ) -> PoemAnalysis:
        """Analyse ``text``. ``form``/``group`` pin the form and rhyme group (a group of
        another rhyme book is ignored); ``pins`` maps a text offset to PING or ZE, choosing
        one reading of a polyphone. ``per_char=False`` skips the per-character results
        (``chars`` stays empty) for batch scoring."""
        if group is not None and book_of_group(group) is not self.book.kind:
            group = None
        use = settings or self.settings
        analysis = self._couplet(text, form, use, pins, per_char)
        if analysis is None:
            analysis = _analyze(self, text, use, form, group, pins, per_char)
        if (
            (callable(self.others) or self.others)
            and analysis.complete
            and not use.partial
            and analysis.errors
        ):
            analysis = self._try_others(analysis, text, use, form, pins)
        return analysis

    def code(self, ch: str) -> int:
        """The tone code of one character (PING, ZE, EITHER, UNKNOWN; GPING/GZE a guess)."""
        code = self._codes.get(ch)
        return self._entry(ch)[0] if code is None else code

    def info(self, ch: str) -> CharInfo | None:
        if ch not in self._infos:
            self._entry(ch)
        return self._infos[ch]

    def _couplet(
        self,
        text: str,
        form: Form | None,
        settings: CheckSettings,
        pins: Mapping[int, int] | None,
        per_char: bool,
    ) -> PoemAnalysis | None:
        """A couplet's analysis when the form is 对联 or the text reads as one, else None."""
        if form is not None and not form.is_couplet:
            return None
        from app.prosody.couplet.checker import analyze_couplet
        from app.prosody.couplet.shape import find_shape, recognise

        if form is None:
            shape = recognise(text, settings.partial, lambda ch: self.code(ch) == ZE)
            if shape is None:
                return None
        else:
            shape = find_shape(text, pinned=True)
            if shape is None:  # nothing to read yet
                return PoemAnalysis(text, form, True, None, None, False, (), (), (),
                                    book=self.book.kind)  # fmt: skip
        return analyze_couplet(text, shape, self.book, self.lexicon, self.code, self.info,
                               settings, pins, pinned=form is not None,
                               per_char=per_char)  # fmt: skip

    def _try_others(
        self,
        analysis: PoemAnalysis,
        text: str,
        settings: CheckSettings,
        form: Form | None,
        pins: Mapping[int, int] | None,
    ) -> PoemAnalysis:
        """Add one note when the poem keeps the rules of another book (meter-spec §9)."""
        if self._other_checkers is None:
            books = self.others() if callable(self.others) else self.others
            kind = self.book.kind
            self._other_checkers = [Checker(b, self.settings) for b in books if b.kind is not kind]
        keeps = [
            other.book.kind
            for other in self._other_checkers
            if not other.analyze(
                text, form=form, pins=pins, settings=settings, per_char=False
            ).errors
        ]
        if not keeps:
            return analysis
        note = other_book_finding(self.book.kind, len(analysis.errors), keeps)
        return dataclasses.replace(analysis, findings=(*analysis.findings, note))


def analyze(
    text: str,
    book: Book,
    settings: CheckSettings = DEFAULT_SETTINGS,
    *,
    form: Form | None = None,
    group: RhymeGroup | None = None,
    pins: Mapping[int, int] | None = None,
) -> PoemAnalysis:
    """One-off analysis (builds a fresh :class:`Checker`; keep a Checker for repeated use)."""
    return Checker(book, settings).analyze(text, form=form, group=group, pins=pins)


def _analyze(
    checker: Checker,
    text: str,
    settings: CheckSettings,
    form: Form | None,
    group: RhymeGroup | None,
    pins: Mapping[int, int] | None,
    per_char: bool = True,
) -> PoemAnalysis:
    book = checker.book
    lines = _split(text)
    if not lines:
        return PoemAnalysis(text, form, form is not None, None, group, group is not None, (), (),
                            (), book=book.kind)  # fmt: skip

    length = form.line_len if form is not None else _majority_length(lines)
    n = len(lines)
    the_form = form if form is not None else Form.for_shape(length, n)

    # Tone codes and 入声 flags per line: one cache hit per character.
    code_of = checker._codes
    get_code = code_of.get
    codes: list[list[int]] = []
    for tl in lines:
        row = list(map(get_code, tl.chars))
        if None in row:  # first sight of a character: fill the caches
            for ch in tl.chars:
                if ch not in code_of:
                    checker._entry(ch)
            row = list(map(get_code, tl.chars))
        codes.append(cast("list[int]", row))
    ru = checker._ru  # 入声 by character: only the wording of a finding needs it
    context: list[Finding] = []
    if checker._settles:  # the words around a polyphone settle its reading
        hints = checker._context
        for i, tl in enumerate(lines):
            for s in book.settle(tl.chars):
                codes[i][s.pos] = PING if s.reading.tone.is_ping else ZE
                spot = (i, tl.chars, tl.offsets[s.pos])
                hint = hints.get(spot)
                if hint is None:
                    if len(hints) > 4096:
                        hints.clear()
                    hint = hints[spot] = settled_finding(i, tl, s)
                context.append(hint)
    if pins:
        for i, tl in enumerate(lines):
            for pos, off in enumerate(tl.offsets):
                if off in pins:
                    codes[i][pos] = pins[off]

    typing_last = settings.partial and len(lines[-1].chars) < length
    full = [len(tl.chars) == length for tl in lines]
    findings: list[Finding] = context
    findings.extend(_length_findings(lines, length, the_form, settings))

    ze_yun = is_ze_yun(codes, full, lines, book)
    scheme: Scheme | None = None
    expected_rows: list[tuple[Level, ...]] = []
    types: list[LineType] = []
    rhyme_group = group
    slots: list[RhymeSlot] = []
    if ze_yun:
        findings.append(
            Finding(Rule.ZE_YUN, Severity.NOTE, 1, None, "", None, "平声韵", "仄声韵",
                    marks=())
        )  # fmt: skip
    else:
        judge = first_line_judge(lines, codes, full, length, ru, settings)
        vote = vote_scheme(checker._line_costs, codes, full, length, typing_last, lines, book,
                           judge)  # fmt: skip
        scheme = vote.scheme
        if vote.avoided:  # a polyphone ending line 1, read as the poem's rules need
            findings.append(_reading_note(lines[0], scheme, vote.avoided))
        types = list(scheme.types(n))
        inputs = [
            LineInput(i, tl.chars, tl.offsets, codes[i], ru, types[i], length)
            for i, tl in enumerate(lines)
        ]
        clean = checker._clean_lines
        settings_key = hash(settings)
        for i, li_ in enumerate(inputs):
            if full[i]:
                nxt = inputs[i + 1] if i + 1 < n and full[i + 1] else None
                key = (
                    li_.type,
                    settings_key,
                    *li_.codes,
                    None if nxt is None else nxt.type,
                    None if nxt is None else nxt.codes[length - 3],
                )
                if clean.get(key):
                    continue
                # a line with findings: the same line of the same text (re-analysis on
                # every keystroke) gets the same findings
                where = (key, i, li_.chars, li_.offsets, None if nxt is None else nxt.chars)
                found = checker._found_lines.get(where)
                if found is None:
                    found = check_line_as_written(li_, nxt, settings)
                    clean[key] = not found
                    if found:
                        if len(checker._found_lines) > 4096:
                            checker._found_lines.clear()
                        checker._found_lines[where] = found
                findings.extend(found)
            elif typing_last and i == n - 1:
                findings.extend(_partial_line(li_))
        findings.extend(second_char_findings(inputs, full, typing_last, settings))
        # Rhyme slots: every line whose type rhymes, if it is complete.
        unrhymed_ends: list[RhymeSlot] = []
        for i, tl in enumerate(lines):
            if typing_last and i == n - 1:
                continue
            slot = RhymeSlot(i, len(tl.chars) - 1, tl.chars[-1], tl.offsets[-1], codes[i][-1])
            if types[i].rhymes:
                slots.append(slot)
            elif full[i]:
                unrhymed_ends.append(slot)
        rhyme_group, rf = rhyme_findings(slots, unrhymed_ends, lines, book, group, settings, ru)
        findings.extend(rf)
        for i, tl in enumerate(lines):
            if full[i] or (typing_last and i == n - 1):
                expected_rows.append(types[i].template(length)[: len(tl.chars)])
            else:
                expected_rows.append(())
        if the_form.is_lv and settings.dui_zhang:
            findings.extend(couplet_findings(lines, full, the_form, checker.lexicon))
    if settings.repeated_chars:
        findings.extend(_repeated_chars(lines, slots))

    findings.sort(key=finding_order)
    worst = worst_by_cell(findings)
    rhyme_marks = _rhyme_marks(findings, slots)

    chars: list[CharResult] = []
    line_results: list[LineResult] = []
    if per_char:
        # Per-line columns of the worst severity and the rhyme mark, filled from the
        # (few) painted cells rather than probed per character.
        sev_rows: list[list[Severity | None]] = [[None] * len(tl.chars) for tl in lines]
        for (li, lp), sev in worst.items():
            sev_rows[li][lp] = sev
        mark_rows: dict[int, list[RhymeMark]] = {}
        for (li, lp), rmark in rhyme_marks.items():
            mark_rows.setdefault(li, [RhymeMark.NONE] * len(lines[li].chars))[lp] = rmark
        info_of = checker._infos.__getitem__
    for i, tl in enumerate(lines):
        exp = expected_rows[i] if expected_rows else ()
        line_results.append(
            LineResult(i, tl, types[i] if types else None, exp, full[i],
                       bool(types) and types[i].rhymes)
        )  # fmt: skip
        if not per_char:
            continue
        m = len(tl.chars)
        row_codes = codes[i]
        if max(row_codes) > 3:  # guessed readings display as their tone
            row_codes = [PING if c == GPING else ZE if c == GZE else c for c in row_codes]
        # tuple.__new__ mapped over zip: the whole row is built in C
        chars.extend(
            map(
                _tuple_new,
                repeat(CharResult, m),
                zip(
                    tl.chars,
                    repeat(i, m),
                    range(m),
                    tl.offsets,
                    row_codes,
                    map(info_of, tl.chars),
                    exp if len(exp) == m else (*exp, *repeat(Level.FREE, m - len(exp))),
                    sev_rows[i],
                    mark_rows.get(i) or repeat(RhymeMark.NONE, m),
                    [off in pins for off in tl.offsets] if pins else repeat(False, m),
                    strict=False,
                ),
            )
        )
    expected_n = the_form.n_lines
    complete = all(full) and (n == expected_n if expected_n else n >= 10 and n % 2 == 0)
    return PoemAnalysis(
        text=text,
        form=the_form,
        form_pinned=form is not None,
        scheme=scheme,
        rhyme_group=rhyme_group,
        group_pinned=group is not None,
        lines=tuple(line_results),
        chars=tuple(chars),
        findings=tuple(findings),
        ze_yun=ze_yun,
        complete=complete,
        rhyme_slots=tuple((s.line, s.pos) for s in slots),
        rhyme_status=tuple(rhyme_marks.get((s.line, s.pos), RhymeMark.IN) for s in slots),
        book=book.kind,
    )


def _reading_note(first: TextLine, scheme: Scheme, avoided: tuple[str, ...]) -> Finding:
    pos = len(first.chars) - 1
    reading = "平" if scheme.first_rhymes else "仄"
    return Finding(Rule.READING, Severity.NOTE, 0, pos, first.chars[pos], first.offsets[pos],
                   reading, "平仄两读", detail=(("avoided", avoided[0]),), marks=())  # fmt: skip


# ------------------------------------------------------------------ shape
def _split(text: str) -> list[TextLine]:
    lines = list(frame_lines(text).verse)  # the verse only: no title, author or notes
    if len(lines) == 1 and len(lines[0].chars) in _RUN_SHAPES:
        run = lines[0]
        width = _RUN_SHAPES[len(run.chars)]
        return [
            TextLine(
                run.chars[k : k + width],
                run.offsets[k : k + width],
                run.offsets[k],
                run.offsets[k + width - 1] + 1,
            )
            for k in range(0, len(run.chars), width)
        ]
    return lines


def _majority_length(lines: list[TextLine]) -> int:
    fives = sum(1 for tl in lines if len(tl.chars) == 5)
    sevens = sum(1 for tl in lines if len(tl.chars) == 7)
    if fives or sevens:
        return 7 if sevens > fives else 5
    longest = max(len(tl.chars) for tl in lines)
    return 7 if longest >= 6 else 5


def _length_findings(
    lines: list[TextLine], length: int, form: Form, settings: CheckSettings
) -> list[Finding]:
    out: list[Finding] = []
    n = len(lines)
    for i, tl in enumerate(lines):
        if len(tl.chars) == length:
            continue
        if settings.partial and i == n - 1 and len(tl.chars) < length:
            continue
        marks = (
            tuple((i, p) for p in range(length, len(tl.chars))) if len(tl.chars) > length else ()
        )
        out.append(
            Finding(Rule.LENGTH, Severity.ERROR, i, None, "", tl.offsets[0], str(length),
                    str(len(tl.chars)), detail=(("kind", "line"),), marks=marks)
        )  # fmt: skip
    expected = form.n_lines
    if expected is not None and n > expected:
        out.append(
            Finding(Rule.LENGTH, Severity.ERROR, expected, None, "", lines[expected].offsets[0],
                    str(expected), str(n), detail=(("kind", "lines"), ("form", form.value)))
        )  # fmt: skip
    elif not settings.partial:
        if expected is not None and n < expected:
            out.append(
                Finding(Rule.LENGTH, Severity.ERROR, n - 1, None, "", None, str(expected),
                        str(n), detail=(("kind", "lines"), ("form", form.value)))
            )  # fmt: skip
        elif expected is None and n % 2 == 1:
            out.append(
                Finding(Rule.LENGTH, Severity.ERROR, n - 1, None, "", None, str(n + 1),
                        str(n), detail=(("kind", "lines"), ("form", form.value)))
            )  # fmt: skip
    return out


def _partial_line(li: LineInput) -> list[Finding]:
    """A line still being typed: fixed positions already present (not position 2)."""
    out: list[Finding] = []
    from app.prosody.linerules import tone_fault

    length = li.length
    template = li.type.template(length)
    standard = li.type.standard(length)
    for pos in range(2, len(li.codes)):
        if template[pos] is Level.FREE:
            continue
        f = tone_fault(li, pos, standard[pos])
        if f:
            out.append(f)
    return out


# ------------------------------------------------------------------ marks
def _rhyme_marks(
    findings: list[Finding], slots: list[RhymeSlot]
) -> dict[tuple[int, int], RhymeMark]:
    marks = {(s.line, s.pos): RhymeMark.IN for s in slots}
    for f in findings:
        if f.pos is None:
            continue
        cell = (f.line, f.pos)
        if cell not in marks:
            continue
        if f.rule is Rule.JIE_LIN_YUN:
            marks[cell] = RhymeMark.BORROWED
        elif f.rule in (Rule.CHU_YUN, Rule.LINE_END) and f.is_error:
            marks[cell] = RhymeMark.OUT
        elif f.rule is Rule.UNCERTAIN and marks[cell] is RhymeMark.IN:
            marks[cell] = RhymeMark.UNKNOWN
    return marks


def _repeated_chars(lines: list[TextLine], slots: list[RhymeSlot]) -> list[Finding]:
    """重字: a character used twice (not as adjacent 叠字, not a 重韵 already reported).

    One pass over the characters, remembering where each was first seen: linear in the
    length of the text, however many lines and distinct characters it has.
    """
    everything = "".join(tl.chars for tl in lines)
    if len(set(everything)) == len(everything):
        return []
    rhyme_cells = {(s.line, s.pos) for s in slots}
    first_seen: dict[str, tuple[int, int]] = {}
    out: list[Finding] = []
    for i, tl in enumerate(lines):
        chars = tl.chars
        last = len(chars) - 1
        for pos, ch in enumerate(chars):
            first = first_seen.get(ch)
            if first is None:
                first_seen[ch] = (i, pos)
            elif not (
                (pos > 0 and chars[pos - 1] == ch)
                or (pos < last and chars[pos + 1] == ch)
                or ((i, pos) in rhyme_cells and first in rhyme_cells)
            ):
                out.append(
                    Finding(Rule.CHONG_ZI, Severity.HINT, i, pos, ch, tl.offsets[pos], "",
                            ch, detail=(("other", str(first[0] + 1)),), marks=((i, pos),))
                )  # fmt: skip
    return out


__all__ = ["DEFAULT_SETTINGS", "Checker", "analyze"]
