"""The real main window with its model, assignment and export features, for pytest-qt.

``open_app_window(qtbot, base, book, settings=...)`` builds the services on ``base``
(a tmp_path) the way the launcher does — the engine process gets
``SHIJIAN_BASEDIR=base``, so its caches land there too — shows the window, starts
the library and waits for start-up to finish. pytest-qt closes it at the end (the
window's own close: draft flushed, engine process stopped, library shut down).

Also: waiting for a process to be gone, answering a modal dialog that a call is about
to open (``answer_modal``), settings with a context small enough for the tiny model
(``small_context``), and adding a GGUF file as the poetry model through the model
manager (``add_in_manager``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.paths import AppPaths
from app.prosody.rhymebook import RhymeBook
from app.settings import EngineSettings, Settings, SettingsStore
from app.ui.fonts import FontCheck
from app.ui.i18n import Language
from app.ui.logging_setup import setup_logging
from app.ui.services import Services, build_services


def make_app_services(
    base: Path,
    book: RhymeBook,
    *,
    lang: Language = "zh",
    settings: Settings | None = None,
    cancel_grace_s: float = 5.0,
) -> Services:
    paths = AppPaths.under(base).ensure()
    store = SettingsStore(paths.settings_file)
    loaded = store.load().settings
    if settings is not None:
        store.save(settings)
        loaded = settings
    log = setup_logging(paths.logs, stderr=False)
    return build_services(
        paths,
        store,
        loaded,
        lang=lang,
        log=log,
        book=book,
        default_data_dir=paths.data,
        engine_env={**os.environ, "SHIJIAN_BASEDIR": str(base)},
        cancel_grace_s=cancel_grace_s,
    )


def open_app_window(
    qtbot: Any,
    base: Path,
    book: RhymeBook,
    *,
    lang: Language = "zh",
    settings: Settings | None = None,
    font_check: FontCheck | None = None,
) -> Any:
    """The real main window on ``base``, shown, its library open and drafts checked."""
    from app.ui.window.main_window import MainWindow

    services = make_app_services(base, book, lang=lang, settings=settings)
    window = MainWindow(services, font_check=font_check)
    qtbot.addWidget(window, before_close_func=_shutdown)
    window.show()
    with qtbot.waitSignal(window.drafts_checked, timeout=60_000):
        services.library.start()
    return window


def _shutdown(window: Any) -> None:
    if window.isVisible():
        window.close()
    window.services.models.shutdown()
    window.services.library.shutdown()
    window.services.log.close()


def process_gone(pid: int, timeout: float = 10.0) -> bool:
    """Whether process ``pid`` has exited (and is not a zombie) within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except (OSError, IndexError):
            state = ""
        if state == "Z":  # exited; its parent has not reaped it yet
            return True
        time.sleep(0.05)
    return False


def answer_modal(
    find: Callable[[], Any], answer: Callable[[Any], None], *, tries: int = 200
) -> None:
    """Answer the modal dialog a call is about to open with ``exec()``: poll (from the
    dialog's own event loop) until ``find()`` returns it, then ``answer(dialog)``."""
    from PySide6.QtCore import QTimer

    def poll(left: int) -> None:
        dialog = find()
        if dialog is not None and dialog.isVisible():
            answer(dialog)
        elif left > 0:
            QTimer.singleShot(25, lambda: poll(left - 1))

    QTimer.singleShot(0, lambda: poll(tries))


def small_context(**engine: Any) -> Settings:
    """Default settings with a 2048-token context (and ``engine``'s other settings)."""
    return replace(Settings(), engine=replace(EngineSettings(), context_length=2048, **engine))


def add_in_manager(qtbot: Any, window: Any, model: Path) -> tuple[Any, Any]:
    """Model → Models… → "use a GGUF file I already have", answered as the poetry model;
    returns the registered model and the engine's LoadedInfo."""
    models = window.models_ui
    models.manager_action.trigger()
    dialog = models.manager
    assert dialog is not None and dialog.isVisible()

    def as_poetry(local: Any) -> None:
        local.kind_box.setCurrentIndex(local.kind_box.findData("poetry"))
        local.style_box.setCurrentIndex(local.style_box.findData("qpm-r1"))
        local.accept()

    answer_modal(lambda: getattr(dialog, "local_dialog", None), as_poetry)
    with qtbot.waitSignal(models.loaded, timeout=90_000) as loaded:
        added = dialog.add_local_file(model)
    assert added is not None
    return added, loaded.args[0]
