"""A poem pasted with its title and author: the editor checks only the verse and offers
to move those lines into 题目 / 作者 / 附注."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from app.prosody.forms import Form
from app.prosody.rhymebook import RhymeBook
from tests.support.shell_window import JINGYESI, open_window

PASTED = "静夜思\n李白\n" + JINGYESI + "\n（一说作于扬州旅舍）"


def test_pasted_title_and_author_are_offered_to_their_fields(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    window.pane.replace_all(PASTED)  # as a paste: one edit
    analysis = window.pane.analyze_now()
    assert analysis.form is Form.WUJUE and len(analysis.lines) == 4  # not a 五律 of 6 lines
    assert window.status.form.text() == "五绝"
    qtbot.waitUntil(lambda: "frame" in window.notices.texts(), timeout=5_000)
    said = window.notices.texts()["frame"]
    assert "「静夜思」像是题目" in said and "「李白」像是作者" in said and "附注" in said
    notice = window.notices.notice("frame")
    assert notice is not None
    notice.buttons[0].click()
    assert window.meta.title_edit.text() == "静夜思"
    assert window.meta.author_edit.text() == "李白"
    assert window.meta.notes_edit.toPlainText() == "一说作于扬州旅舍"
    assert window.pane.text() == JINGYESI
    assert window.is_dirty()
    window.pane.editor.undo()  # one step brings the lines back into the text
    assert window.pane.text() == PASTED


def test_a_field_already_filled_is_kept_and_a_declined_offer_stays_declined(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    window = open_window(qtbot, tmp_path, book)
    window.meta.title_edit.setText("夜思")
    window.pane.replace_all("静夜思\n" + JINGYESI)
    window.pane.analyze_now()
    qtbot.waitUntil(lambda: "frame" in window.notices.texts(), timeout=5_000)
    window.frame_offer.move()
    assert window.meta.title_edit.text() == "夜思"  # the poet's own title stays
    assert "静夜思" in window.meta.notes_edit.toPlainText()
    # declined: not offered again for the same lines
    window.pane.replace_all("春晓\n" + JINGYESI)
    window.pane.analyze_now()
    qtbot.waitUntil(lambda: "frame" in window.notices.texts(), timeout=5_000)
    notice = window.notices.notice("frame")
    assert notice is not None
    close = next(b for b in notice.findChildren(QPushButton) if b.text() == "✕")
    close.click()  # declined
    window.pane.analyze_now()
    assert "frame" not in window.notices.texts()
    assert window.pane.text().startswith("春晓")  # nothing moved
