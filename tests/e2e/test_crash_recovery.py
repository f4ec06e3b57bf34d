"""Nothing typed is lost: the real app, killed with SIGKILL before any save, gives the text back.

The app runs as a subprocess (``python -m app --basedir TMP``, offscreen). Its
test drive (``SHIJIAN_DRIVE_TYPE``, see app/ui/window/drive.py) types a
poem into the real editor as key events once start-up is done; autosave writes
drafts (``draft_saved`` is logged once the library has committed one). The
test kills the process with SIGKILL — no close, no flush — and starts it again:
the editor must hold the text of the last acknowledged draft (or later text).
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.app_process import AppProcess, write_settings

POEM = "白日依山尽\n黄河入海流\n欲穷千里目\n更上一层楼"
DRIVE = {"SHIJIAN_DRIVE_INTERVAL_MS": "25", "SHIJIAN_DRIVE_REPORT": "1"}
DENGGAO_STREAM = (
    "风急天高猿啸哀渚清沙白鸟飞回无边落木萧萧下不尽长江滚滚来"
    "万里悲秋常作客百年多病独登台艰难苦恨繁霜鬓潦倒新停浊酒杯"
)

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL")


def restarted_text(base: Path) -> tuple[str, dict[str, Any]]:
    """Start the app, read what its editor shows after start-up, close it properly."""
    with AppProcess(base, env={"SHIJIAN_DRIVE_REPORT": "1"}) as app:
        shown = app.wait_for("editor_text", timeout=120)
        checked = app.named("drafts_checked")[-1]
        app.close()
    return shown["text"], checked


def test_a_poem_typed_and_never_saved_survives_sigkill(tmp_path: Path) -> None:
    write_settings(tmp_path, {"editor": {"autosave_seconds": 0.5}})
    with AppProcess(tmp_path, env={**DRIVE, "SHIJIAN_DRIVE_TYPE": POEM}) as app:
        app.wait_for("drive_done", timeout=120)
        acked = app.wait_for("draft_saved", timeout=60, where=lambda e: e["chars"] == len(POEM))
        assert not app.named("poem_saved")  # never saved explicitly
        app.kill()  # SIGKILL: no close event, no flush
    text, checked = restarted_text(tmp_path)
    assert text == POEM
    assert checked["restored"] is True
    log = (tmp_path / "logs" / "shijian.log").read_text(encoding="utf-8")
    assert '"event": "draft_restored"' in log and acked["sha"] in log


def test_a_normal_close_keeps_even_the_last_keystrokes(tmp_path: Path) -> None:
    # a long autosave delay: only the close itself can have written the draft
    write_settings(tmp_path, {"editor": {"autosave_seconds": 600}})
    with AppProcess(tmp_path, env={**DRIVE, "SHIJIAN_DRIVE_TYPE": POEM}) as app:
        app.wait_for("drive_done", timeout=120)
        assert not app.named("draft_saved")
        assert app.close() == 0  # SIGTERM: the window closes properly
        closing = app.named("window_closing")[-1]
        assert closing["draft_flushed"] is True
    assert restarted_text(tmp_path)[0] == POEM


def test_typing_without_a_pause_and_sigkill_keeps_all_but_the_last_seconds(
    tmp_path: Path,
) -> None:
    # 《登高》 typed as one stream, a key every 60 ms, killed 0.3 s after the last key; the
    # default interval (2 s) is never a pause in this typing, yet drafts must be written
    text = DENGGAO_STREAM
    with AppProcess(
        tmp_path,
        env={
            "SHIJIAN_DRIVE_INTERVAL_MS": "60",
            "SHIJIAN_DRIVE_TYPE": text,
            "SHIJIAN_DRIVE_TRACE": "1",
        },
    ) as app:
        done = app.wait_for("drive_done", timeout=180)
        time.sleep(0.3)
        while_typing = [e for e in app.named("draft_saved") if e["t_ms"] <= done["t_ms"]]
        acked = [e["chars"] for e in app.named("draft_saved")]
        keys = {e["n"]: e["t_ms"] for e in app.named("drive_key")}
        app.kill()
    assert while_typing, "no draft was written while the typing went on"
    restored, _ = restarted_text(tmp_path)
    assert text.startswith(restored) and len(restored) >= acked[-1]
    # what was lost was typed within the last interval or so before the end of typing
    first_lost = keys.get(len(restored) + 1)
    if first_lost is not None:
        assert done["t_ms"] - first_lost < 2000 + 1500, (len(restored), len(text))


@pytest.mark.slow
def test_killed_at_random_moments_the_acknowledged_text_always_survives(tmp_path: Path) -> None:
    seed = int(os.environ.get("SHIJIAN_CRASH_SEED", time.time_ns() % 10_000))
    rng = random.Random(seed)
    write_settings(tmp_path, {"editor": {"autosave_seconds": 0.5}})
    chunks = ["床前明月光\n", "疑是地上霜\n", "举头望明月\n", "低头思故乡"]
    base = ""  # what the editor holds when a run starts
    for cycle, chunk in enumerate(chunks):
        with AppProcess(tmp_path, env={**DRIVE, "SHIJIAN_DRIVE_TYPE": chunk}) as app:
            shown = app.wait_for("editor_text", timeout=120)["text"]
            assert shown == base, f"seed {seed}, cycle {cycle}"
            app.wait_for("drive_started", timeout=60)
            time.sleep(rng.uniform(0.0, len(chunk) * 0.025 + 1.5))  # typing, pausing, autosaving
            acked = [e["chars"] for e in app.named("draft_saved")]
            app.kill()
        typed = base + chunk
        text, _ = restarted_text(tmp_path)
        assert typed.startswith(text), f"seed {seed}, cycle {cycle}: {text!r} is not typed text"
        if acked:
            assert len(text) >= acked[-1], f"seed {seed}, cycle {cycle}: lost acknowledged text"
        base = text
