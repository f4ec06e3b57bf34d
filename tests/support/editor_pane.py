"""Fixtures and readers for the poem editor tests (real checker, real widgets).

Import the fixtures into a test module (``from tests.support.editor_pane import
editor_services, make_pane, pane  # noqa: F401``); ``editor_ci_fixture`` (the 词 checker
on the small 词谱) wants ``cilin_fixture`` and ``cipu_table_fixture`` from
tests/support/cipu_fixture.py besides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QImage,
    QInputMethodEvent,
    QKeyEvent,
    QTextCharFormat,
    QTextFormat,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.prosody.checker import Checker
from app.prosody.ci import CiChecker, CipuTable
from app.prosody.rhymebook import RhymeBook
from app.prosody.rhymebook.cilin import CilinBook
from app.prosody.suggest import Suggester
from app.ui.editor import PoemEditorPane
from app.ui.editor.palette import LIGHT
from app.ui.editor.positions import OffsetMap
from app.ui.i18n import Tr

JINGYESI = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。"
HUANGHELOU = (
    "昔人已乘黄鹤去，此地空余黄鹤楼。\n黄鹤一去不复返，白云千载空悠悠。\n"
    "晴川历历汉阳树，芳草萋萋鹦鹉洲。\n日暮乡关何处是？烟波江上使人愁。"
)
XIANGSI = "红豆生南国\n春来发几枝\n愿君多采撷\n此物最相思"  # 几 (offset 9) reads 平 or 仄


@dataclass(frozen=True)
class EditorServices:
    book: RhymeBook
    checker: Checker
    suggester: Suggester


@pytest.fixture(scope="session")
def editor_services() -> EditorServices:
    book = RhymeBook.load()
    return EditorServices(book, Checker(book), Suggester(book))


@pytest.fixture(name="ci")
def editor_ci_fixture(
    editor_services: EditorServices, cilin: CilinBook, table: CipuTable
) -> CiChecker:
    """The 词 checker on the editor's book (needs the ``cilin`` and ``table`` fixtures)."""
    return CiChecker(editor_services.book, cilin, table)


def cjk_font(point_size: int = 20) -> QFont:
    """A CJK serif face when the machine has one (else Qt's default)."""
    families = QFontDatabase.families()
    for wanted in ("Noto Serif CJK SC", "Noto Sans CJK SC", "LXGW WenKai"):
        if wanted in families:
            font = QFont(wanted)
            break
    else:
        font = QFont()
    font.setPointSize(point_size)
    return font


PaneFactory = Callable[..., PoemEditorPane]


@pytest.fixture
def make_pane(qtbot: QtBot, editor_services: EditorServices) -> PaneFactory:
    def make(*, lang: str = "zh", delay_ms: int = 150, text: str | None = None) -> PoemEditorPane:
        s = editor_services
        pane = PoemEditorPane(
            s.checker,
            s.suggester,
            s.book,
            Tr(lang),  # type: ignore[arg-type]
            analysis_delay_ms=delay_ms,
        )
        qtbot.addWidget(pane, before_close_func=lambda w: w.shutdown())
        pane.set_poem_font(cjk_font())
        pane.resize(900, 520)
        pane.show()
        if text is not None:
            pane.set_text(text)
            pane.analyze_now()
        return pane

    return make


@pytest.fixture
def pane(make_pane: PaneFactory) -> PoemEditorPane:
    return make_pane()


def type_text(widget: QWidget, text: str, *, ime: bool = True) -> None:
    """Type ``text`` as a poet does: Han characters committed by an input method
    (``QInputMethodEvent``) or, with ``ime=False``, as key events carrying the character;
    ``\n`` presses Return. (``QTest.keyClicks`` only knows ASCII.)"""
    for ch in text:
        if ch == "\n":
            QTest.keyClick(widget, Qt.Key.Key_Return)
        elif ch.isascii():
            QTest.keyClicks(widget, ch)
        elif ime:
            event = QInputMethodEvent("", [])
            event.setCommitString(ch)
            QApplication.sendEvent(widget, event)
        else:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(
                    widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch)
                )


def char_format(pane: PoemEditorPane, offset: int) -> QTextCharFormat:
    """The highlighter's format on the character at text ``offset`` (an empty format when
    the highlighter left it alone: see :func:`is_unformatted`)."""
    text = pane.text()
    position = OffsetMap(text).to_qt(offset)
    block = pane.editor.document().findBlock(position)
    rel = position - block.position()
    ranges = block.layout().formats()
    for r in ranges:
        if r.start <= rel < r.start + r.length:
            return QTextCharFormat(r.format)  # a copy: the range list owns r.format
    return QTextCharFormat()


def is_unformatted(fmt: QTextCharFormat) -> bool:
    return not fmt.hasProperty(QTextFormat.Property.ForegroundBrush)


def color_of(fmt: QTextCharFormat) -> str:
    assert not is_unformatted(fmt), "the character has no format"
    return fmt.foreground().color().name().upper()


def wait_analysis(qtbot: QtBot, pane: PoemEditorPane, timeout: int = 10_000) -> None:
    """Let the debounce (and any background analysis) finish, processing events."""
    qtbot.waitUntil(lambda: not pane.analysis_pending() and pane.analysis_is_current(),
                    timeout=timeout)  # fmt: skip


def save_screenshot(widget: QWidget, path: Path) -> QImage:
    """Grab ``widget`` into a PNG at ``path``; returns the image."""
    QApplication.processEvents()
    pixmap = widget.grab()
    assert pixmap.save(str(path), "PNG"), f"could not write {path}"
    return pixmap.toImage()


def count_colour(image: QImage, colour: str, tolerance: int = 40) -> int:
    """How many pixels lie within ``tolerance`` (per channel) of ``colour``."""
    want = QColor(colour)
    n = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = image.pixelColor(x, y)
            if (
                abs(c.red() - want.red()) <= tolerance
                and abs(c.green() - want.green()) <= tolerance
                and abs(c.blue() - want.blue()) <= tolerance
            ):
                n += 1
    return n


__all__ = [
    "HUANGHELOU",
    "JINGYESI",
    "LIGHT",
    "XIANGSI",
    "EditorServices",
    "char_format",
    "cjk_font",
    "color_of",
    "count_colour",
    "editor_ci_fixture",
    "editor_services",
    "is_unformatted",
    "make_pane",
    "pane",
    "save_screenshot",
    "type_text",
    "wait_analysis",
]
