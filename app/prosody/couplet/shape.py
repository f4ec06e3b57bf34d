"""A couplet's shape: which 分句 (clauses) of a text are the 上联 and which the 下联.

The text is split into clauses at punctuation and line breaks (as every poem is, offsets
kept). The two sides are told apart by what lies between clauses: a line break first (a
couplet written on two lines), else one sentence-final mark (。；！？) inside one line,
else — for exactly two clauses — the comma between them (海内存知己，天涯若比邻).
Labels are dropped: 上联／下联／出句／对句 before a side, and a 横批 (the horizontal
scroll over a door) with its text.

Recognised without being asked (meter-spec §10): two sides of the same number of clauses
and the same number of characters, each side 4–11 characters when it is one clause (a
longer 长联 has several clauses a side). Two exceptions keep poems poems: while a poem is
typed (``partial``), two lines of 5 or 7 characters are the start of a 绝句; and two
sides of two 5- or 7-character clauses each — the shape of a 绝句 in two halves — are a
couplet only when the 上联 ends definitely 仄 and the 下联 does not (a 平韵 绝句's 2nd
line rhymes 平; a 仄韵 绝句's 4th line ends 仄).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from app.prosody.text import TextLine, split_lines

_SENTENCE_END = frozenset("。；！？.;!?")
_SENTENCE_END_RE = re.compile("[。；！？.;!?]")
_LABELS = frozenset({"上联", "下联", "上聯", "下聯", "出句", "对句", "對句", "上比", "下比"})
_SCROLL = frozenset({"横批", "横披", "橫批", "橫披"})
SHORT_MIN, SHORT_MAX = 4, 11


@dataclass(frozen=True, slots=True)
class CoupletShape:
    """The clauses of a text and where the 下联 starts (``lines[split:]``)."""

    lines: tuple[TextLine, ...]
    split: int

    @property
    def first(self) -> tuple[TextLine, ...]:
        return self.lines[: self.split]

    @property
    def second(self) -> tuple[TextLine, ...]:
        return self.lines[self.split :]

    @property
    def is_long(self) -> bool:
        """A 长联: several clauses a side."""
        return max(len(self.first), len(self.second)) > 1


def clauses(text: str) -> list[TextLine]:
    """The text's clauses without the labels and the 横批."""
    out: list[TextLine] = []
    skip_next = False
    lines = split_lines(text)
    for i, tl in enumerate(lines):
        if skip_next:
            skip_next = False
            continue
        if tl.chars in _LABELS:
            continue
        if tl.chars in _SCROLL:
            skip_next = True
            continue
        if tl.chars[:2] in _SCROLL and i == len(lines) - 1 and len(lines) > 2:
            continue  # 横批万象更新 on its own last line
        out.append(tl)
    return out


def _breaks(text: str, lines: list[TextLine]) -> tuple[list[int], list[int]]:
    """Indices i where a side may end after clause i: (line breaks, sentence ends)."""
    hard: list[int] = []
    soft: list[int] = []
    for i in range(len(lines) - 1):
        between = text[lines[i].end : lines[i + 1].start]
        if "\n" in between or "\r" in between or "\u2028" in between:
            hard.append(i)
        elif any(ch in _SENTENCE_END for ch in between):
            soft.append(i)
    return hard, soft


def find_shape(text: str, *, pinned: bool = False) -> CoupletShape | None:
    """The text split into 上联 and 下联; None when no split fits. ``pinned`` (the poet
    chose 对联): any text with a clause gets the split that best halves it."""
    lines = clauses(text)
    n = len(lines)
    if n == 0:
        return None
    hard, soft = _breaks(text, lines)
    cut: int | None = None
    if len(hard) == 1:
        cut = hard[0]
    elif not hard and len(soft) == 1:
        cut = soft[0]
    elif not hard and not soft and n == 2:
        cut = 0
    if cut is None:
        if not pinned:
            return None
        if n == 1:
            return CoupletShape(tuple(lines), 1)  # only a 上联 so far
        # the break (of whatever kind) that halves the characters best
        total = sum(len(tl.chars) for tl in lines)
        candidates = hard or soft or list(range(n - 1))
        run = 0
        best, best_cost = candidates[0], total
        sizes = [len(tl.chars) for tl in lines]
        for i in range(n - 1):
            run += sizes[i]
            if i in candidates and abs(2 * run - total) < best_cost:
                best, best_cost = i, abs(2 * run - total)
        cut = best
    return CoupletShape(tuple(lines), cut + 1)


def could_be_couplet(text: str) -> bool:
    """A quick test (string methods only) that rules out most poems before the shape is
    looked at: at most two lines with text (a third for a 横批), and a text on one line
    has at most one sentence-final mark inside it."""
    stripped = text.strip()
    n_lines = stripped.count("\n") + 1
    if n_lines > 2:
        return n_lines == 3 and ("横" in stripped or "橫" in stripped)
    if n_lines == 1:
        inner = stripped[:-1]
        if inner.count("。") > 1:  # the common case: a poem on one line
            return False
        return len(_SENTENCE_END_RE.findall(inner)) <= 1
    return True


def recognise(text: str, partial: bool, ends_ze: Callable[[str], bool]) -> CoupletShape | None:
    """The couplet shape of a text that reads as a couplet by itself (see the module
    notes), else None. ``ends_ze(ch)``: the character is definitely 仄."""
    if not could_be_couplet(text):
        return None
    shape = find_shape(text)
    if shape is None:
        return None
    a, b = shape.first, shape.second
    if len(a) != len(b):
        return None
    sizes_a = [len(tl.chars) for tl in a]
    sizes_b = [len(tl.chars) for tl in b]
    if sum(sizes_a) != sum(sizes_b) and not (partial and sum(sizes_b) < sum(sizes_a)):
        return None
    if len(a) == 1:
        n = sizes_a[0]
        if not SHORT_MIN <= n <= SHORT_MAX:
            return None
        if partial and n in (5, 7):
            return None  # the first two lines of a 绝句 being typed
        return shape
    if len(a) == 2 and len(set(sizes_a)) == 1 and sizes_a[0] in (5, 7) and sizes_a == sizes_b:
        # a 绝句 written in two halves unless the 上联 ends 仄 and the 下联 does not
        # (a 平韵 绝句's 2nd line rhymes 平; a 仄韵 one's 4th ends 仄)
        if ends_ze(a[-1].chars[-1]) and not ends_ze(b[-1].chars[-1]):
            return shape
        return None
    return shape
