"""A 1,000-line paste completes, the window keeps answering, the last analysis wins.

No timing is asserted (timings are in bench/editor_typing.py and docs/editor.md).
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication

from app.ui.editor.pane import BACKGROUND_CHARS
from tests.support.editor_pane import (
    HUANGHELOU,
    LIGHT,
    char_format,
    color_of,
    type_text,
    wait_analysis,
)

BIG = "\n".join([HUANGHELOU] * 250)  # 1,000 lines


@pytest.mark.slow
def test_thousand_line_paste_stays_responsive(qtbot, make_pane):
    pane = make_pane(delay_ms=50)
    assert len(BIG) > BACKGROUND_CHARS
    QApplication.clipboard().setText(BIG)
    pane.editor.setFocus()
    pane.editor.paste()
    assert pane.editor.document().blockCount() == 1000
    # typed characters are painted at once, before any analysis
    assert color_of(char_format(pane, 0)) == LIGHT.ru  # 昔, 入声
    assert color_of(char_format(pane, 1)) == LIGHT.ping  # 人
    # the debounce fires and the analysis runs off the GUI thread; meanwhile keep typing
    qtbot.waitUntil(lambda: pane._worker is not None, timeout=5000)
    cursor = pane.editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    pane.editor.setTextCursor(cursor)
    typed_during = pane._worker is not None
    type_text(pane.editor, "\n春风")
    QApplication.processEvents()
    assert pane.text().endswith("\n春风")
    wait_analysis(qtbot, pane, timeout=60_000)
    a = pane.analysis()
    assert a is not None and a.text == pane.text()  # the stale result was dropped
    assert len(a.lines) == 2001  # two verse lines per block, and 春风
    assert typed_during
    # the last block, typed after the paste, is painted from the final analysis
    last = pane.highlighter.record(1000)
    assert last is not None and last[0] == "春风"
    # blocks far off screen are painted when they are seen, not before
    h = pane.highlighter
    assert sum(1 for i in range(1001) if h.record(i) is None) > 500
    pane.editor.verticalScrollBar().setValue(0)
    QApplication.processEvents()
    first = h.record(0)
    assert first is not None and first[0] == HUANGHELOU.split("\n")[0]
    assert any(key is not None and key[2] >= 0 for key in first[1])  # its findings too
    # flushing paints everything
    pane.analyze_now()
    assert all(h.record(i) is not None for i in range(1001))
    assert h.pending() == 0
