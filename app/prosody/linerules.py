"""Rules inside one line: fixed positions, 孤平, 三平尾, 三仄尾, 大拗/小拗, 特拗, strict 一三五.

Positions are evaluated on the 五言 part of a line (q1…q5); a 七言 line has two
more characters in front (p1 free, p2 fixed). Position 2 and the line end are
judged at the poem level (失对/失粘, rhyme), not here.

Tone codes (see forms.py): PING, ZE, EITHER (a polyphone fits both), UNKNOWN,
and GPING/GZE — a Mandarin guess, never definite enough to make an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.prosody.findings import Finding, Need, Rule, Severity
from app.prosody.forms import EITHER, PING, UNKNOWN, ZE, LineType
from app.prosody.settings import CheckSettings
from app.prosody.tones import Level

GPING = 5  # guessed 平
GZE = 6  # guessed 仄


def can_ping(code: int) -> bool:
    return code != ZE


def can_ze(code: int) -> bool:
    return code != PING


def tone_word(code: int, is_ru: bool) -> str:
    if code in (PING, GPING):
        return "平"
    if code in (ZE, GZE):
        return "入声仄" if is_ru else "仄"
    return "平仄两读"


@dataclass(slots=True)
class LineInput:
    """What the line rules need to know about one line."""

    index: int  # 0-based line number
    chars: str
    offsets: tuple[int, ...]
    codes: list[int]
    ru_of: Mapping[str, bool]  # 入声 by character (the checker's cache)
    type: LineType
    length: int  # the form's line length (5 or 7)


def _finding(
    line: LineInput,
    rule: Rule,
    severity: Severity,
    pos: int,
    expected: str,
    found: str,
    need: Need = Need.NONE,
    detail: tuple[tuple[str, str], ...] = (),
    marks: tuple[int, ...] | None = None,
) -> Finding:
    i = line.index
    cells = ((i, pos),) if marks is None else tuple([(i, p) for p in marks])
    return Finding(
        rule,
        severity,
        i,
        pos,
        line.chars[pos] if pos < len(line.chars) else "",
        line.offsets[pos] if pos < len(line.offsets) else None,
        expected,
        found,
        need,
        detail,
        cells,
    )


def tone_fault(line: LineInput, pos: int, want: int, rule: Rule = Rule.TONE) -> Finding | None:
    """A fixed position: an error when the character is definitely the other tone."""
    if pos >= len(line.codes):
        return None
    code = line.codes[pos]
    want_word = "平" if want == PING else "仄"
    need = Need.PING if want == PING else Need.ZE
    if (want == PING and code == ZE) or (want == ZE and code == PING):
        return _finding(
            line,
            rule,
            Severity.ERROR,
            pos,
            want_word,
            tone_word(code, line.ru_of.get(line.chars[pos], False)),
            need,
        )
    return uncertain_fault(line, pos, want)


def uncertain_fault(line: LineInput, pos: int, want: int) -> Finding | None:
    """A guessed (or unknown) reading where the tone matters: a warning, never silence."""
    code = line.codes[pos]
    if code in (GPING, GZE, 3):
        fits = (want == PING and code == GPING) or (want == ZE and code == GZE)
        if fits:
            return None
        want_word = "平" if want == PING else "仄"
        found = {GPING: "平", GZE: "仄"}.get(code, "未知")
        return _finding(
            line,
            Rule.UNCERTAIN,
            Severity.WARNING,
            pos,
            want_word,
            found,
            Need.PING if want == PING else Need.ZE,
        )
    return None


def check_line(
    line: LineInput, next_line: LineInput | None, settings: CheckSettings
) -> list[Finding]:
    """Findings inside one full-length line (position 2 and the line end excluded)."""
    out: list[Finding] = []
    c = line.codes
    k = line.length - 5  # index of q1
    q1, q2, q3, q4 = k, k + 1, k + 2, k + 3
    t = line.type
    involved: set[int] = set()

    # 七言: the 4th character (q2) is fixed like the 2nd.
    if line.length == 7:
        want = t.standard(7)[q2]
        f = tone_fault(line, q2, want)
        if f:
            out.append(f)
            involved.add(q2)

    aojiu_sev = Severity.NOTE if settings.accept_aojiu else Severity.ERROR
    if t is LineType.B:
        # q4 fixed 仄.
        f = tone_fault(line, q4, ZE)
        if f:
            out.append(f)
            involved.add(q4)
        if c[q1] == ZE and c[q3] == ZE:
            out.append(
                _finding(line, Rule.GU_PING, Severity.ERROR, q3, "平", "仄", Need.PING,
                         marks=(q1, q3))
            )  # fmt: skip
            involved.update((q1, q3))
        elif c[q1] == ZE and c[q3] == PING and can_ze(c[q4]):
            out.append(_finding(line, Rule.GU_PING_JIU, aojiu_sev, q3, "平", "平", marks=(q1, q3)))
            involved.update((q1, q3))
        else:
            _uncertain_pair(line, q1, q3, out)
    elif t is LineType.A:
        f = tone_fault(line, q4, PING)
        if f:
            out.append(f)
            involved.add(q4)
        if c[q3] == PING and can_ping(c[q4]):
            tail = line.chars[q3 : q3 + 3]
            out.append(
                _finding(line, Rule.SAN_PING_WEI, Severity.ERROR, q3, "仄", "平", Need.ZE,
                         detail=(("tail", tail),), marks=(q3, q4, q4 + 1))
            )  # fmt: skip
            involved.add(q3)
        else:
            f = uncertain_fault(line, q3, ZE)
            if f:
                out.append(f)
    elif t is LineType.a:
        rescue_ok = next_line is not None and next_line.type is LineType.B
        rescued = rescue_ok and next_line is not None and _rescues(next_line)
        rescue_detail: tuple[tuple[str, str], ...] = ()
        if next_line is not None:
            nq3 = next_line.length - 5 + 2
            rescue_detail = (
                ("rescue_line", str(next_line.index + 1)),
                ("rescue_pos", str(nq3 + 1)),
                ("rescue_char", next_line.chars[nq3] if nq3 < len(next_line.chars) else ""),
            )
        if c[q4] == ZE:
            if rescued:
                out.append(
                    _finding(line, Rule.DA_AO_JIU, aojiu_sev, q4, "平", "仄",
                             detail=rescue_detail, marks=(q4,))
                )  # fmt: skip
            else:
                out.append(
                    _finding(line, Rule.DA_AO, Severity.ERROR, q4, "平", "仄", Need.PING,
                             detail=rescue_detail)
                )  # fmt: skip
            involved.add(q4)
        elif c[q3] == ZE and can_ping(c[q4]):
            out.append(
                _finding(line, Rule.XIAO_AO, Severity.NOTE, q3, "平", "仄",
                         detail=(*rescue_detail, ("rescued", "1" if rescued else "")))
            )  # fmt: skip
            involved.add(q3)
        else:
            f = uncertain_fault(line, q4, PING)
            if f:
                out.append(f)
    elif t is LineType.b:
        if c[q4] in (PING, GPING, UNKNOWN):
            _te_ao(line, q1, q3, q4, aojiu_sev, out, involved)
        elif c[q3] == ZE and c[q4] == ZE and settings.warn_san_ze_wei:
            tail = line.chars[q3 : q3 + 3]
            out.append(
                _finding(line, Rule.SAN_ZE_WEI, Severity.WARNING, q3, "平", "仄", Need.PING,
                         detail=(("tail", tail),), marks=(q3, q4, q4 + 1))
            )  # fmt: skip
            involved.add(q3)
        else:
            f = uncertain_fault(line, q4, ZE)
            if f:
                out.append(f)

    if settings.strict_135:
        out.extend(_strict(line, involved))
    return out


def check_line_as_written(
    line: LineInput, next_line: LineInput | None, settings: CheckSettings
) -> list[Finding]:
    """:func:`check_line`, but a line whose 2nd character is definitely of the other tone
    is judged by the type that character implies when that names fewer errors.

    Such a line is usually a well-formed line of the other pattern in the wrong place
    (蓬萊山下足波潮 where 仄仄平平仄仄平 belongs): its one fault, 失对 or 失粘, is named at
    position 2 (by the poem-level check), and its 4th and 6th characters are not counted
    again as errors of a template the poet was not following.
    """
    found = check_line(line, next_line, settings)
    code = line.codes[1] if len(line.codes) > 1 else UNKNOWN
    want = line.type.standard(line.length)[1]
    if not found or code not in (PING, ZE) or code == want:
        return found
    alt = LineInput(line.index, line.chars, line.offsets, line.codes, line.ru_of,
                    line.type.other_start, line.length)  # fmt: skip
    alt_found = check_line(alt, next_line, settings)

    def n_errors(fs: list[Finding]) -> int:
        return sum(1 for f in fs if f.severity is Severity.ERROR)

    return alt_found if n_errors(alt_found) < n_errors(found) else found


def _te_ao(
    line: LineInput,
    q1: int,
    q3: int,
    q4: int,
    aojiu_sev: Severity,
    out: list[Finding],
    involved: set[int],
) -> None:
    """A b line (⊙平平仄仄) whose q4 may be 平: fine only as 特拗 (平平仄平仄).

    Each of q1, q3, q4 is judged by what it can be read as: a polyphone is read as the
    form needs (情人怨遥夜: 怨 is 平 and 仄), a definite character of the wrong tone breaks
    it, and a guessed or unknown reading never decides an error — it is a warning where
    the verdict hangs on it, and nothing where either reading keeps the line right.
    """
    c = line.codes
    c1, c3, c4 = c[q1], c[q3], c[q4]
    if c4 != PING:  # q4 only guessed 平 (or unknown): fine either way when 特拗 can hold
        if c3 in (ZE, EITHER) and c1 != ZE:
            return
        f = uncertain_fault(line, q4, ZE)
        if f:
            out.append(f)
        return
    if c3 == PING:  # 平平平平仄: q4 plainly wrong
        f = tone_fault(line, q4, ZE)
        if f:
            out.append(f)
            involved.add(q4)
        return
    involved.update((q1, q3, q4))
    if c3 in (GZE, GPING, UNKNOWN):  # 特拗 only if the guess at q3 is 仄
        out.append(
            _finding(line, Rule.UNCERTAIN, Severity.WARNING, q3, "仄",
                     {GZE: "仄", GPING: "平"}.get(c3, "未知"), Need.ZE, marks=(q3, q4))
        )  # fmt: skip
        return
    # q3 is 仄 or a polyphone read 仄: 特拗, which needs q1 平
    if c1 == ZE:
        out.append(
            _finding(line, Rule.TE_AO, Severity.ERROR, q1, "平", "仄", Need.PING,
                     marks=(q1, q3, q4))
        )  # fmt: skip
    elif c1 in (GZE, UNKNOWN):
        out.append(
            _finding(line, Rule.UNCERTAIN, Severity.WARNING, q1, "平",
                     "仄" if c1 == GZE else "未知", Need.PING, marks=(q1, q3, q4))
        )  # fmt: skip
    else:
        out.append(_finding(line, Rule.TE_AO, aojiu_sev, q3, "仄", "仄", marks=(q3, q4)))


def _rescues(next_line: LineInput) -> bool:
    """对句相救: the next B line has 平 at q3 (平平平仄平 or 仄平平仄平)."""
    nq3 = next_line.length - 5 + 2
    return nq3 < len(next_line.codes) and next_line.codes[nq3] in (PING, 0)


def _uncertain_pair(line: LineInput, q1: int, q3: int, out: list[Finding]) -> None:
    """孤平 hinges on q1/q3; a guessed reading there is worth a warning."""
    c = line.codes
    guess = (GZE, 3)
    if (c[q1] in guess and c[q3] in (ZE, *guess)) or (c[q3] in guess and c[q1] in (ZE, *guess)):
        pos = q3
        out.append(_finding(line, Rule.UNCERTAIN, Severity.WARNING, pos, "平", "未知", Need.PING))


def _strict(line: LineInput, involved: set[int]) -> list[Finding]:
    """Strict 一三五: free positions follow the standard line unless a licence applies."""
    out: list[Finding] = []
    template = line.type.template(line.length)
    standard = line.type.standard(line.length)
    for pos, level in enumerate(template):
        if level is not Level.FREE or pos in involved or pos >= len(line.codes):
            continue
        want = standard[pos]
        code = line.codes[pos]
        if (want == PING and code == ZE) or (want == ZE and code == PING):
            out.append(
                _finding(
                    line,
                    Rule.TONE,
                    Severity.WARNING,
                    pos,
                    "平" if want == PING else "仄",
                    tone_word(code, line.ru_of.get(line.chars[pos], False)),
                    Need.PING if want == PING else Need.ZE,
                    detail=(("strict", "1"),),
                )
            )
    return out
