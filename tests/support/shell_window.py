"""Build the real main window in-process for pytest-qt tests (real services, real SQLite).

``open_window(qtbot, base)`` builds the services on ``base`` (a tmp_path), shows
the window, starts the library and waits until start-up has checked for drafts.
Closing goes through ``close_window`` (the window's own close: the draft is
flushed, settings saved) and shuts the library down, so no thread outlives a test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.paths import AppPaths
from app.prosody.rhymebook import RhymeBook
from app.settings import Settings, SettingsStore
from app.ui.fonts import FontCheck
from app.ui.i18n import Language
from app.ui.logging_setup import EventLog, read_events, setup_logging
from app.ui.services import Services, build_services

JINGYESI = "床前明月光\n疑是地上霜\n举头望明月\n低头思故乡"
CHUNXIAO = "春眠不觉晓\n处处闻啼鸟\n夜来风雨声\n花落知多少"
DENG_GUANQUE = "白日依山尽\n黄河入海流\n欲穷千里目\n更上一层楼"
# 杜甫《登高》, a 七律
DENGGAO = (
    "风急天高猿啸哀\n渚清沙白鸟飞回\n无边落木萧萧下\n不尽长江滚滚来\n"
    "万里悲秋常作客\n百年多病独登台\n艰难苦恨繁霜鬓\n潦倒新停浊酒杯"
)


def make_services(
    base: Path,
    book: RhymeBook,
    *,
    lang: Language = "zh",
    settings: Settings | None = None,
) -> Services:
    paths = AppPaths.under(base).ensure()
    store = SettingsStore(paths.settings_file)
    loaded = store.load().settings
    if settings is not None:
        store.save(settings)
        loaded = settings
    log = setup_logging(paths.logs, stderr=False)
    return build_services(paths, store, loaded, lang=lang, log=log, book=book)


def open_window(
    qtbot: Any,
    base: Path,
    book: RhymeBook,
    *,
    font_check: FontCheck | None = None,
    lang: Language = "zh",
    settings: Settings | None = None,
    before_start: Callable[[Any], None] | None = None,
) -> Any:
    """The real main window on ``base``, shown, with its library open and drafts checked."""
    from app.ui.window.main_window import MainWindow

    services = make_services(base, book, lang=lang, settings=settings)
    window = MainWindow(services, font_check=font_check)
    qtbot.addWidget(window, before_close_func=_shutdown)
    window.show()
    if before_start is not None:
        before_start(window)
    with qtbot.waitSignal(window.drafts_checked, timeout=60_000):
        services.library.start()
    return window


def _shutdown(window: Any) -> None:
    """pytest-qt's cleanup: close properly (if not yet closed) and stop the library."""
    if window.isVisible():
        window.close()
    window.services.library.shutdown()
    window.services.log.close()


def close_window(window: Any) -> None:
    window.close()
    window.services.library.shutdown()


def call(window: Any, fn: Callable[..., Any], *args: Any) -> Any:
    """Run a library function on the library's thread and wait for its result."""
    return window.services.library.submit(fn, *args).result(60)


def save_and_wait(qtbot: Any, window: Any, *, as_new: bool = False) -> Any:
    """Press save and wait for the stored record."""
    with qtbot.waitSignal(window.poem_saved, timeout=60_000) as blocker:
        window.save(as_new=as_new)
    return blocker.args[0]


def save_poem(qtbot: Any, window: Any, text: str, title: str | None = None) -> Any:
    """Write ``text`` (and ``title``) in the window and save: the stored record."""
    if title is not None:
        window.meta.title_edit.setText(title)
    window.pane.set_text(text)
    return save_and_wait(qtbot, window)


def save_revised(qtbot: Any, window: Any, title: str, text: str, changed: str) -> Any:
    """Save ``text`` as ``title``, then the whole text replaced by ``changed``: the first
    save's record (the poem's revisions: ``changed``, then ``text``)."""
    first = save_poem(qtbot, window, text, title)
    window.pane.replace_all(changed)
    save_and_wait(qtbot, window)
    return first


def save_two(
    qtbot: Any,
    window: Any,
    first: str,
    second: str,
    titles: tuple[str | None, str | None] = (None, None),
) -> tuple[Any, Any]:
    """Save ``first``, then ``second`` as a new poem (with ``titles``): both stored records
    (the window shows the second)."""
    one = save_poem(qtbot, window, first, titles[0])
    window.new_document()
    return one, save_poem(qtbot, window, second, titles[1])


def open_and_wait(qtbot: Any, window: Any, poem_id: int, timeout: int = 10_000) -> None:
    """Open a stored poem and wait until the window shows it."""
    window.open_poem(poem_id)
    qtbot.waitUntil(lambda: window.doc.poem_id == poem_id, timeout=timeout)


def wait_draft(qtbot: Any, window: Any) -> Any:
    """Wait for the next autosave to land (the DraftRecord, or None when one was cleared)."""
    with qtbot.waitSignal(window.autosaver.saved, timeout=60_000) as blocker:
        pass
    return blocker.args[0]


def events(window: Any, name: str) -> list[dict[str, Any]]:
    log: EventLog = window.services.log
    assert log.file is not None
    return [e for e in read_events(log.file) if e.get("event") == name]


def settings_on_disk(base: Path) -> dict[str, Any]:
    path = AppPaths.under(base).settings_file
    value = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(value, dict)
    return value


def type_text(widget: Any, text: str) -> None:
    """Type ``text`` into ``widget`` as key events (QTest.keyClicks asserts on non-ASCII).

    Each character is a KeyPress/KeyRelease pair carrying the character as its
    text, as an input method delivers a committed Han character; ``\\n`` is Return.
    """
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for ch in text:
        key, chars = (Qt.Key.Key_Return, "\r") if ch == "\n" else (Qt.Key.Key_unknown, ch)
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                widget, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, chars)
            )
