"""Pinned polyphone readings that follow their character through edits (no Qt).

A pin chooses one reading of a polyphone (望 read 平 or 仄). The checker takes
pins as ``{text offset: PING or ZE}``; the editor keeps them in document
positions and moves them on every ``contentsChange(position, removed, added)``:

* a pin before the change stays; a pin after it shifts by ``added - removed``;
* a pin inside the removed range is dropped (its character was deleted) —
  unless the range was replaced by one of the same length and the character now
  at the pin is the same one or its other-script form (a 简↔繁 conversion, or
  its undo, replaces a whole range at once).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from app.prosody.forms import PING, ZE
from app.ui.editor.positions import OffsetMap


class PinTracker:
    """Pins by document position: ``{position: (code, character)}``."""

    __slots__ = ("_equivalent", "_pins")

    def __init__(self, equivalent: Callable[[str, str], bool]) -> None:
        self._pins: dict[int, tuple[int, str]] = {}
        self._equivalent = equivalent

    def __bool__(self) -> bool:
        return bool(self._pins)

    def __len__(self) -> int:
        return len(self._pins)

    def clear(self) -> None:
        self._pins.clear()

    def get(self, position: int) -> int | None:
        entry = self._pins.get(position)
        return None if entry is None else entry[0]

    def set(self, position: int, char: str, code: int | None) -> None:
        """Pin ``char`` at ``position`` to PING or ZE; ``None`` removes the pin."""
        if code is None:
            self._pins.pop(position, None)
            return
        if code not in (PING, ZE):
            raise ValueError(f"a pin is PING ({PING}) or ZE ({ZE}), not {code!r}")
        self._pins[position] = (code, char)

    def positions(self) -> dict[int, int]:
        """``{document position: code}``."""
        return {p: code for p, (code, _ch) in self._pins.items()}

    def offsets(self, text: str, offsets: OffsetMap | None = None) -> dict[int, int]:
        """``{text offset: code}`` for the checker, keeping only pins still on their character."""
        if not self._pins:
            return {}
        m = offsets or OffsetMap(text)
        out: dict[int, int] = {}
        for p, (code, ch) in self._pins.items():
            off = m.to_py(p)
            if 0 <= off < len(text) and text[off] == ch:
                out[off] = code
        return out

    def load(self, text: str, pins: Mapping[int, int]) -> None:
        """Replace every pin from ``{text offset: code}`` (offsets off the text are ignored)."""
        m = OffsetMap(text)
        self._pins.clear()
        for off, code in pins.items():
            if 0 <= off < len(text) and code in (PING, ZE):
                self._pins[m.to_qt(off)] = (code, text[off])

    def on_change(
        self, position: int, removed: int, added: int, char_at: Callable[[int], str]
    ) -> bool:
        """Follow one document change; ``char_at(p)`` reads the new document. True if any
        pin moved or was dropped."""
        if not self._pins:
            return False
        end = position + removed
        shift = added - removed
        moved: dict[int, tuple[int, str]] = {}
        changed = False
        for p, (code, ch) in self._pins.items():
            if p < position:
                moved[p] = (code, ch)
            elif p >= end:
                moved[p + shift] = (code, ch)
                changed = changed or shift != 0
            else:
                changed = True
                if removed == added:
                    now = char_at(p)
                    if now and (now == ch or self._equivalent(now, ch)):
                        moved[p] = (code, now)
        self._pins = moved
        return changed
