"""词 in the library: a poem's 词牌 and 体 are stored, versioned and searchable (schema v5)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.paths import AppPaths
from app.storage.db import open_library
from app.storage.records import DraftData, PoemData, PoemQuery, new_poem_slot
from tests.support.storage_options import library_options, open_migrated, write_old_library

PUSAMAN = "平林漠漠烟如织，寒山一带伤心碧。暝色入高楼，有人楼上愁。"


def test_a_version_4_library_gains_tune_and_form_and_keeps_its_poems(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path).ensure()
    write_old_library(  # a 诗
        paths.database,
        4,
        (
            "INSERT INTO poems (title, author, form, text, origin, created_at, updated_at) "
            "VALUES ('静夜思', '李白', '五绝', '床前明月光', 'written', "
            "'2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z')",
            (),
        ),
    )
    library, step = open_migrated(paths, tmp_path, 4)  # the copy before is the version-4 file
    assert "词牌" in step
    old = library.get(1)
    assert (old.title, old.form, old.tune, old.ci_form) == ("静夜思", "五绝", None, None)
    library.close()


def test_a_ci_keeps_its_tune_and_form_through_saves_revisions_and_drafts(
    tmp_path: Path,
) -> None:
    paths = AppPaths.under(tmp_path).ensure()
    library, _ = open_library(paths, library_options(tmp_path))
    data = PoemData(title="菩萨蛮", text=PUSAMAN, form="词", tune="菩薩蠻", ci_form="菩薩蠻#0")
    poem = library.save_poem(data)
    assert (poem.form, poem.tune, poem.ci_form) == ("词", "菩薩蠻", "菩薩蠻#0")
    changed = library.save_poem(replace(poem.to_data(), ci_form="菩薩蠻#1"), poem_id=poem.id)
    assert changed.ci_form == "菩薩蠻#1"
    first, second = sorted(library.revisions(poem.id), key=lambda r: r.id)
    assert (first.ci_form, second.ci_form) == ("菩薩蠻#0", "菩薩蠻#1")
    assert first.tune == second.tune == "菩薩蠻"
    restored = library.restore_revision(first.id)
    assert restored.ci_form == "菩薩蠻#0"
    # search by tune
    library.save_poem(PoemData(title="静夜思", text="床前明月光", form="五绝"))
    found = library.search(PoemQuery(tune="菩薩蠻"))
    assert [p.title for p in found] == ["菩萨蛮"]
    # drafts carry them too
    library.save_draft(DraftData(slot=new_poem_slot(), poem=data))
    [draft] = library.load_drafts()
    assert (draft.poem.tune, draft.poem.ci_form, draft.poem.form) == ("菩薩蠻", "菩薩蠻#0", "词")
    library.close()
