"""``shijian --self-test``: does this installation work? (Packaging runs it after a build.)

Opens the real main window offscreen on a temporary folder, checks a famous
poem, saves it to a fresh library, reads it back, writes and reads a draft,
closes everything, and prints one line per step. Exit status 0 when every step
passed, 1 otherwise. It never touches the user's own folders.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.ui.i18n import Language

POEM = "床前明月光\n疑是地上霜\n举头望明月\n低头思故乡"


def _wait(condition: Callable[[], bool], timeout_s: float) -> bool:
    from PySide6.QtCore import QCoreApplication, QEventLoop

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def run_self_test(lang: Language = "zh", *, out: Any = None) -> int:
    """Run the checks; returns 0 when all passed."""
    stream = out if out is not None else sys.stdout
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    results: list[tuple[str, bool, str]] = []

    def step(name: str, ok: bool, detail: str = "") -> bool:
        results.append((name, ok, detail))
        print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", file=stream)
        return ok

    with tempfile.TemporaryDirectory(prefix="shijian-selftest-") as tmp:
        try:
            _run(Path(tmp), lang, step)
        except Exception as exc:  # a self-test reports, it does not crash
            step("unexpected error", False, f"{type(exc).__name__}: {exc}")
    from app.ui.window.bundle_checks import (
        run_bundle_steps,  # checker verdict, files, llama.cpp, engine
    )

    run_bundle_steps(step)
    passed = all(ok for _, ok, _ in results)
    print("self-test passed" if passed else "self-test FAILED", file=stream)
    return 0 if passed else 1


def _run(base: Path, lang: Language, step: Callable[[str, bool, str], bool]) -> None:
    from PySide6.QtWidgets import QApplication

    from app.paths import AppPaths
    from app.prosody.forms import Form
    from app.settings import SettingsStore
    from app.storage.records import DraftData, PoemData, new_poem_slot
    from app.ui.fonts import check_fonts
    from app.ui.library import ops
    from app.ui.logging_setup import setup_logging
    from app.ui.main_thread_gc import install as install_gc
    from app.ui.services import build_services
    from app.ui.window.main_window import MainWindow

    paths = AppPaths.under(base).ensure()
    log = setup_logging(paths.logs, stderr=False)
    store = SettingsStore(paths.settings_file)
    settings = store.load().settings
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    install_gc(app)
    fonts = check_fonts()
    step("fonts", True, fonts.poem_family or "no CJK font installed (poems would show boxes)")
    services = build_services(paths, store, settings, lang=lang, log=log)
    window = MainWindow(services, font_check=fonts)
    window.show()
    app.processEvents()
    step("window", window.isVisible(), "")
    services.library.start()
    opened = services.library.wait_opened(60) and services.library.failure is None
    step("library opens", opened, str(services.library.failure or paths.database))
    try:
        window.pane.set_text(POEM)
        analysis = window.pane.analyze_now()
        step(
            "checker",
            analysis.form is Form.WUJUE and len(analysis.chars) == 20,
            analysis.summary_en,
        )
        if opened:
            window.meta.title_edit.setText("静夜思")
            saved: list[Any] = []
            window.poem_saved.connect(saved.append)
            window.save()
            step("save", _wait(lambda: bool(saved), 30), "")
            if saved:
                record = services.library.submit(ops.get, saved[0].id).result(30)
                step("read back", record.text == POEM and record.title == "静夜思", "")
                step("score stored", record.scores.total is not None, str(record.scores.total))
            slot = new_poem_slot("self-test")
            draft = DraftData(slot=slot, poem=PoemData(text="春眠不觉晓"))
            services.library.submit(ops.save_draft, draft).result(30)
            drafts = services.library.submit(ops.load_drafts).result(30)
            step("drafts", any(d.slot == slot for d in drafts), "")
    finally:
        window.close()
        services.library.shutdown()
        log.close()
        window.deleteLater()
        app.processEvents()
