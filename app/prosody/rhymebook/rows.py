"""The rows of chars.tsv, found by binary search instead of a dict.

The build writes one row per character, sorted by code point, each starting with its
character and a tab. Sorted that way the rows are also sorted as whole strings, so
``bisect`` finds a character's row directly in the list that ``str.split`` returns:
loading builds no index at all (a 35,000-entry dict cost more than reading the file).
A lookup costs about 16 string comparisons; the rhyme book caches what it decodes.
"""

from __future__ import annotations

from bisect import bisect_left


class SortedRows:
    """Read-only ``char → row`` over sorted rows (``lines[start:]``)."""

    __slots__ = ("_lines", "_start")

    def __init__(self, lines: list[str], start: int = 0) -> None:
        self._lines = lines
        self._start = start

    def get(self, ch: str) -> str | None:
        """The row of the single character ``ch``, or None."""
        if len(ch) != 1:
            return None
        lines = self._lines
        i = bisect_left(lines, ch, self._start)
        if i < len(lines):
            row = lines[i]
            if row[0] == ch and row[1:2] == "\t":
                return row
        return None

    def __len__(self) -> int:
        return len(self._lines) - self._start

    def is_sorted(self) -> bool:
        """Whether the rows are strictly increasing (the build guarantees it; tests check)."""
        lines = self._lines
        return all(lines[i] < lines[i + 1] for i in range(self._start, len(lines) - 1))
