"""Scores kept under an older scoring rule are handed out and written back (app.storage.rescore)."""

from __future__ import annotations

from pathlib import Path

from app.paths import AppPaths
from app.storage.db import open_library
from app.storage.records import PoemData, Scores
from tests.support.storage_options import library_options

JINGYESI = "床前明月光，疑是地上霜。举头望明月，低头思故乡。"
OLD = Scores(tones=90.0, rhymes=100.0, antithesis=100.0, length=100.0, total=96.0)
NEW = Scores(tones=90.0, rhymes=100.0, antithesis=100.0, length=100.0, total=61.4)


def test_scores_of_another_rule_are_handed_out_once_and_rewritten(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path).ensure()
    library, _ = open_library(paths, library_options(tmp_path))
    poem = library.save_poem(PoemData(title="静夜思", text=JINGYESI, form="五绝", scores=OLD))
    trashed = library.save_poem(PoemData(title="旧稿", text=JINGYESI, scores=OLD))
    library.delete(trashed.id)
    # a library that never recorded a rule: everything, the trash and revisions too
    stale = library.stale_scores(2)
    assert stale is not None
    assert sorted((s.kind, s.id) for s in stale) == [
        ("poem", poem.id), ("poem", trashed.id), ("revision", 1), ("revision", 2),
    ]  # fmt: skip
    [item] = [s for s in stale if s.kind == "poem" and s.id == poem.id]
    assert (item.data.text, item.data.form, item.data.scores) == (JINGYESI, "五绝", OLD)
    changed = library.store_scores(2, [(s, None if s.id == trashed.id and s.kind == "poem"
                                            else NEW) for s in stale])  # fmt: skip
    assert changed == 3
    again = library.get(poem.id)
    # the poem did not change: no revision, the same time of change; only its figures
    assert again.scores == NEW and again.updated_at == poem.updated_at
    assert [r.scores for r in library.revisions(poem.id)] == [NEW]
    assert library.get(trashed.id).scores == OLD  # None: left as it was
    assert library.stale_scores(2) is None  # the library follows rule 2 now
    assert library.stale_scores(3) is not None  # … and is scored again under a third
    library.close()
    reopened, _ = open_library(paths, library_options(tmp_path))
    assert reopened.stale_scores(2) is None  # remembered in the file
    reopened.close()


def test_a_poem_saved_meanwhile_keeps_the_scores_of_its_save(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path).ensure()
    library, _ = open_library(paths, library_options(tmp_path))
    poem = library.save_poem(PoemData(title="静夜思", text=JINGYESI, scores=OLD))
    stale = library.stale_scores(2)
    assert stale is not None
    edited = Scores(total=70.0)
    library.save_poem(PoemData(title="静夜思", text=JINGYESI + "\n", scores=edited),
                      poem_id=poem.id)  # fmt: skip
    library.store_scores(2, [(s, NEW) for s in stale])
    assert library.get(poem.id).scores == edited
    assert library.stale_scores(2) is None
    library.close()


def test_an_empty_library_records_the_rule(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path).ensure()
    library, _ = open_library(paths, library_options(tmp_path))
    assert library.stale_scores(2) == []
    assert library.store_scores(2, []) == 0
    assert library.stale_scores(2) is None
    library.close()
