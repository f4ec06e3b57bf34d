"""The answer: streamed in, then checked, with "insert into editor" and "save to library".

One tab per candidate. While a candidate streams, its answer text grows in a
:class:`~app.ui.compose.reasoning.StreamingText`; when it ends, the extracted
verse lines are run through the prosody checker and shown with errors and
warnings coloured, rhyme positions in bold, the checker's summary and its first
findings. The two action signals carry a
:class:`~app.compose.session.ComposedPoem` (verse, model id, sampling settings,
reasoning).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTabBar,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.compose.session import CI_FORM, ComposedPoem
from app.prosody.analysis import PoemAnalysis, RhymeMark
from app.prosody.books.kinds import BookKind
from app.prosody.books.tables import ALL_GROUPS
from app.prosody.checker import Checker
from app.prosody.findings import Severity
from app.prosody.forms import Form
from app.ui.compose.reasoning import StreamingText
from app.ui.i18n import Tr

__all__ = ["ResultView"]

MAX_FINDINGS_SHOWN = 8
_COLOURS = {Severity.ERROR: "#b3261e", Severity.WARNING: "#b26a00"}


@dataclass
class _Candidate:
    answer: str = ""
    poem: ComposedPoem | None = None
    analysis: PoemAnalysis | None = None
    message: str = ""  # failure or "no verse found"
    finished: bool = False


class ResultView(QWidget):
    """Candidates' answers: streaming, then checked (see the module notes)."""

    insert_requested = Signal(object)  # ComposedPoem
    save_requested = Signal(object)  # ComposedPoem

    def __init__(
        self,
        tr: Tr,
        checker: Checker | None = None,
        parent: QWidget | None = None,
        *,
        flush_ms: int = 40,
    ) -> None:
        super().__init__(parent)
        self._tr = tr
        self._checker = checker
        # a generated 词 is checked against its 体 by this (set by the panel)
        self.ci_analyze: Callable[[ComposedPoem], PoemAnalysis | None] | None = None
        # the checker of another rhyme book, for a poem written in one (set by the panel)
        self.checker_for: Callable[[BookKind], Checker] | None = None
        self._candidates: list[_Candidate] = []
        self._streaming: int | None = None

        self.tabs = QTabBar(self)
        self.tabs.setExpanding(False)
        self.tabs.currentChanged.connect(self._show_current)
        self.stream_view = StreamingText(self, flush_ms=flush_ms)
        self.stream_view.setObjectName("answerStream")
        self.stream_view.setPlaceholderText(tr("诗句会显示在这里。", "The poem appears here."))
        self.checked_view = QTextBrowser(self)
        self.checked_view.setObjectName("answerChecked")
        self.checked_view.setOpenLinks(False)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.stream_view)
        self.stack.addWidget(self.checked_view)
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.insert_button = QPushButton(tr("插入编辑器", "Insert into editor"))
        self.save_button = QPushButton(tr("存入诗库", "Save to library"))
        self.insert_button.clicked.connect(self._emit_insert)
        self.save_button.clicked.connect(self._emit_save)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.insert_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        layout.addWidget(self.stack, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    # ------------------------------------------------------------------ runs
    def reset(self, n_candidates: int) -> None:
        """Prepare ``n_candidates`` empty tabs."""
        self._candidates = [_Candidate() for _ in range(n_candidates)]
        self._streaming = None
        self.tabs.blockSignals(True)
        while self.tabs.count():
            self.tabs.removeTab(0)
        for i in range(n_candidates):
            self.tabs.addTab(self._tr(f"候选 {i + 1}", f"Candidate {i + 1}"))
        self.tabs.setVisible(n_candidates > 1)
        self.tabs.blockSignals(False)
        self.stream_view.clear_text()
        self.checked_view.clear()
        self.stack.setCurrentWidget(self.stream_view)
        self.status.setText("")
        self._update_buttons()

    def begin(self, index: int) -> None:
        """Candidate ``index`` starts streaming; show it."""
        self._streaming = index
        self.tabs.setCurrentIndex(index)
        self._show_current(index)

    def append_answer(self, index: int, text: str) -> None:
        cand = self._candidates[index]
        cand.answer += text
        if index == self.tabs.currentIndex():
            self.stream_view.append_text(text)

    def set_progress(self, index: int, text: str) -> None:
        """A progress line for the streaming candidate (e.g. prompt processing)."""
        if index == self.tabs.currentIndex() and self._streaming == index:
            self.status.setText(text)

    def finish(self, index: int, poem: ComposedPoem | None, *, message: str = "") -> None:
        """Candidate ``index`` ended: check its poem, or show why there is none."""
        cand = self._candidates[index]
        cand.finished = True
        cand.poem = poem
        cand.message = message
        if poem is None and not message:
            cand.message = self._tr(
                "回答中没有找到诗句。", "No verse lines were found in the answer."
            )
        if poem is not None and poem.form == CI_FORM:
            cand.analysis = self.ci_analyze(poem) if self.ci_analyze is not None else None
        elif poem is not None and self._checker is not None:
            gid = poem.rhyme_group
            checker = self._checker
            kind = BookKind.from_name(poem.book) or BookKind.PINGSHUI
            if kind is not checker.book.kind and self.checker_for is not None:
                checker = self.checker_for(kind)  # checked in the book it was written in
            cand.analysis = checker.analyze(
                poem.text,
                form=Form(poem.form),
                group=ALL_GROUPS[gid] if gid is not None else None,
            )
        if self._streaming == index:
            self._streaming = None
        if index == self.tabs.currentIndex():
            self.stream_view.flush()
            self._show_current(index)

    # ------------------------------------------------------------------ queries
    @property
    def count(self) -> int:
        return len(self._candidates)

    def poem(self, index: int | None = None) -> ComposedPoem | None:
        i = self.tabs.currentIndex() if index is None else index
        if not 0 <= i < len(self._candidates):
            return None
        return self._candidates[i].poem

    def analysis(self, index: int | None = None) -> PoemAnalysis | None:
        i = self.tabs.currentIndex() if index is None else index
        if not 0 <= i < len(self._candidates):
            return None
        return self._candidates[i].analysis

    def answer_text(self, index: int) -> str:
        return self._candidates[index].answer

    # ------------------------------------------------------------------ drawing
    def _show_current(self, index: int) -> None:
        if not 0 <= index < len(self._candidates):
            return
        cand = self._candidates[index]
        if not cand.finished:
            self.stream_view.clear_text()
            self.stream_view.setPlainText(cand.answer)
            self.stack.setCurrentWidget(self.stream_view)
            self.status.setText(self._tr("生成中…", "Writing…") if self._streaming == index else "")
        else:
            self.checked_view.setHtml(self._checked_html(cand))
            self.stack.setCurrentWidget(self.checked_view)
            self.status.setText(self._status_text(cand))
        self._update_buttons()

    def _status_text(self, cand: _Candidate) -> str:
        if cand.analysis is not None:
            a = cand.analysis
            return a.summary_zh if self._tr.language == "zh" else a.summary_en
        return cand.message

    def _checked_html(self, cand: _Candidate) -> str:
        poem = cand.poem
        if poem is None:  # what the model wrote, if anything; why there is no poem is the
            body = html.escape(cand.answer.strip())  # status line's (said once)
            return f"<p style='white-space: pre-wrap'>{body}</p>" if body else ""
        analysis = cand.analysis
        marks: dict[tuple[int, int], tuple[Severity | None, bool]] = {}
        if analysis is not None:
            for c in analysis.chars:
                marks[(c.line, c.pos)] = (c.severity, c.rhyme is not RhymeMark.NONE)
        rows = []
        for li, line in enumerate(poem.lines):
            cells = []
            for pos, ch in enumerate(line):
                severity, rhyme = marks.get((li, pos), (None, False))
                style = []
                colour = _COLOURS.get(severity) if severity is not None else None
                if colour:
                    style.append(f"color:{colour}")
                if rhyme:
                    style.append("font-weight:bold")
                text = html.escape(ch)
                cells.append(f"<span style='{';'.join(style)}'>{text}</span>" if style else text)
            rows.append("".join(cells))
        out = [f"<p style='font-size:large; line-height:150%'>{'<br>'.join(rows)}</p>"]
        if analysis is not None and analysis.findings:
            items = [
                f"<li>{html.escape(f.message(self._tr.language))}</li>"
                for f in analysis.findings[:MAX_FINDINGS_SHOWN]
            ]
            more = len(analysis.findings) - MAX_FINDINGS_SHOWN
            if more > 0:
                items.append(f"<li>{self._tr(f'另有 {more} 条', f'{more} more')}</li>")
            out.append(f"<ul>{''.join(items)}</ul>")
        return "".join(out)

    def _update_buttons(self) -> None:
        has = self.poem() is not None
        self.insert_button.setEnabled(has)
        self.save_button.setEnabled(has)

    def _emit_insert(self) -> None:
        poem = self.poem()
        if poem is not None:
            self.insert_requested.emit(poem)

    def _emit_save(self) -> None:
        poem = self.poem()
        if poem is not None:
            self.save_requested.emit(poem)
