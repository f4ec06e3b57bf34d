"""Autosave: the editor's content becomes a library draft shortly after each edit.

A single-shot timer restarts on every edit (``poke``); when typing has paused
for ``editor.autosave_seconds`` the window's snapshot — the whole editor
content as :class:`~app.storage.records.DraftData` for its slot — is written
with :meth:`Library.save_draft` on the library's thread. Typing that never
pauses does not hold the draft back: a second timer, started by the first
unsaved edit and *not* restarted by the ones after it, writes the draft at the
latest ``autosave_seconds`` after that edit. So no edit stays unwritten longer
than the interval (plus one write), however fast and long the typing. The library commits
it with ``synchronous=FULL`` (or spools it to a file when the database cannot
take it), so once ``draft_saved`` is logged the text survives a crash, even a
SIGKILL or a power cut. On close, :meth:`Autosaver.flush` writes the last
state and waits for it.

Only one write is in flight at a time; edits during it schedule one more write
when it lands, so a slow disk never queues a backlog of stale drafts. An empty
new-poem editor clears its draft instead of storing an empty one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.storage.records import DraftData, DraftRecord
from app.ui.library import ops
from app.ui.library.client import LibraryClient
from app.ui.logging_setup import EventLog
from app.ui.workers import watch_future


def text_digest(text: str) -> str:
    """A short fingerprint of a text, for the log (the log never holds the poem itself)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def is_empty_draft(draft: DraftData) -> bool:
    poem = draft.poem
    return draft.poem_id is None and not any(
        (poem.text.strip(), poem.title.strip(), poem.author.strip(), poem.notes.strip(), poem.tags)
    )


class Autosaver(QObject):
    """Debounced draft writes for one editor.

    Signals: ``saved(DraftRecord | None)`` after each write lands (None when an
    empty draft was cleared), ``failed(BaseException)`` when the library could
    take neither the draft nor its spool copy.
    """

    saved = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        library: LibraryClient,
        snapshot: Callable[[], DraftData | None],
        *,
        seconds: float,
        log: EventLog,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._library = library
        self._snapshot = snapshot
        self._log = log
        self._timer = QTimer(self)  # the pause in typing (restarted by every edit)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.save_now)
        self._deadline = QTimer(self)  # the bound (started by the first unsaved edit only)
        self._deadline.setSingleShot(True)
        self._deadline.timeout.connect(self.save_now)
        self.set_interval(seconds)
        self._in_flight: Future[Any] | None = None
        self._in_flight_draft: DraftData | None = None
        self._queued: DraftData | None = None  # taken while a write was in flight
        self._paused = False
        self._last: DraftData | None = None  # the last draft known to be stored

    def set_interval(self, seconds: float) -> None:
        """The pause that writes a draft, and the longest an edit waits while typing goes on."""
        ms = max(50, round(seconds * 1000))
        self._timer.setInterval(ms)
        self._deadline.setInterval(ms)

    def interval_ms(self) -> int:
        return self._timer.interval()

    @property
    def pending(self) -> bool:
        """An edit is waiting for the timer, or a write is in flight."""
        return self._timer.isActive() or self._in_flight is not None

    def poke(self) -> None:
        """An edit happened: (re)start the pause countdown; the first unsaved edit also
        starts the deadline, which later edits leave running."""
        if self._paused:
            return
        self._timer.start()
        if not self._deadline.isActive():
            self._deadline.start()

    def _stop_timers(self) -> None:
        self._timer.stop()
        self._deadline.stop()

    def pause(self) -> None:
        """Hold writes (while an explicit save is in flight)."""
        self._paused = True
        self._stop_timers()
        self._last = None

    def resume(self, *, poke: bool = False) -> None:
        self._paused = False
        if poke:
            self.poke()

    def cancel(self) -> None:
        """Forget the countdown (the content was just saved or discarded)."""
        self._stop_timers()
        self._last = None

    def save_now(self) -> Future[Any] | None:
        """Write the current snapshot now (or right after the write in flight lands).

        The snapshot is taken at once, so a write queued behind another still
        holds this moment's content even if the window shows another poem by then.
        """
        self._stop_timers()
        if self._paused:
            return None
        draft = self._snapshot()
        if draft is None or draft == self._last:
            return None
        if self._in_flight is not None:
            if draft != self._in_flight_draft:
                self._queued = draft
            return self._in_flight
        return self._write(draft)

    def _write(self, draft: DraftData) -> Future[Any]:
        future = self._submit(draft)
        self._in_flight, self._in_flight_draft = future, draft
        watch_future(
            future,
            lambda value: self._landed(draft, value),
            lambda exc: self._failed(draft, exc),
            parent=self,
        )
        return future

    def _submit(self, draft: DraftData) -> Future[Any]:
        if is_empty_draft(draft):
            return self._library.submit(ops.clear_draft, draft.slot)
        return self._library.save_draft(draft)  # into the spool while the library is away

    def _landed(self, draft: DraftData, value: Any) -> None:
        if self._in_flight_draft is draft:
            self._in_flight = self._in_flight_draft = None
        self._last = draft
        self._report(draft, value)
        self._write_queued()

    def _failed(self, draft: DraftData, exc: BaseException) -> None:
        if self._in_flight_draft is draft:
            self._in_flight = self._in_flight_draft = None
        self._last = None
        self._log.failure("draft_failed", exc, slot=draft.slot)
        self.failed.emit(exc)
        self._write_queued()

    def _write_queued(self) -> None:
        queued, self._queued = self._queued, None
        if queued is not None and queued != self._last and self._in_flight is None:
            self._write(queued)

    def _report(self, draft: DraftData, value: Any) -> None:
        record = value if isinstance(value, DraftRecord) else None
        self._log.event(
            "draft_saved" if record is not None else "draft_cleared",
            slot=draft.slot,
            poem_id=draft.poem_id,
            chars=len(draft.poem.text),
            sha=text_digest(draft.poem.text),
            spooled=bool(record is not None and record.spooled),
        )
        self.saved.emit(record)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Write everything pending and the current state, and wait (closing). True on success."""
        self._stop_timers()
        self._paused = False
        ok = True
        in_flight, in_flight_draft = self._in_flight, self._in_flight_draft
        if in_flight is not None:
            try:
                in_flight.result(timeout_s)
                self._last = in_flight_draft
            except FutureTimeout:
                return False
            except BaseException:
                ok = False  # reported by its own callback; the writes below still run
            self._in_flight = self._in_flight_draft = None
        pending = [self._queued, self._snapshot()]
        self._queued = None
        for draft in pending:
            if draft is None or draft == self._last:
                continue
            try:
                value = self._submit(draft).result(timeout_s)
            except BaseException as exc:
                self._log.failure("draft_failed", exc, slot=draft.slot, at="close")
                ok = False
                continue
            self._last = draft
            self._report(draft, value)
        return ok
