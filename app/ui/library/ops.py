"""The library calls the window makes, as plain functions to submit to the library thread.

``client.submit(ops.save_draft, draft)`` rather than ``client.submit(Library.save_draft,
draft)``: naming ``Library`` would import SQLAlchemy on the GUI thread (a second
on a small machine), while these functions only need it for type checking. The
import happens once, on the background thread that opens the library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.storage.errors import PoemNotFoundError
from app.storage.records import (
    DraftData,
    DraftRecord,
    PoemData,
    PoemQuery,
    PoemRecord,
    RevisionRecord,
    TagCount,
    poem_slot,
)

if TYPE_CHECKING:
    from app.storage.backup import BackupResult
    from app.storage.records import Scores
    from app.storage.repository import Library
    from app.storage.rescore import Scorable


def save_draft(library: Library, draft: DraftData) -> DraftRecord:
    return library.save_draft(draft)


def clear_draft(library: Library, slot: str) -> None:
    library.clear_draft(slot)


def load_drafts(library: Library, newer_only: bool = True) -> list[DraftRecord]:
    return library.load_drafts(newer_only=newer_only)


def save_poem(
    library: Library, data: PoemData, poem_id: int | None, draft_slot: str | None
) -> PoemRecord:
    return library.save_poem(data, poem_id=poem_id, draft_slot=draft_slot)


def get(library: Library, poem_id: int) -> PoemRecord:
    return library.get(poem_id)


def search(library: Library, query: PoemQuery) -> list[PoemRecord]:
    return library.search(query)


def tags(library: Library) -> list[TagCount]:
    return library.tags()


def revisions(library: Library, poem_id: int) -> list[RevisionRecord]:
    return library.revisions(poem_id)


def restore_revision(library: Library, revision_id: int) -> PoemRecord:
    return library.restore_revision(revision_id)


def delete(library: Library, poem_id: int) -> PoemRecord:
    return library.delete(poem_id)


def undelete(library: Library, poem_id: int) -> PoemRecord:
    return library.undelete(poem_id)


def empty_trash(library: Library) -> int:
    return library.empty_trash()


def rename_tag(library: Library, old: str, new: str) -> int:
    return library.rename_tag(old, new)


def used_rhyme_groups(library: Library) -> list[str]:
    """The rhyme groups of poems outside the trash, for the library's filter."""
    names = {record.rhyme_group for record in library.search(PoemQuery())}
    return sorted(name for name in names if name)


def open_poem(library: Library, poem_id: int) -> tuple[PoemRecord, DraftRecord | None]:
    """A poem and its draft, when the draft is newer than the last save and differs."""
    record = library.get(poem_id)
    slot = poem_slot(poem_id)
    draft = next((d for d in library.load_drafts() if d.slot == slot), None)
    return record, draft


def drafts_to_restore(library: Library) -> list[tuple[DraftRecord, PoemRecord | None]]:
    """Drafts newer than their poem (newest first), each with its poem when it has one."""
    found: list[tuple[DraftRecord, PoemRecord | None]] = []
    for draft in library.load_drafts():
        record = None
        if draft.poem_id is not None:
            try:
                record = library.get(draft.poem_id)
            except PoemNotFoundError:
                record = None
        found.append((draft, record))
    return found


def restore_revision_with_undo(
    library: Library, poem_id: int, revision_id: int
) -> tuple[PoemRecord, int | None]:
    """Restore a revision; also return the revision that was current before (to undo it)."""
    before = library.revisions(poem_id)
    record = library.restore_revision(revision_id)
    return record, before[0].id if before else None


def backup_if_due(library: Library, every_s: float) -> BackupResult | None:
    return library.backup_if_due(every_s)


def backup_if_changed(library: Library) -> BackupResult | None:
    return library.backup_if_changed()


def backup_now(library: Library) -> BackupResult:
    return library.backup()


def stale_scores(library: Library, rule: int) -> list[Scorable] | None:
    return library.stale_scores(rule)


def store_scores(library: Library, rule: int, scored: list[tuple[Scorable, Scores | None]]) -> int:
    return library.store_scores(rule, scored)
