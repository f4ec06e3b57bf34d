"""Backups while the app runs: after changes (bounded by the interval), on quit, 立即备份."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.paths import AppPaths
from app.prosody.rhymebook import RhymeBook
from app.settings import Settings
from app.storage.backup import list_backups
from tests.support.shell_window import CHUNXIAO, JINGYESI, events, open_window, save_poem


def titles_in(backup: Path) -> set[str]:
    conn = sqlite3.connect(backup)
    try:
        return {row[0] for row in conn.execute("SELECT title FROM poems")}
    finally:
        conn.close()


def test_changes_are_backed_up_within_the_interval_on_quit_and_on_demand(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    settings = Settings()
    settings = replace(settings, library=replace(settings.library, backup_minutes=0.1))  # 6 s
    window = open_window(qtbot, tmp_path, book, settings=settings)
    folder = AppPaths.under(tmp_path).backups
    assert [b for b in list_backups(folder) if b.label is None] == []  # a new, empty library

    save_poem(qtbot, window, JINGYESI, "静夜思")
    # no backup at all yet: the first change is backed up at once
    qtbot.waitUntil(lambda: bool(events(window, "backup_taken")), timeout=20_000)
    first = list_backups(folder)[0]
    assert titles_in(first.path) == {"静夜思"}

    window.new_document()
    save_poem(qtbot, window, CHUNXIAO, "春晓")
    # within the interval (and one check) the change is in a backup, without quitting
    qtbot.waitUntil(lambda: len(events(window, "backup_taken")) >= 2, timeout=30_000)
    assert events(window, "backup_taken")[-1]["reason"] == "interval"
    assert titles_in(list_backups(folder)[0].path) == {"静夜思", "春晓"}

    # 文件 → 立即备份: at once, and a notice says where
    window.actions_.backup_now.trigger()
    qtbot.waitUntil(lambda: "backup" in window.notices.texts(), timeout=20_000)
    assert str(folder) in window.notices.texts()["backup"]
    assert events(window, "backup_taken")[-1]["reason"] == "manual"

    # quitting backs up what changed since (here: a draft of a third poem)
    window.new_document()
    window.pane.set_text("白日依山尽")
    window.close()
    quit_events = [e for e in events(window, "backup_taken") if e["reason"] == "quit"]
    assert len(quit_events) == 1 and not quit_events[0]["unchanged"]
    conn = sqlite3.connect(quit_events[0]["path"])
    drafts = [row[0] for row in conn.execute("SELECT payload FROM drafts")]
    conn.close()
    assert any("白日依山尽" in d for d in drafts)
