"""Replacement suggestions for a finding (meter-spec §7).

At a rhyme position the candidates are the poem's rhyme group; elsewhere,
characters of the tone the position needs. They are ranked first by how often
Tang poets put them beside the neighbouring characters (a bigram table from
全唐诗, so 故国 → 故乡 故园 故人 …), then by how often Tang poets used them at all.
The bigram table is read the first time a suggestion is asked for, not at start-up.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from app.bundled import resource
from app.prosody.analysis import PoemAnalysis
from app.prosody.findings import Finding, Need, Rule, Severity
from app.prosody.tones import PING_BIT, UNCERTAIN_BIT, ZE_BIT

if TYPE_CHECKING:
    from app.prosody.books.protocol import Book

Script = Literal["simplified", "traditional"]


@dataclass(frozen=True, slots=True)
class Suggestion:
    char: str
    polyphone: bool  # reads both 平 and 仄: fits, but say so
    context: int  # Tang bigram count with the neighbours (0: chosen by frequency alone)

    def label(self, lang: str = "zh") -> str:
        if not self.polyphone:
            return self.char
        return (
            f"{self.char}（多音）" if not lang.startswith("en") else f"{self.char} (two readings)"
        )


class Suggester:
    """Ranks replacement characters. One per app; the tables load lazily."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self._pools: dict[tuple[int, Script], tuple[str, ...]] = {}
        self._allowed: dict[tuple[int, int, Script], frozenset[str]] = {}
        # What every finding of one analysis shares (its script, its rhyme characters),
        # worked out once per analysis: suggesting for each of a long text's findings
        # stays linear in its length.
        self._context: tuple[PoemAnalysis, Script, frozenset[str]] | None = None
        # Ranked answers by their whole context (pool, neighbours, the character replaced,
        # rhymes taken, limit): ranking reads every Tang neighbour of both neighbours, and
        # a long text asks again and again for the same few thousand contexts.
        self._ranked: dict[tuple[object, ...], tuple[Suggestion, ...]] = {}
        self._after: dict[str, dict[str, int]] | None = None
        self._before: dict[str, dict[str, int]] | None = None

    # ------------------------------------------------------------------ tables
    def _bigrams(self) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
        if self._after is None or self._before is None:
            after: defaultdict[str, dict[str, int]] = defaultdict(dict)
            before: defaultdict[str, dict[str, int]] = defaultdict(dict)
            try:
                text = resource("prosody", "bigrams.tsv").read_text(encoding="utf-8")
            except OSError:
                text = ""
            for line in text.split("\n")[1:]:
                if len(line) < 4 or line[2] != "\t":
                    continue
                count = int(line[3:])
                after[line[0]][line[1]] = count
                before[line[1]][line[0]] = count
            self._after, self._before = dict(after), dict(before)
        return self._after, self._before

    def _pool(self, bit: int, script: Script) -> tuple[str, ...]:
        """Book characters that can be read in the tone class ``bit``, most used first."""
        key = (bit, script)
        pool = self._pools.get(key)
        if pool is None:
            seen: dict[str, int] = {}
            for g in self.book.groups:
                if (bit == PING_BIT) != g.is_ping:
                    continue
                for ch in self.book.group_chars(g.id, script):
                    if ch not in seen:
                        seen[ch] = self.book.frequency(ch)
            pool = tuple(sorted(seen, key=lambda c: -seen[c]))
            self._pools[key] = pool
        return pool

    # ------------------------------------------------------------------ the API
    def suggest(
        self, analysis: PoemAnalysis, finding: Finding, limit: int = 12
    ) -> list[Suggestion]:
        """Characters that would fix ``finding`` at its position, best first."""
        if finding.need is Need.NONE or finding.pos is None or finding.line >= len(analysis.lines):
            return []
        line = analysis.lines[finding.line].text.chars
        pos = finding.pos
        if pos >= len(line):
            return []
        script, rhyme_chars = self._shared(analysis)
        left = line[pos - 1] if pos > 0 else ""
        right = line[pos + 1] if pos + 1 < len(line) else ""
        exclude = {line[pos]}
        if finding.need is Need.RHYME:
            group = analysis.rhyme_group
            if group is None:
                return []
            pool_key: tuple[int, int, Script] = (1, group.id, script)
            pool: tuple[str, ...] = self.book.group_chars(group.id, script)
            wanted = PING_BIT
        else:
            wanted = PING_BIT if finding.need is Need.PING else ZE_BIT
            pool_key = (0, wanted, script)
            pool = self._pool(wanted, script)
            rhyme_chars = frozenset()
        key = (pool_key, left, right, line[pos], rhyme_chars, limit)
        ranked = self._ranked.get(key)
        if ranked is None:
            allowed = self._allowed_set(pool_key, pool)
            ranked = tuple(
                self._rank(pool, allowed, wanted, left, right, exclude, rhyme_chars, limit)
            )
            if len(self._ranked) >= 8192:
                self._ranked.clear()
            self._ranked[key] = ranked
        return list(ranked)

    def for_char(
        self, analysis: PoemAnalysis, line: int, pos: int, limit: int = 12
    ) -> list[Suggestion]:
        """Suggestions for any character the user clicks: its worst finding decides the need;
        a rhyme position without a finding offers the rhyme group."""
        cell = (line, pos)
        for f in sorted(analysis.findings_at(line, pos), key=lambda f: -f.severity):
            if f.need is not Need.NONE and f.pos == pos:
                return self.suggest(analysis, f, limit)
        if cell in analysis.rhyme_slots and analysis.rhyme_group is not None:
            probe = Finding(
                rule=Rule.CHU_YUN,
                severity=Severity.HINT,
                line=line,
                pos=pos,
                char=analysis.lines[line].text.chars[pos],
                offset=None,
                expected="",
                found="",
                need=Need.RHYME,
            )
            return self.suggest(analysis, probe, limit)
        return []

    def script_of(self, text: str) -> Script:
        return "traditional" if self.book.to_simplified(text) != text else "simplified"

    def _shared(self, analysis: PoemAnalysis) -> tuple[Script, frozenset[str]]:
        context = self._context
        if context is None or context[0] is not analysis:
            rhyme_chars = frozenset(analysis.lines[li].text.chars[lp]
                                    for li, lp in analysis.rhyme_slots)  # fmt: skip
            context = (analysis, self.script_of(analysis.text), rhyme_chars)
            self._context = context
        return context[1], context[2]

    def _allowed_set(self, key: tuple[int, int, Script], pool: tuple[str, ...]) -> frozenset[str]:
        allowed = self._allowed.get(key)
        if allowed is None:  # a handful of pools (two tones, the groups) per script
            allowed = self._allowed[key] = frozenset(pool)
        return allowed

    def _rank(
        self,
        pool: tuple[str, ...],
        allowed: frozenset[str],
        wanted: int,
        left: str,
        right: str,
        exclude: set[str],
        used_rhymes: frozenset[str],
        limit: int,
    ) -> list[Suggestion]:
        after, before = self._bigrams()
        near_left = after.get(left, {}) if left else {}
        near_right = before.get(right, {}) if right else {}
        other = ZE_BIT if wanted == PING_BIT else PING_BIT
        scored: list[tuple[float, int, str]] = []
        for ch in set(near_left) | set(near_right):
            if ch in exclude or ch in used_rhymes or ch not in allowed:
                continue
            context = near_left.get(ch, 0) + near_right.get(ch, 0)
            both = ch in near_left and ch in near_right
            score = math.log1p(context) + (2.0 if both else 0.0)
            scored.append((score, context, ch))
        scored.sort(key=lambda t: (-t[0], t[2]))
        # Gather more than asked, then put the characters whose every reading fits first:
        # a polyphone (不, 如 …) fits only by one of its readings, so it follows them.
        wanted_n = limit * 4
        out: list[Suggestion] = []
        taken: set[str] = set()
        for _score, context, ch in scored:
            mask = self.book.mask(ch)
            if mask & UNCERTAIN_BIT:
                continue
            out.append(Suggestion(ch, bool(mask & other), context))
            taken.add(ch)
            if len(out) >= wanted_n:
                break
        if len(out) < wanted_n:
            for ch in pool:  # fill up with the most used characters of the right tone
                if ch in exclude or ch in taken or ch in used_rhymes:
                    continue
                mask = self.book.mask(ch)
                if mask & UNCERTAIN_BIT:
                    continue
                out.append(Suggestion(ch, bool(mask & other), 0))
                if len(out) >= wanted_n:
                    break
        out.sort(key=lambda s: s.polyphone)  # stable: context, then frequency, kept within
        return out[:limit]
