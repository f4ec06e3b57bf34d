"""Scores kept under an older scoring rule, and scoring them again.

A poem's scores are stored when it is saved. When the rule that makes them changes
(``app.prosody.scorer.SCORE_RULE``), the library would go on showing and sorting by the
old figures — a 96 for a poem the grader now gives 61 — until each poem happened to be
saved again. So the library remembers which rule its stored scores follow (the ``meta``
key ``score_rule``); when the app's rule is another, every poem and revision is handed
out to be scored again (:func:`stale_scores`) and the new figures are written back
(:func:`store_scores`) without a new revision and without touching ``updated_at``: the
poems did not change, only the rule that measures them.

This module knows nothing of the scorer (the core's storage does not import prosody);
the caller scores each :class:`Scorable` and passes the rule's number along.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.storage.records import PoemData, Scores
from app.storage.rows import poem_record, revision_record
from app.storage.schema import Meta, Poem, Revision

RULE_KEY = "score_rule"


@dataclass(frozen=True, slots=True)
class Scorable:
    """A stored poem or revision whose scores follow another rule."""

    kind: Literal["poem", "revision"]
    id: int
    data: PoemData  # the text, form, group and book the scores are of
    # a poem's ``updated_at`` when handed out: a poem saved meanwhile keeps the new
    # scores its save gave it (None for a revision, which never changes)
    stamp: datetime | None = None


def stored_rule(session: Session) -> int | None:
    """The scoring rule the library's stored scores follow (None: before rules had numbers)."""
    row = session.get(Meta, RULE_KEY)
    if row is None:
        return None
    try:
        return int(row.value)
    except ValueError:
        return None


def stale_scores(session: Session, rule: int) -> list[Scorable] | None:
    """Every poem (the trash too) and revision to score again under ``rule`` when the
    library's scores follow another rule; None when they follow this one."""
    if stored_rule(session) == rule:
        return None
    found: list[Scorable] = []
    for poem in session.scalars(select(Poem).order_by(Poem.id)):
        record = poem_record(poem)
        found.append(Scorable("poem", poem.id, record.to_data(), record.updated_at))
    for row in session.scalars(select(Revision).order_by(Revision.id)):
        rev = revision_record(row)
        data = PoemData(
            title=rev.title,
            text=rev.text,
            author=rev.author,
            notes=rev.notes,
            form=rev.form,
            rhyme_group=rev.rhyme_group,
            rhyme_book=rev.rhyme_book,
            tune=rev.tune,
            ci_form=rev.ci_form,
            tags=rev.tags,
            scores=rev.scores,
        )
        found.append(Scorable("revision", row.id, data))
    return found


def store_scores(
    session: Session, rule: int, scored: Sequence[tuple[Scorable, Scores | None]]
) -> int:
    """Write the new scores (None: leave that row's as they are) and record ``rule``.

    A poem saved since it was handed out (its ``updated_at`` moved) or deleted for good is
    skipped. Returns how many rows changed.
    """
    changed = 0
    for item, scores in scored:
        if scores is None:
            continue
        row: Poem | Revision | None
        if item.kind == "poem":
            row = session.get(Poem, item.id)
            if row is None or row.updated_at != item.stamp:
                continue
        else:
            row = session.get(Revision, item.id)
            if row is None:
                continue
        values = {
            "score_tones": scores.tones,
            "score_rhymes": scores.rhymes,
            "score_antithesis": scores.antithesis,
            "score_length": scores.length,
            "score_total": scores.total,
        }
        if any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            changed += 1
    meta = session.get(Meta, RULE_KEY)
    if meta is None:
        session.add(Meta(key=RULE_KEY, value=str(rule)))
    else:
        meta.value = str(rule)
    return changed
