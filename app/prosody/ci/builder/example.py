"""A form's example (例词) as segments: characters, the mark after them, rhyme groups, 叠句.

Marks (in parentheses after the characters they close): 句 and 讀 (豆) end a 句 or a pause;
韻 a rhyme of the current group; 平韻 / 仄韻 a rhyme of that tone (the current group if it
has that tone, else the latest group of that tone, else a new one); 換韻 / 換平韻 / 換仄韻 a
new group; 叶 a rhyme of the current group in the other tone (平仄通叶; 換叶 opens a new
group); 疊 a 叠句 (repeats an earlier piece, and rhymes as it did); 重 a repeated refrain,
重韻 one that rhymes. Text in a parenthesis before the mark is a refrain (和声: ``竹枝``,
``女兒``) and not part of the form. A full-width space inside the example starts a 段.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.prosody.ci.builder.source import MARK_START, MARK_WORDS, SPACE, note_text
from app.prosody.rhymebook.han import is_han

_TOKEN = re.compile(r"\(([^)]*)\)|(\u3000+)|(.)")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class RawSegment:
    text: str
    end: str  # 句 讀 韻 叶 疊 重 換韻 …
    rhyme: str = ""  # group letter + 平/仄
    repeat: int = -1
    section: int = 0


@dataclass
class Example:
    segments: list[RawSegment] = field(default_factory=list)
    refrains: int = 0  # parentheses read as refrains (和声)
    trailing: str = ""  # characters after the last mark (a transcription gap)
    unknown_groups: list[str] = field(default_factory=list)


def mark_of(content: str) -> tuple[str, str]:
    """``(女兒/韻)`` → (refrain ``女兒``, mark ``韻``); a mark the layout wrote first
    (``(韻著/合)``) → ("", ``韻``); no mark → (the text, "")."""
    text = note_text(content)
    m = MARK_WORDS.search(text)
    if m and len(text) <= 4:
        return text[: m.start()], m.group(1)
    m = MARK_START.match(text)
    if m and len(text) <= 4:
        return "", m.group(1)
    return text, ""


def heading_tones(heading: str) -> list[str]:
    """The rhyme tones a heading names, in order: 兩仄韻兩平韻 → [仄, 平]."""
    return re.findall(r"([平仄])[韻叶]", heading)


def split_sections(lines: list[str], n_sections: int) -> list[str]:
    """Join the example's lines; a full-width space inside a line starts a 段. Leading
    spaces are the page's indentation, except when the 段 break fell at a line start
    (then the expected number of 段 is reached only by counting them)."""
    joined = ""
    starts: list[int] = []  # positions in ``joined`` where a line began with spaces
    for line in lines:
        body = line.lstrip(" " + SPACE)
        if line != body and joined:
            starts.append(len(joined))
        joined += body
    parts = [p for p in re.split(SPACE + "+", joined) if p]
    if len(parts) < n_sections and starts:
        # the missing 段 breaks sit where an indented line began after a closing mark
        for pos in starts:
            if len(parts) >= n_sections:
                break
            if joined[pos - 1] == ")":
                joined = joined[:pos] + SPACE + joined[pos:]
                starts = [s + 1 if s > pos else s for s in starts]
        parts = [p for p in re.split(SPACE + "+", joined) if p]
    return parts


def parse_example(lines: list[str], heading: str, n_sections: int) -> Example:
    ex = Example()
    tones = heading_tones(heading)
    base = tones[0] if tones else "平"
    groups: list[tuple[str, str]] = []  # (letter, tone)
    current = -1
    pending = ""
    for section, part in enumerate(split_sections(lines, n_sections)):
        for m in _TOKEN.finditer(part):
            group, _space, ch = m.groups()
            if ch is not None:
                if is_han(ch) or ch in "□●":
                    pending += ch
                continue
            if group is None:
                continue
            refrain, mark = mark_of(group)
            if not mark:
                ex.refrains += 1
                if len(refrain) > 4:
                    ex.unknown_groups.append(refrain)
                continue
            if refrain:
                ex.refrains += 1
            if not pending:
                continue  # a mark without characters (a refrain's own mark)
            seg = RawSegment(pending, _end_of(mark), section=section)
            pending = ""
            current = _assign(seg, mark, groups, current, base, ex.segments)
            ex.segments.append(seg)
    ex.trailing = pending
    return ex


def _end_of(mark: str) -> str:
    if mark in ("豆",):
        return "讀"
    if mark in ("叠", "疉"):
        return "疊"
    return mark


def _new_group(groups: list[tuple[str, str]], tone: str) -> int:
    groups.append((_LETTERS[len(groups) % len(_LETTERS)], tone))
    return len(groups) - 1


def _assign(
    seg: RawSegment,
    mark: str,
    groups: list[tuple[str, str]],
    current: int,
    base: str,
    before: list[RawSegment],
) -> int:
    """Set the segment's rhyme (and repeat) from its mark; return the current group."""
    if mark in ("句", "讀", "豆"):
        return current
    if mark in ("疊", "叠", "疉", "重", "重韻", "疊韻"):
        for j in range(len(before) - 1, -1, -1):
            if before[j].text == seg.text:
                seg.repeat = j
                break
        if mark == "重":
            return current
        if seg.repeat >= 0 and before[seg.repeat].rhyme:
            seg.rhyme = before[seg.repeat].rhyme
            return current
        if current < 0:
            current = _new_group(groups, base)
        seg.rhyme = groups[current][0] + groups[current][1]
        return current
    tone = mark[-2] if len(mark) >= 2 and mark[-2] in "平仄" else ""
    if mark.startswith("換"):
        if mark.endswith("叶"):
            current = _new_group(groups, "仄" if base == "平" else "平")
            seg.rhyme = groups[current][0] + groups[current][1]
            return current
        # a 換韻 right after a 換叶 group that has no 韻 yet joins it (三聲叶)
        if current >= 0 and not tone and before and before[-1].end in ("叶", "換叶"):
            letter, t = groups[current]
            other = "平" if t == "仄" else "仄"
            groups[current] = (letter, other)
            seg.rhyme = letter + other
            return current
        current = _new_group(groups, tone or (groups[current][1] if current >= 0 else base))
        seg.rhyme = groups[current][0] + groups[current][1]
        return current
    if mark.endswith("叶"):
        if current < 0:
            current = _new_group(groups, base)
        letter, t = groups[current]
        want = tone or ("仄" if t == "平" else "平")
        seg.rhyme = letter + want
        return current
    # 韻, 平韻, 仄韻
    if tone:
        if current >= 0 and groups[current][1] == tone:
            pass
        else:
            same = [i for i, (_, t) in enumerate(groups) if t == tone]
            current = same[-1] if same else _new_group(groups, tone)
    elif current < 0:
        current = _new_group(groups, base)
    seg.rhyme = groups[current][0] + groups[current][1]
    return current
