"""Horizontal text helpers: wrapping and stacking blocks down pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.export.canvas import Align, FontSet, Item, Page, Role, Text
from app.prosody.text import is_han

# Characters that may not begin a line (避头点) and may not end one.
_NO_START = set("，。、；：！？）」』》〉】…—,.;:!?)]")
_NO_END = set("（「『《〈【([")


def wrap(text: str, fonts: FontSet, role: Role, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width``: anywhere between Han characters,
    at spaces in Latin text, never putting closing punctuation at a line's start."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        tokens = _tokens(paragraph)
        line = ""
        for tok in tokens:
            candidate = line + tok
            if not line or fonts.advance(role, candidate.rstrip()) <= width:
                line = candidate
                continue
            if tok[0] in _NO_START or (line and line[-1] in _NO_END):
                line = candidate  # let the line run a little wide rather than break badly
                continue
            out.append(line.rstrip())
            line = tok.lstrip()
        out.append(line.rstrip())
    return out


def _tokens(paragraph: str) -> list[str]:
    tokens: list[str] = []
    word = ""
    for ch in paragraph:
        if is_han(ch) or not ch.isascii():
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        elif ch == " ":
            tokens.append(word + " ")
            word = ""
        else:
            word += ch
    if word:
        tokens.append(word)
    return tokens


@dataclass(slots=True)
class Block:
    """A run of items laid out from y = 0; placed on a page as a whole when it fits."""

    height: float
    items: list[Item] = field(default_factory=list)


def text_block(
    fonts: FontSet, role: Role, text: str, width: float, *, align: str = "left",
    spacing: float = 1.35, color: str = "#000000", indent: float = 0.0,
) -> Block:  # fmt: skip
    """``text`` wrapped to ``width`` as one block of lines."""
    line_h = fonts.metrics(role).height() * spacing
    items: list[Item] = []
    y = 0.0
    for line in wrap(text, fonts, role, width - indent):
        horizontal: Align = "center" if align == "center" else "left"
        items.append(Text(indent, y, width - indent, line_h, line, role, horizontal, color=color))
        y += line_h
    return Block(y, items)


def join(*blocks: Block) -> Block:
    """Blocks one under another as a single block (kept together on a page)."""
    items: list[Item] = []
    y = 0.0
    for b in blocks:
        items.extend(shift(b.items, 0, y))
        y += b.height
    return Block(y, items)


def shift(items: list[Item], dx: float, dy: float) -> list[Item]:
    from dataclasses import replace

    return [replace(i, x=i.x + dx, y=i.y + dy) for i in items]


class PageStack:
    """Places blocks down pages of height ``height``; a block taller than a page is split
    at its items' own positions."""

    def __init__(self, height: float, on_new_page: Callable[[Page], None] | None = None) -> None:
        self.height = height
        self.pages: list[Page] = [Page()]
        self.y = 0.0
        self._on_new_page = on_new_page

    def new_page(self) -> None:
        self.pages.append(Page())
        self.y = 0.0
        if self._on_new_page:
            self._on_new_page(self.pages[-1])

    def space(self, dy: float) -> None:
        if self.y > 0:
            self.y = min(self.y + dy, self.height)

    def place(self, block: Block) -> None:
        if self.y + block.height > self.height and self.y > 0:
            self.new_page()
        if block.height <= self.height - self.y:
            self.pages[-1].items.extend(shift(block.items, 0, self.y))
            self.y += block.height
            return
        # taller than a page: flow its items, breaking where an item would cross the bottom
        offset = self.y
        for item in sorted(block.items, key=lambda i: i.y):
            if offset + item.y + item.h > self.height:
                self.new_page()
                offset = -item.y
            self.pages[-1].items.extend(shift([item], 0, offset))
        self.y = offset + block.height
