"""The real app as a process, with the engine process on the tiny model: however the app
ends (a normal close, SIGTERM, SIGKILL), no engine process is left behind. And the data
folder setting places the library."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.support.app_process import AppProcess, write_settings
from tests.support.engine_fixtures import qwen2_vocab_fixture, tiny_model_fixture  # noqa: F401
from tests.support.window_app import process_gone

pytestmark = pytest.mark.timeout(240)

LOAD = {"SHIJIAN_DRIVE_LOAD_MODEL": "1"}


def model_settings(base: Path, model: Path) -> None:
    write_settings(base, {"engine": {"model_path": str(model), "context_length": 2048}})


@pytest.mark.model
def test_closing_the_app_stops_its_engine(tmp_path: Path, tiny_model: Path) -> None:
    model_settings(tmp_path, tiny_model)
    with AppProcess(tmp_path, env=LOAD) as app:
        loaded = app.wait_for("model_loaded", timeout=120)
        pid = loaded["engine_pid"]
        assert isinstance(pid, int) and loaded["backend"] == "cpu" and loaded["n_ctx"] == 2048
        assert not process_gone(pid, timeout=0.2)  # running while the app runs
        assert app.close() == 0  # SIGTERM: the window closes properly
        stopped = app.named("engine_stopped")
    assert stopped and stopped[-1]["engine_pid"] == pid
    assert process_gone(pid)


@pytest.mark.model
def test_a_killed_app_leaves_no_engine_behind(tmp_path: Path, tiny_model: Path) -> None:
    model_settings(tmp_path, tiny_model)
    with AppProcess(tmp_path, env=LOAD) as app:
        pid = app.wait_for("model_loaded", timeout=120)["engine_pid"]
        app.kill(signal.SIGKILL)  # no close at all: the engine sees its input end
    assert process_gone(pid, timeout=30)


def test_the_data_folder_setting_places_the_library(tmp_path: Path) -> None:
    write_settings(tmp_path, {"data_dir": "诗库"})  # relative: beside the default data folder
    with AppProcess(tmp_path) as app:
        ready = app.wait_for("library_ready", timeout=120)
        app.wait_for("drafts_checked", timeout=60)
        assert app.close() == 0
    assert Path(ready["database"]) == tmp_path / "诗库" / "library.sqlite3"
    assert (tmp_path / "诗库" / "library.sqlite3").is_file()
    assert not (tmp_path / "data" / "library.sqlite3").exists()
    assert (tmp_path / "config" / "settings.json").is_file()  # settings stay where they were

    elsewhere = tmp_path / "elsewhere" / "poems"
    write_settings(tmp_path, {"data_dir": str(elsewhere)})
    with AppProcess(tmp_path) as app:
        ready = app.wait_for("library_ready", timeout=120)
        assert app.close() == 0
    assert Path(ready["database"]) == elsewhere / "library.sqlite3"
    assert ready["created"] is True  # a new, empty library there
