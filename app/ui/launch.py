"""The composition root: ``shijian`` with no subcommand starts here.

Order matters for start-up time (target: an interactive window in under a
second on a 2-core machine): paths, log and settings (milliseconds), Qt and the
rhyme book (a few hundred), the window, ``show()`` — and only then the library,
which opens on a background thread (SQLAlchemy's import, diagnosis, recovery
and the start-up backup take a second or more). Anything typed meanwhile is
queued for the library and autosaved as soon as it is open. The model engine,
llama-cpp-python and huggingface-hub are never imported here; the model
pipeline's panels load them when first used, and the one engine process (started
by the first model load or composition) is stopped when the window closes and,
again if need be, in the teardown below.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from app import __version__
from app.paths import BASEDIR_ENV, resolve_paths
from app.settings import SettingsStore
from app.ui.i18n import Language
from app.ui.logging_setup import EventLog, setup_logging

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon


def app_icon() -> QIcon:
    """The vermilion seal (resources/icons, drawn by tools/make_icons.py), every size."""
    from PySide6.QtGui import QIcon, QPixmap

    from app.bundled import resource

    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        pixmap = QPixmap()
        with contextlib.suppress(OSError):
            if pixmap.loadFromData(resource("icons", f"shijian-{size}.png").read_bytes()):
                icon.addPixmap(pixmap)
    return icon


# Loaded only when first used (never at start-up): the model stack and the PDF writer.
HEAVY_MODULES = ("llama_cpp", "huggingface_hub", "app.engine", "app.models", "app.export")


def heavy_modules() -> list[str]:
    """Which of :data:`HEAVY_MODULES` are imported now (logged at first idle)."""
    return [name for name in HEAVY_MODULES if name in sys.modules]


def main() -> int:
    """The ``shijian-gui`` entry point: the same options as ``shijian``."""
    from app.cli import main as cli_main

    return cli_main()


def _install_excepthook(log: EventLog) -> None:
    previous = sys.excepthook

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.failure("unhandled_exception", exc.with_traceback(tb))
        previous(kind, exc, tb)

    sys.excepthook = hook


def _close_on_signals(close: Callable[[], object]) -> object | None:
    """SIGTERM / SIGINT close the window properly (the draft is written first).

    Python signal handlers only run when Python code runs; a wake-up socket makes
    the Qt event loop notice the signal at once.
    """
    if os.name != "posix":
        return None
    from PySide6.QtCore import QSocketNotifier, QTimer

    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read)

    def drain() -> None:
        with contextlib.suppress(OSError):
            reader.recv(64)

    notifier.activated.connect(drain)

    def handler(_signum: int, _frame: object) -> None:
        QTimer.singleShot(0, close)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return (notifier, reader, writer)  # the caller keeps these alive while the app runs


def launch(basedir: str | None, lang: str | None, self_test: bool) -> int:
    """Start the desktop app; returns the exit status."""
    if self_test:
        from app.ui.window.self_test import run_self_test

        return run_self_test(lang="en" if lang == "en" else "zh")
    t0 = time.time()
    paths = resolve_paths(basedir)
    log = setup_logging(paths.logs, t0=t0)
    log.event(
        "started",
        pid=os.getpid(),
        version=__version__,
        python=sys.version.split()[0],
        basedir=str(basedir or os.environ.get("SHIJIAN_BASEDIR") or ""),
    )
    _install_excepthook(log)
    store = SettingsStore(paths.settings_file)
    loaded = store.load()
    settings = loaded.settings

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.ui.fonts import check_fonts
    from app.ui.main_thread_gc import install as install_gc
    from app.ui.qt_translations import install_qt_translations
    from app.ui.services import build_services, effective_paths
    from app.ui.theme import apply_theme, apply_ui_font

    default_data_dir = paths.data
    paths = effective_paths(paths, settings)
    try:
        paths.ensure()
    except OSError as exc:
        log.failure("folders_failed", exc)  # the library reports it when it cannot open
    language: Language = "en" if (lang or settings.ui.language) == "en" else "zh"

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("shijian")
    app.setOrganizationName("Shijian")
    app.setApplicationDisplayName("诗笺")
    app.setDesktopFileName("shijian")  # lets the task bar match packaging/linux/shijian.desktop
    app.setWindowIcon(app_icon())
    install_gc(app)  # cycles holding widgets are collected on this thread only
    qt_catalogs = install_qt_translations(app, language)
    dark = apply_theme(app, settings.ui.theme)
    font_check = check_fonts(settings.fonts.poem_family, settings.fonts.ui_family)
    apply_ui_font(app, settings.fonts.ui_family, settings.fonts.ui_size, font_check.ui_family)
    log.event(
        "qt_ready",
        poem_font=font_check.poem_family,
        ui_font=font_check.ui_family,
        qt_translations=qt_catalogs,
    )

    # The engine process finds the same base folder (its caches go there too).
    engine_env = {**os.environ, BASEDIR_ENV: str(basedir)} if basedir else None
    services = build_services(
        paths,
        store,
        settings,
        lang=language,
        log=log,
        default_data_dir=default_data_dir,
        engine_env=engine_env,
    )
    from app.ui.window.drive import install_drive
    from app.ui.window.main_window import MainWindow

    window = MainWindow(services, font_check=font_check, dark=dark)
    for index, notice in enumerate(loaded.notices):
        window.notices.show_notice(f"settings-{index}", notice.text(language), level="warning")
    window.show()
    log.event("window_shown", ms=log.elapsed_ms())
    QTimer.singleShot(
        0, window, lambda: log.event("first_idle", ms=log.elapsed_ms(), heavy=heavy_modules())
    )
    services.library.start()
    install_drive(window, os.environ)
    keep = _close_on_signals(window.close)

    status = int(app.exec())
    del keep
    try:
        services.models.shutdown()  # the window's close stopped it; never leave it behind
    except Exception as exc:
        log.failure("engine_stop_failed", exc)
    try:
        services.library.shutdown()
    except Exception as exc:  # closing must not turn a clean exit into a crash
        log.failure("library_close_failed", exc)
    log.event("exited", status=status)
    log.close()
    return status
