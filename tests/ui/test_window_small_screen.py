"""The window on a 1366×768 laptop, in Chinese and in English, with every dock open:
it fits, every button can be reached inside the window, the findings are not crushed —
and stay so after the language changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLineEdit,
    QScrollArea,
    QStyle,
    QStyleOptionComboBox,
)
from pytestqt.qtbot import QtBot

from app.prosody.rhymebook import RhymeBook
from app.storage.records import PoemData
from app.ui.i18n import Language
from tests.support.shell_window import DENGGAO
from tests.support.window_app import open_app_window

SCREEN = QRect(0, 0, 1366, 768)
FINDINGS_MIN_WIDTH = 240  # readable: a rule and the start of its message


def every_dock_open(window: Any) -> None:
    window.resize(SCREEN.size())
    window.new_document(
        PoemData(text=DENGGAO, origin="generated", model_id="qpm.gguf", reasoning="想")
    )  # a 七律 with its 生成记录 tab
    for dock in (window.library_dock, window.findings_dock):
        dock.show()
    window.compose.show()  # the assistant dock, the compose panel in front
    QApplication.processEvents()


def scroll_area_of(widget: Any) -> QScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            inner = parent.widget()
            if inner is not None and inner.isAncestorOf(widget):
                return parent
        parent = parent.parentWidget()
    return None


def out_of_reach(window: Any) -> list[str]:
    """Visible controls that cannot be reached inside the window (scrolling allowed)."""
    bad: list[str] = []
    for kind in (QAbstractButton, QComboBox, QLineEdit):
        for control in window.findChildren(kind):
            if not control.isVisible() or control.window() is not window:
                continue
            area = scroll_area_of(control)
            if area is not None:
                area.ensureWidgetVisible(control, 0, 0)
                QApplication.processEvents()
            top_left = control.mapTo(window, QPoint(0, 0))
            rect = QRect(top_left, control.size())
            name = control.objectName() or getattr(control, "text", lambda: "")() or kind.__name__
            if not SCREEN.contains(rect):
                bad.append(f"{name} at {rect.getRect()}")
            elif control.width() < min(16, control.minimumSizeHint().width()):
                bad.append(f"{name} squeezed to {control.width()} px")
    return bad


def cut_short(combo: QComboBox) -> str:
    """The combo's text when the box shows less than all of it, else ''."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, combo
    )
    text = combo.currentText()
    return text if combo.fontMetrics().horizontalAdvance(text) > field.width() else ""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_dock_open_fits_a_1366_by_768_screen(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook, lang: Language
) -> None:
    window = open_app_window(qtbot, tmp_path, book, lang=lang)
    every_dock_open(window)
    hint = window.minimumSizeHint()
    assert hint.width() <= SCREEN.width() and hint.height() <= SCREEN.height(), hint
    assert window.size() == SCREEN.size()
    assert window.side_dock.isVisible() and window.findings_dock.isVisible()
    status = window.statusBar()
    assert SCREEN.contains(QRect(status.mapTo(window, QPoint(0, 0)), status.size()))
    assert window.findings_dock.width() >= FINDINGS_MIN_WIDTH
    assert window.centralWidget().width() >= 400  # room to write in
    assert out_of_reach(window) == []
    # the header's pickers show 「诗体：自动」 / 「韵部：自动」 whole, not 「诗体：自」
    assert cut_short(window.pane.header.form_combo) == ""
    assert cut_short(window.pane.header.group_combo) == ""
    # the compose panel's own buttons, reached by scrolling its dock
    panel = window.compose.panel
    for button in (panel.form.generate_button, panel.result.insert_button):
        assert button.isVisible()


@pytest.mark.parametrize(("first", "then"), [("en", "zh"), ("zh", "en")])
def test_the_findings_are_not_crushed_after_the_language_changes(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook, first: Language, then: Language
) -> None:
    window = open_app_window(qtbot, tmp_path, book, lang=first)
    every_dock_open(window)
    window.close()  # keeps the geometry and dock layout in the settings
    window.services.library.shutdown()
    again = open_app_window(qtbot, tmp_path, book, lang=then)
    every_dock_open(again)
    qtbot.waitUntil(lambda: again.findings_dock.width() >= FINDINGS_MIN_WIDTH, timeout=5_000)
    assert again.minimumSizeHint().width() <= SCREEN.width()
    assert out_of_reach(again) == []
