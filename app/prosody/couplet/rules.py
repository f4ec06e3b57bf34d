"""The rules of a couplet (meter-spec §10), each a function from the couplet's clauses and
tone codes to findings. Every finding carries its own sentence in both languages.

- **字数**: the two sides have the same clauses of the same lengths;
- **联脚**: the 上联 ends 仄 (仄收), the 下联 平 (平收);
- **马蹄韵**: in a 长联 the clause endings of the 上联 run, from the last backwards,
  仄 平平 仄仄 平平 … (the 下联 the opposite): a warning, the 联脚 being the rule;
- **平仄相对**: at the rhythm points of each clause — its 2nd, 4th, 6th … character and
  its last — the two sides have opposite tones (both definite and the same: an error);
- **三平尾**: the 下联 does not end in three 平;
- **孤平**: a clause ending 平 (5 characters or more) with one 平 besides its last, and that
  one not beside it (仄平仄仄平; 仄仄仄平平 is not 孤平): a warning;
- **对仗**: each clause pair is parallel by the poem checker's scorer (≥ 0.5), else a warning;
- **重字**: a character used twice only where the other side mirrors it (the same positions
  hold one character there too: 叠字 against 叠字, 声声 against 事事), else a warning.

Polyphones and unknown readings never make an error; a guessed reading makes a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from app.prosody.books.findings import settled_finding
from app.prosody.books.protocol import Settled
from app.prosody.duizhang import Lexicon, couplet_score
from app.prosody.findings import Finding, Need, Rule, Severity
from app.prosody.forms import EITHER, PING, ZE
from app.prosody.linerules import GPING, GZE
from app.prosody.text import TextLine
from app.prosody.tones import Level

Codes = Sequence[Sequence[int]]


def rhythm_points(length: int) -> tuple[int, ...]:
    """0-based rhythm points of a clause: the 2nd, 4th, 6th … character and the last."""
    return tuple(sorted({*range(1, length, 2), length - 1})) if length else ()


def ma_ti(k: int, side: int) -> tuple[int, ...]:
    """The 马蹄韵 endings of ``k`` clauses (PING/ZE), side 0 the 上联, 1 the 下联: from the
    last backwards 仄, 平 平, 仄 仄, … for the 上联, the opposite for the 下联."""
    out = []
    for j in range(k):
        r = k - 1 - j
        ze = r == 0 or ((r - 1) // 2) % 2 == 1
        if side == 1:
            ze = not ze
        out.append(ZE if ze else PING)
    return tuple(out)


def _tone(code: int) -> str:
    return "平" if code in (PING, GPING) else "仄" if code in (ZE, GZE) else "平仄两读"


def _other(code: int) -> int:
    return ZE if code == PING else PING


def _side(side: int) -> tuple[str, str]:
    return ("上联", "first line") if side == 0 else ("下联", "second line")


def _finding(
    rule: Rule,
    severity: Severity,
    line: int,
    pos: int | None,
    tl: TextLine | None,
    expected: str,
    found: str,
    zh: str,
    en: str,
    marks: tuple[tuple[int, int], ...],
    need: Need = Need.NONE,
) -> Finding:
    char = tl.chars[pos] if tl is not None and pos is not None and pos < len(tl.chars) else ""
    offset = tl.offsets[pos] if tl is not None and pos is not None and pos < len(tl.chars) else None
    return Finding(rule, severity, line, pos, char, offset, expected, found, need,
                   (("zh", zh), ("en", en)), marks)  # fmt: skip


def _where(lines: Sequence[TextLine], split: int, i: int, p: int | None = None) -> tuple[str, str]:
    side = 0 if i < split else 1
    j = i if side == 0 else i - split
    n_clauses = split if side == 0 else len(lines) - split
    zh_side, en_side = _side(side)
    zh = zh_side + (f"第{j + 1}分句" if n_clauses > 1 else "")
    en = en_side + (f", clause {j + 1}" if n_clauses > 1 else "")
    if p is not None:
        ch = lines[i].chars[p]
        zh += f"第{p + 1}字「{ch}」"
        en += f", character {p + 1} 「{ch}」"
    return zh, en


# ---------------------------------------------------------------- readings
def settled_hint(lines: Sequence[TextLine], split: int, i: int, s: Settled) -> Finding:
    """The hint on a reading the words around it settled (a modern book), placed as every
    couplet finding is: by side and clause (下联第3字, not 第2句第3字)."""
    f = settled_finding(i, lines[i], s)
    zh, en = _where(lines, split, i, s.pos)
    tone_en = "level" if f.found == "平" else "oblique"
    zh += f"在「{s.phrase}」中读 {s.syllable}（{f.found}），按此读音检查（据 pypinyin 词语读音）。"
    en = f"{en[:1].upper()}{en[1:]} reads {s.syllable} ({tone_en}) in 「{s.phrase}」, and is "
    en += "checked so (pypinyin's phrase readings)."
    words = (("zh", zh), ("en", en))
    return replace(f, detail=f.detail + words)


# ---------------------------------------------------------------- 字数
def length_findings(lines: Sequence[TextLine], split: int, partial: bool) -> list[Finding]:
    out: list[Finding] = []
    ka, kb = split, len(lines) - split
    if kb == 0:
        if not partial:
            out.append(_finding(Rule.LENGTH, Severity.ERROR, 0, None, None, "2", "1",
                                "只有上联，没有下联。",
                                "Only the first line: the second is missing.", ()))  # fmt: skip
        return out
    if ka != kb and not (partial and kb < ka):
        out.append(_finding(Rule.LENGTH, Severity.ERROR, split, None, None, str(ka), str(kb),
                            f"上联{ka}个分句，下联{kb}个分句，应当一样多。",
                            f"The first line has {ka} clauses, the second {kb}: they must match.",
                            ()))  # fmt: skip
    for j in range(min(ka, kb)):
        a, b = lines[j], lines[split + j]
        la, lb = len(a.chars), len(b.chars)
        if la == lb or (partial and j == kb - 1 and lb < la):
            continue
        zh, en = _where(lines, split, split + j)
        extra = tuple((split + j, p) for p in range(la, lb))
        out.append(_finding(Rule.LENGTH, Severity.ERROR, split + j, None, b, str(la), str(lb),
                            f"{zh}{lb}字，上联对应处{la}字，应当一样长。",
                            f"{en} has {lb} characters; the first line has {la} there.",
                            extra))  # fmt: skip
    return out


# ---------------------------------------------------------------- tones
def end_findings(
    lines: Sequence[TextLine], split: int, codes: Codes, full_second: bool
) -> list[Finding]:
    """联脚 (the last character of each side) and 马蹄韵 (the other clause endings)."""
    out: list[Finding] = []
    ka, kb = split, len(lines) - split
    for side, first, k in ((0, 0, ka), (1, split, kb)):
        if k == 0 or (side == 1 and not full_second):
            continue
        last = first + k - 1
        tl = lines[last]
        p = len(tl.chars) - 1
        code = codes[last][p]
        want = ZE if side == 0 else PING
        zh, en = _where(lines, split, last, p)
        ends = "仄收" if side == 0 else "平收"
        if code in (PING, ZE) and code != want:
            out.append(_finding(
                Rule.LINE_END, Severity.ERROR, last, p, tl, _tone(want), _tone(code),
                f"{zh}为{_tone(code)}声；{_side(side)[0]}应以{_tone(want)}声收尾（{ends}）。",
                f"{en} is {_tone(code)}; the {_side(side)[1]} must end "
                f"{'oblique (仄)' if want == ZE else 'level (平)'}.",
                ((last, p),), Need.ZE if want == ZE else Need.PING))  # fmt: skip
        elif code in (GPING, GZE) and (code == GPING) != (want == PING):
            out.append(_finding(
                Rule.UNCERTAIN, Severity.WARNING, last, p, tl, _tone(want), _tone(code),
                f"{zh}读音只是推测（{_tone(code)}），{_side(side)[0]}应{ends}，请核对。",
                f"{en}: its reading is only a guess ({_tone(code)}); please check.",
                ((last, p),)))  # fmt: skip
    # 马蹄韵: the endings of the other clauses, where the two sides are opposed there
    k = min(ka, kb if full_second else kb - 1)
    pattern = ma_ti(ka, 0)
    for j in range(min(k, ka - 1)):
        a, b = j, split + j
        pa, pb = len(lines[a].chars) - 1, len(lines[b].chars) - 1
        ca, cb = codes[a][pa], codes[b][pb]
        if ca in (PING, ZE) and cb in (PING, ZE) and ca != cb and ca != pattern[j]:
            zh, en = _where(lines, split, a)
            out.append(_finding(
                Rule.MA_TI, Severity.WARNING, a, pa, lines[a], _tone(pattern[j]), _tone(ca),
                f"{zh}以{_tone(ca)}声收，按马蹄韵（上联分句句脚自后往前：仄、平平、仄仄……）"
                f"此处宜{_tone(pattern[j])}，下联相应处宜{_tone(_other(pattern[j]))}。",
                f"{en} ends {_tone(ca)}; by the horse-hoof order (马蹄韵) of clause endings it "
                f"should end {_tone(pattern[j])}, and the second line's clause the opposite.",
                ((a, pa), (b, pb))))  # fmt: skip
    return out


def opposition_findings(
    lines: Sequence[TextLine], split: int, codes: Codes, done: int
) -> list[Finding]:
    """平仄相对 at the rhythm points of the clause pairs (``done``: how many characters of
    the last 下联 clause exist — a clause being typed is checked as far as it goes)."""
    out: list[Finding] = []
    kb = len(lines) - split
    for j in range(min(split, kb)):
        a, b = j, split + j
        la = len(lines[a].chars)
        if len(lines[b].chars) != la and not (j == kb - 1 and done < la):
            continue  # a length fault: said once, by 字数
        limit = done if j == kb - 1 else la
        for p in rhythm_points(la):
            if p >= limit or p >= len(lines[b].chars):
                break
            if p == la - 1:
                continue  # clause endings: 联脚 and 马蹄韵 speak for them
            ca, cb = codes[a][p], codes[b][p]
            if ca in (PING, ZE) and cb == ca:
                want = ZE if ca == PING else PING
                zh, en = _where(lines, split, b, p)
                out.append(_finding(
                    Rule.COUPLET_TONE, Severity.ERROR, b, p, lines[b], _tone(want), _tone(cb),
                    f"{zh}为{_tone(cb)}，与上联「{lines[a].chars[p]}」同声；节奏点上下联平仄应相对，"
                    f"此处宜{_tone(want)}。",
                    f"{en} is {_tone(cb)} like 「{lines[a].chars[p]}」 above it; at a rhythm "
                    f"point the two lines must be opposed: it should be {_tone(want)}.",
                    ((a, p), (b, p)), Need.PING if want == PING else Need.ZE))  # fmt: skip
            elif ca in (PING, ZE) and cb in (GPING, GZE) and (cb == GPING) == (ca == PING):
                zh, en = _where(lines, split, b, p)
                out.append(_finding(
                    Rule.UNCERTAIN, Severity.WARNING, b, p, lines[b], "", _tone(cb),
                    f"{zh}读音只是推测，似与上联同声，请核对。",
                    f"{en}: its reading is only a guess and seems to match the first line.",
                    ((b, p),)))  # fmt: skip
    return out


def tail_findings(lines: Sequence[TextLine], split: int, codes: Codes, full_second: bool
                  ) -> list[Finding]:  # fmt: skip
    """三平尾 at the end of the 下联; 孤平 (a warning) in any clause ending 平."""
    out: list[Finding] = []
    n = len(lines)
    if full_second and n > split:
        last = n - 1
        c = codes[last]
        if len(c) >= 3 and all(x == PING for x in c[-3:]):
            tl = lines[last]
            p = len(c) - 3
            zh, en = _where(lines, split, last, p)
            out.append(_finding(
                Rule.SAN_PING_WEI, Severity.ERROR, last, p, tl, "仄", "平",
                f"下联末三字「{tl.chars[-3:]}」皆平，犯三平尾；{zh}宜仄。",
                f"The second line ends in three level tones 「{tl.chars[-3:]}」 (三平尾); "
                f"{en} should be oblique.",
                tuple((last, q) for q in range(p, len(c))), Need.ZE))  # fmt: skip
    for i, row in enumerate(codes):
        if len(row) < 5 or row[-1] != PING or (i >= split and not full_second and i == n - 1):
            continue
        body = row[:-1]
        # the one other 平 stands alone among 仄 (仄平仄仄平); beside the last (仄仄仄平平,
        # the ⊙仄仄平平 of regulated verse) the two 平 keep each other company
        if (
            sum(1 for x in body if x == PING) == 1
            and body[-1] != PING
            and all(x in (PING, ZE) for x in body)
        ):
            zh, en = _where(lines, split, i)
            out.append(_finding(
                Rule.GU_PING, Severity.WARNING, i, len(row) - 1, lines[i], "", "",
                f"{zh}以平收，句中只有一个平声字，犯孤平，宜再用一个平声。",
                f"{en} ends level with only one other level tone (孤平): use another.",
                tuple((i, q) for q, x in enumerate(body) if x == PING)))  # fmt: skip
    return out


# ---------------------------------------------------------------- 对仗, 重字
def antithesis(
    lines: Sequence[TextLine], split: int, lexicon: Lexicon, full_second: bool
) -> tuple[tuple[float, ...], list[Finding]]:
    scores: list[float] = []
    out: list[Finding] = []
    kb = len(lines) - split
    for j in range(min(split, kb)):
        a, b = lines[j], lines[split + j]
        if j == kb - 1 and not full_second:
            break
        if len(a.chars) != len(b.chars):
            scores.append(0.0)
            continue
        score, weak = couplet_score(a.chars, b.chars, lexicon)
        scores.append(score)
        if score >= 0.5:
            continue
        zh, en = _where(lines, split, split + j)
        weak_text = ",".join(str(p + 1) for p in weak)
        out.append(_finding(
            Rule.DUI_ZHANG, Severity.WARNING, split + j, weak[0] if weak else 0, b, "对仗",
            f"{score:.0%}",
            f"{zh}与上联对仗不工：第{weak_text}字词性或类别不对（相对度{score:.0%}）。",
            f"{en} is not parallel to the first line at character(s) {weak_text} "
            f"(match {score:.0%}).",
            tuple((j, p) for p in weak) + tuple((split + j, p) for p in weak)))  # fmt: skip
    return tuple(scores), out


def repeat_findings(lines: Sequence[TextLine], split: int) -> list[Finding]:
    """重字 not mirrored by the other side."""
    where: dict[str, list[tuple[int, int, int]]] = {}  # char → (side, clause j, pos)
    for i, tl in enumerate(lines):
        side, j = (0, i) if i < split else (1, i - split)
        for p, ch in enumerate(tl.chars):
            where.setdefault(ch, []).append((side, j, p))
    out: list[Finding] = []
    for ch, spots in where.items():
        if len(spots) < 2:
            continue
        sides = {s for s, _j, _p in spots}
        mirrored = False
        if len(sides) == 1:
            side = next(iter(sides))
            other = 1 - side
            cells = {(j, p) for _s, j, p in spots}
            base = split if other == 1 else 0
            facing = set()
            for j, p in cells:
                i = base + j
                if i < len(lines) and (other == 0 or i >= split) and p < len(lines[i].chars):
                    facing.add(lines[i].chars[p])
                else:
                    facing.add("")
            if len(facing) == 1 and "" not in facing:
                d = next(iter(facing))
                d_cells = {(j, p) for s, j, p in where.get(d, []) if s == other}
                mirrored = d_cells == cells and d != ch
        if mirrored:
            continue
        first = spots[0]
        for side, j, p in spots[1:]:
            i = j if side == 0 else split + j
            zh, en = _where(lines, split, i, p)
            fzh, fen = _where(lines, split, first[1] if first[0] == 0 else split + first[1],
                              first[2])  # fmt: skip
            out.append(_finding(
                Rule.CHONG_ZI, Severity.WARNING, i, p, lines[i], "", ch,
                f"{zh}与{fzh}重字，而另一边相应处不是同样的重复（对联重字须上下相对）。",
                f"{en} repeats {fen}, and the other line does not repeat a character in the "
                f"same places (a couplet repeats only in mirror).",
                ((i, p),)))  # fmt: skip
    return out


def expected_levels(lines: Sequence[TextLine], split: int, codes: Codes) -> list[tuple[Level, ...]]:
    """Per clause, what each position asks: the ends by 联脚 and 马蹄韵, the 下联's rhythm
    points the opposite of a definite 上联 tone, ⊙ elsewhere."""
    ka, kb = split, len(lines) - split
    out: list[tuple[Level, ...]] = []
    for side, k in ((0, ka), (1, kb)):
        ends = ma_ti(k, side)
        for j in range(k):
            i = j if side == 0 else split + j
            n = len(lines[i].chars)
            row = [Level.FREE] * n
            if side == 1 and j < ka:
                above = codes[j]
                for p in rhythm_points(len(lines[j].chars)):
                    if p < n and p < len(above) and above[p] in (PING, ZE):
                        row[p] = Level.ZE if above[p] == PING else Level.PING
            if n:
                row[-1] = Level.PING if ends[j] == PING else Level.ZE
            out.append(tuple(row))
    return out


__all__ = [
    "EITHER",
    "antithesis",
    "end_findings",
    "expected_levels",
    "length_findings",
    "ma_ti",
    "opposition_findings",
    "repeat_findings",
    "rhythm_points",
    "tail_findings",
]
