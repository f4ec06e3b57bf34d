"""ORM rows turned into the frozen records that leave the library."""

from __future__ import annotations

import json

from app.storage.records import DraftRecord, PoemRecord, RevisionRecord, Scores, poem_data_from_json
from app.storage.schema import Draft, Poem, Revision


def scores_of(row: Poem | Revision) -> Scores:
    return Scores(
        tones=row.score_tones,
        rhymes=row.score_rhymes,
        antithesis=row.score_antithesis,
        length=row.score_length,
        total=row.score_total,
    )


def poem_record(poem: Poem) -> PoemRecord:
    return PoemRecord(
        id=poem.id,
        title=poem.title,
        text=poem.text,
        author=poem.author,
        notes=poem.notes,
        form=poem.form,
        rhyme_group=poem.rhyme_group,
        rhyme_book=poem.rhyme_book,
        tune=poem.tune,
        ci_form=poem.ci_form,
        tags=tuple(tag.name for tag in poem.tags),
        origin=poem.origin,
        model_id=poem.model_id,
        sampling_json=poem.sampling,
        reasoning=poem.reasoning,
        scores=scores_of(poem),
        created_at=poem.created_at,
        updated_at=poem.updated_at,
        deleted_at=poem.deleted_at,
    )


def revision_record(row: Revision) -> RevisionRecord:
    names = json.loads(row.tags)
    return RevisionRecord(
        id=row.id,
        poem_id=row.poem_id,
        created_at=row.created_at,
        reason=row.reason,
        restored_from=row.restored_from,
        title=row.title,
        text=row.text,
        author=row.author,
        notes=row.notes,
        form=row.form,
        rhyme_group=row.rhyme_group,
        rhyme_book=row.rhyme_book,
        tune=row.tune,
        ci_form=row.ci_form,
        tags=tuple(str(n) for n in names) if isinstance(names, list) else (),
        scores=scores_of(row),
    )


def draft_record(row: Draft) -> DraftRecord:
    return DraftRecord(
        slot=row.slot,
        poem=poem_data_from_json(row.payload),
        poem_id=row.poem_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
