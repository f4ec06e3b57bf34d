"""The window's event log (JSON lines in the log folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.ui.logging_setup import read_events, setup_logging


def test_events_after_close_are_dropped_quietly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = setup_logging(tmp_path / "logs", stderr=False)
    log.event("window_opened", poems=3)
    log.close()
    # A library callback that arrives after the window closed still reports its error.
    log.failure("error_shown", OSError(28, "No space left on device"))
    log.event("late_event")
    assert capsys.readouterr().err == ""
    events = read_events(tmp_path / "logs" / "shijian.log")
    assert [e.get("event") for e in events] == ["window_opened"]
    assert events[0]["poems"] == 3
