"""Cleaning text before it goes into SQLite.

Two kinds of characters cannot be stored faithfully:

* **Lone surrogates** (``'\\ud800'``): Python strings may hold them (a bad paste,
  a broken decoder), but they cannot be encoded as UTF-8, and sqlite3 raises
  ``UnicodeEncodeError`` — the whole save would be lost. A surrogate *pair*
  written as two code points is joined into the character it spells; a lone
  one becomes U+FFFD (�).
* **NUL** (``'\\x00'``): it round-trips through sqlite3, but SQL functions stop at
  it (``length()``, ``LIKE``, ``instr()``), so text after it could not be found by
  search. It is replaced by U+FFFD too, so the user sees where something was.

Everything else (other control characters, private-use characters, any plane)
is kept as given.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")


def needs_cleaning(text: str) -> bool:
    """True when :func:`clean_text` would change ``text``."""
    return _UNSTORABLE.search(text) is not None


def clean_text(text: str) -> str:
    """``text`` with surrogate pairs joined and lone surrogates and NUL made U+FFFD."""
    if not needs_cleaning(text):
        return text
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return joined.replace("\x00", REPLACEMENT)


def clean_optional(text: str | None) -> str | None:
    return None if text is None else clean_text(text)
