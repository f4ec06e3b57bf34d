"""What the poet can do to one character: hover it, open its popup, right-click it.

Owned by the pane (``pane.actions``); reads the pane's latest analysis and acts
through the pane's public methods (``replace_char``, ``pin_char``, ``convert_script``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QMenu

from app.prosody.books.protocol import Book
from app.prosody.forms import PING, ZE
from app.prosody.suggest import Suggester
from app.ui.editor.pins import PinTracker
from app.ui.editor.popup import CharPopup, PopupContent
from app.ui.editor.positions import OffsetMap
from app.ui.editor.tooltips import char_tooltip, plain_char_tooltip
from app.ui.i18n import Tr

if TYPE_CHECKING:
    from app.ui.editor.pane import PoemEditorPane

SUGGESTIONS = 16  # how many replacement suggestions the popup lists


class CharActions:
    def __init__(
        self,
        pane: PoemEditorPane,
        book: Book,
        suggester: Suggester,
        tr: Tr,
        pins: PinTracker,
    ) -> None:
        self._pane = pane
        self._book = book
        self._suggester = suggester
        self._tr = tr
        self._pins = pins

    def set_book(self, book: Book, suggester: Suggester) -> None:
        """The rhyme book the poem is now checked against (readings, suggestions)."""
        self._book = book
        self._suggester = suggester

    def tooltip(self, position: int) -> str | None:
        """Rich text for the character at a document position: readings, findings."""
        pane = self._pane
        a = pane.analysis()
        if a is not None and pane.analysis_is_current():
            c = a.char_at_offset(OffsetMap(a.text).to_py(position))
            if c is not None:
                cell = (c.line, c.pos)
                here = list(a.findings_at(c.line, c.pos))
                here.extend(
                    f
                    for f in pane.extra_findings()
                    if cell in f.marks or (not f.marks and (f.line, f.pos) == cell)
                )
                return char_tooltip(c, here, self._tr)
        ch = pane.editor._char_at(position)
        return plain_char_tooltip(ch, self._book.lookup(ch), self._tr) if ch else None

    def open_popup(self, position: int) -> CharPopup | None:
        """The popup for the character at a document position (None off the Han script)."""
        pane = self._pane
        editor = pane.editor
        a = pane.analyze_now()
        offset = OffsetMap(a.text).to_py(position)
        c = a.char_at_offset(offset)
        if c is None:
            return None
        tr = self._tr
        suggestions = self._suggester.for_char(a, c.line, c.pos, limit=SUGGESTIONS)
        group = a.rhyme_group if (c.line, c.pos) in a.rhyme_slots else None
        rhyme_chars: tuple[str, ...] = ()
        if group is not None:
            rhyme_chars = self._book.group_chars(group.id, self._suggester.script_of(a.text))
        content = PopupContent(
            char=c.char,
            heading=char_tooltip(c, list(a.findings_at(c.line, c.pos)), tr),
            suggestions=suggestions,
            rhyme_group=group,
            rhyme_chars=rhyme_chars,
            can_pin=c.is_polyphone or c.pinned,
            pin=self._pins.get(position),
        )
        popup = CharPopup(tr, content, editor)
        popup.suggestion_list.setFont(editor.font())
        if popup.rhyme_list is not None:
            popup.rhyme_list.setFont(editor.font())
        popup.chosen.connect(lambda ch: pane.replace_char(offset, ch))
        popup.pin_chosen.connect(lambda code: pane.pin_char(offset, code))
        rect = editor.char_rect(position)
        anchor = rect.bottomLeft().toPoint() if rect is not None else QPoint(0, 0)
        popup.show_at(editor.viewport().mapToGlobal(anchor))
        return popup

    def extend_menu(self, menu: QMenu, position: int | None) -> None:
        """Add the character's entries to the editor's context menu."""
        pane = self._pane
        tr = self._tr
        menu.addSeparator()
        if position is not None:
            menu.addAction(tr("替换与韵字…\tF2", "Replace, rhymes…\tF2"),
                           lambda: self.open_popup(position))  # fmt: skip
            a = pane.analyze_now()
            offset = OffsetMap(a.text).to_py(position)
            c = a.char_at_offset(offset)
            if c is not None and (c.is_polyphone or c.pinned):
                current = self._pins.get(position)
                for label, code in (
                    (tr(f"「{c.char}」定为平声", f"Read 「{c.char}」 as level"), PING),
                    (tr(f"「{c.char}」定为仄声", f"Read 「{c.char}」 as oblique"), ZE),
                    (tr("自动判断读音", "Reading: automatic"), None),
                ):
                    act = menu.addAction(label, self._pin_action(offset, code))
                    act.setCheckable(True)
                    act.setChecked(current == code)
        menu.addAction(tr("转为简体", "Convert to simplified"),
                       lambda: pane.convert_script("simplified"))  # fmt: skip
        menu.addAction(tr("转为繁体", "Convert to traditional"),
                       lambda: pane.convert_script("traditional"))  # fmt: skip

    def _pin_action(self, offset: int, code: int | None) -> Callable[[], None]:
        return lambda: self._pane.pin_char(offset, code)
