"""Position 2 across the lines: 失对 inside a couplet, 失粘 between couplets (a 折腰 poem's
break as a note when the settings say so), and a 2nd character off its template that no
relation explains.

The rules of one line are :mod:`app.prosody.linerules`; :func:`second_char_findings` is
what :func:`app.prosody.checker.analyze` asks about position 2 once every line's template
is known.
"""

from __future__ import annotations

from app.prosody.findings import Finding, Need, Rule, Severity
from app.prosody.forms import EITHER, PING, UNKNOWN, ZE
from app.prosody.linerules import LineInput, tone_word, uncertain_fault
from app.prosody.settings import CheckSettings

__all__ = ["second_char_findings"]


def second_char_findings(
    inputs: list[LineInput], full: list[bool], typing_last: bool, settings: CheckSettings
) -> list[Finding]:
    out: list[Finding] = []
    n = len(inputs)
    usable = [
        len(li.codes) > 1 and (full[i] or (typing_last and i == n - 1))
        for i, li in enumerate(inputs)
    ]
    wrong = [False] * n
    suspicious = False
    for i, li in enumerate(inputs):
        if usable[i]:
            want = li.type.standard(li.length)[1]
            c = li.codes[1]
            if c not in (want, EITHER):
                suspicious = True
                wrong[i] = (c == PING and want == ZE) or (c == ZE and want == PING)
    if not suspicious:  # every 2nd character fits its template: no 失对/失粘 possible
        return out
    reported = [False] * n
    second = [li.codes[1] if usable[i] else UNKNOWN for i, li in enumerate(inputs)]
    definite = [c in (PING, ZE) for c in second]  # usable, and 平 or 仄 at position 2

    for i in range(0, n - 1, 2):  # 对: inside a couplet the 2nd character flips
        j = i + 1
        if definite[i] and definite[j] and second[i] == second[j]:
            bad = j if wrong[j] else i
            other = i if bad == j else j
            out.append(_pos2(inputs[bad], Rule.SHI_DUI, Severity.ERROR, other))
            reported[bad] = True
    for i in range(1, n - 1, 2):  # 粘: line 3/5/7 follows the line before
        j = i + 1
        if definite[i] and definite[j] and second[i] != second[j]:
            bad = j if wrong[j] else i
            other = i if bad == j else j
            if settings.zheyao_as_note:
                out.append(_pos2(inputs[bad], Rule.ZHEYAO, Severity.NOTE, other))
            else:
                out.append(_pos2(inputs[bad], Rule.SHI_NIAN, Severity.ERROR, other))
            reported[bad] = True
    for i in range(n):
        if not usable[i]:
            continue
        li = inputs[i]
        want = li.type.standard(li.length)[1]
        if wrong[i] and not reported[i]:
            if not (any(reported) and _kept_as_other_pattern(inputs, i, definite)):
                out.append(_pos2(li, Rule.TONE, Severity.ERROR, None))
        elif not wrong[i]:
            f = uncertain_fault(li, 1, want)
            if f:
                out.append(f)
    return out


def _kept_as_other_pattern(inputs: list[LineInput], i: int, definite: list[bool]) -> bool:
    """A line whose 2nd character is off the template but that is a coherent line of the
    other pattern (its 2nd and 4th characters differ) and keeps 对 or 粘 with a
    neighbour: when a broken relation is named elsewhere in the poem, that is the fault
    (the second half of a 折腰 poem), not this line again. (Without one — a polyphone
    left the relation open — the line is still reported.)"""
    li = inputs[i]
    if len(li.codes) < 4 or li.codes[3] not in (PING, ZE) or li.codes[3] == li.codes[1]:
        return False
    partner = i ^ 1
    neighbour = i + 1 if i % 2 else i - 1
    second = li.codes[1]
    if (
        partner < len(inputs)
        and definite[i]
        and definite[partner]
        and inputs[partner].codes[1] != second
    ):
        return True
    if 0 <= neighbour < len(inputs) and i > 0 and definite[i] and definite[neighbour]:
        return inputs[neighbour].codes[1] == second
    return False


def _pos2(li: LineInput, rule: Rule, severity: Severity, other: int | None) -> Finding:
    want = li.type.standard(li.length)[1]
    code = li.codes[1]
    detail = (("other", str(other + 1)),) if other is not None else ()
    return Finding(
        rule,
        severity,
        li.index,
        1,
        li.chars[1],
        li.offsets[1],
        "平" if want == PING else "仄",
        tone_word(code, li.ru_of.get(li.chars[1], False)),
        Need.PING if want == PING else Need.ZE,
        detail,
        ((li.index, 1),),
    )
