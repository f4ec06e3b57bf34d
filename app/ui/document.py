"""The poem open in the editor: which poem, which draft slot, what was last saved.

:class:`PoemDocument` is plain state (no widgets); the window's meta bar
(:mod:`app.ui.window.meta_bar`) edits the metadata — title, author, tags, notes — that
travels with the text in a save or a draft. Features see the current document through
the window's host protocol.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from app.prosody.analysis import PoemAnalysis
from app.prosody.ci.analysis import CiAnalysis
from app.prosody.forms import Form
from app.storage.records import PoemData, PoemRecord, Scores, new_poem_slot, poem_slot

_TAG_SPLIT = re.compile(r"[,，、;；\s]+")
_COUNTER = itertools.count(1)


def new_slot_key() -> str:
    """A draft slot key unique to this new-poem editor (time plus a counter)."""
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{next(_COUNTER)}"


def parse_tags(text: str) -> tuple[str, ...]:
    """Tags typed as ``春, 思乡 山水`` (commas, 、, semicolons or spaces), de-duplicated."""
    seen: dict[str, None] = {}
    for part in _TAG_SPLIT.split(text):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return tuple(seen)


def format_tags(tags: tuple[str, ...]) -> str:
    return ", ".join(tags)


def storage_form(form: Form | None) -> str | None:
    """The library's form name for a checker :class:`Form` (排律 of either length → 排律)."""
    if form is None:
        return None
    if form in (Form.WUPAI, Form.QIPAI):
        return "排律"
    return form.value


def editable(data: PoemData) -> tuple[str, str, str, str, tuple[str, ...], str | None]:
    """The fields a user edits (what makes a document dirty), normalised like a save: the
    text, its metadata and the rhyme book it is checked against."""
    clean = data.cleaned(strict=False)
    return (clean.title, clean.text, clean.author, clean.notes, clean.tags, clean.rhyme_book)


@dataclass
class PoemDocument:
    """The poem in the editor. ``poem_id`` None: a new poem not yet in the library."""

    slot: str
    poem_id: int | None = None
    saved: PoemData = field(default_factory=PoemData)  # content as last saved or loaded
    record: PoemRecord | None = None  # the stored poem (keeps origin, model, reasoning …)
    restored_draft: bool = False  # the content came from a draft, not from a save

    @classmethod
    def new(cls, data: PoemData | None = None) -> PoemDocument:
        """A new poem. With ``data`` (a generated poem), its origin, model, sampling and
        reasoning are kept for the save, and its text counts as not yet saved."""
        slot = new_poem_slot(new_slot_key())
        if data is None:
            return cls(slot=slot)
        return cls(slot=slot, saved=replace(data, title="", text="", author="", notes="", tags=()))

    @classmethod
    def of(cls, record: PoemRecord) -> PoemDocument:
        return cls(
            slot=poem_slot(record.id), poem_id=record.id, saved=record.to_data(), record=record
        )

    def is_dirty(self, current: PoemData) -> bool:
        return editable(current) != editable(self.saved)

    def to_save(self, current: PoemData, analysis: PoemAnalysis | None, scores: Scores) -> PoemData:
        """What an explicit save stores: the edited fields over the stored poem's metadata."""
        base = self.record.to_data() if self.record is not None else self.saved
        form = storage_form(analysis.form) if analysis is not None and analysis.chars else None
        group = (
            analysis.rhyme_group.name
            if analysis is not None and analysis.chars and analysis.rhyme_group is not None
            else None
        )
        tune = ci_form = None
        if isinstance(analysis, CiAnalysis) and analysis.choice is not None:
            # a 词: its 词牌 and 体, the rhyme checked by the 词林正韵 (no 平水 group)
            form, group = "词", None
            tune, ci_form = analysis.choice.form.tune, analysis.choice.form.key
        return replace(
            base,
            title=current.title,
            text=current.text,
            author=current.author,
            notes=current.notes,
            tags=current.tags,
            rhyme_book=current.rhyme_book,
            form=form,
            rhyme_group=group,
            tune=tune,
            ci_form=ci_form,
            scores=scores,
        )
