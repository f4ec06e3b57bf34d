"""Check a couplet (对联, meter-spec §10): the shape, then the rules of :mod:`.rules`.

Run by :class:`~app.prosody.checker.Checker` when the form is pinned to 对联 or the text
reads as a couplet by itself (:func:`~app.prosody.couplet.shape.recognise`); the tones come
from the checker's rhyme book (any book: 平水韵, 中华新韵, 中华通韵) through its per-character
cache. Rhyme does not apply. Pure function of (text, book, settings, pins); no I/O, no Qt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from app.prosody.analysis import CharResult, LineResult, RhymeMark
from app.prosody.couplet.analysis import CoupletAnalysis
from app.prosody.couplet.rules import (
    antithesis,
    end_findings,
    expected_levels,
    length_findings,
    opposition_findings,
    repeat_findings,
    settled_hint,
    tail_findings,
)
from app.prosody.couplet.shape import CoupletShape
from app.prosody.findings import Finding, finding_order, worst_by_cell
from app.prosody.forms import PING, ZE, Form
from app.prosody.linerules import GPING, GZE
from app.prosody.settings import CheckSettings

if TYPE_CHECKING:
    from app.prosody.books.protocol import Book
    from app.prosody.chars import CharInfo
    from app.prosody.duizhang import Lexicon


def analyze_couplet(
    text: str,
    shape: CoupletShape,
    book: Book,
    lexicon: Lexicon,
    code_of: Callable[[str], int],
    info_of: Callable[[str], CharInfo | None],
    settings: CheckSettings,
    pins: Mapping[int, int] | None,
    *,
    pinned: bool,
    per_char: bool = True,
) -> CoupletAnalysis:
    lines = list(shape.lines)
    split = shape.split
    codes: list[list[int]] = [[code_of(ch) for ch in tl.chars] for tl in lines]
    findings: list[Finding] = []
    if book.kind.is_modern:  # the words around a polyphone settle its reading
        for i, tl in enumerate(lines):
            for s in book.settle(tl.chars):
                codes[i][s.pos] = PING if s.reading.tone.is_ping else ZE
                findings.append(settled_hint(lines, split, i, s))
    if pins:
        for i, tl in enumerate(lines):
            for p, off in enumerate(tl.offsets):
                if off in pins:
                    codes[i][p] = pins[off]
    ka, kb = split, len(lines) - split
    partial = settings.partial
    last_a = len(lines[ka - 1].chars) if ka and kb == ka else 0
    done = len(lines[-1].chars) if kb else 0
    full_second = kb > 0 and kb >= ka and (not partial or done >= last_a)
    findings += length_findings(lines, split, partial)
    findings += end_findings(lines, split, codes, full_second)
    findings += opposition_findings(lines, split, codes, done if kb == ka else 10**6)
    findings += tail_findings(lines, split, codes, full_second)
    scores, dz = antithesis(lines, split, lexicon, full_second)
    if settings.dui_zhang:
        findings += dz
    if settings.repeated_chars:
        findings += repeat_findings(lines, split)
    findings.sort(key=finding_order)

    expected = expected_levels(lines, split, codes)
    lengths_ok = _lengths_ok(lines, split)
    line_results = tuple(
        LineResult(i, tl, None, expected[i], lengths_ok[i], False) for i, tl in enumerate(lines)
    )
    chars: list[CharResult] = []
    if per_char:
        worst = worst_by_cell(findings)
        for i, tl in enumerate(lines):
            for p, ch in enumerate(tl.chars):
                code = codes[i][p]
                shown = PING if code == GPING else ZE if code == GZE else code
                off = tl.offsets[p]
                chars.append(CharResult(ch, i, p, off, shown, info_of(ch), expected[i][p],
                                        worst.get((i, p)), RhymeMark.NONE,
                                        bool(pins) and off in pins))  # type: ignore[operator]  # fmt: skip
    complete = kb == ka > 0 and all(lengths_ok)
    return CoupletAnalysis(
        text=text,
        form=Form.DUILIAN,
        form_pinned=pinned,
        scheme=None,
        rhyme_group=None,
        group_pinned=False,
        lines=line_results,
        chars=tuple(chars),
        findings=tuple(findings),
        complete=complete,
        book=book.kind,
        split=split,
        antithesis=scores,
    )


def _lengths_ok(lines: Sequence[object], split: int) -> list[bool]:
    from app.prosody.text import TextLine

    tls: list[TextLine] = [tl for tl in lines if isinstance(tl, TextLine)]
    out = [True] * len(tls)
    kb = len(tls) - split
    for j in range(max(split, kb)):
        a = j if j < split else None
        b = split + j if j < kb else None
        same = a is not None and b is not None and len(tls[a].chars) == len(tls[b].chars)
        if a is not None:
            out[a] = same
        if b is not None:
            out[b] = same
    return out
