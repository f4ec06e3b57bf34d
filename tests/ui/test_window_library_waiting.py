"""The window when the library is locked by another program at start-up: it says so,
keeps autosaving what is typed (to the draft spool), and says when the library is there.
It used to stay without a library until restarted, autosaving nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from app.paths import AppPaths
from app.prosody.rhymebook import RhymeBook
from app.settings import SettingsStore
from app.storage.db import LibraryOptions, open_library
from app.storage.records import PoemData
from app.ui.logging_setup import setup_logging
from app.ui.services import build_services
from tests.support.shell_window import events, type_text
from tests.support.storage_options import hold_lock


def _shutdown(window: Any) -> None:
    if window.isVisible():
        window.close()
    window.services.library.shutdown()
    window.services.log.close()


def test_a_library_locked_at_start_up_is_waited_for_and_typing_is_kept(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    from app.ui.window.main_window import MainWindow

    paths = AppPaths.under(tmp_path).ensure()
    library, _ = open_library(paths)
    library.save_poem(PoemData(title="旧作", text="白日依山尽"))
    library.close()
    holder = hold_lock(paths.database)  # another program keeps the library locked
    try:
        store = SettingsStore(paths.settings_file)
        settings = store.load().settings
        settings = replace(settings, editor=replace(settings.editor, autosave_seconds=0.3))
        services = build_services(
            paths,
            store,
            settings,
            lang="en",
            log=setup_logging(paths.logs, stderr=False),
            book=book,
            library_options=LibraryOptions(busy_timeout_ms=100),
        )
        window = MainWindow(services)
        qtbot.addWidget(window, before_close_func=_shutdown)
        window.show()
        services.library.start()
        qtbot.waitUntil(lambda: "library" in window.notices.texts(), timeout=30_000)
        said = window.notices.texts()["library"]
        assert "cannot be opened just now" in said and "locked" in said
        assert "still autosaved" in said
        # typing is autosaved meanwhile: into the spool
        window.pane.editor.setFocus()
        with qtbot.waitSignal(window.autosaver.saved, timeout=30_000) as landed:
            type_text(window.pane.editor, "黄河入海流")
        assert landed.args[0] is not None and landed.args[0].spooled
        assert events(window, "library_waiting")
    finally:
        holder.close()  # the other program lets go
    with qtbot.waitSignal(window.drafts_checked, timeout=60_000) as checked:
        pass
    assert "available now" in window.notices.texts()["library"]
    assert any(d.poem.text == "黄河入海流" for d in checked.args[0])  # the draft is there
    assert events(window, "library_ready")
