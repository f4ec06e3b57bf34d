"""Scoring what the library stores, and scoring it again when the scoring rule changes.

A save stores the poem's scores (:func:`scores_of`). When ``SCORE_RULE`` differs from the
rule the library's scores follow (the library remembers it: ``app.storage.rescore``),
:class:`LibraryRescore` — started once the library is open — scores every poem and
revision again from what is stored (its text, form, rhyme group and book; a 词 against its
体), a slice at a time on the GUI thread so the window stays responsive, and writes the new
figures back: the library never shows a score the grader no longer gives.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from app.prosody.analysis import PoemAnalysis
from app.prosody.books.kinds import BookKind
from app.prosody.duizhang import Lexicon
from app.prosody.forms import Form
from app.prosody.scorer import SCORE_RULE, score
from app.storage.records import PoemData, Scores
from app.ui.library import ops
from app.ui.window.ci_poems import ci_target_of, is_ci

if TYPE_CHECKING:
    from app.storage.rescore import Scorable  # (the storage layer loads on the library's thread)
    from app.ui.window.main_window import MainWindow

SLICE_S = 0.03  # the longest the GUI thread scores at a stretch


def scores_of(analysis: PoemAnalysis, lexicon: Lexicon) -> Scores:
    """The figures a save stores for ``analysis`` (nothing for a text without a form)."""
    if not analysis.chars or analysis.form is None:
        return Scores()
    s = score(analysis, lexicon)
    return Scores(
        tones=round(s.tones, 2),
        rhymes=round(s.rhymes, 2) if s.rhymes_apply else None,
        antithesis=round(s.antithesis, 2),
        length=round(s.length, 2),
        total=round(s.total, 2),
    )


def analyse_stored(window: MainWindow, data: PoemData, *, pinned: bool) -> PoemAnalysis | None:
    """The verdict on a poem as stored, in its rhyme book (a 词 against its 体; None for a
    词 when no 词谱 is installed). ``pinned``: with the form and rhyme group it was saved
    with, as the editor's analysis found them."""
    target = ci_target_of(window.pane, data)
    if target is not None:
        return target.analyze(data.text, partial=False)
    if is_ci(data):
        return None
    checker = window.services.checker_for(BookKind.from_name(data.rhyme_book) or BookKind.PINGSHUI)
    if not pinned:
        return checker.analyze(data.text)
    form = Form.from_name(data.form) if data.form else None
    group = checker.book.find_group(data.rhyme_group) if data.rhyme_group else None
    return checker.analyze(data.text, form=form, group=group)


class LibraryRescore(QObject):
    """Scores the library again when it was scored under another rule (see the module)."""

    finished = Signal(int)  # how many poems and revisions got new scores

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self._todo: list[Scorable] = []
        self._done: list[tuple[Scorable, Scores | None]] = []
        self._stopped = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._slice)

    def start(self) -> None:
        """Ask the library what follows another rule (nothing when it is up to date)."""
        self.w.library.call(
            ops.stale_scores, SCORE_RULE, on_result=self._found, on_error=self._failed
        )

    def _found(self, items: list[Scorable] | None) -> None:
        if self._stopped:  # the window closed meanwhile: the next start scores them
            return
        if items is None:  # the library follows this rule
            self.finished.emit(0)
            return
        self._todo = list(reversed(items))
        self._done = []
        self._timer.start()

    def _slice(self) -> None:
        if self._stopped:
            return
        lexicon = self.w.services.checker.lexicon
        until = time.perf_counter() + SLICE_S
        while self._todo and time.perf_counter() < until:
            item = self._todo.pop()
            analysis = analyse_stored(self.w, item.data, pinned=True)
            self._done.append((item, None if analysis is None else scores_of(analysis, lexicon)))
        if self._todo:
            self._timer.start()
            return
        done, self._done = self._done, []
        self.w.library.call(
            ops.store_scores, SCORE_RULE, done, on_result=self._stored, on_error=self._failed
        )

    def _stored(self, changed: int) -> None:
        if self._stopped:
            return
        self.w.log.event("scores_rescored", rule=SCORE_RULE, changed=changed)
        if changed:
            self.w.library_panel.refresh()
        self.finished.emit(changed)

    def _failed(self, exc: BaseException) -> None:
        if self._stopped:
            return
        self.w.log.failure("rescore_failed", exc)  # the old figures stay; tried at next start

    def stop(self) -> None:
        """The window closes: nothing more is scored or written (the next start does it)."""
        self._stopped = True
        self._timer.stop()
        self._todo = []
