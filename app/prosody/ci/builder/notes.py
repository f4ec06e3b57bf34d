"""Which positions may take either tone (中), from a form's notes.

After each example the 词谱 cites other poems in the same form where a character has the
other tone, and ends "譜內可平可仄據此" (the 谱's 可平可仄 rest on these). A citation names
the 句 (前段第三句, 後段起句, 結句 …), quotes it, and names the characters and their tone:
``第三句春風吹柳綠如煙春字平聲柳字仄聲`` (an illustration). Each cited character's
position in the quote is its position in the example's 句, which becomes 中. A 段 named
once holds for the next citations of the same poem; citing another poem (…詞) starts again
from the first 段.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from app.prosody.ci.builder.example import RawSegment

_NUM = {c: i for i, c in enumerate("一二三四五六七八九", 1)}
REF = re.compile(
    r"(?P<sec>前後段|前後叚|兩段|前段|前叚|後段|後叚|中段|中叚|第[一二三四]段|第[一二三四]叚)?"
    r"(?P<sent>第(?P<n>[一二三四五六七八九十]+)句|起句|次句|結句|末句)"
)
ITEM = re.compile(
    r"(?P<chain>(?:[上下兩]?[^字聲二兩]字|[^字聲]{2}[二兩]字)+)(?:俱|亦|皆|並|竝|仍|又)?"
    r"(?P<tone>[平仄])(?:聲|(?=第|前|後|結|起|又|$))"
)
# where a quote starts over: the poem cited is named inside what looked like the quote
_RESTART = re.compile(r"(?:詞别首|詞別首|别首|別首|又一首|一首|詞)")


def chinese_number(text: str) -> int:
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _NUM.get(text[1:], 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _NUM.get(tens, 0) * 10 + (_NUM.get(ones, 0) if ones else 0)
    return _NUM.get(text, 0)


@dataclass
class NoteStats:
    citations: int = 0  # (句, character, tone) items read from the notes
    placed: int = 0  # … put on a position of the example
    unplaced: int = 0  # the quoted 句 could not be matched to the example's
    agreeing: int = 0  # placed where the example already has that tone (kept 中 all the same)
    free_phrases: int = 0  # "平仄不拘" and the like (not applied)
    unplaced_samples: list[str] = field(default_factory=list)


def sentences(segments: list[RawSegment]) -> dict[int, list[list[tuple[int, int]]]]:
    """Per 段, its 句 as lists of (segment, position) cells (a 讀 does not end a 句)."""
    out: dict[int, list[list[tuple[int, int]]]] = {}
    current: list[tuple[int, int]] = []
    for j, seg in enumerate(segments):
        current.extend((j, k) for k in range(len(seg.text)))
        if seg.end != "讀":
            out.setdefault(seg.section, []).append(current)
            current = []
    if current:
        out.setdefault(segments[-1].section, []).append(current)
    return out


def _sections_of(sec: str | None, previous: list[int], n_sections: int) -> list[int]:
    if not sec:
        return previous
    if sec in ("前後段", "前後叚", "兩段"):
        return [0, n_sections - 1]
    if sec in ("前段", "前叚"):
        return [0]
    if sec in ("後段", "後叚"):
        return [n_sections - 1]
    if sec in ("中段", "中叚"):
        return [1]
    return [chinese_number(sec[1]) - 1]


def either_positions(
    note: str,
    segments: list[RawSegment],
    stats: NoteStats,
    normal: Callable[[str], str] = str,
) -> list[tuple[int, int, str]]:
    """(segment, position, the cited tone) for every citation placed on the example."""
    if not segments:
        return []
    by_section = sentences(segments)
    n_sections = max(by_section) + 1
    stats.free_phrases += note.count("平仄不拘")
    out: list[tuple[int, int, str]] = []
    sections = [0]
    pos = 0
    last_end = 0
    while True:
        ref = REF.search(note, pos)
        if ref is None:
            break
        between = note[last_end : ref.start()]
        if not ref.group("sec") and "詞" in between:
            sections = [0]  # another poem is cited: back to the first 段
        sections = _sections_of(ref.group("sec"), sections, n_sections)
        sent = ref.group("sent")
        cursor = ref.end()
        item = ITEM.search(note, cursor)
        if item is None or item.start() - cursor > 24:
            pos = ref.end()
            continue
        inner = REF.search(note, cursor, item.start())
        if inner is not None:
            pos = inner.start()  # the citation belongs to a later 句 reference
            continue
        while item is not None:
            quote = note[cursor : item.start()]
            restart = None
            for m in _RESTART.finditer(quote):
                restart = m
            if restart is not None:
                quote = quote[restart.end() :]
            quote = quote.removeprefix("云")
            for tone_item in _items(note, item):
                chain, tone = tone_item
                for which, ch in chain:
                    stats.citations += 1
                    placed = _place(by_section, sections, sent, ref, quote, which, ch, normal)
                    if not placed:
                        stats.unplaced += 1
                        if len(stats.unplaced_samples) < 40:
                            stats.unplaced_samples.append(f"{sent}{quote}{ch}字{tone}聲")
                        continue
                    for j, k in placed:
                        stats.placed += 1
                        out.append((j, k, tone))
            end = _items_end(note, item)
            # 又 + another quote of the same 句
            if note.startswith("又", end):
                nxt = ITEM.search(note, end + 1)
                if (
                    nxt is not None
                    and nxt.start() - end <= 24
                    and not REF.search(note, end, nxt.start())
                ):
                    cursor = end + 1
                    item = nxt
                    continue
            last_end = end
            pos = end
            break
    return out


def _items(note: str, first: re.Match[str]) -> list[tuple[list[tuple[str, str]], str]]:
    """The chain of one item and any items right after it (月字仄聲風字平聲)."""
    out = []
    item: re.Match[str] | None = first
    while item is not None:
        chain: list[tuple[str, str]] = []
        pattern = r"([上下兩]?)([^字聲二兩])字|([^字聲]{2})[二兩]字"
        for m in re.finditer(pattern, item.group("chain")):
            if m.group(3):
                chain.extend(("", c) for c in m.group(3))
            else:
                chain.append((m.group(1), m.group(2)))
        out.append((chain, item.group("tone")))
        nxt = ITEM.match(note, item.end())
        item = nxt
    return out


def _items_end(note: str, first: re.Match[str]) -> int:
    end = first.end()
    nxt = ITEM.match(note, end)
    while nxt is not None:
        end = nxt.end()
        nxt = ITEM.match(note, end)
    return end


def _place(
    by_section: dict[int, list[list[tuple[int, int]]]],
    sections: list[int],
    sent: str,
    ref: re.Match[str],
    quote: str,
    which: str,
    ch: str,
    normal: Callable[[str], str] = str,
) -> list[tuple[int, int]]:
    plain = normal(quote)
    key = normal(ch)
    found = [i for i, c in enumerate(plain) if c == key]
    if not found:
        return []
    indexes = found if which == "兩" else [found[-1] if which == "下" else found[0]]
    cells: list[tuple[int, int]] = []
    for index in indexes:
        cells.extend(_place_one(by_section, sections, sent, ref, quote, index))
    return cells


def _place_one(
    by_section: dict[int, list[list[tuple[int, int]]]],
    sections: list[int],
    sent: str,
    ref: re.Match[str],
    quote: str,
    index: int,
) -> list[tuple[int, int]]:
    cells: list[tuple[int, int]] = []
    for section in sections:
        sents = by_section.get(section, [])
        if not sents:
            continue
        if sent in ("起句",):
            number = 1
        elif sent == "次句":
            number = 2
        elif sent in ("結句", "末句"):
            number = len(sents)
        else:
            number = chinese_number(ref.group("n") or "")
        n = ref.group("n") or ""
        span = 1
        if len(n) == 2 and "十" not in n:  # 第四五句: two 句 quoted together
            number, span = chinese_number(n[0]), 2
        if not 1 <= number <= len(sents) - span + 1:
            continue
        target = [cell for s in sents[number - 1 : number - 1 + span] for cell in s]
        if len(target) == len(quote):
            cells.append(target[index])
            continue
        # a quote of the 句's first or last pieces (up to or from a 讀)
        bounds = [0] + [n + 1 for n in range(len(target) - 1)
                        if target[n][0] != target[n + 1][0]]  # fmt: skip
        if len(quote) in bounds[1:]:
            cells.append(target[index])
        elif len(target) - len(quote) in bounds[1:]:
            cells.append(target[len(target) - len(quote) + index])
    return cells
