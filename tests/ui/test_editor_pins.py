"""Pinned polyphone readings: they change the verdict and follow their character."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QTextCursor

from app.prosody.analysis import PoemAnalysis
from app.prosody.findings import Rule
from app.prosody.forms import PING, ZE
from app.ui.editor.pins import PinTracker
from tests.support.editor_pane import (
    XIANGSI,
    type_text,
    wait_analysis,
)

JI = XIANGSI.index("几")  # 第2句第4字, a 仄 position; 几 reads 平 (几何) or 仄 (几案)


def _tone_fault_at(a: PoemAnalysis, offset: int) -> bool:
    return any(f.rule is Rule.TONE and f.offset == offset for f in a.findings)


def test_pinning_a_polyphone_changes_the_verdict(pane):
    pane.set_text(XIANGSI)
    a = pane.analyze_now()
    assert not _tone_fault_at(a, JI) and a.char_at_offset(JI).code == 0  # either tone
    changed: list[int] = []
    pane.pins_changed.connect(lambda: changed.append(1))
    pane.pin_char(JI, PING)
    a = pane.analyze_now()
    assert pane.pins() == {JI: PING}
    assert a.char_at_offset(JI).pinned and a.char_at_offset(JI).code == PING
    assert _tone_fault_at(a, JI)
    assert "已定音" in pane.tooltip_at(JI)
    record = pane.highlighter.record(1)
    assert record is not None and record[1][3][4] is True  # the pin corner is drawn
    pane.pin_char(JI, ZE)
    assert not _tone_fault_at(pane.analyze_now(), JI)
    pane.pin_char(JI, None)
    assert pane.pins() == {}
    assert changed == [1, 1, 1]


def test_pins_survive_edits_before_them_and_drop_with_their_character(qtbot, make_pane):
    pane = make_pane(delay_ms=20, text=XIANGSI)
    pane.set_pins({JI: PING})
    assert _tone_fault_at(pane.analyze_now(), JI)
    # type a title line above the poem
    cursor = pane.editor.textCursor()
    cursor.setPosition(0)
    pane.editor.setTextCursor(cursor)
    pane.editor.setFocus()
    type_text(pane.editor, "相思\n")
    assert pane.pins() == {JI + 3: PING}
    wait_analysis(qtbot, pane)
    assert pane.text()[JI + 3] == "几"
    # edits after the pin do not move it
    cursor.movePosition(QTextCursor.MoveOperation.End)
    pane.editor.setTextCursor(cursor)
    type_text(pane.editor, "。")
    assert pane.pins() == {JI + 3: PING}
    # undo the typing (however Qt grouped it into undo steps): the pin moves back
    doc = pane.editor.document()
    for _ in range(10):
        if pane.text() == XIANGSI or not doc.isUndoAvailable():
            break
        pane.editor.undo()
    assert pane.text() == XIANGSI
    assert pane.pins() == {JI: PING}
    # delete the pinned character: the pin is gone, also after undo
    cursor.setPosition(JI)
    cursor.setPosition(JI + 1, QTextCursor.MoveMode.KeepAnchor)
    cursor.removeSelectedText()
    assert pane.pins() == {}
    pane.editor.undo()
    assert pane.text() == XIANGSI
    assert pane.pins() == {}


def test_pins_survive_script_conversion(pane):
    text = "低头思故乡\n举头望明月"  # 望 polyphone
    pane.set_text(text)
    wang = text.index("望")
    pane.set_pins({wang: ZE})
    pane.convert_script("traditional")
    assert pane.text() != text
    assert pane.pins() == {wang: ZE}
    pane.editor.undo()
    assert pane.text() == text
    assert pane.pins() == {wang: ZE}


def test_set_text_clears_pins_and_set_pins_ignores_offsets_off_the_text(pane):
    pane.set_text(XIANGSI)
    pane.set_pins({JI: ZE, 999: PING, -1: ZE})
    assert pane.pins() == {JI: ZE}
    pane.set_text(XIANGSI)
    assert pane.pins() == {}


# ---------------------------------------------------------------- the tracker as a model
_edit = st.tuples(
    st.integers(min_value=0, max_value=40),  # where
    st.integers(min_value=0, max_value=4),  # how many removed
    st.text(alphabet="春风明月几看望", max_size=4),  # what is inserted
)


def _reader(text: str) -> Callable[[int], str]:
    return lambda p: text[p : p + 1]


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet="春风明月几看望，", min_size=1, max_size=30),
    pinned=st.sets(st.integers(min_value=0, max_value=29), max_size=5),
    edits=st.lists(_edit, max_size=8),
)
def test_tracker_keeps_pins_on_their_characters(text, pinned, edits):
    """Model: every character carries a tag; a pin must sit on the tagged character."""
    tracker = PinTracker(lambda a, b: a == b)
    chars = [(ch, i) for i, ch in enumerate(text)]  # (character, identity)
    alive = {i for i in pinned if i < len(text)}
    for i in alive:
        tracker.set(i, text[i], PING)
    next_id = len(text)
    for at, cut, inserted in edits:
        where = min(at, len(chars))
        removed = min(cut, len(chars) - where)
        gone = {ident for _ch, ident in chars[where : where + removed]}
        new = [(ch, next_id + k) for k, ch in enumerate(inserted)]
        next_id += len(inserted)
        chars[where : where + removed] = new
        now = "".join(ch for ch, _ in chars)
        tracker.on_change(where, removed, len(inserted), _reader(now))
        alive -= gone
        expected = {k for k, (_ch, ident) in enumerate(chars) if ident in alive}
        # a same-length replacement by the same character keeps the pin (a conversion)
        assert expected <= set(tracker.positions())
        for p in tracker.positions():
            assert 0 <= p < len(chars)
    now = "".join(ch for ch, _ in chars)
    assert set(tracker.offsets(now)) == set(tracker.positions())
