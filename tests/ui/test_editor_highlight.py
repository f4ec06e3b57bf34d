"""Tone painting, finding underlines, rhyme marks and the template column, on real text."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QTextCharFormat

from app.prosody.analysis import RhymeMark
from app.prosody.findings import Rule, Severity
from app.ui.editor.keys import ToneClass
from app.ui.editor.palette import DARK, LIGHT
from app.ui.editor.template_area import row_text
from tests.support.editor_pane import (
    HUANGHELOU,
    JINGYESI,
    char_format,
    color_of,
    is_unformatted,
    type_text,
    wait_analysis,
)

Wave = QTextCharFormat.UnderlineStyle.WaveUnderline
Dot = QTextCharFormat.UnderlineStyle.DotLine


def test_set_text_paints_tones_on_the_right_characters(pane):
    pane.set_text(JINGYESI)
    a = pane.analyze_now()
    chuang = char_format(pane, JINGYESI.index("床"))
    assert color_of(chuang) == LIGHT.ping
    assert chuang.fontWeight() == QFont.Weight.Normal
    yue = char_format(pane, JINGYESI.index("月"))  # 入声
    assert color_of(yue) == LIGHT.ru
    assert yue.fontWeight() == QFont.Weight.Bold  # its line above is painted: see overline test
    shi = char_format(pane, JINGYESI.index("是"))  # 上声: 仄
    assert color_of(shi) == LIGHT.ze
    assert shi.fontWeight() == QFont.Weight.Bold and not shi.fontOverline()
    wang = char_format(pane, JINGYESI.index("望"))  # 平仄两读
    assert color_of(wang) == LIGHT.poly and wang.fontItalic()
    # punctuation stays unformatted
    assert is_unformatted(char_format(pane, JINGYESI.index("，")))
    # every painted character agrees with the checker's verdict
    for c in a.chars:
        assert not is_unformatted(char_format(pane, c.offset)), c


def test_shi_nian_character_gets_a_red_wavy_underline(pane):
    pane.set_text(JINGYESI)
    a = pane.analyze_now()
    tou = JINGYESI.index("头")  # line 3, character 2: 失粘
    assert any(f.rule is Rule.SHI_NIAN and f.offset == tou for f in a.findings)
    fmt = char_format(pane, tou)
    assert fmt.underlineStyle() == Wave
    assert fmt.underlineColor().name().upper() == LIGHT.error
    # a clean character has no underline
    assert char_format(pane, JINGYESI.index("床")).underlineStyle() != Wave
    # a hint (重字: the second 明) is dotted, not wavy
    second_ming = JINGYESI.index("明", JINGYESI.index("明") + 1)
    hints = [f for f in a.findings if f.offset == second_ming]
    assert hints and max(f.severity for f in hints) == Severity.HINT
    assert char_format(pane, second_ming).underlineStyle() == Dot


def test_rhyme_positions_are_marked(pane):
    pane.set_text(JINGYESI)
    pane.analyze_now()
    record = pane.highlighter.record(0)
    assert record is not None
    text, keys = record
    assert keys[text.index("光")][3] == RhymeMark.IN.value
    assert keys[text.index("霜")][3] == RhymeMark.IN.value
    assert keys[text.index("床")][3] == ""
    # an out-of-group rhyme: 人 (上平十一真) where the poem rhymes in 阳
    pane.set_text(JINGYESI.replace("故乡", "故人"))
    pane.analyze_now()
    text, keys = pane.highlighter.record(1)
    assert keys[text.index("人")][3] == RhymeMark.OUT.value
    fmt = char_format(pane, pane.text().index("人"))
    assert fmt.underlineStyle() == Wave


def test_template_row_per_line(pane):
    pane.set_text(JINGYESI)
    a = pane.analyze_now()
    area = pane.editor.template_area
    assert area.text_of_block(0) == f"{a.lines[0].template_text}　{a.lines[1].template_text}"
    assert area.text_of_block(1) == f"{a.lines[2].template_text}　{a.lines[3].template_text}"
    assert a.lines[2].template_text == "⊙仄⊙平仄"
    assert pane.editor.viewportMargins().left() == area.area_width() > 0
    pane.set_text(HUANGHELOU.replace("，", "\n").replace("？", "\n").replace("。", ""))
    a = pane.analyze_now()
    assert [area.text_of_block(i) for i in range(8)] == [ln.template_text for ln in a.lines]
    assert row_text(()) == ""


def test_typing_with_keyclicks_paints_like_set_text(qtbot, make_pane):
    typed = make_pane(delay_ms=30)
    loaded = make_pane(text=JINGYESI)
    typed.editor.setFocus()
    first, second = JINGYESI.split("\n")
    type_text(typed.editor, first)  # through the input method
    qtbot.keyClick(typed.editor, Qt.Key.Key_Return)
    type_text(typed.editor, second, ime=False)  # as key events carrying the characters
    wait_analysis(qtbot, typed)
    assert typed.text() == JINGYESI
    for offset, ch in enumerate(JINGYESI):
        assert char_format(typed, offset) == char_format(loaded, offset), (offset, ch)


def test_a_typed_character_is_painted_before_the_debounce_fires(qtbot, make_pane):
    pane = make_pane(delay_ms=60_000)  # the analysis will not run during this test
    pane.editor.setFocus()
    type_text(pane.editor, "明月")
    assert pane.analysis() is None or not pane.analysis_is_current()
    assert color_of(char_format(pane, 0)) == LIGHT.ping
    assert color_of(char_format(pane, 1)) == LIGHT.ru
    # findings on untouched characters survive an edit elsewhere in their block
    pane.set_text(JINGYESI)
    pane.analyze_now()
    tou = JINGYESI.index("头")
    cursor = pane.editor.textCursor()
    cursor.setPosition(len(pane.text()))
    pane.editor.setTextCursor(cursor)
    type_text(pane.editor, "光")
    assert not pane.analysis_is_current()
    assert char_format(pane, tou).underlineStyle() == Wave
    assert color_of(char_format(pane, len(pane.text()) - 1)) == LIGHT.ping


def test_only_changed_blocks_are_rehighlighted(qtbot, make_pane):
    pane = make_pane(delay_ms=10)
    text = "\n".join([HUANGHELOU] * 20)  # 80 blocks
    pane.set_text(text)
    pane.analyze_now()
    before = pane.highlighter.highlighted_blocks
    cursor = pane.editor.textCursor()
    cursor.setPosition(len(text))
    pane.editor.setTextCursor(cursor)
    type_text(pane.editor, "好")
    wait_analysis(qtbot, pane)
    done = pane.highlighter.highlighted_blocks - before
    assert 1 <= done < 10, done


def test_guessed_reading_is_hatched(pane, editor_services):
    book = editor_services.book
    ch = "㐀"  # CJK Extension A: outside the rhyme book
    info = book.lookup(ch)
    assert info is None or info.uncertain
    pane.set_text("床前" + ch + "月光")
    pane.analyze_now()
    fmt = char_format(pane, 2)
    assert fmt.background().style() == Qt.BrushStyle.BDiagPattern
    assert char_format(pane, 0).background().style() != Qt.BrushStyle.BDiagPattern


def test_characters_outside_the_bmp_keep_the_formats_aligned(pane):
    text = "床前𠀀月光"  # 𠀀 takes two Qt positions
    pane.set_text(text)
    pane.analyze_now()
    assert color_of(char_format(pane, 3)) == LIGHT.ru  # 月 after the astral character
    assert color_of(char_format(pane, 4)) == LIGHT.ping  # 光


def test_dark_palette_repaints(pane):
    pane.set_text(JINGYESI)
    pane.analyze_now()
    seen: list[bool] = []
    pane.dark_changed.connect(seen.append)
    pane.set_dark(True)
    assert color_of(char_format(pane, JINGYESI.index("床"))) == DARK.ping
    assert color_of(char_format(pane, JINGYESI.index("月"))) == DARK.ru
    assert pane.legend.palette_variant is DARK
    pane.set_dark(False)
    assert color_of(char_format(pane, JINGYESI.index("床"))) == LIGHT.ping
    assert seen == [True, False]


def test_palette_variants_differ_in_every_tone_colour():
    for pal in (LIGHT, DARK):
        tones = {pal.ping, pal.ze, pal.ru, pal.poly, pal.unknown}
        assert len(tones) == 5
    assert {t.value for t in ToneClass} == {"ping", "ze", "ru", "poly", "unknown"}


def test_poem_font_is_the_callers(pane):
    font = QFont(pane.editor.font())
    font.setPointSize(31)
    pane.set_poem_font(font)
    assert pane.editor.font().pointSize() == 31
    pane.set_text(JINGYESI)
    pane.analyze_now()
    fmt = char_format(pane, 0)
    assert not fmt.hasProperty(QTextCharFormat.Property.FontFamilies)
    assert not fmt.hasProperty(QTextCharFormat.Property.FontPointSize)


def test_the_ru_line_sits_on_its_own_character_not_under_the_one_above(qtbot, pane):
    """入声's line above the character: nearer its own character's ink than to anything
    above it — Qt's overline, at the top of a tall CJK line box, read as the underline
    of the character above."""
    family = "Noto Sans CJK SC"  # a face with a tall ascent (1.16 em), as on most Linux desktops
    if family not in QFontDatabase.families():
        pytest.skip(f"no CJK font installed ({family}): apt-get install fonts-noto-cjk")
    pane.resize(360, 400)
    pane.show()
    qtbot.waitExposed(pane)
    pane.editor.setFont(QFont(family, 20))
    text = "白日依山尽\n欲穷千里目"  # 白 日 欲 目: 入声; 欲 has 白 above it
    pane.set_text(text)
    pane.analyze_now()
    qtbot.wait(50)
    image = pane.editor.viewport().grab().toImage()
    ru = QColor(LIGHT.ru)
    background = QColor(image.pixel(image.width() - 2, image.height() - 2))

    def is_ru(x: int, y: int) -> bool:
        c = QColor(image.pixel(x, y))
        return (
            abs(c.red() - ru.red()) + abs(c.green() - ru.green()) + abs(c.blue() - ru.blue()) < 60
        )

    def is_ink(x: int, y: int) -> bool:
        return QColor(image.pixel(x, y)) != background

    offset = text.index("欲")
    cursor = pane.editor.textCursor()
    cursor.setPosition(offset)
    left_rect = pane.editor.cursorRect(cursor)
    cursor.setPosition(offset + 1)
    right_rect = pane.editor.cursorRect(cursor)
    x0, x1 = left_rect.left() + 2, right_rect.left() - 2
    xs = range(x0, x1)
    rows = range(left_rect.top(), left_rect.bottom())  # 欲's own line box
    # the line: a row mostly of 入声 colour, above the glyph
    line_rows = [y for y in rows if sum(is_ru(x, y) for x in xs) >= 0.6 * len(xs)]
    assert line_rows, "no 入声 line above 欲"
    line = line_rows[0]
    line_end = line
    while line_end + 1 in line_rows:
        line_end += 1
    glyph_top = next(y for y in range(line_end + 1, left_rect.bottom())
                     if any(is_ru(x, y) for x in xs))  # fmt: skip
    above = [y for y in range(0, line) if any(is_ink(x, y) for x in xs)]
    assert above, "the character above (白) was not found"
    gap_own = glyph_top - line_end
    gap_above = line - above[-1]
    # clearly its own character's: at most half as far from it as from the one above
    assert gap_own > 1 and 2 * gap_own <= gap_above, (gap_own, gap_above)
