"""The syntax highlighter: applies per-block records, re-highlighting only what changed.

Per keystroke Qt re-highlights the edited block itself (``highlightBlock``): it
keeps the keys of the unchanged prefix and suffix of the block and paints the
new characters by their tone from the rhyme book. When an analysis arrives,
:meth:`PoemHighlighter.apply` compares each block's record with what it painted
and re-highlights the blocks that differ — the visible ones at once, the rest a
chunk per event-loop turn, so a 1,000-line text never blocks typing.

Block numbers shift when lines are inserted or removed; the records follow them
(``_on_contents_change`` runs before Qt's own re-highlighting, because it is
connected first).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtGui import QSyntaxHighlighter, QTextDocument

from app.ui.editor.formats import FormatFactory
from app.ui.editor.keys import StyleKey
from app.ui.editor.positions import block_utf16_starts
from app.ui.editor.records import BlockRecords, Record, carry_forward, key_runs

# (character, document position) → the character's tone-only key, None off the Han script
ToneSource = Callable[[str, int], StyleKey | None]

CHUNK = 150  # blocks re-highlighted per event-loop turn after an analysis


class PoemHighlighter(QSyntaxHighlighter):
    def __init__(
        self, document: QTextDocument, formats: FormatFactory, tone_source: ToneSource
    ) -> None:
        super().__init__(None)  # type: ignore[call-overload]
        self._formats = formats
        self._tone = tone_source
        count = document.blockCount()
        self._block_count = count
        self._applied: list[Record | None] = [None] * count
        self._wanted: list[Record | None] = [None] * count
        self._pending: list[int] = []
        self._chunk_timer = QTimer(self)
        self._chunk_timer.setSingleShot(True)
        self._chunk_timer.setInterval(0)
        self._chunk_timer.timeout.connect(self._flush_chunk)
        self.highlighted_blocks = 0  # how many highlightBlock calls so far (bench, tests)
        # Connected before setDocument() connects Qt's own re-highlighting, so the
        # records have followed the change when highlightBlock runs.
        document.contentsChange.connect(self._on_contents_change)
        self.setDocument(document)

    # ------------------------------------------------------------------ records
    def record(self, block_number: int) -> Record | None:
        """What block ``block_number`` shows now."""
        if 0 <= block_number < len(self._applied):
            return self._applied[block_number]
        return None

    def pending(self) -> int:
        """Blocks still waiting to be re-highlighted after the last analysis."""
        return len(self._pending)

    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        doc = self.document()
        count = doc.blockCount()
        delta = count - self._block_count
        self._block_count = count
        self._pending.clear()
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
        self.highlighted_blocks += 1
        block = self.currentBlock()
        bn = block.blockNumber()
        if bn >= len(self._applied):
            grow = bn + 1 - len(self._applied)
            self._applied.extend([None] * grow)
            self._wanted.extend([None] * grow)
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

    def apply(self, built: BlockRecords, first_visible: int = 0, last_visible: int = -1) -> int:
        """Show an analysis: re-highlight every block whose record differs. Blocks from
        ``first_visible`` to ``last_visible`` are done now, the rest in chunks. Returns
        how many blocks differ, or -1 when the records do not fit the document (stale)."""
        doc = self.document()
        count = doc.blockCount()
        if len(built.records) != count:
            return -1
        self._wanted = list(built.records)
        if len(self._applied) != count:
            self._applied = (self._applied + [None] * count)[:count]
        applied, wanted = self._applied, self._wanted
        changed = [i for i in range(count) if applied[i] != wanted[i]]
        if last_visible < 0:
            last_visible = count - 1
        now = [i for i in changed if first_visible <= i <= last_visible]
        later = [i for i in changed if not first_visible <= i <= last_visible]
        for i in now:
            self.rehighlightBlock(doc.findBlockByNumber(i))
        self._pending = later
        if later:
            self._chunk_timer.start()
        return len(changed)

    def flush(self) -> None:
        """Re-highlight every pending block now (tests, export)."""
        while self._pending:
            self._flush_chunk()

    def _flush_chunk(self) -> None:
        doc = self.document()
        chunk, self._pending = self._pending[:CHUNK], self._pending[CHUNK:]
        for i in chunk:
            if i < len(self._wanted) and self._applied[i] != self._wanted[i]:
                self.rehighlightBlock(doc.findBlockByNumber(i))
        if self._pending:
            self._chunk_timer.start()

    def repaint_all(self) -> None:
        """Rebuild every format (the palette changed)."""
        self._pending.clear()
        self.rehighlight()
