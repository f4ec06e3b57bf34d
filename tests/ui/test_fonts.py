"""The font check: real coverage of Han characters, the choice of a poem face, the banner."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.prosody.rhymebook import RhymeBook
from app.ui.fonts import (
    HAN_SAMPLE,
    POEM_FAMILIES,
    FontCheck,
    check_fonts,
    covers_han,
    han_families,
    missing_chars,
    missing_fonts_text,
    pick_family,
)
from app.ui.i18n import Tr
from tests.support.shell_window import events, open_window


@pytest.fixture(scope="module")
def font_check(qapp: QApplication) -> FontCheck:
    return check_fonts()


def latin_only_families() -> list[str]:
    return [f for f in QFontDatabase.families() if missing_chars(f) == HAN_SAMPLE]


def test_a_family_that_is_not_installed_covers_nothing(qapp: QApplication) -> None:
    assert missing_chars("No Such Font 12345") == HAN_SAMPLE
    assert not covers_han("No Such Font 12345")


def test_a_latin_font_does_not_count_even_though_qt_would_fall_back(qapp: QApplication) -> None:
    latin = latin_only_families()
    if not latin:
        pytest.skip("every installed font draws Han characters")
    family = latin[0]
    assert not covers_han(family)
    assert family not in han_families()


def test_installed_cjk_fonts_are_found_and_a_kai_or_song_face_preferred(qapp: QApplication) -> None:
    found = han_families()
    if not found:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")
    assert all(covers_han(f) for f in found)
    check = check_fonts()
    assert check.ok and check.poem_family in found
    preferred = [f for f in POEM_FAMILIES if f in found]
    if preferred:
        assert check.poem_family == preferred[0]
    # the user's own choice wins when it draws Han characters
    assert check_fonts(found[-1]).poem_family == found[-1]
    # … and is ignored when it cannot
    assert check_fonts("No Such Font 12345").poem_family == check.poem_family


def test_pick_family_order() -> None:
    usable = ["Noto Serif CJK SC", "LXGW WenKai", "Other CJK"]
    assert pick_family("Other CJK", POEM_FAMILIES, usable) == "Other CJK"
    assert pick_family("", POEM_FAMILIES, usable) == "LXGW WenKai"
    assert pick_family("Missing", ("Nope",), usable) == "Noto Serif CJK SC"
    assert pick_family("", POEM_FAMILIES, []) is None


def test_without_cjk_fonts_the_window_says_so_with_the_fix(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook
) -> None:
    latin = latin_only_families()
    check = check_fonts(families=latin)  # a system with only these fonts
    assert not check.ok and check.poem_family is None and check.han_families == ()
    window = open_window(qtbot, tmp_path, book, font_check=check)
    text = window.notices.texts()["fonts"]
    assert "sudo apt-get install fonts-noto-cjk" in text and "空白方框" in text
    assert events(window, "fonts_missing")
    english = missing_fonts_text(Tr("en"))
    assert "empty boxes" in english and "fonts-noto-cjk" in english


def test_with_cjk_fonts_there_is_no_banner(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook, font_check: FontCheck
) -> None:
    if not font_check.ok:
        pytest.skip("no CJK font installed")
    window = open_window(qtbot, tmp_path, book, font_check=font_check)
    assert "fonts" not in window.notices.texts()
    assert window.pane.editor.font().family() == font_check.poem_family
