"""Start-up of the real app: the window comes first, heavy modules never load at start-up."""

from __future__ import annotations

from pathlib import Path

from tests.support.app_process import AppProcess


def test_the_window_is_shown_before_the_library_opens_and_nothing_heavy_loads(
    tmp_path: Path,
) -> None:
    with AppProcess(tmp_path) as app:
        idle = app.wait_for("first_idle", timeout=120)
        ready = app.wait_for("library_ready", timeout=120)
        app.wait_for("drafts_checked", timeout=60)
        assert app.close() == 0
        names = [e["event"] for e in app.events]
    assert names.index("window_shown") < names.index("library_ready")
    assert idle["heavy"] == []  # no llama_cpp, huggingface_hub, engine, models or PDF code
    assert ready["created"] is True and ready["schema"] >= 1
    assert names[-1] == "exited"
    qt_ready = next(e for e in app.events if e["event"] == "qt_ready")
    assert "qtbase_zh_CN.qm" in qt_ready["qt_translations"]  # Qt's own buttons in Chinese
    assert (tmp_path / "logs" / "shijian.log").is_file()
