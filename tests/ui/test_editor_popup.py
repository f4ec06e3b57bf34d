"""The character popup: suggestions replace the character as one undo step; rhyme lists."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QListWidget, QMenu

from app.prosody.findings import Rule
from app.prosody.forms import ZE
from app.prosody.tones import PING_BIT, ZE_BIT
from app.ui.editor.popup import CharPopup
from tests.support.editor_pane import (
    JINGYESI,
)


def _open_popups() -> list[CharPopup]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, CharPopup) and w.isVisible()]


def test_suggestion_replaces_the_character_and_undo_restores_it(pane, editor_services):
    pane.set_text(JINGYESI)
    pane.analyze_now()
    tou = JINGYESI.index("头")  # needs 仄 (失粘)
    popup = pane.open_char_popup(tou)
    assert popup is not None and popup.isVisible()
    chars = popup.suggestion_chars()
    assert chars, "a 失粘 character gets suggestions"
    for ch in chars:
        assert editor_services.book.mask(ch) & ZE_BIT, ch
    choice = chars[0]
    edited: list[int] = []
    pane.text_edited.connect(lambda: edited.append(1))
    popup.choose(choice)
    assert pane.text() == JINGYESI[:tou] + choice + JINGYESI[tou + 1 :]
    assert edited
    a = pane.analyze_now()
    assert not any(f.rule is Rule.SHI_NIAN and f.offset == tou for f in a.findings)
    pane.editor.undo()
    assert pane.text() == JINGYESI
    pane.editor.redo()
    assert pane.text()[tou] == choice


def test_popup_at_a_rhyme_position_lists_the_group(pane, editor_services):
    pane.set_text(JINGYESI)
    a = pane.analyze_now()
    shuang = JINGYESI.index("霜")
    popup = pane.open_char_popup(shuang)
    assert popup is not None and popup.rhyme_list is not None
    group = a.rhyme_group
    listed = [popup.rhyme_list.item(i).text() for i in range(popup.rhyme_list.count())]
    assert listed == list(editor_services.book.group_chars(group.id, "simplified"))
    assert "香" in listed
    item = popup.rhyme_list.item(listed.index("香"))
    popup.rhyme_list.itemActivated.emit(item)
    assert pane.text()[shuang] == "香"
    pane.editor.undo()
    assert pane.text() == JINGYESI


def test_keyboard_f2_opens_the_popup_and_enter_chooses(qtbot, pane):
    pane.set_text(JINGYESI)
    pane.analyze_now()
    tou = JINGYESI.index("头")
    cursor = pane.editor.textCursor()
    cursor.setPosition(tou + 1)  # the caret just after 头
    pane.editor.setTextCursor(cursor)
    qtbot.keyClick(pane.editor, Qt.Key.Key_F2)
    popups = _open_popups()
    assert len(popups) == 1
    popup = popups[0]
    assert popup.content.char == "头"
    first = popup.suggestion_chars()[0]
    qtbot.keyClick(popup.suggestion_list, Qt.Key.Key_Return)
    assert pane.text()[tou] == first
    assert not _open_popups()


def test_ctrl_click_opens_the_popup_for_the_character_under_the_mouse(qtbot, pane):
    pane.set_text(JINGYESI)
    pane.analyze_now()
    qtbot.waitExposed(pane)
    wang = JINGYESI.index("望")
    rect = pane.editor.char_rect(wang)
    qtbot.mouseClick(
        pane.editor.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ControlModifier,
        rect.center().toPoint(),
    )
    popups = _open_popups()
    assert len(popups) == 1
    popup = popups[0]
    assert popup.content.char == "望"
    assert popup.content.can_pin and set(popup.pin_buttons) == {"ping", "ze", "auto"}
    assert popup.pin_buttons["auto"].isChecked()
    popup.close()


def test_plain_click_only_moves_the_caret(qtbot, pane):
    pane.set_text(JINGYESI)
    pane.analyze_now()
    qtbot.waitExposed(pane)
    rect = pane.editor.char_rect(JINGYESI.index("望"))
    qtbot.mouseClick(pane.editor.viewport(), Qt.MouseButton.LeftButton,
                     pos=rect.center().toPoint())  # fmt: skip
    assert not _open_popups()


def test_suggestions_for_a_ping_need_are_ping(pane, editor_services):
    text = JINGYESI.replace("地上霜", "地下霜")  # 第2句第4字 stays 仄 where 平 is needed
    pane.set_text(text)
    a = pane.analyze_now()
    tone_faults = [f for f in a.findings if f.rule is Rule.TONE and f.pos is not None]
    assert tone_faults
    f = tone_faults[0]
    popup = pane.open_char_popup(f.offset)
    want = PING_BIT if f.need.value == "平" else ZE_BIT
    for ch in popup.suggestion_chars():
        assert editor_services.book.mask(ch) & want
    popup.close()


def test_context_menu_offers_pins_for_a_polyphone(pane):
    pane.set_text(JINGYESI)
    pane.analyze_now()
    wang = JINGYESI.index("望")
    menu = QMenu()
    assert pane.editor.menu_source is not None
    pane.editor.menu_source(menu, wang)
    labels = [a.text() for a in menu.actions()]
    assert "「望」定为平声" in labels and "「望」定为仄声" in labels
    assert "转为繁体" in labels
    next(a for a in menu.actions() if a.text() == "「望」定为仄声").trigger()
    assert pane.pins() == {wang: ZE}
    menu.clear()
    pane.editor.menu_source(menu, JINGYESI.index("床"))  # not a polyphone: no pin entries
    assert not any("定为" in a.text() for a in menu.actions())
    menu.deleteLater()


def _visible_rows(lst: QListWidget) -> int:
    """How many rows of items the list shows whole, without scrolling."""
    view = lst.viewport().rect()
    tops = {
        lst.visualItemRect(lst.item(i)).top()
        for i in range(lst.count())
        if view.contains(lst.visualItemRect(lst.item(i)))
    }
    return len(tops)


def test_the_f2_grids_show_several_rows(qtbot, pane):
    pane.set_text(JINGYESI)
    pane.analyze_now()
    popup = pane.open_char_popup(JINGYESI.index("头"))
    assert popup is not None
    qtbot.waitExposed(popup)
    suggestions = popup.suggestion_list
    n = suggestions.count()
    assert n >= 8
    rows_needed = len({suggestions.visualItemRect(suggestions.item(i)).top() for i in range(n)})
    assert rows_needed >= 2
    # every suggestion row is on screen (up to three), not one row and a scroll bar
    assert _visible_rows(suggestions) == min(3, rows_needed)
    popup.close()
    rhyme = pane.open_char_popup(JINGYESI.index("霜"))
    assert rhyme is not None and rhyme.rhyme_list is not None
    qtbot.waitExposed(rhyme)
    assert _visible_rows(rhyme.rhyme_list) >= 5  # a long group: several rows at once
    rhyme.close()
