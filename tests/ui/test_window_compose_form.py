"""The compose panel as a new user meets it: why 生成 is disabled, the form of the poem in
the editor, boxes tall enough to read, and the no-model message said once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QLabel, QPlainTextEdit, QTextBrowser
from pytestqt.qtbot import QtBot

from app.prosody.forms import Form
from app.prosody.rhymebook import RhymeBook
from app.storage.records import PoemData
from tests.support.compose_run import generate
from tests.support.shell_window import DENGGAO, JINGYESI
from tests.support.window_app import open_app_window


def shown_texts(root: Any) -> list[str]:
    """Every text a user can see in ``root``: labels, text boxes, notices."""
    texts: list[str] = []
    for label in root.findChildren(QLabel):
        if label.isVisible():
            texts.append(label.text())
    for box in root.findChildren(QPlainTextEdit):
        if box.isVisible():
            texts.append(box.toPlainText())
    for browser in root.findChildren(QTextBrowser):
        if browser.isVisible():
            texts.append(browser.toPlainText())
    return texts


def test_generate_says_why_it_is_disabled(qtbot: QtBot, tmp_path: Path, book: RhymeBook) -> None:
    window = open_app_window(qtbot, tmp_path, book)
    form = window.compose.show().form
    assert not form.generate_button.isEnabled()
    assert form.hint.isVisible() and "主题" in form.hint.text()
    assert "主题" in form.generate_button.toolTip()
    form.theme.setText("秋思")
    assert form.generate_button.isEnabled() and not form.hint.isVisible()
    form.theme.setText("")
    form.title.setText("登楼")  # a title is enough too
    assert form.generate_button.isEnabled() and not form.hint.isVisible()


def test_the_form_follows_the_poem_in_the_editor(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_app_window(qtbot, tmp_path, book)
    window.pane.set_text(JINGYESI)  # a 五绝
    window.pane.analyze_now()
    panel = window.compose.show()
    assert panel.form.form.currentData() == Form.WUJUE
    window.new_document(PoemData(text=DENGGAO))  # a 七律 opened
    assert panel.form.form.currentData() == Form.QILV
    window.pin_form(Form.WULV.value)  # the poet pins a form: that one
    window.compose.show()
    assert panel.form.form.currentData() == Form.WULV


def test_the_reasoning_and_the_result_have_room_to_read(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_app_window(qtbot, tmp_path, book)
    window.resize(1366, 768)
    panel = window.compose.show()
    QApplication.processEvents()
    line = panel.fontMetrics().lineSpacing()
    assert panel.reasoning.view.height() >= 6 * line
    assert panel.result.stack.height() >= 8 * line


def test_with_no_model_the_message_appears_once(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_app_window(qtbot, tmp_path, book)
    panel = window.compose.show()
    panel.form.theme.setText("秋思")
    generate(qtbot, panel, 30_000)
    qtbot.wait(200)
    said = [t for t in shown_texts(window) if "还没有选择模型" in t]
    said += [t for t in window.notices.texts().values() if "还没有选择模型" in t]
    assert len(said) == 1, said
    assert "模型管理" in said[0]
