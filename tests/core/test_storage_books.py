"""The rhyme book a poem is checked against, stored with it (schema v6)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.paths import AppPaths
from app.storage.db import open_library
from app.storage.errors import InvalidPoemError
from app.storage.records import DraftData, PoemData, new_poem_slot
from tests.support.storage_options import library_options, open_migrated, write_old_library

SHAN_XING = "远上寒山石径斜，白云生处有人家。停车坐爱枫林晚，霜叶红于二月花。"


def test_a_version_5_library_gains_the_rhyme_book_and_keeps_its_poems(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path).ensure()
    write_old_library(  # a poem and its revision
        paths.database,
        5,
        (
            "INSERT INTO poems (title, author, form, rhyme_group, text, origin, created_at, "
            "updated_at) VALUES ('山行', '杜牧', '七绝', '下平六麻', ?, 'written', "
            "'2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z')",
            (SHAN_XING,),
        ),
        (
            "INSERT INTO revisions (poem_id, created_at, reason, title, text) VALUES "
            "(1, '2024-01-01T00:00:00.000000Z', 'create', '山行', ?)",
            (SHAN_XING,),
        ),
    )
    library, step = open_migrated(paths, tmp_path, 5)
    assert "韵书" in step or "rhyme book" in step
    old = library.get(1)
    assert (old.title, old.rhyme_group, old.rhyme_book) == ("山行", "下平六麻", None)
    [rev] = library.revisions(1)
    assert rev.rhyme_book is None
    library.close()


def test_the_book_goes_with_saves_revisions_restores_and_drafts(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path).ensure()
    library, _ = open_library(paths, library_options(tmp_path))
    data = PoemData(title="山行", text=SHAN_XING, form="七绝", rhyme_book="tongyun",
                    rhyme_group="通韵一啊")  # fmt: skip
    poem = library.save_poem(data)
    assert (poem.rhyme_book, poem.rhyme_group) == ("tongyun", "通韵一啊")
    classical = library.save_poem(
        replace(poem.to_data(), rhyme_book=None, rhyme_group="下平六麻"), poem_id=poem.id
    )
    assert classical.rhyme_book is None
    first, second = sorted(library.revisions(poem.id), key=lambda r: r.id)
    assert (first.rhyme_book, second.rhyme_book) == ("tongyun", None)
    restored = library.restore_revision(first.id)
    assert (restored.rhyme_book, restored.rhyme_group) == ("tongyun", "通韵一啊")
    library.save_draft(DraftData(slot=new_poem_slot(), poem=data))
    [draft] = library.load_drafts()
    assert draft.poem.rhyme_book == "tongyun"
    # reopening reads it back
    library.close()
    again, _ = open_library(paths, library_options(tmp_path))
    assert again.get(poem.id).rhyme_book == "tongyun"
    again.close()


def test_an_unknown_book_is_refused_for_a_poem_and_dropped_for_a_draft(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path).ensure()
    library, _ = open_library(paths, library_options(tmp_path))
    with pytest.raises(InvalidPoemError) as info:
        library.save_poem(PoemData(title="x", text="春", rhyme_book="klingon"))
    assert "韵书" in info.value.message.zh
    library.save_draft(
        DraftData(slot=new_poem_slot(), poem=PoemData(title="x", text="春", rhyme_book="klingon"))
    )
    [draft] = library.load_drafts()
    assert draft.poem.rhyme_book is None and draft.poem.text == "春"
    library.close()
