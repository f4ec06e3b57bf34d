"""The findings list: filled from each analysis; selecting a finding moves the cursor."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidgetItem
from pytestqt.qtbot import QtBot

from app.prosody.findings import Rule
from app.ui.editor import FindingsPanel, connect_findings
from app.ui.editor.findings_panel import MAX_ROWS
from app.ui.i18n import Tr
from tests.support.editor_pane import (
    HUANGHELOU,
    JINGYESI,
    type_text,
    wait_analysis,
)


def _panel(qtbot: QtBot, lang: str = "zh") -> FindingsPanel:
    panel = FindingsPanel(Tr(lang))  # type: ignore[arg-type]
    qtbot.addWidget(panel)
    panel.resize(480, 400)
    panel.show()
    return panel


def _top(panel: FindingsPanel, i: int) -> QTreeWidgetItem:
    item = panel.tree.topLevelItem(i)
    assert item is not None
    return item


def test_panel_lists_every_finding_grouped_by_line(qtbot, pane):
    panel = _panel(qtbot)
    connect_findings(pane, panel)
    pane.set_text(JINGYESI)
    a = pane.analyze_now()
    rows = panel.rows()
    assert len(rows) == len(a.findings)
    messages = {r.text(1) for r in rows}
    assert {f.message("zh") for f in a.findings} == messages
    titles = [_top(panel, i).text(0) for i in range(panel.tree.topLevelItemCount())]
    assert titles == sorted(set(titles), key=titles.index)
    assert "第3句" in titles
    assert panel.summary.text() == a.summary_zh


def test_clicking_a_finding_moves_the_cursor_and_focuses_the_editor(qtbot, pane):
    panel = _panel(qtbot)
    connect_findings(pane, panel)
    pane.set_text(JINGYESI)
    pane.analyze_now()
    pane.activateWindow()
    row = next(r for r in panel.rows() if r.data(0, Qt.ItemDataRole.UserRole).rule is Rule.SHI_NIAN)
    panel.tree.scrollToItem(row)
    rect = panel.tree.visualItemRect(row)
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    cursor = pane.editor.textCursor()
    tou = JINGYESI.index("头")
    assert (cursor.selectionStart(), cursor.selectionEnd()) == (tou, tou + 1)
    qtbot.waitUntil(pane.editor.hasFocus, timeout=3000)


def test_panel_follows_edits(qtbot, make_pane):
    pane = make_pane(delay_ms=20)
    panel = _panel(qtbot)
    connect_findings(pane, panel)
    pane.set_text(JINGYESI)
    before = len(panel.rows())
    cursor = pane.editor.textCursor()
    cursor.setPosition(JINGYESI.index("头"))
    cursor.setPosition(JINGYESI.index("头") + 1, cursor.MoveMode.KeepAnchor)
    pane.editor.setTextCursor(cursor)
    pane.editor.setFocus()
    type_text(pane.editor, "首")  # 首 is 仄: no 失粘, no 失对
    wait_analysis(qtbot, pane)
    assert len(panel.rows()) < before
    assert not any(r.data(0, Qt.ItemDataRole.UserRole).rule is Rule.SHI_NIAN for r in panel.rows())


def test_f8_steps_through_the_findings(qtbot, pane):
    pane.set_text(JINGYESI)
    a = pane.analyze_now()
    cursor = pane.editor.textCursor()
    cursor.setPosition(0)
    pane.editor.setTextCursor(cursor)
    qtbot.keyClick(pane.editor, Qt.Key.Key_F8)
    first = min(f.offset for f in a.findings if f.offset is not None and f.pos is not None)
    assert pane.editor.textCursor().selectionStart() == first
    qtbot.keyClick(pane.editor, Qt.Key.Key_F8, Qt.KeyboardModifier.ShiftModifier)
    last = max(f.offset for f in a.findings if f.offset is not None and f.pos is not None)
    assert pane.editor.textCursor().selectionStart() == last


def test_clean_poem_and_english(qtbot, make_pane):
    pane = make_pane(lang="en")
    panel = _panel(qtbot, "en")
    connect_findings(pane, panel)
    pane.set_text("")
    assert panel.rows() == []
    assert "Findings appear" in panel.summary.text()
    pane.set_text(HUANGHELOU)
    a = pane.analyze_now()
    assert panel.summary.text() == a.summary_en
    assert {r.text(1) for r in panel.rows()} == {f.message("en") for f in a.findings}


def test_a_huge_list_is_cut(qtbot, pane):
    panel = _panel(qtbot)
    connect_findings(pane, panel)
    pane.set_text("\n".join([JINGYESI] * 200))
    a = pane.analyze_now()
    assert len(a.findings) > MAX_ROWS
    assert len(panel.rows()) == MAX_ROWS
    last = _top(panel, panel.tree.topLevelItemCount() - 1)
    assert str(len(a.findings) - MAX_ROWS) in last.text(1)
