"""Edits and selections addressed by text offset, each edit one undo step.

The pane speaks in text offsets (Python ``str`` indices, one per character); the
QTextDocument counts UTF-16 units, so a character outside the Basic Multilingual
Plane takes two positions there. These map through :class:`OffsetMap`: the whole
text replaced, one character replaced, a conversion (simplified ↔ traditional)
that replaces only the runs of characters that change — so pins stay on their
characters, and the caret and selection stay where they were — and a span selected.
"""

from __future__ import annotations

from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QPlainTextEdit

from app.ui.editor.positions import OffsetMap

__all__ = ["convert_text", "replace_char", "replace_text", "select_span"]


def replace_text(editor: QPlainTextEdit, text: str) -> None:
    """Replace the whole text (one undo step)."""
    cursor = QTextCursor(editor.document())
    cursor.beginEditBlock()
    cursor.select(QTextCursor.SelectionType.Document)
    cursor.insertText(text)
    cursor.endEditBlock()


def replace_char(editor: QPlainTextEdit, text: str, offset: int, char: str) -> None:
    """Replace the character at ``offset`` of ``text`` (the editor's text) with ``char``."""
    m = OffsetMap(text)
    cursor = QTextCursor(editor.document())
    cursor.setPosition(m.to_qt(offset))
    cursor.setPosition(m.to_qt(offset + 1), QTextCursor.MoveMode.KeepAnchor)
    cursor.insertText(char)


def _changed_runs(text: str, new: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` runs where two texts of one length differ, in order."""
    runs: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == new[i]:
            i += 1
            continue
        j = i
        while j < n and text[j] != new[j]:
            j += 1
        runs.append((i, j))
        i = j
    return runs


def convert_text(editor: QPlainTextEdit, text: str, new: str) -> None:
    """Turn ``text`` (the editor's) into ``new`` as one undo step. Of one length (a
    character-by-character conversion): only the changed runs are replaced and the
    caret and selection are kept; otherwise the whole text is replaced."""
    caret = editor.textCursor()
    anchor, position = caret.anchor(), caret.position()
    cursor = QTextCursor(editor.document())
    cursor.beginEditBlock()
    same_length = len(new) == len(text)
    if same_length:
        m = OffsetMap(text)
        for i, j in reversed(_changed_runs(text, new)):
            cursor.setPosition(m.to_qt(i))
            cursor.setPosition(m.to_qt(j), QTextCursor.MoveMode.KeepAnchor)
            cursor.insertText(new[i:j])
    else:
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(new)
    cursor.endEditBlock()
    if same_length:  # keep the caret and selection where they were
        end = editor.document().characterCount() - 1
        caret.setPosition(min(anchor, end))
        caret.setPosition(min(position, end), QTextCursor.MoveMode.KeepAnchor)
        editor.setTextCursor(caret)


def select_span(editor: QPlainTextEdit, text: str, start: int, length: int) -> None:
    """Select ``length`` characters of ``text`` from ``start`` (0: put the caret there)
    and scroll them into view; a span past the document's end stops at it."""
    m = OffsetMap(text)
    end = editor.document().characterCount() - 1
    cursor = editor.textCursor()
    cursor.setPosition(min(end, m.to_qt(start)))
    cursor.setPosition(min(end, m.to_qt(start + length)), QTextCursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)
    editor.ensureCursorVisible()
