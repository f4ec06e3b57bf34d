"""A library scored under an older rule shows the scores of today's rule once opened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from app.paths import AppPaths
from app.prosody.rhymebook import RhymeBook
from app.prosody.scorer import SCORE_RULE
from app.storage.db import open_library
from app.storage.records import PoemData, Scores
from app.storage.rescore import RULE_KEY
from app.ui.library import ops
from tests.support.shell_window import DENGGAO, JINGYESI, call, events, open_window
from tests.support.storage_options import library_options

SHAN_XING = "远上寒山石径斜\n白云生处有人家\n停车坐爱枫林晚\n霜叶红于二月花"


def _old_library(base: Path) -> dict[str, int]:
    """Poems saved by a version whose score was the weighted mean alone (no rule recorded)."""
    paths = AppPaths.under(base).ensure()
    library, _ = open_library(paths, library_options(base))
    old = [
        # 静夜思: three errors; the weighted mean gave it 96
        PoemData(title="静夜思", text=JINGYESI, form="五绝", rhyme_group="下平七阳",
                 scores=Scores(tones=90.0, rhymes=100.0, antithesis=100.0, length=100.0,
                               total=96.0)),
        PoemData(title="登高", text=DENGGAO, form="七律", rhyme_group="上平十灰",
                 scores=Scores(tones=100.0, rhymes=100.0, antithesis=100.0, length=100.0,
                               total=100.0)),
        # 山行 kept in 通韵, where 斜 (xié) is 出韵
        PoemData(title="山行", text=SHAN_XING, form="七绝", rhyme_group="通韵一啊",
                 rhyme_book="tongyun", scores=Scores(total=98.6)),
    ]  # fmt: skip
    ids = {data.title: library.save_poem(data).id for data in old}
    library.close()
    return ids


def _shown_scores(window: object) -> dict[str, str]:
    model = window.library_panel.model  # type: ignore[attr-defined]
    column = 3  # title, form, rhyme, score, updated
    return {
        model.record(row).title: model.data(model.index(row, column))
        for row in range(model.rowCount())
    }


def _open_until_rescored(qtbot: QtBot, tmp_path: Path, book: RhymeBook) -> tuple[Any, list[int]]:
    """The window on the library in ``tmp_path``, once its look at the stored scores is
    done: the window and what the rescoring said (how many poems and revisions it scored)."""
    finished: list[int] = []
    window = open_window(
        qtbot, tmp_path, book,
        before_start=lambda w: w.rescore.finished.connect(finished.append),
    )  # fmt: skip
    qtbot.waitUntil(lambda: bool(finished), timeout=60_000)
    return window, finished


def test_old_scores_are_made_again_when_the_library_opens(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    ids = _old_library(tmp_path)
    window, finished = _open_until_rescored(qtbot, tmp_path, book)
    qtbot.waitUntil(lambda: _shown_scores(window).get("静夜思") == "61", timeout=30_000)
    # the grader's figure, not the old 96; a poem without errors keeps its 100; 山行 is
    # scored in its own book (one 出韵 in 通韵: at most 89)
    shown = _shown_scores(window)
    assert shown["登高"] == "100"
    jing = call(window, ops.get, ids["静夜思"])
    assert jing.scores.total == 61.4 and jing.scores.tones == 90.0
    shan = call(window, ops.get, ids["山行"])
    assert shan.scores.total is not None and shan.scores.total <= 89
    assert shown["山行"] == f"{shan.scores.total:.0f}"
    # the revisions say the same; the poems themselves did not change
    [rev] = call(window, ops.revisions, ids["静夜思"])
    assert rev.scores.total == 61.4 and len(call(window, ops.revisions, ids["登高"])) == 1
    assert finished == [4]  # 静夜思 and 山行, each with its revision (登高 stays 100)
    [event] = events(window, "scores_rescored")
    assert event["rule"] == SCORE_RULE


def test_a_library_of_this_rule_is_not_scored_again(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    paths = AppPaths.under(tmp_path).ensure()
    library, _ = open_library(paths, library_options(tmp_path))
    # a figure no rule gives, in a library that says it follows today's rule: left alone
    poem = library.save_poem(PoemData(title="静夜思", text=JINGYESI, scores=Scores(total=42.0)))
    library.store_scores(SCORE_RULE, [])
    library.close()
    window, finished = _open_until_rescored(qtbot, tmp_path, book)
    assert finished == [0] and call(window, ops.get, poem.id).scores.total == 42.0
    assert RULE_KEY == "score_rule"
