"""Check a 词 against the 词谱: the 体 that fits, each character's tone, the rhymes, 叠句.

Data flows one way: text → lines (split at punctuation) → the 体 whose shape fits best
(:mod:`app.prosody.ci.choose`) → each character matched to a mark of the 体 → tone findings,
rhyme groups by the 词林正韵 (:mod:`app.prosody.ci.rhymes`), 叠句 that do not repeat, lines
with missing or extra characters. None of the 诗 rules (粘对, 孤平, 三平尾) applies to 词.
Pure function of (text, rhyme books, table, settings); no I/O, no Qt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.prosody.analysis import CharResult, LineResult, RhymeMark
from app.prosody.chars import CharInfo
from app.prosody.ci.align import Pair, char_map, fits
from app.prosody.ci.analysis import CiAnalysis, FormChoice
from app.prosody.ci.books import CiBook, CiBookKind, CilinRhymes, CiRhymes
from app.prosody.ci.choose import choose_form
from app.prosody.ci.messages import (
    die_finding,
    form_note,
    length_finding,
    missing_finding,
    tone_finding,
    where,
)
from app.prosody.ci.rhymes import RhymeSlot, rhyme_groups
from app.prosody.ci.table import CiForm, CipuTable, Tune
from app.prosody.findings import Finding, Rule, finding_order, worst_by_cell
from app.prosody.forms import EITHER, PING, UNKNOWN, ZE
from app.prosody.linerules import GPING, GZE
from app.prosody.rhymebook.cilin import CilinBook
from app.prosody.text import TextLine, split_lines
from app.prosody.tones import UNCERTAIN_BIT, Level, Source

if TYPE_CHECKING:
    from app.prosody.books.protocol import Book
    from app.prosody.rhymebook.cilin import ToneClass

_CODE_OF_MASK = (UNKNOWN, PING, ZE, EITHER)
_LEVEL_OF_MARK = {"平": Level.PING, "仄": Level.ZE, "中": Level.FREE, "？": Level.FREE}


@dataclass(frozen=True, slots=True)
class CiSettings:
    """How a 词 is read. ``partial``: still being written (the end is not missing yet).
    ``bu``: a 部 pinned per rhyme group letter (an assignment's): the group's rhymes are
    judged against it rather than the 部 most of them share."""

    partial: bool = False
    bu: tuple[tuple[str, int], ...] = ()


class CiChecker:
    """The 词 checker as a service: the rhyme books, the 词谱 and per-character caches.

    ``book`` gives the tones; ``rhymes`` judges the rhymes (a :class:`CilinBook` is the
    词林正韵; any :class:`~app.prosody.ci.books.CiRhymes` another book)."""

    __slots__ = ("_codes", "_infos", "_memo", "book", "rhymes", "table")

    def __init__(self, book: Book, rhymes: CilinBook | CiRhymes, table: CipuTable) -> None:
        self.book = book
        self.rhymes: CiRhymes = CilinRhymes(rhymes) if isinstance(rhymes, CilinBook) else rhymes
        self.table = table
        self._codes: dict[str, int] = {}
        self._infos: dict[str, CharInfo | None] = {}
        self._memo: dict[tuple[object, ...], object] = {}

    @classmethod
    def of(cls, book: CiBook, table: CipuTable) -> CiChecker:
        return cls(book.tones, book.rhymes, table)

    @property
    def book_kind(self) -> CiBookKind:
        return self.rhymes.kind

    @property
    def cilin(self) -> CilinBook | None:
        """The 词林正韵 this checker judges by (None when it judges by another book)."""
        return self.rhymes.cilin if isinstance(self.rhymes, CilinRhymes) else None

    def with_book(self, book: CiBook) -> CiChecker:
        """A checker of the same 词谱 with another book (this one when it is the same)."""
        if book.tones is self.book and book.rhymes.kind is self.rhymes.kind:
            return self
        return CiChecker(book.tones, book.rhymes, self.table)

    def code(self, ch: str) -> int:
        """PING / ZE / EITHER / UNKNOWN, or GPING / GZE for a reading that is only a guess."""
        try:
            return self._codes[ch]
        except KeyError:
            pass
        info = self.book.lookup(ch)
        mask = info.mask if info is not None else 0
        code = _CODE_OF_MASK[mask & 3]
        guessed = info is not None and info.source is Source.GUESSED
        if mask & UNCERTAIN_BIT and code in (PING, ZE) and guessed:
            code = GPING if code == PING else GZE
        self._codes[ch] = code
        self._infos[ch] = info
        return code

    def analyze(
        self,
        text: str,
        *,
        tune: Tune | str | None = None,
        form: CiForm | None = None,
        settings: CiSettings | None = None,
        pins: Mapping[int, int] | None = None,
    ) -> CiAnalysis:
        """Analyse ``text`` as a 词. ``tune`` (a :class:`Tune` or a name) limits the 体 to
        that tune's; ``form`` pins one 体; with neither, the tune is found from the shape."""
        settings = settings or CiSettings()
        lines = split_lines(text)
        if isinstance(tune, str):
            found = self.table.find(tune)
            tune = found
        if not lines:
            return _empty(text)
        codes = [[self.code(ch) for ch in tl.chars] for tl in lines]
        if pins:
            for i, tl in enumerate(lines):
                for p, off in enumerate(tl.offsets):
                    if off in pins:
                        codes[i][p] = pins[off]
        choice, chosen = choose_form(self, lines, codes, tune, form, settings.partial, self._memo)
        if choice is None or chosen is None:
            return _empty(text, lines)
        return _report(self, text, lines, codes, choice, chosen.pairs, settings, pins)


def _empty(text: str, lines: list[TextLine] | None = None) -> CiAnalysis:
    return CiAnalysis(text, None, False, None, None, False, (), (), ())


def _report(
    checker: CiChecker,
    text: str,
    lines: list[TextLine],
    codes: list[list[int]],
    choice: FormChoice,
    pairs: list[Pair],
    settings: CiSettings,
    pins: Mapping[int, int] | None,
) -> CiAnalysis:
    form = choice.form
    segs = form.segments
    mapping, uneven = char_map(lines, codes, form, pairs)
    findings: list[Finding] = []
    n_lines = len(lines)
    last_line = n_lines - 1

    # ------------------------------------------------ shape: missing and extra characters
    segment_of_line = [-1] * n_lines
    for pair in pairs:
        for i in pair.lines:
            segment_of_line[i] = pair.segs[0] if pair.segs else -1
    if not choice.exact:
        findings.append(form_note(choice))
    for pair, n_text, n_form in uneven:
        typing = settings.partial and pair.lines[-1] == last_line and n_text < n_form
        if not typing:
            findings.append(length_finding(form, pair, lines, n_text, n_form, mapping))
    for pair in pairs:
        if pair.segs and not pair.lines:
            after = max((i for p in pairs if p.lines for i in p.lines
                         if p.segs and p.segs[-1] < pair.segs[0]), default=-1)  # fmt: skip
            if settings.partial and after == last_line:
                continue  # not written yet
            findings.append(missing_finding(form, pair, lines, after))
        elif pair.lines and not pair.segs:
            for i in pair.lines:
                findings.append(length_finding(form, pair, lines, len(lines[i].chars), 0, {}))

    # ------------------------------------------------ tones
    typing_cells: set[tuple[int, int]] = set()
    for (i, p), (j, k) in mapping.items():
        seg = segs[j]
        mark = seg.marks[k]
        is_rhyme = bool(seg.rhyme) and k == seg.length - 1
        if is_rhyme:
            mark = seg.rhyme_kind
            if settings.partial and i == last_line and p == len(lines[i].chars) - 1:
                typing_cells.add((i, p))
        if mark not in ("平", "仄"):
            continue
        code = codes[i][p]
        if fits(code, mark) and code not in (GPING, GZE):
            continue
        if code in (GPING, GZE) and fits(code, mark):
            continue
        findings.append(
            tone_finding(form, j, k, lines[i], i, p, code, mark, is_rhyme, checker._infos)
        )

    # ------------------------------------------------ rhymes
    slots: list[RhymeSlot] = []
    for (i, p), (j, k) in mapping.items():
        seg = segs[j]
        if seg.rhyme and k == seg.length - 1 and (i, p) not in typing_cells:
            zh, en = where(form, j)
            kind: ToneClass = "平" if seg.rhyme_kind == "平" else "仄"
            slots.append(
                RhymeSlot(i, p, lines[i].chars[p], lines[i].offsets[p], seg.rhyme_group,
                          kind, zh, en)
            )  # fmt: skip
    slots.sort(key=lambda s: (s.line, s.pos))
    groups, rhyme_findings, rhyme_marks = rhyme_groups(
        slots, checker.rhymes, dict(settings.bu) if settings.bu else None
    )
    findings.extend(rhyme_findings)

    # ------------------------------------------------ 叠句
    text_of_seg: dict[int, list[tuple[int, int]]] = {}
    for cell, (j, _k) in sorted(mapping.items()):
        text_of_seg.setdefault(j, []).append(cell)
    for j, seg in enumerate(segs):
        if seg.repeat < 0 or j not in text_of_seg or seg.repeat not in text_of_seg:
            continue
        mine = text_of_seg[j]
        theirs = text_of_seg[seg.repeat]
        if len(mine) != seg.length or len(theirs) != segs[seg.repeat].length:
            continue  # a length finding says it already
        if settings.partial and mine[-1][0] == last_line:
            continue
        got = "".join(lines[i].chars[p] for i, p in mine)
        want = "".join(lines[i].chars[p] for i, p in theirs)
        if got != want:
            findings.append(die_finding(form, j, seg.repeat, lines, mine, got, want))

    # ------------------------------------------------ results
    findings.sort(key=finding_order)
    worst = worst_by_cell(findings)
    chars: list[CharResult] = []
    line_results: list[LineResult] = []
    for i, tl in enumerate(lines):
        expected: list[Level] = []
        for p, ch in enumerate(tl.chars):
            jk = mapping.get((i, p))
            level = Level.FREE
            if jk is not None:
                seg = segs[jk[0]]
                mark = seg.marks[jk[1]]
                if seg.rhyme and jk[1] == seg.length - 1:
                    mark = seg.rhyme_kind
                level = _LEVEL_OF_MARK.get(mark, Level.FREE)
            expected.append(level)
            code = codes[i][p]
            shown = PING if code == GPING else ZE if code == GZE else code
            chars.append(
                CharResult(ch, i, p, tl.offsets[p], shown, checker._infos.get(ch), level,
                           worst.get((i, p)), rhyme_marks.get((i, p), RhymeMark.NONE),
                           bool(pins and tl.offsets[p] in pins))
            )  # fmt: skip
        last = mapping.get((i, len(tl.chars) - 1))
        rhymes = (
            last is not None and bool(segs[last[0]].rhyme) and (last[1] == segs[last[0]].length - 1)
        )
        length_ok = all(i not in pair.lines for pair, _, _ in uneven) and segment_of_line[i] >= 0
        line_results.append(LineResult(i, tl, None, tuple(expected), length_ok, rhymes))
    covered = max((j for p in pairs for j in p.segs if p.lines), default=-1) == len(segs) - 1
    complete = choice.exact and covered and not any(f.rule is Rule.LENGTH for f in findings)
    return CiAnalysis(
        text=text,
        form=None,
        form_pinned=choice.pinned,
        scheme=None,
        rhyme_group=None,
        group_pinned=False,
        lines=tuple(line_results),
        chars=tuple(chars),
        findings=tuple(findings),
        complete=complete,
        rhyme_slots=tuple((s.line, s.pos) for s in slots),
        rhyme_status=tuple(rhyme_marks.get((s.line, s.pos), RhymeMark.IN) for s in slots),
        choice=choice,
        groups=tuple(groups),
        segment_of_line=tuple(segment_of_line),
    )


@dataclass(frozen=True)
class CiTarget:
    """What an editor checks a 词 against: the checker and the chosen tune and 体 (either
    may be None: the tune is then found from the shape, the 体 chosen by the checker)."""

    checker: CiChecker
    tune: Tune | None = None
    form: CiForm | None = None
    bu: tuple[tuple[str, int], ...] = ()  # a 部 pinned per rhyme group (an assignment's)

    def analyze(
        self, text: str, *, partial: bool, pins: Mapping[int, int] | None = None
    ) -> CiAnalysis:
        settings = CiSettings(partial=partial, bu=self.bu)
        return self.checker.analyze(
            text, tune=self.tune, form=self.form, settings=settings, pins=pins
        )

    @property
    def label_zh(self) -> str:
        if self.form is not None:
            return self.form.label_zh
        return f"《{self.tune.name}》" if self.tune is not None else "词牌：自动"

    @property
    def label_en(self) -> str:
        if self.form is not None:
            return self.form.label_en
        return self.tune.name if self.tune is not None else "tune: auto"
