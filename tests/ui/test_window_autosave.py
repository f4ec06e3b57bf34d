"""Autosave is bounded: typing that never pauses still writes a draft every interval."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.prosody.rhymebook import RhymeBook
from app.settings import Settings
from tests.support.shell_window import open_window, type_text

# 杜甫《登高》 typed as one stream, no pause anywhere
TEXT = "风急天高猿啸哀渚清沙白鸟飞回无边落木萧萧下不尽长江滚滚来万里悲秋常作客"


def test_typing_without_a_pause_still_writes_drafts_within_the_interval(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    settings = Settings()
    settings = replace(settings, editor=replace(settings.editor, autosave_seconds=0.5))
    window = open_window(qtbot, tmp_path, book, settings=settings)
    saved: list[tuple[float, str]] = []  # (when it landed, the draft's text)
    window.autosaver.saved.connect(
        lambda record: (
            saved.append((time.monotonic(), record.poem.text)) if record is not None else None
        )
    )
    window.pane.editor.setFocus()
    keys: list[float] = []
    for ch in TEXT:  # a key every 60 ms: the pause the old timer waited for never comes
        type_text(window.pane.editor, ch)
        keys.append(time.monotonic())
        qtbot.wait(60)
    typing_ended = keys[-1]
    assert typing_ended - keys[0] > 1.5  # three intervals and more of uninterrupted typing
    during = [(t, n) for t, n in saved if t <= typing_ended]
    assert len(during) >= 2, f"drafts written while typing: {during}"
    # no key stayed unwritten much longer than the interval (generous for a loaded machine)
    landed = [keys[0], *(t for t, _ in during)]
    gaps = [b - a for a, b in itertools.pairwise(landed)]
    assert max(gaps) < 0.5 + 1.5, gaps
    texts = [text for _, text in during]
    assert all(TEXT.startswith(text) for text in texts)
    assert [len(t) for t in texts] == sorted(len(t) for t in texts) and texts[-1]
