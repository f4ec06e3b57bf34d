"""A 词 composed in the real main window: the compose panel follows the editor's 词 mode,
the tiny model writes a strict 词 through the engine process, inserting it opens it in 词
mode against its 体, and saving and reopening keep its 词牌 and 体."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.engine.requests import Sampling
from app.prosody.ci import CiAnalysis, CiTarget
from app.prosody.rhymebook import RhymeBook
from tests.support.cipu_fixture import fixture_table
from tests.support.compose_run import generate_poem
from tests.support.engine_fixtures import (  # noqa: F401
    qwen2_vocab_fixture,
    tiny_model_fixture,
)
from tests.support.shell_window import save_and_wait
from tests.support.window_app import open_app_window, small_context

pytestmark = [pytest.mark.timeout(240), pytest.mark.model]


def test_a_composed_ci_opens_in_ci_mode_and_keeps_its_tune(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook, tiny_model: Path
) -> None:
    settings = small_context(model_path=str(tiny_model))
    window: Any = open_app_window(qtbot, tmp_path, book, settings=settings)
    data_dir = window.services.default_data_dir
    assert data_dir is not None
    fixture_table(data_dir / "cipu")  # the 词谱 the window finds in its data folder
    checker = window.pane.ci_checker()
    assert checker is not None
    form = checker.table.form("虞美人#0")
    window.pane.set_ci_target(CiTarget(checker, checker.table.find("虞美人"), form))

    panel = window.compose.show()  # follows the editor: a 词 of its 体
    assert panel.form.is_ci and panel.form.ci is not None and panel.form.ci.form() == form
    panel.sampling = Sampling(max_tokens=600, seed=7)
    panel.form.theme.setText("春愁")
    panel.form.strict.setChecked(True)
    panel.form.budget.setValue(8)
    poem = generate_poem(qtbot, panel, 150_000)
    assert isinstance(panel.result.analysis(), CiAnalysis)

    window.pane.set_ci_target(None)  # the editor back in 诗 mode: inserting brings 词 back
    panel.result.insert_button.click()
    assert window.pane.text() == poem.text
    target = window.pane.ci_target()
    assert target is not None and target.form is not None and target.form.key == "虞美人#0"
    analysis = window.pane.analyze_now()
    assert isinstance(analysis, CiAnalysis) and not analysis.errors

    record = save_and_wait(qtbot, window)
    assert (record.form, record.tune, record.ci_form) == ("词", "虞美人", "虞美人#0")
    window.new_document()
    assert window.pane.ci_target() is None
    with qtbot.waitSignal(window.document_loaded, timeout=30_000):
        window.open_poem(record.id)
    again = window.pane.ci_target()
    assert again is not None and again.form is not None and again.form.key == "虞美人#0"
