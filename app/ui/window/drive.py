"""A test drive for end-to-end runs: type given text into the real editor.

Inert unless ``SHIJIAN_DRIVE_TYPE`` is set. Then, once start-up has finished
(the library is open and drafts were checked), the text is typed into the
editor one character at a time as real key events — the same path as a
keyboard, through the editor's key handling, undo stack, analysis and autosave
— every ``SHIJIAN_DRIVE_INTERVAL_MS`` milliseconds (default 40), appended at
the end of whatever the editor holds. ``\\n`` is typed as the Return key.

Events logged: ``drive_started`` (characters to type), ``drive_done``; with
``SHIJIAN_DRIVE_TRACE=1`` also ``drive_key`` (``n``: keys typed so far) after each
key, so a benchmark that kills the app knows what had been typed by then.
With ``SHIJIAN_DRIVE_REPORT=1`` the editor's text is also logged once drafts
were checked (``editor_text``), so a test can compare it with what it typed;
outside these test runs the log never holds a poem's text.

End-to-end tests use it to type a poem and kill the app with SIGKILL before
any explicit save (tests/e2e/test_crash_recovery.py, bench/crash_cycles.py).

``SHIJIAN_DRIVE_LOAD_MODEL=1`` loads the current model once start-up is done (as
模型 → 加载当前模型 does; ``model_loaded`` is logged with the engine's pid), so a
test can check that no engine process outlives the app however it ends.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import QApplication

from app.ui.window.main_window import MainWindow

DRIVE_TYPE_ENV = "SHIJIAN_DRIVE_TYPE"
DRIVE_INTERVAL_ENV = "SHIJIAN_DRIVE_INTERVAL_MS"
DRIVE_REPORT_ENV = "SHIJIAN_DRIVE_REPORT"
DRIVE_LOAD_MODEL_ENV = "SHIJIAN_DRIVE_LOAD_MODEL"
DRIVE_TRACE_ENV = "SHIJIAN_DRIVE_TRACE"


class TypingDrive(QObject):
    """Types ``text`` into ``window``'s editor, one key event per tick."""

    def __init__(
        self, window: MainWindow, text: str, interval_ms: int, *, trace: bool = False
    ) -> None:
        super().__init__(window)
        self._window = window
        self._text = text
        self._trace = trace
        self._index = 0
        self._timer = QTimer(self)
        self._timer.setInterval(max(0, interval_ms))
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        editor = self._window.pane.editor
        editor.setFocus()
        editor.moveCursor(QTextCursor.MoveOperation.End)
        self._window.log.event("drive_started", chars=len(self._text))
        self._timer.start()

    def _tick(self) -> None:
        if self._index >= len(self._text):
            self._timer.stop()
            self._window.log.event("drive_done", chars=len(self._text))
            return
        ch = self._text[self._index]
        self._index += 1
        editor = self._window.pane.editor
        if ch == "\n":
            key, text = Qt.Key.Key_Return, "\r"
        else:
            key, text = Qt.Key.Key_unknown, ch
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, text)
            QApplication.sendEvent(editor, event)
        if self._trace:
            self._window.log.event("drive_key", n=self._index)


def install_drive(window: MainWindow, environ: Mapping[str, str]) -> TypingDrive | None:
    """Start the test drive after start-up when the environment asks for it."""
    text = environ.get(DRIVE_TYPE_ENV)
    report = environ.get(DRIVE_REPORT_ENV, "") == "1"
    load_model = environ.get(DRIVE_LOAD_MODEL_ENV, "") == "1"
    if text is None and not report and not load_model:
        return None
    interval = int(environ.get(DRIVE_INTERVAL_ENV, "40") or 40)
    trace = environ.get(DRIVE_TRACE_ENV, "") == "1"
    drive = TypingDrive(window, text.replace("\\n", "\n"), interval, trace=trace) if text else None

    def after_drafts(_drafts: object) -> None:
        if report:
            window.log.event("editor_text", text=window.pane.text(), slot=window.doc.slot)
        if drive is not None:
            drive.start()
        if load_model:
            window.models_ui.load_current()

    window.drafts_checked.connect(after_drafts)
    return drive
