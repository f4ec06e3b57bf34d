"""Matching the text's lines to a 体's segments: which lines fill which 句 and 讀.

A text is split at its punctuation into lines; a 体 is a sequence of segments (the pieces of
its 例词 between 句/讀/韻 marks). Poets and editors punctuate a 讀 or not, and sometimes
break where the 谱 does not, so a line may fill several segments and a segment may be
written as several lines. :func:`align` finds the cheapest way to cover both sequences by
runs of one to three on either side (a dynamic programme over the two sequences, kept to a
band around the diagonal of character counts), where the cost is the difference in
characters, plus small costs for every 谱 break the text leaves out (a 讀 hardly counts, a
rhyme break most) and every break the text adds. When the text's breaks all fall on the
体's breaks and the counts agree, the answer is read off directly without the programme.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.prosody.ci.table import CiForm
from app.prosody.forms import PING, ZE
from app.prosody.linerules import GPING, GZE
from app.prosody.text import TextLine

CHAR_COST = 1.0  # per missing or extra character
MERGE_PAUSE = 0.1  # the text runs over a 讀
MERGE_SENTENCE = 0.8  # … over the end of a 句
MERGE_RHYME = 1.2  # … over a rhyme
SPLIT = 0.6  # the text breaks where the 谱 does not
GAP = 1.0  # a whole segment missing, or a whole extra line, on top of its characters
MAX_RUN = 3
TONE_IN_ALIGN = 0.01  # per tone fault: only breaks ties between equal shapes
BAND = 10  # the cumulative character counts of the two sides may drift this far apart


@dataclass(frozen=True, slots=True)
class Pair:
    """Lines of the text matched to segments of the 体 (either side may be empty)."""

    lines: tuple[int, ...]
    segs: tuple[int, ...]


def _merge_cost(form: CiForm, j: int) -> float:
    """The cost of running over the break after segment ``j``."""
    seg = form.segments[j]
    if seg.rhyme:
        return MERGE_RHYME
    return MERGE_PAUSE if seg.pause else MERGE_SENTENCE


def direct_fit(lengths: Sequence[int], form: CiForm) -> tuple[float, list[Pair]] | None:
    """When every break of the text is a break of the 体 and the counts agree."""
    if sum(lengths) != sum(form.lengths):
        return None
    return _read_off(lengths, form, partial=False)


def _segment_marks(form: CiForm, j: int) -> str:
    seg = form.segments[j]
    return seg.marks[:-1] + seg.rhyme_kind if seg.rhyme else seg.marks


def direct_prefix(lengths: Sequence[int], form: CiForm) -> tuple[float, list[Pair]] | None:
    """A text still being written whose finished lines all end on the 体's breaks, its last
    line no longer than the segments it has started: read off directly."""
    return _read_off(lengths, form, partial=True)


def _read_off(
    lengths: Sequence[int], form: CiForm, *, partial: bool
) -> tuple[float, list[Pair]] | None:
    """Each line takes the next segments until their characters add up to its own; None
    when a line ends inside a segment (``partial``: but the last, which may stop short)."""
    seg_lengths = form.lengths
    if not lengths:
        return None
    pairs: list[Pair] = []
    cost = 0.0
    j = 0
    last = len(lengths) - 1
    for i, n in enumerate(lengths):
        start = j
        total = 0
        while total < n and j < len(seg_lengths):
            total += seg_lengths[j]
            j += 1
        stops_short = partial and i == last and total > n
        if j == start or (total != n and not stops_short):
            return None
        cost += sum(_merge_cost(form, k) for k in range(start, j - 1))
        pairs.append(Pair((i,), tuple(range(start, j))))
    return cost, pairs


def align(
    lengths: Sequence[int],
    form: CiForm,
    partial: bool = False,
    codes: Sequence[Sequence[int]] | None = None,
) -> tuple[float, list[Pair]]:
    """The cheapest matching of lines (their character counts) to the 体's segments.

    ``partial``: the text is still being written; segments after its end cost nothing, and
    the last line may stop short of what its segments need. ``codes`` (each line's tone
    codes) break ties between matchings of equal shape — which of six 5-character 句 is
    the missing one — by the tones; they are not part of the returned cost."""
    direct = direct_fit(lengths, form)
    if direct is not None:
        return direct
    seg_lengths = form.lengths
    k, m = len(lengths), len(seg_lengths)
    cum_u = [0] * (k + 1)
    for i, n in enumerate(lengths):
        cum_u[i + 1] = cum_u[i] + n
    cum_s = [0] * (m + 1)
    for j, n in enumerate(seg_lengths):
        cum_s[j + 1] = cum_s[j] + n
    merge = [_merge_cost(form, j) for j in range(m)]
    seg_marks = [_segment_marks(form, j) for j in range(m)]
    tone_memo: dict[tuple[int, int, int, int], float] = {}

    def tone_cost(i0: int, i1: int, j0: int, j1: int) -> float:
        key = (i0, i1, j0, j1)
        hit = tone_memo.get(key)
        if hit is None:
            marks = "".join(seg_marks[j0:j1])
            row = [c for i in range(i0, i1) for c in codes[i]] if codes is not None else []
            faults = sum(
                1 for c, mk in zip(row, marks, strict=False) if c in (PING, ZE) and not fits(c, mk)
            )
            hit = TONE_IN_ALIGN * faults
            tone_memo[key] = hit
        return hit

    inf = float("inf")
    best: dict[tuple[int, int], float] = {(0, 0): 0.0}
    back: dict[tuple[int, int], tuple[int, int]] = {}
    for i in range(k + 1):
        for j in range(m + 1):
            here = best.get((i, j))
            if here is None:
                continue
            for a in range(MAX_RUN + 1):
                if i + a > k:
                    break
                for b in range(MAX_RUN + 1):
                    if (a == 0 and b == 0) or j + b > m:
                        continue
                    if a and b and abs(cum_u[i + a] - cum_s[j + b]) > BAND:
                        continue
                    nu = cum_u[i + a] - cum_u[i]
                    ns = cum_s[j + b] - cum_s[j]
                    if a == 0:  # missing segments
                        if b > 1:
                            continue
                        step = CHAR_COST * ns + GAP
                    elif b == 0:  # extra lines
                        if a > 1:
                            continue
                        step = CHAR_COST * nu + GAP
                    else:
                        diff = nu - ns
                        if partial and i + a == k and diff < 0:
                            diff = 0  # the last line is still being typed
                        step = CHAR_COST * abs(diff) + SPLIT * (a - 1)
                        step += sum(merge[j : j + b - 1])
                        if codes is not None and nu == ns:
                            step += tone_cost(i, i + a, j, j + b)
                    total = here + step
                    key = (i + a, j + b)
                    if total < best.get(key, inf):
                        best[key] = total
                        back[key] = (i, j)
    end = (k, m)
    if partial:
        reachable = [(best[(k, j)], -j, j) for j in range(m + 1) if (k, j) in best]
        end = (k, min(reachable)[2]) if reachable else (k, m)
    if end not in best:  # cannot happen: the all-gaps path always exists
        return inf, []
    pairs: list[Pair] = []
    node = end
    while node != (0, 0):
        prev = back[node]
        pairs.append(Pair(tuple(range(prev[0], node[0])), tuple(range(prev[1], node[1]))))
        node = prev
    pairs.reverse()
    cost = best[end]
    if codes is not None:  # the tone tie-breaks are not part of the shape's cost
        cost -= sum(
            tone_cost(p.lines[0], p.lines[-1] + 1, p.segs[0], p.segs[-1] + 1)
            for p in pairs
            if p.lines
            and p.segs
            and sum(lengths[i] for i in p.lines) == sum(form.segments[j].length for j in p.segs)
        )
    return cost, pairs


def split_point(
    n_text: int,
    n_form: int,
    agree: Sequence[Sequence[bool]],
) -> int:
    """Where a run of text of ``n_text`` characters loses or gains characters against a run
    of ``n_form`` marks: the text's first ``k`` characters go to the first ``k`` marks, the
    rest to the last marks. ``agree[p][q]`` says whether text character ``p`` fits mark
    ``q``; the ``k`` with the most agreement wins; on a tie the one nearest the end that
    still keeps the last character on the last mark (the line end carries the rhyme)."""
    d = n_form - n_text  # > 0: characters missing; < 0: extra characters
    best_k, best_key = 0, (-1.0, 0)
    for k in range(n_text + 1):
        if d < 0 and k > n_form:
            break
        score = 0
        for p in range(n_text):
            if p < k:
                q = p
            else:
                q = p + d
                if q < k:  # an extra character: maps to no mark
                    continue
            if 0 <= q < n_form and agree[p][q]:
                score += 1
        edge = min(n_text, n_form) - 1  # the largest k keeping the last character last
        key = (score + (0.5 if k <= edge else 0.0), -abs(k - edge))
        if key > best_key:
            best_k, best_key = k, key
    return best_k


def char_map(
    lines: list[TextLine], codes: list[list[int]], form: CiForm, pairs: list[Pair]
) -> tuple[dict[tuple[int, int], tuple[int, int]], list[tuple[Pair, int, int]]]:
    """Each text position (line, pos) → its mark (segment, k); and the pairs whose lengths
    differ, with the text's and the 体's character counts."""
    mapping: dict[tuple[int, int], tuple[int, int]] = {}
    uneven: list[tuple[Pair, int, int]] = []
    for pair in pairs:
        if not pair.lines or not pair.segs:
            continue
        cells = [(i, p) for i in pair.lines for p in range(len(lines[i].chars))]
        marks = [(j, k) for j in pair.segs for k in range(form.segments[j].length)]
        if len(cells) == len(marks):
            mapping.update(zip(cells, marks, strict=True))
            continue
        uneven.append((pair, len(cells), len(marks)))
        agree = [[fits(codes[i][p], form.segments[j].marks[k]) for j, k in marks] for i, p in cells]
        cut = split_point(len(cells), len(marks), agree)
        d = len(marks) - len(cells)
        for n, cell in enumerate(cells):
            q = n if n < cut else n + d
            if (n >= cut and q < cut) or not 0 <= q < len(marks):
                continue  # an extra character
            mapping[cell] = marks[q]
    return mapping, uneven


def fits(code: int, mark: str) -> bool:
    if mark == "平":
        return code not in (ZE, GZE)
    if mark == "仄":
        return code not in (PING, GPING)
    return True
