"""The syntax highlighter: applies per-block records, re-highlighting only what changed
and only what can be seen.

Per keystroke Qt re-highlights the edited block itself (``highlightBlock``): it
keeps the keys of the unchanged prefix and suffix of the block and paints the
new characters by their tone from the rhyme book. When an analysis arrives,
:meth:`PoemHighlighter.apply` stores the records it wants and re-highlights the
visible blocks whose record differs from what they show; any other block is
brought up to date when it scrolls into view (:meth:`ensure_range`, called by the
editor before it paints), so the cost of an analysis on the GUI thread is
O(visible blocks) whatever the length of the text. Likewise a block changed far
off screen (a 1,000-line paste) is left unpainted until it is seen.

Block numbers shift when lines are inserted or removed; the records follow them
(``_on_contents_change`` runs before Qt's own re-highlighting, because it is
connected first).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QSyntaxHighlighter, QTextDocument

from app.ui.editor.formats import FormatFactory
from app.ui.editor.keys import StyleKey
from app.ui.editor.positions import block_utf16_starts
from app.ui.editor.records import BlockRecords, Record, carry_forward, key_runs

# (character, document position) → the character's tone-only key, None off the Han script
ToneSource = Callable[[str, int], StyleKey | None]
# → (first, last) block numbers worth painting now (the visible ones, with a margin)
RangeSource = Callable[[], tuple[int, int]]


class PoemHighlighter(QSyntaxHighlighter):
    def __init__(
        self,
        document: QTextDocument,
        formats: FormatFactory,
        tone_source: ToneSource,
        near_range: RangeSource | None = None,
    ) -> None:
        super().__init__(None)  # type: ignore[call-overload]
        self._formats = formats
        self._tone = tone_source
        self._near = near_range
        count = document.blockCount()
        self._block_count = count
        # what each block shows (None: not painted), and what the last analysis wants
        self._applied: list[Record | None] = [None] * count
        self._wanted: list[Record | None] = [None] * count
        self._forcing = False
        self.highlighted_blocks = 0  # how many blocks were painted so far (bench, tests)
        # Connected before setDocument() connects Qt's own re-highlighting, so the
        # records have followed the change when highlightBlock runs.
        document.contentsChange.connect(self._on_contents_change)
        self.setDocument(document)

    # ------------------------------------------------------------------ records
    def record(self, block_number: int) -> Record | None:
        """What block ``block_number`` shows now (None: not painted yet)."""
        if 0 <= block_number < len(self._applied):
            return self._applied[block_number]
        return None

    def pending(self) -> int:
        """Blocks whose paint trails the last analysis (they are off screen)."""
        return sum(1 for i in range(len(self._applied)) if self._stale(i))

    def _stale(self, i: int) -> bool:
        applied = self._applied[i]
        if applied is None:
            return True
        wanted = self._wanted[i] if i < len(self._wanted) else None
        return wanted is not None and wanted != applied and wanted[0] == applied[0]

    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        doc = self.document()
        count = doc.blockCount()
        delta = count - self._block_count
        self._block_count = count
        first = doc.findBlock(position)
        last = doc.findBlock(position + added)
        b0 = first.blockNumber() if first.isValid() else -1
        b1 = last.blockNumber() if last.isValid() else count - 1
        k_new = b1 - b0 + 1
        k_old = k_new - delta
        if b0 < 0 or k_new < 1 or k_old < 1 or b0 + k_old > len(self._applied):
            self._applied = [None] * count
            self._wanted = [None] * count
            return
        old = self._applied[b0 : b0 + k_old]
        self._applied[b0 : b0 + k_old] = [old[min(j, k_old - 1)] for j in range(k_new)]
        self._wanted[b0 : b0 + k_old] = [None] * k_new

    # ------------------------------------------------------------------ painting
    def highlightBlock(self, text: str) -> None:
        block = self.currentBlock()
        bn = block.blockNumber()
        if bn >= len(self._applied):
            grow = bn + 1 - len(self._applied)
            self._applied.extend([None] * grow)
            self._wanted.extend([None] * grow)
        if not self._forcing and self._near is not None:
            lo, hi = self._near()
            if not lo <= bn <= hi:  # far off screen: paint it when it is seen
                self._applied[bn] = None
                return
        self.highlighted_blocks += 1
        utf16 = block_utf16_starts(text)
        wanted = self._wanted[bn]
        if wanted is not None and wanted[0] == text:
            keys = wanted[1]
        else:
            base = block.position()
            tone = self._tone
            if utf16 is None:

                def tone_of(ch: str, i: int) -> StyleKey | None:
                    return tone(ch, base + i)
            else:
                starts = utf16

                def tone_of(ch: str, i: int) -> StyleKey | None:
                    return tone(ch, base + starts[i])

            keys = carry_forward(text, self._applied[bn], tone_of)
        self._applied[bn] = (text, keys)
        fmt = self._formats.format
        for start, length, key in key_runs(keys, utf16):
            self.setFormat(start, length, fmt(key))

    def _paint(self, block_number: int) -> None:
        block = self.document().findBlockByNumber(block_number)
        if block.isValid():
            self._forcing = True
            try:
                self.rehighlightBlock(block)
            finally:
                self._forcing = False

    def apply(self, built: BlockRecords, first_visible: int = 0, last_visible: int = -1) -> int:
        """Show an analysis: store its records and re-highlight the blocks from
        ``first_visible`` to ``last_visible`` whose record differs (the rest follow as
        they come into view). Returns how many blocks differ now, -1 when the records
        do not fit the document (a stale analysis)."""
        count = self.document().blockCount()
        if len(built.records) != count:
            return -1
        self._wanted = list(built.records)
        if len(self._applied) != count:
            self._applied = (self._applied + [None] * count)[:count]
        applied, wanted = self._applied, self._wanted
        changed = [i for i in range(count) if applied[i] != wanted[i]]
        if last_visible < 0:
            last_visible = count - 1
        for i in changed:
            if first_visible <= i <= last_visible:
                self._paint(i)
        return len(changed)

    def ensure_range(self, first: int, last: int) -> int:
        """Bring blocks ``first``..``last`` up to date (before they are painted)."""
        done = 0
        for i in range(max(0, first), min(last, len(self._applied) - 1) + 1):
            if self._stale(i):
                self._paint(i)
                done += 1
        return done

    def flush(self) -> None:
        """Paint every block now (tests, export, screenshots of the whole text)."""
        self.ensure_range(0, len(self._applied) - 1)

    def invalidate(self) -> None:
        """Every block must be painted again (the palette changed): visible ones at the
        next :meth:`ensure_range`, the rest as they come into view."""
        self._applied = [None] * len(self._applied)
