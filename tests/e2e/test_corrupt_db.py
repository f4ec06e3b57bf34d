"""A damaged library file: the real app still starts, restores the newest backup and says so.

The library is prepared with the real storage layer (poems, then a backup),
then the file is damaged (truncated, or overwritten with random bytes). The app
must start anyway, set the bad file aside (kept, never deleted), restore the
backup, log ``db_recovered`` and show the user a dialog saying what happened and
where the old file is.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.paths import AppPaths
from app.storage.db import LibraryOptions, open_library
from app.storage.records import PoemData, PoemQuery
from tests.support.app_process import AppProcess, write_settings
from tests.support.storage_damage import fill_with_garbage, truncate

TITLES = ("静夜思", "春晓", "登鹳雀楼")


def prepare(base: Path, *, backup: bool) -> AppPaths:
    paths = AppPaths.under(base).ensure()
    library, _ = open_library(paths, LibraryOptions())
    for index, title in enumerate(TITLES):
        library.save_poem(PoemData(title=title, text=f"第{index}首\n诗句"))
    if backup:
        library.backup()
    library.close()
    return paths


def titles_in(paths: AppPaths) -> list[str]:
    library, report = open_library(paths, LibraryOptions())
    try:
        assert report.recovery is None
        return sorted(r.title for r in library.search(PoemQuery()))
    finally:
        library.close()


def start_and_read_recovery(base: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with AppProcess(base) as app:
        recovered = app.wait_for("db_recovered", timeout=120)
        app.wait_for("library_ready", timeout=120)
        app.wait_for("drafts_checked", timeout=60)
        assert app.close() == 0
        return recovered, list(app.events)


@pytest.mark.parametrize(
    "damage",
    [pytest.param(truncate, id="truncated"), pytest.param(fill_with_garbage, id="garbage")],
)
def test_a_damaged_library_is_set_aside_and_the_backup_restored(
    tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    paths = prepare(tmp_path, backup=True)
    damage(paths.database)
    recovered, events = start_and_read_recovery(tmp_path)

    moved = [Path(p) for p in recovered["moved_to"]]
    assert moved and moved[0].exists() and "damaged" in moved[0].name  # kept, not deleted
    assert recovered["restored_from"] is not None
    dialog = recovered["dialog_text"]
    assert str(moved[0]) in dialog  # where the old file is
    assert "已从" in dialog and "备份" in dialog  # what happened
    assert any(e["event"] == "window_shown" for e in events)
    assert titles_in(paths) == sorted(TITLES)  # the poems are back


def test_a_damaged_library_without_backups_starts_empty_and_says_so(tmp_path: Path) -> None:
    paths = prepare(tmp_path, backup=False)
    fill_with_garbage(paths.database)
    recovered, _ = start_and_read_recovery(tmp_path)
    assert recovered["restored_from"] is None
    assert "新建一个空诗库" in recovered["dialog_text"]
    assert Path(recovered["moved_to"][0]).exists()
    assert titles_in(paths) == []


def test_the_recovery_dialog_speaks_english_too(tmp_path: Path) -> None:
    paths = prepare(tmp_path, backup=True)
    truncate(paths.database)
    with AppProcess(tmp_path, args=["--lang", "en"]) as app:
        recovered = app.wait_for("db_recovered", timeout=120)
        app.wait_for("drafts_checked", timeout=60)
        app.close()
    assert "restored from the backup" in recovered["dialog_text"]


def test_a_library_damaged_mid_session_loses_at_most_the_last_interval(tmp_path: Path) -> None:
    # the real app, a backup interval of 6 s: a poem typed (autosaved as drafts) is in a
    # backup taken while the app runs; the file is then overwritten, the app killed …
    poem = "床前明月光\n疑是地上霜\n举头望明月\n低头思故乡"
    write_settings(
        tmp_path, {"editor": {"autosave_seconds": 0.5}, "library": {"backup_minutes": 0.1}}
    )
    env = {"SHIJIAN_DRIVE_TYPE": poem, "SHIJIAN_DRIVE_INTERVAL_MS": "25"}
    with AppProcess(tmp_path, env=env) as app:
        app.wait_for("drive_done", timeout=120)
        typed = app.wait_for("draft_saved", timeout=60, where=lambda e: e["chars"] == len(poem))
        app.wait_for(
            "backup_taken", timeout=60, where=lambda e: e["_arrived_s"] > typed["_arrived_s"]
        )
        app.kill()
    paths = AppPaths.under(tmp_path)
    fill_with_garbage(paths.database)
    # … and at the next start the poem comes back from that backup
    with AppProcess(tmp_path, env={"SHIJIAN_DRIVE_REPORT": "1"}) as again:
        recovered = again.wait_for("db_recovered", timeout=120)
        shown = again.wait_for("editor_text", timeout=120)
        again.close()
    assert recovered["restored_from"] is not None
    assert shown["text"] == poem
