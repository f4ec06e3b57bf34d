"""Which 体 a text is written in: the one whose shape fits best, then whose tones agree most.

Candidates are the pinned 体, or the named tune's 体, or — with no name — the 体 of every
tune whose length is near the text's. Each is scored by :func:`~app.prosody.ci.align.align`
(characters missing or extra, breaks run over or added) plus a quarter point per definite
tone fault; the lowest wins, then the named tune's own 体, the 正体 before a 又一体, the
most written tune.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.prosody.ci.align import Pair, align, char_map, direct_fit, direct_prefix, fits
from app.prosody.ci.analysis import FormChoice
from app.prosody.ci.table import CiForm, Tune
from app.prosody.forms import PING, ZE
from app.prosody.text import TextLine

if TYPE_CHECKING:
    from app.prosody.ci.checker import CiChecker

TONE_WEIGHT = 0.25
NEAR = 3  # without a tune: 体 within this many characters of the text
MAX_CANDIDATES = 120
_MEMO_LIMIT = 8192


@dataclass(frozen=True, slots=True)
class Candidate:
    form: CiForm
    shape: float
    pairs: list[Pair]
    exact: bool
    tone_faults: int
    written: int = 0

    @property
    def cost(self) -> float:
        return self.shape + TONE_WEIGHT * self.tone_faults


def _shape(
    lengths: tuple[int, ...],
    form: CiForm,
    partial: bool,
    memo: dict[tuple[object, ...], object],
    codes: list[list[int]],
) -> tuple[float, list[Pair]]:
    direct = direct_prefix(lengths, form) if partial else direct_fit(lengths, form)
    if direct is not None:
        return direct
    key = (lengths, form.tune, form.index, partial, tuple(tuple(c) for c in codes))
    hit = memo.get(key)
    if hit is None:
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        hit = align(lengths, form, partial, codes)
        memo[key] = hit
    return hit  # type: ignore[return-value]


def _candidate(
    lines: list[TextLine],
    codes: list[list[int]],
    form: CiForm,
    partial: bool,
    memo: dict[tuple[object, ...], object],
    written: int,
) -> Candidate:
    lengths = tuple(len(tl.chars) for tl in lines)
    shape, pairs = _shape(lengths, form, partial, memo, codes)
    mapping, uneven = char_map(lines, codes, form, pairs)
    last = len(lines) - 1
    # exact: nothing missing or extra, and every 句 end of the 体 is a break of the text
    # (the text may break more often, at a 讀 or a 领字 the 谱 does not mark)
    exact = all(
        p.lines and p.segs and all(form.segments[j].pause for j in p.segs[:-1]) for p in pairs
    ) and all(
        partial and pair.lines[-1] == last and n_text < n_form for pair, n_text, n_form in uneven
    )
    faults = 0
    segs = form.segments
    for (i, p), (j, k) in mapping.items():
        seg = segs[j]
        mark = seg.rhyme_kind if seg.rhyme and k == seg.length - 1 else seg.marks[k]
        code = codes[i][p]
        if code in (PING, ZE) and not fits(code, mark):
            faults += 1
    return Candidate(form, shape, pairs, exact, faults, written)


def _candidates_without_tune(checker: CiChecker, n_chars: int, partial: bool) -> list[CiForm]:
    scored: list[tuple[int, int, CiForm]] = []
    for tune in checker.table:
        for form in tune.forms:
            d = form.chars - n_chars
            if partial:
                if d < 0:
                    continue
                scored.append((0 if d == 0 else 1, -tune.written, form))
            elif abs(d) <= NEAR:
                scored.append((abs(d), -tune.written, form))
    if not scored and not partial:  # nothing near: the nearest ones
        for tune in checker.table:
            for form in tune.forms:
                scored.append((abs(form.chars - n_chars), -tune.written, form))
    scored.sort(key=lambda t: (t[0], t[1], t[2].index))
    return [f for _, _, f in scored[:MAX_CANDIDATES]]


def choose_form(
    checker: CiChecker,
    lines: list[TextLine],
    codes: list[list[int]],
    tune: Tune | None,
    form: CiForm | None,
    partial: bool,
    memo: dict[tuple[object, ...], object],
) -> tuple[FormChoice | None, Candidate | None]:
    n_chars = sum(len(tl.chars) for tl in lines)
    if form is not None:
        forms = [form]
    elif tune is not None:
        # the tune's own 体, then those of its family (浪淘沙 → 浪淘沙令, 浪淘沙慢): the Song
        # form of a tune is often filed under the longer name
        forms = list(tune.forms) + [f for t in checker.table.related(tune) for f in t.forms]
    else:
        forms = _candidates_without_tune(checker, n_chars, partial)
    if not forms:
        return None, None
    written = {t.name: t.written for t in checker.table} if tune is None and form is None else {}
    n_weighed = len(forms)
    if len(forms) > 1:
        # a 体 the text's breaks fall on exactly beats any that needs the programme: weigh
        # only those (they are what the text is most often written in, and cheap to read)
        lengths = tuple(len(tl.chars) for tl in lines)
        fit = direct_prefix if partial else direct_fit
        direct = [f for f in forms if fit(lengths, f) is not None]
        if direct:
            forms = direct
    cands = [_candidate(lines, codes, f, partial, memo, written.get(f.tune, 0)) for f in forms]
    own = tune.name if tune is not None else ""
    cands.sort(
        key=lambda c: (round(c.cost, 6), not c.exact, c.form.tune != own, c.form.index, -c.written)
    )
    best = cands[0]
    runner = cands[1].form if len(cands) > 1 else None
    exact_count = sum(1 for c in cands if c.exact)
    why_zh, why_en = _why(best, form is not None, tune is not None, exact_count, n_weighed,
                          n_chars)  # fmt: skip
    choice = FormChoice(
        best.form,
        best.exact,
        form is not None,
        tune is not None,
        best.cost,
        best.tone_faults,
        n_weighed,
        why_zh,
        why_en,
        runner,
    )
    return choice, best


def _shape_zh(form: CiForm) -> str:
    per = form.sentences_per_section()
    if len(per) == 1:
        return f"{form.chars}字，{per[0]}句"
    if len(per) == 2:
        return f"{form.chars}字，前段{per[0]}句、后段{per[1]}句"
    return f"{form.chars}字，" + "、".join(f"第{i + 1}段{n}句" for i, n in enumerate(per))


def _shape_en(form: CiForm) -> str:
    per = form.sentences_per_section()
    parts = " + ".join(str(n) for n in per)
    return f"{form.chars} characters, {parts} sentences"


def _why(
    best: Candidate, pinned: bool, tune_given: bool, exact_count: int, n: int, n_chars: int
) -> tuple[str, str]:
    form = best.form
    lead_zh = "" if tune_given or pinned else "未指定词牌，据字数与句式推断。"
    lead_en = "" if tune_given or pinned else "No tune was given; found from the shape. "
    if pinned:
        zh = f"按所选之体：{form.label_zh}（{_shape_zh(form)}）。"
        en = f"The chosen form: {form.label_en} ({_shape_en(form)})."
    elif best.exact and exact_count == 1:
        zh = f"{lead_zh}字数与句式（{_shape_zh(form)}）与此体相合。"
        en = f"{lead_en}Length and sentences ({_shape_en(form)}) fit this form."
    elif best.exact:
        zh = f"{lead_zh}句式相合的有{exact_count}体，此体平仄最合（{best.tone_faults}处不合）。"
        en = (
            f"{lead_en}{exact_count} forms fit the shape; this one agrees best in tone "
            f"({best.tone_faults} fault(s))."
        )
    else:
        zh = (
            f"{lead_zh}没有与之完全相合的体（全文{n_chars}字）；在{n}体中最接近的是此体"
            f"（{_shape_zh(form)}）。"
        )
        en = (
            f"{lead_en}No form fits exactly (the text has {n_chars} characters); of {n} forms "
            f"the closest is this one ({_shape_en(form)})."
        )
    return zh, en
