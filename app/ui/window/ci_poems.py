"""A 词 in the window: the 词牌, 体 and rhyme book a stored 词 is checked against, and the
rhyme book it is saved with.

A 词 keeps its rhyme book in the poem's ``rhyme_book`` like a 诗, with its own default:
nothing stored means the 词林正韵 (a 诗: the 平水韵); ``pingshui``, ``xinyun`` and ``tongyun``
are those books.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.prosody.ci import CiTarget
from app.prosody.ci.books import CiBookKind

if TYPE_CHECKING:
    from app.storage.records import PoemData
    from app.ui.editor import PoemEditorPane

CI_FORM = "词"


def is_ci(data: PoemData) -> bool:
    return data.form == CI_FORM and bool(data.tune)


def stored_ci_book(data: PoemData) -> CiBookKind:
    """The book a stored 词 is checked with (the 词林正韵 when it names none)."""
    return CiBookKind.from_name(data.rhyme_book) or CiBookKind.CILIN


def saved_ci_book(kind: CiBookKind) -> str | None:
    """What a 词 in ``kind`` stores as its rhyme book."""
    return None if kind is CiBookKind.CILIN else kind.value


def ci_target_of(pane: PoemEditorPane, data: PoemData) -> CiTarget | None:
    """What a stored 词 is checked against: its tune and 体 in its book (None for a 诗, or
    when no 词谱 is installed — the pane then says how to build one)."""
    if not is_ci(data):
        return None
    checker = pane.ci_checker_in(stored_ci_book(data))
    if checker is None:
        return None
    tune = checker.table.find(data.tune or "")
    form = checker.table.form(data.ci_form) if data.ci_form else None
    return CiTarget(checker, tune, form)
