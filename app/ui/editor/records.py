"""Per-block paint records built from an analysis (no Qt).

The document is a list of blocks (one per line of the text). For each block the
editor keeps a :data:`Record`: the block's text and a key per character
(:data:`~app.ui.editor.keys.StyleKey`, None for punctuation and spaces). The
highlighter compares the record it painted with the one an analysis asks for and
re-highlights only blocks whose record changed, so after a keystroke in a long
text only the edited block (and whatever the analysis really changed) is redone.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.prosody.analysis import PoemAnalysis
from app.prosody.findings import Finding
from app.prosody.tones import Level
from app.ui.editor.keys import StyleKey, key_for

Keys = tuple[StyleKey | None, ...]
Record = tuple[str, Keys]
TemplateRow = tuple[Level, ...]


@dataclass(frozen=True, slots=True)
class BlockRecords:
    """What one analysis paints: a record and template rows per block."""

    records: list[Record]
    starts: list[int]  # text offset of each block's first character
    templates: list[tuple[TemplateRow, ...]]  # the template of each verse line in the block

    def block_of(self, offset: int) -> int:
        return max(0, bisect_right(self.starts, offset) - 1)


def build_records(analysis: PoemAnalysis) -> BlockRecords:
    """Records for every block of ``analysis.text`` (blocks are split at ``\\n``)."""
    text = analysis.text
    blocks = text.split("\n")
    starts: list[int] = []
    at = 0
    for b in blocks:
        starts.append(at)
        at += len(b) + 1
    keys: list[list[StyleKey | None]] = [[None] * len(b) for b in blocks]
    bi = 0
    n_blocks = len(blocks)
    for c in analysis.chars:
        off = c.offset
        while bi + 1 < n_blocks and starts[bi + 1] <= off:
            bi += 1
        keys[bi][off - starts[bi]] = key_for(c)
    templates: list[list[TemplateRow]] = [[] for _ in blocks]
    bi = 0
    for line in analysis.lines:
        off = line.text.offsets[0] if line.text.offsets else line.text.start
        while bi + 1 < n_blocks and starts[bi + 1] <= off:
            bi += 1
        templates[bi].append(line.expected)
    return BlockRecords(
        [(b, tuple(k)) for b, k in zip(blocks, keys, strict=True)],
        starts,
        [tuple(t) for t in templates],
    )


def finding_offsets(analysis: PoemAnalysis, f: Finding) -> list[int]:
    """The text offsets a finding paints: its ``marks`` cells, else its own offset."""
    out: list[int] = []
    for line, pos in f.marks:
        if 0 <= line < len(analysis.lines):
            offsets = analysis.lines[line].text.offsets
            if 0 <= pos < len(offsets):
                out.append(offsets[pos])
    if not out and f.pos is not None and 0 <= f.line < len(analysis.lines):
        offsets = analysis.lines[f.line].text.offsets
        if 0 <= f.pos < len(offsets):
            out.append(offsets[f.pos])
    if not out and f.offset is not None and f.pos is not None:
        out.append(f.offset)
    return out


def merge_findings(
    built: BlockRecords, analysis: PoemAnalysis, extra: Sequence[Finding]
) -> BlockRecords:
    """Paint extra findings (the assignment hook's) on top: a character's severity becomes
    the worst of the checker's and the extra findings'."""
    if not extra:
        return built
    records = list(built.records)
    touched: dict[int, list[StyleKey | None]] = {}
    for f in extra:
        for off in finding_offsets(analysis, f):
            bi = built.block_of(off)
            if bi >= len(records):
                continue
            col = off - built.starts[bi]
            row = touched.get(bi)
            if row is None:
                row = touched[bi] = list(records[bi][1])
            if not 0 <= col < len(row):
                continue
            key = row[col]
            if key is not None and int(f.severity) > key[2]:
                row[col] = (key[0], key[1], int(f.severity), key[3], key[4])
    for bi, row in touched.items():
        records[bi] = (records[bi][0], tuple(row))
    return BlockRecords(records, built.starts, built.templates)


def carry_forward(
    text: str, hint: Record | None, tone_of: Callable[[str, int], StyleKey | None]
) -> Keys:
    """Keys for a block edited since the last analysis.

    Characters in the common prefix and suffix with ``hint`` (what the block showed
    before the edit) keep their full keys, findings included; the rest get their
    tone from the rhyme book alone (``tone_of(char, index)``) until the next analysis.
    """
    n = len(text)
    keys: list[StyleKey | None] = [None] * n
    p = s = 0
    if hint is not None:
        old, old_keys = hint
        m = min(n, len(old))
        while p < m and text[p] == old[p]:
            p += 1
        while s < m - p and text[n - 1 - s] == old[len(old) - 1 - s]:
            s += 1
        keys[:p] = old_keys[:p]
        if s:
            keys[n - s :] = old_keys[len(old) - s :]
    for i in range(p, n - s):
        keys[i] = tone_of(text[i], i)
    return tuple(keys)


def key_runs(keys: Keys, utf16: list[int] | None) -> list[tuple[int, int, StyleKey]]:
    """Merge equal neighbouring keys into ``(start, length, key)`` runs in Qt units."""
    runs: list[tuple[int, int, StyleKey]] = []
    i = 0
    n = len(keys)
    while i < n:
        key = keys[i]
        j = i + 1
        if key is None:
            i = j
            continue
        while j < n and keys[j] == key:
            j += 1
        if utf16 is None:
            runs.append((i, j - i, key))
        else:
            runs.append((utf16[i], utf16[j] - utf16[i], key))
        i = j
    return runs
