"""The library panel on a real SQLite library: search, filters, sort, trash."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from app.paths import AppPaths
from app.storage.errors import PoemNotFoundError
from app.storage.records import PoemData, PoemRecord, Scores
from app.ui.i18n import Tr
from app.ui.library import ops
from app.ui.library.client import LibraryClient
from app.ui.library.panel import LibraryPanel

POEMS = (
    PoemData(title="静夜思", author="李白", text="床前明月光\n疑是地上霜\n举头望明月\n低头思故乡",
             form="五绝", rhyme_group="下平七阳", tags=("思乡", "月"), scores=Scores(total=72.0)),
    PoemData(title="春晓", author="孟浩然", text="春眠不觉晓\n处处闻啼鸟\n夜来风雨声\n花落知多少",
             form="五绝", rhyme_group="上声十七筱", tags=("春",), scores=Scores(total=55.0)),
    PoemData(title="登高", author="杜甫", text="风急天高猿啸哀\n渚清沙白鸟飞回",
             form="七律", rhyme_group="上平十灰", tags=("秋", "登临"), scores=Scores(total=98.5)),
    PoemData(title="月夜", author="杜甫", text="今夜鄜州月\n闺中只独看",
             form="五律", rhyme_group="上平十四寒", tags=("月",), scores=Scores(total=90.0)),
)  # fmt: skip


@pytest.fixture
def client(tmp_path: Path) -> Iterator[LibraryClient]:
    library = LibraryClient(AppPaths.under(tmp_path).ensure())
    library.start()
    assert library.wait_opened(60) and library.failure is None
    yield library
    library.shutdown()


@pytest.fixture
def stored(client: LibraryClient) -> list[PoemRecord]:
    return [client.submit(ops.save_poem, p, None, None).result(30) for p in POEMS]


@pytest.fixture
def panel(qtbot: QtBot, client: LibraryClient, stored: list[PoemRecord]) -> LibraryPanel:
    widget = LibraryPanel(client, Tr("zh"))
    qtbot.addWidget(widget)
    widget.show()
    refresh(qtbot, widget)
    return widget


def refresh(qtbot: QtBot, panel: LibraryPanel) -> list[str]:
    with qtbot.waitSignal(panel.refreshed, timeout=30_000):
        panel.refresh_now()
    return titles(panel)


def titles(panel: LibraryPanel) -> list[str]:
    return [r.title for r in panel.model.records()]


def search(qtbot: QtBot, panel: LibraryPanel, text: str) -> list[str]:
    with qtbot.waitSignal(panel.refreshed, timeout=30_000):
        panel.search_edit.setText(text)  # debounced: one query after typing stops
    return titles(panel)


def choose(qtbot: QtBot, panel: LibraryPanel, combo: QComboBox, data: object) -> list[str]:
    with qtbot.waitSignal(panel.refreshed, timeout=30_000):
        combo.setCurrentIndex(combo.findData(data))
    return titles(panel)


def test_lists_everything_newest_first_with_score_and_form(panel: LibraryPanel) -> None:
    assert titles(panel) == ["月夜", "登高", "春晓", "静夜思"]
    assert panel.count_label.text() == "4 首"
    row = panel.model.row_of(next(r.id for r in panel.model.records() if r.title == "登高"))
    assert panel.model.index(row, 1).data() == "七律"
    assert panel.model.index(row, 2).data() == "上平十灰"
    assert panel.model.index(row, 3).data() == "98"
    assert "杜甫" in panel.model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole)


def test_search_finds_title_text_author_and_tag(qtbot: QtBot, panel: LibraryPanel) -> None:
    assert search(qtbot, panel, "春晓") == ["春晓"]  # title
    assert search(qtbot, panel, "明月") == ["静夜思"]  # text
    assert search(qtbot, panel, "杜甫") == ["月夜", "登高"]  # author
    assert search(qtbot, panel, "登临") == ["登高"]  # tag
    assert search(qtbot, panel, "杜甫 月") == ["月夜"]  # every word must match
    assert search(qtbot, panel, "无此诗") == []
    assert panel.count_label.text() == "0 首"
    assert search(qtbot, panel, "") == ["月夜", "登高", "春晓", "静夜思"]


def test_filters_by_form_rhyme_group_and_tag(qtbot: QtBot, panel: LibraryPanel) -> None:
    assert choose(qtbot, panel, panel.form_combo, "五绝") == ["春晓", "静夜思"]
    assert choose(qtbot, panel, panel.form_combo, None) == ["月夜", "登高", "春晓", "静夜思"]
    # the tag and rhyme-group filters offer what the library holds
    tags = [panel.tag_combo.itemData(i) for i in range(1, panel.tag_combo.count())]
    assert tags == sorted(["思乡", "月", "春", "秋", "登临"])
    assert panel.tag_combo.itemText(panel.tag_combo.findData("月")) == "月 (2)"
    assert choose(qtbot, panel, panel.tag_combo, "月") == ["月夜", "静夜思"]
    groups = [panel.group_combo.itemData(i) for i in range(1, panel.group_combo.count())]
    assert "下平七阳" in groups and "上平十灰" in groups
    assert choose(qtbot, panel, panel.group_combo, "下平七阳") == ["静夜思"]
    # filters combine
    assert choose(qtbot, panel, panel.form_combo, "七律") == []


def test_sorts_by_title_score_and_created(qtbot: QtBot, panel: LibraryPanel) -> None:
    by_score = choose(qtbot, panel, panel.sort_combo, "score")
    assert by_score == ["登高", "月夜", "静夜思", "春晓"]
    with qtbot.waitSignal(panel.refreshed, timeout=30_000):
        panel.order_button.setChecked(False)  # ascending
    assert titles(panel) == ["春晓", "静夜思", "月夜", "登高"]
    assert panel.order_button.text() == "↑"
    assert choose(qtbot, panel, panel.sort_combo, "created") == ["静夜思", "春晓", "登高", "月夜"]
    by_title = choose(qtbot, panel, panel.sort_combo, "title")
    assert by_title == sorted(by_title)


def test_delete_goes_to_the_trash_and_restore_brings_it_back(
    qtbot: QtBot, panel: LibraryPanel, client: LibraryClient, stored: list[PoemRecord]
) -> None:
    target = stored[1]  # 春晓
    assert panel.select_poem(target.id)
    with qtbot.waitSignal(panel.poem_deleted, timeout=30_000) as deleted:
        panel.delete_button.click()
    assert deleted.args == [target.id]
    qtbot.waitUntil(lambda: "春晓" not in titles(panel), timeout=30_000)
    assert client.submit(ops.get, target.id).result(30).in_trash

    with qtbot.waitSignal(panel.refreshed, timeout=30_000):
        panel.trash_button.setChecked(True)
    assert titles(panel) == ["春晓"]
    assert panel.restore_button.isVisible() and not panel.delete_button.isVisible()
    assert panel.count_label.text() == "回收站 1 首"
    panel.select_poem(target.id)
    with qtbot.waitSignal(panel.poem_restored, timeout=30_000):
        panel.restore_button.click()
    qtbot.waitUntil(lambda: titles(panel) == [], timeout=30_000)
    assert not client.submit(ops.get, target.id).result(30).in_trash


def test_emptying_the_trash_asks_and_deletes_for_good(
    qtbot: QtBot, panel: LibraryPanel, client: LibraryClient, stored: list[PoemRecord]
) -> None:
    for record in stored[:2]:
        client.submit(ops.delete, record.id).result(30)
    with qtbot.waitSignal(panel.refreshed, timeout=30_000):
        panel.trash_button.setChecked(True)
    assert sorted(titles(panel)) == sorted(["静夜思", "春晓"])

    questions: list[str] = []

    def say_no(question: str) -> bool:
        questions.append(question)
        return False

    panel.confirm = say_no
    panel.empty_button.click()
    assert questions and "2 首诗" in questions[0]
    assert client.submit(ops.get, stored[0].id).result(30).in_trash  # still there

    panel.confirm = lambda q: True
    with qtbot.waitSignal(panel.trash_emptied, timeout=30_000) as emptied:
        panel.empty_button.click()
    assert emptied.args == [2]
    qtbot.waitUntil(lambda: titles(panel) == [], timeout=30_000)
    with pytest.raises(PoemNotFoundError):
        client.submit(ops.get, stored[0].id).result(30)
    backups = AppPaths.under(Path(client.report.database).parents[1]).backups
    assert any("before-empty-trash" in p.name for p in backups.iterdir())


def test_activating_a_row_asks_to_open_that_poem(
    qtbot: QtBot, panel: LibraryPanel, stored: list[PoemRecord]
) -> None:
    row = panel.model.row_of(stored[2].id)
    with qtbot.waitSignal(panel.open_requested, timeout=5_000) as opened:
        panel.table.activated.emit(panel.model.index(row, 0))
    assert opened.args == [stored[2].id]
    panel.select_poem(stored[0].id)
    with qtbot.waitSignal(panel.open_requested, timeout=5_000) as opened:
        panel.open_button.click()
    assert opened.args == [stored[0].id]


def test_english_labels(qtbot: QtBot, client: LibraryClient, stored: list[PoemRecord]) -> None:
    panel = LibraryPanel(client, Tr("en"))
    qtbot.addWidget(panel)
    refresh(qtbot, panel)
    assert panel.count_label.text() == "4 poem(s)"
    assert panel.model.headerData(0, Qt.Orientation.Horizontal) == "Title"
    assert panel.form_combo.itemText(0) == "All forms"


def test_renaming_a_tag_merges_it_everywhere(
    qtbot: QtBot, panel: LibraryPanel, client: LibraryClient, stored: list[PoemRecord]
) -> None:
    assert not panel.rename_tag_button.isEnabled()  # no tag chosen
    assert choose(qtbot, panel, panel.tag_combo, "春") == ["春晓"]
    assert panel.rename_tag_button.isEnabled()
    panel.ask_text = lambda question, default: "月"  # merge 春 into the existing 月
    with qtbot.waitSignal(panel.tag_renamed, timeout=30_000) as renamed:
        panel.rename_tag_button.click()
    assert renamed.args == ["春", "月"]
    qtbot.waitUntil(lambda: titles(panel) == ["月夜", "春晓", "静夜思"], timeout=30_000)
    assert panel.tag_combo.currentData() == "月"
    assert client.submit(ops.get, stored[1].id).result(30).tags == ("月",)
    tags = [t.name for t in client.submit(ops.tags).result(30)]
    assert "春" not in tags
