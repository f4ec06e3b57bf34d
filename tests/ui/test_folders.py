"""File dialogs open in the last folder used for their purpose (never the working folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from app.ui.folders import RecentFolders, ask_folder, ask_open_file, ask_save_path
from tests.support.window_app import answer_modal


def file_dialog() -> QFileDialog | None:
    widget = QApplication.activeModalWidget()
    return widget if isinstance(widget, QFileDialog) else None


def choose(target: Path, seen: list[str]) -> Any:
    """Answer the file dialog: note where it opened, then pick ``target``."""

    def answer(dialog: QFileDialog) -> None:
        seen.append(dialog.directory().absolutePath())
        if target.is_dir():
            dialog.setDirectory(str(target))
        else:
            dialog.setDirectory(str(target.parent))
            dialog.selectFile(target.name)
        dialog.accept()

    return answer


def test_each_purpose_opens_where_it_was_last_left(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the working folder is never where a dialog opens
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    classes, exports = tmp_path / "班级" / "三年二班", tmp_path / "导出"
    classes.mkdir(parents=True)
    exports.mkdir()
    store = tmp_path / "config" / "recent-folders.json"
    folders = RecentFolders(store)

    seen: list[str] = []
    answer_modal(file_dialog, choose(classes, seen))
    assert ask_folder(None, "作业文件夹", folders, "class") == classes
    assert seen[-1] == str(home)  # the first time: home
    answer_modal(file_dialog, choose(exports / "成绩.csv", seen))
    assert ask_save_path(None, "导出", "成绩.csv", "CSV (*.csv)", folders, "export") == (
        exports / "成绩.csv"
    )
    assert seen[-1] == str(home)

    # the next run (a new store read from the file): each purpose opens where it was left
    again = RecentFolders(store)
    answer_modal(file_dialog, choose(classes, seen))
    ask_folder(None, "作业文件夹", again, "class")
    assert seen[-1] == str(classes)
    answer_modal(file_dialog, choose(exports / "全班.pdf", seen))
    ask_save_path(None, "导出", "全班.pdf", "PDF (*.pdf)", again, "export")
    assert seen[-1] == str(exports)
    model = tmp_path / "模型" / "a.gguf"
    model.parent.mkdir()
    model.write_bytes(b"GGUF")
    answer_modal(file_dialog, choose(model, seen))
    assert ask_open_file(None, "模型", "GGUF (*.gguf)", again, "models") == model
    assert seen[-1] == str(home)  # models had none yet
    assert RecentFolders(store).get("models") == model.parent


def test_a_missing_or_broken_store_starts_at_home(tmp_path: Path) -> None:
    broken = tmp_path / "recent-folders.json"
    broken.write_text("{not json", encoding="utf-8")
    assert RecentFolders(broken).get("class") == Path.home()
    gone = RecentFolders(tmp_path / "none.json")
    gone.remember("class", tmp_path / "已删除")  # a folder that does not exist (any more)
    assert RecentFolders(tmp_path / "none.json").get("class") == Path.home()
