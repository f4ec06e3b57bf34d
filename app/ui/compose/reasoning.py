"""The model's reasoning (<think>), streamed live.

:class:`StreamingText` is a read-only text view for streamed text: ``append``
only queues; a timer (every ``flush_ms``, 40 ms by default) inserts what was
queued at the end with a text cursor — the whole text is never set again, so a
long reasoning costs each frame only its new characters. It follows the end
unless the reader scrolled up, and follows again once they scroll back down.

Every character the model wrote is kept, U+FEFF included: a string handed to Qt
loses a leading U+FEFF (it is read as a byte-order mark), so a batch that starts
with one is inserted behind a placeholder that is then removed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from app.ui.i18n import Tr

__all__ = ["ReasoningPanel", "StreamingText"]


_BOM = "\ufeff"


def insert_at_end(document: QTextDocument, text: str) -> None:
    """Append ``text`` to ``document`` exactly, a leading U+FEFF included."""
    cursor = QTextCursor(document)
    cursor.movePosition(QTextCursor.MoveOperation.End)
    if not text.startswith(_BOM):
        cursor.insertText(text)
        return
    start = cursor.position()
    cursor.insertText(" " + text)  # Qt drops a leading U+FEFF, never one inside
    cursor.setPosition(start)
    cursor.setPosition(start + 1, QTextCursor.MoveMode.KeepAnchor)
    cursor.removeSelectedText()


class StreamingText(QPlainTextEdit):
    """Read-only text that grows at the end, in batches (see the module notes)."""

    flushed = Signal(int)  # characters inserted by a flush

    def __init__(self, parent: QWidget | None = None, *, flush_ms: int = 40) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self._pending: list[str] = []
        self._timer = QTimer(self)
        self._timer.setInterval(flush_ms)
        self._timer.timeout.connect(self.flush)
        self.flush_count = 0  # flushes that inserted text (for tests and diagnostics)

    def append_text(self, text: str) -> None:
        """Queue ``text``; it appears at the next flush."""
        if not text:
            return
        self._pending.append(text)
        if not self._timer.isActive():
            self._timer.start()

    @property
    def pending(self) -> str:
        return "".join(self._pending)

    def at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 2

    def flush(self) -> None:
        """Insert the queued text at the end now."""
        if not self._pending:
            self._timer.stop()
            return
        text = "".join(self._pending)
        self._pending.clear()
        follow = self.at_bottom()
        bar = self.verticalScrollBar()
        keep = bar.value()
        insert_at_end(self.document(), text)
        if follow:
            bar.setValue(bar.maximum())
        else:
            bar.setValue(keep)
        self.flush_count += 1
        self.flushed.emit(len(text))

    def clear_text(self) -> None:
        self._pending.clear()
        self._timer.stop()
        self.clear()

    def text(self) -> str:
        """Everything shown plus everything queued."""
        return self.toPlainText() + self.pending


class ReasoningPanel(QWidget):
    """A heading with a live count, the streamed reasoning below it, and a note when the
    thinking did not end by itself (the budget ended it, or it never ended)."""

    def __init__(self, tr: Tr, parent: QWidget | None = None, *, flush_ms: int = 40) -> None:
        super().__init__(parent)
        self._tr = tr
        self.heading = QLabel(tr("推理过程", "Reasoning"))
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.view = StreamingText(self, flush_ms=flush_ms)
        self.view.setPlaceholderText(
            tr(
                "生成时，模型的思考过程会显示在这里。",
                "The model's reasoning appears here while it writes.",
            )
        )
        self.view.setObjectName("reasoningText")
        self.note = QLabel()
        self.note.setObjectName("reasoning-note")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setStyleSheet("color: #b26a00;")
        self.note.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.note)
        self._chars = 0
        self.view.flushed.connect(self._on_flushed)

    def start(self, label: str = "") -> None:
        """Clear for a new run (``label`` e.g. the candidate's number)."""
        self.view.clear_text()
        self._chars = 0
        self._label = label
        self.heading.setText(self._title())
        self.note.clear()
        self.note.hide()

    def note_budget_ended(self, budget: int | None) -> None:
        """The engine closed the thinking at the budget; the answer follows."""
        tr = self._tr
        n_zh = f"（{budget} 词元）" if budget is not None else ""
        n_en = f" ({budget} tokens)" if budget is not None else ""
        self._show_note(
            tr(
                f"思考预算{n_zh}已用完：引擎结束了思考，模型开始作答。",
                f"The thinking budget{n_en} ran out: the engine ended the thinking and the "
                "model is answering.",
            )
        )

    def note_unfinished(self) -> None:
        """The stream ended while the model was still thinking: no answer."""
        self._show_note(
            self._tr(
                "模型没有结束思考（达到了生成长度上限），没有作答。",
                "The model never finished thinking (the length limit came first); no answer.",
            )
        )

    def _show_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.show()

    def append(self, text: str) -> None:
        self.view.append_text(text)

    def finish(self) -> None:
        self.view.flush()

    def text(self) -> str:
        return self.view.text()

    def _title(self) -> str:
        base = self._tr("推理过程", "Reasoning")
        label = getattr(self, "_label", "")
        if label:
            base += f" · {label}"
        if self._chars:
            base += self._tr(f"（{self._chars} 字）", f" ({self._chars} chars)")
        return base

    def _on_flushed(self, n: int) -> None:
        self._chars += n
        self.heading.setText(self._title())
