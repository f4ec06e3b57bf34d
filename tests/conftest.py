"""Test configuration shared by every suite."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from app.prosody.rhymebook import RhymeBook

# Qt runs offscreen in tests; set before anything imports PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never let a test touch the user's real folders or the real Hub.
os.environ.pop("SHIJIAN_BASEDIR", None)
os.environ.setdefault("HF_HUB_OFFLINE", "0")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

_GUI_DIRS = ("ui", "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests under tests/ui and tests/e2e are marked ``gui`` automatically."""
    root = Path(__file__).parent
    for item in items:
        try:
            rel = Path(str(item.fspath)).relative_to(root)
        except ValueError:
            continue
        if rel.parts and rel.parts[0] in _GUI_DIRS:
            item.add_marker(pytest.mark.gui)


@pytest.fixture(scope="session")
def book() -> RhymeBook:
    """The bundled 平水韵, loaded once a test session (every suite reads it, none changes it)."""
    from app.prosody.rhymebook import RhymeBook  # after the environment above is set

    return RhymeBook.load()


# In CI every dependency the suite needs is installed by .ci/run; there a skip for a
# missing dependency (a CJK font, llama-cpp-python, the Qwen2 vocabulary, poppler, the
# server extras, PyInstaller) would hide untested code, so it fails instead.
_MISSING_DEPENDENCY = ("not installed", "unavailable", "no CJK font", "no font that draws")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI") and report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        if any(marker in reason for marker in _MISSING_DEPENDENCY):
            report.outcome = "failed"
            report.longrepr = f"skipped in CI for a missing dependency: {reason}"
    return None


# Python collects reference cycles on whichever thread allocates when a generation fills
# up; a cycle holding a Qt object collected on a worker thread (a library worker, a
# stream reader, a local download server) crashes Qt at a random later moment. The app
# collects on its GUI thread only (app/ui/main_thread_gc.py); widget tests do the same:
# no automatic collection while they run, what is due collected here, on the main thread.
@pytest.fixture(autouse=True)
def _collect_on_the_main_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    gui = request.node.get_closest_marker("gui") is not None
    if gui:
        gc.disable()
    elif not gc.isenabled():
        gc.collect()  # whatever the widget tests left, before threads may collect again
        gc.enable()
    yield
    if gui:
        from app.ui.main_thread_gc import collect_due

        collect_due()
