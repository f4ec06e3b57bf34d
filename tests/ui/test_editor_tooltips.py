"""Hovering a character: its readings with provenance, and the findings at that spot."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from app.prosody.findings import Rule
from app.ui.editor.tooltips import source_label
from app.ui.i18n import Tr
from tests.support.editor_pane import (
    JINGYESI,
    type_text,
)


def test_tooltip_lists_readings_and_the_finding(pane):
    pane.set_text(JINGYESI)
    a = pane.analyze_now()
    tou = JINGYESI.index("头")
    tip = pane.tooltip_at(tou)
    assert "头" in tip and "平声" in tip
    c = a.char_at_offset(tou)
    for r in c.info.readings:
        assert r.group.name in tip
        assert source_label(r, Tr("zh")) in tip
    shi_nian = next(f for f in a.findings if f.rule is Rule.SHI_NIAN)
    assert shi_nian.message("zh") in tip
    assert "此处可平可仄" not in tip  # position 2 is fixed
    assert "错误" in tip


def test_tooltip_of_a_polyphone_lists_both_readings(pane):
    pane.set_text(JINGYESI)
    pane.analyze_now()
    tip = pane.tooltip_at(JINGYESI.index("望"))
    assert "平仄两读" in tip
    assert "平声" in tip and "去声" in tip


def test_tooltip_in_english(make_pane):
    pane = make_pane(lang="en", text=JINGYESI)
    a = pane.analysis()
    tou = JINGYESI.index("头")
    tip = pane.tooltip_at(tou)
    shi_nian = next(f for f in a.findings if f.rule is Rule.SHI_NIAN)
    assert shi_nian.message("en").split("「")[0] in tip
    assert "level tone" in tip and "rhyme book" in tip


def test_tooltip_marks_rhyme_and_guess(pane, editor_services):
    pane.set_text(JINGYESI)
    pane.analyze_now()
    assert "韵脚：在韵" in pane.tooltip_at(JINGYESI.index("霜"))
    pane.set_text("床前㐀月光")
    pane.analyze_now()
    info = editor_services.book.lookup("㐀")
    tip = pane.tooltip_at(2)
    if info is not None and info.readings:
        assert "推测" in tip
    else:
        assert "韵书与广韵皆无此字" in tip


def test_tooltip_before_the_analysis_shows_readings(qtbot, make_pane):
    pane = make_pane(delay_ms=60_000)
    pane.editor.setFocus()
    type_text(pane.editor, "霜")
    assert not pane.analysis_is_current()
    tip = pane.tooltip_at(0)
    assert "霜" in tip and "下平七阳" in tip


def test_a_real_hover_shows_the_tooltip(qtbot, pane):
    pane.set_text(JINGYESI)
    pane.analyze_now()
    qtbot.waitExposed(pane)
    tou = JINGYESI.index("头")
    rect = pane.editor.char_rect(tou)
    assert rect is not None
    point = rect.center().toPoint()
    viewport = pane.editor.viewport()
    assert pane.editor.char_position_at(point) == tou
    event = QHelpEvent(QEvent.Type.ToolTip, point, viewport.mapToGlobal(point))
    QApplication.sendEvent(viewport, event)
    qtbot.waitUntil(QToolTip.isVisible, timeout=3000)
    assert "失粘" in QToolTip.text()
    # between lines, over nothing: no tooltip
    QToolTip.hideText()
    far = QPoint(viewport.width() - 5, viewport.height() - 5)
    assert pane.editor.char_position_at(far) is None
