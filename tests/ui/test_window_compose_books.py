"""The whole app with the modern rhyme books and couplets: the real window, the model
manager, the engine process and the tiny model. Strict metre in 中华通韵 keeps that book's
rhymes all the way into the editor and the library; a 下联 is written for a given 上联."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.engine.requests import Sampling
from app.prosody.books import BookKind
from app.prosody.forms import Form
from app.prosody.rhymebook import RhymeBook
from tests.support.compose_run import generate, generate_poem
from tests.support.engine_fixtures import (  # noqa: F401
    qwen2_vocab_fixture,
    tiny_model_fixture,
)
from tests.support.shell_window import save_and_wait
from tests.support.window_app import add_in_manager, open_app_window, small_context

pytestmark = [pytest.mark.timeout(300), pytest.mark.model]


def test_strict_metre_in_tongyun_then_a_couplet_through_the_window(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook, tiny_model: Path
) -> None:
    window = open_app_window(qtbot, tmp_path, book, settings=small_context())
    add_in_manager(qtbot, window, tiny_model)
    panel = window.compose.panel
    assert panel is not None
    panel.sampling = Sampling(max_tokens=200, seed=3)
    form = panel.form

    # 七绝 in 中华通韵, 十三昂, strict
    tong = window.services.books().book(BookKind.TONGYUN)
    ang = tong.find_group("十三昂")
    assert ang is not None
    form.theme.setText("还乡")
    form.form.setCurrentIndex(form.form.findData(Form.QIJUE))
    form.select_group(ang.id)  # chooses the book too
    assert form.rhyme_book() is BookKind.TONGYUN
    form.strict.setChecked(True)
    poem = generate_poem(qtbot, panel, 180_000)
    assert poem.book == "tongyun" and len(poem.lines) == 4
    analysis = panel.result.analysis()
    assert analysis is not None and analysis.book is BookKind.TONGYUN
    assert not analysis.errors, [f.message() for f in analysis.errors]
    assert analysis.rhyme_group is ang
    for i in (1, 3):  # the rhymes are 通韵十三昂's
        info = tong.lookup(poem.lines[i][-1])
        assert info is not None and ang.id in info.ping_groups

    # insert: the editor reads it in 通韵, and it is saved with its book
    panel.result.insert_button.click()
    pane = window.pane
    assert pane.book_kind() is BookKind.TONGYUN and pane.header.book_button.text() == "通韵"
    assert not pane.analyze_now().errors
    record = save_and_wait(qtbot, window)
    assert record.rhyme_book == "tongyun" and record.rhyme_group == "通韵十三昂"

    # 对联: the model answers a given 上联; strict metre keeps it opposed and 平收
    form.form.setCurrentIndex(form.form.findData(Form.DUILIAN))
    form.first_line.setText("书山有路勤为径")
    generate(qtbot, panel, 180_000)
    couplet = panel.result.poem()
    assert couplet is not None, panel.result.status.text()
    assert couplet.form == "对联" and couplet.text.startswith("书山有路勤为径\n")
    second = couplet.text.split("\n")[1]
    assert len(second) == 7
    checked = panel.result.analysis()
    assert checked is not None and checked.form is Form.DUILIAN
    assert not [f for f in checked.errors if f.rule.is_tonal], [f.message() for f in checked.errors]
