"""Saving from the window: Ctrl+S (a revision is kept), 另存为新诗, and a poem kept unopened.

:class:`SaveFlow` is the window's side of an explicit save: the poem on screen is
scored against its finished text (the pane's final verdict), autosave pauses while
the library writes it, and the saved record becomes the document's (its slot, its
saved content), or the failure is shown while the draft keeps the text. Closing or
switching poems right after Ctrl+S waits for the save to land first
(:meth:`SaveFlow.finish_pending`). :meth:`SaveFlow.store` keeps a poem — a generated
candidate — in the library without opening it, scored the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.prosody.analysis import PoemAnalysis
from app.storage.records import PoemData, PoemRecord, Scores, poem_slot
from app.ui.document import PoemDocument
from app.ui.library import ops
from app.ui.window.autosave import text_digest
from app.ui.window.rescore import analyse_stored, scores_of

if TYPE_CHECKING:
    from app.ui.window.main_window import MainWindow

__all__ = ["SaveFlow"]


class SaveFlow:
    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self.busy = False  # a save is on its way to the library
        self._in_flight: tuple[PoemDocument, Any] | None = None

    def save(self, *, as_new: bool = False) -> Any:
        """Save the poem (a revision is kept); returns the Future, or None when refused."""
        w = self.w
        if w.library.failure is not None:
            w.show_error(w.library.failure)
            return None
        doc = w.doc
        current = w.current_data()
        analysis = w.final_analysis()
        data = doc.to_save(current, analysis, self._scores(analysis))
        poem_id = None if as_new else doc.poem_id
        w.autosaver.pause()
        self.busy = True
        w.status.set_save_state("saving")
        future = w.library.call(
            ops.save_poem,
            data,
            poem_id,
            doc.slot,
            on_result=lambda record: self._saved(doc, record),
            on_error=self._failed,
        )
        self._in_flight = (doc, future)
        return future

    def finish_pending(self) -> None:
        """Closing or switching right after Ctrl+S: let the save land first, so the last
        draft goes to the saved poem's slot (not to the new-poem slot the save cleared)."""
        pending, self._in_flight = self._in_flight, None
        if pending is None or not self.busy:
            return
        doc, future = pending
        try:
            record = future.result(30)
        except Exception:
            return  # reported by the save's own callback; the draft keeps the text
        self._saved(doc, record)

    def _saved(self, doc: PoemDocument, record: PoemRecord) -> None:
        if doc.record is not None and doc.record == record:
            return  # already applied (closing waited for this save)
        w = self.w
        self.busy = False
        doc.poem_id = record.id
        doc.slot = poem_slot(record.id)
        doc.record = record
        doc.saved = record.to_data()
        doc.restored_draft = False
        w.log.event(
            "poem_saved",
            poem_id=record.id,
            chars=len(record.text),
            sha=text_digest(record.text),
            total=record.scores.total,
        )
        w.notices.dismiss("draft")
        if doc is w.doc:
            dirty = w.is_dirty()
            w.status.set_save_state("modified" if dirty else "saved", record.updated_at)
            w.autosaver.resume(poke=dirty)
            w.library_panel.set_current_poem(record.id)
            w.setWindowTitle(w.support.title_for(record.to_data()))
        else:
            w.autosaver.resume()
        w.library_panel.refresh()
        w.poem_saved.emit(record)

    def store(self, data: PoemData) -> Any:
        """Keep a poem in the library without opening it (a generated candidate's 保存).

        Scored like a save from the editor; returns the Future of the stored record.
        """
        w = self.w
        analysis = analyse_stored(w, data, pinned=False)  # a 词 against its 体
        if analysis is None:  # a 词 with no 词谱 installed: kept unscored
            analysis = w.services.checker.analyze("")
        record = PoemDocument.new(data)
        stored = record.to_save(data, analysis, self._scores(analysis))

        def done(saved: PoemRecord) -> None:
            w.log.event("poem_saved", poem_id=saved.id, chars=len(saved.text), origin=saved.origin)
            w.library_panel.refresh()
            w.poem_saved.emit(saved)

        return w.library.call(
            ops.save_poem, stored, None, None, on_result=done, on_error=w.show_error
        )

    def _scores(self, analysis: PoemAnalysis) -> Scores:
        return scores_of(analysis, self.w.services.checker.lexicon)

    def _failed(self, exc: BaseException) -> None:
        w = self.w
        self.busy = False
        w.status.set_save_state("failed")
        w.autosaver.resume(poke=True)  # the draft keeps the text safe meanwhile
        w.log.failure("save_failed", exc)
        w.show_error(exc, prefix=w.tr_("保存失败：", "Saving failed: "))
