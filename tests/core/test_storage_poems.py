"""The poem library on a real SQLite file: saving, revisions, search, tags, trash, cleaning."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from app.paths import AppPaths
from app.prosody.rhymebook import RhymeBook
from app.storage.backup import list_backups
from app.storage.db import open_library
from app.storage.errors import InvalidPoemError, PoemNotFoundError, RevisionNotFoundError
from app.storage.migrations import LATEST_VERSION
from app.storage.records import PoemData, PoemQuery, Scores, TagCount
from app.storage.repository import Library
from tests.support.storage_clock import StepClock
from tests.support.storage_options import library_options

JINGYESI = "床前明月光\n疑是地上霜\n举头望明月\n低头思故乡"
DENG = "白日依山尽\n黄河入海流\n欲穷千里目\n更上一层楼"


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths.under(tmp_path)


@pytest.fixture
def library(paths: AppPaths, clock: StepClock, tmp_path: Path) -> Iterator[Library]:
    lib, report = open_library(paths, library_options(tmp_path, clock=clock))
    assert report.created
    yield lib
    lib.close()


def test_a_saved_poem_reads_back_with_every_field(library: Library) -> None:
    data = PoemData(
        title="静夜思",
        text=JINGYESI,
        author="李白",
        notes="乐府旧题",
        form="五绝",
        rhyme_group="下平七阳",
        tags=("月", "思乡"),
        origin="generated",
        model_id="qpm-1k-32b-r1-q4_k_m",
        sampling={"temperature": 0.6, "top_p": 0.95, "seed": 7},
        reasoning="<think>先定韵部……</think>",
        scores=Scores(tones=0.9, rhymes=1.0, antithesis=0.5, length=1.0, total=0.85),
    )
    saved = library.save_poem(data)
    again = library.get(saved.id)
    assert again == saved
    assert again.to_data() == dataclasses.replace(data, tags=("思乡", "月"))
    assert again.sampling == {"temperature": 0.6, "top_p": 0.95, "seed": 7}
    assert again.created_at.tzinfo is UTC and again.created_at == again.updated_at
    assert again.deleted_at is None


def test_records_are_frozen_values(library: Library) -> None:
    record = library.save_poem(PoemData(title="登鹳雀楼", text=DENG, sampling={"seed": 1}))
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.title = "x"  # type: ignore[misc]
    copy = record.sampling
    assert copy is not None
    copy["seed"] = 99  # a fresh dict each time: the record is not changed
    assert record.sampling == {"seed": 1}
    assert hash(record) == hash(library.get(record.id))


def test_every_changing_save_keeps_a_revision_and_a_same_save_is_a_no_op(
    library: Library,
) -> None:
    first = library.save_poem(PoemData(title="草稿", text="床前明月光"))
    second = library.save_poem(PoemData(title="静夜思", text=JINGYESI), poem_id=first.id)
    same = library.save_poem(PoemData(title="静夜思", text=JINGYESI), poem_id=first.id)
    assert second.updated_at > first.updated_at
    assert same.updated_at == second.updated_at
    revisions = library.revisions(first.id)
    assert [r.reason for r in revisions] == ["save", "create"]
    assert [r.text for r in revisions] == [JINGYESI, "床前明月光"]
    assert revisions[0].created_at == second.updated_at


def test_restoring_a_revision_is_a_save_that_can_itself_be_undone(library: Library) -> None:
    poem = library.save_poem(PoemData(title="一稿", text="白日依山尽", tags=("旧",)))
    library.save_poem(
        PoemData(title="二稿", text=DENG, tags=("新",), scores=Scores(total=0.9)), poem_id=poem.id
    )
    oldest = library.revisions(poem.id)[-1]
    restored = library.restore_revision(oldest.id)
    assert (restored.title, restored.text, restored.tags) == ("一稿", "白日依山尽", ("旧",))
    assert restored.scores == Scores()
    history = library.revisions(poem.id)
    assert [r.reason for r in history] == ["restore", "save", "create"]
    assert history[0].restored_from == oldest.id
    # undo the restore: bring back the revision just before it
    undone = library.restore_revision(history[1].id)
    assert (undone.title, undone.text, undone.tags) == ("二稿", DENG, ("新",))
    assert undone.scores.total == 0.9
    assert len(library.revisions(poem.id)) == 4
    assert library.tags()[0].name == "新"  # the tag no poem carries any more is gone


def test_restore_keeps_generation_metadata(library: Library) -> None:
    poem = library.save_poem(
        PoemData(text="甲", origin="generated", model_id="m", reasoning="想", sampling={"t": 1})
    )
    edited = dataclasses.replace(poem.to_data(), text="乙")
    library.save_poem(edited, poem_id=poem.id)
    restored = library.restore_revision(library.revisions(poem.id)[-1].id)
    assert restored.text == "甲"
    assert (restored.origin, restored.model_id, restored.reasoning) == ("generated", "m", "想")
    assert restored.sampling == {"t": 1}


def test_missing_ids_and_bad_data_raise_typed_errors_and_save_nothing(library: Library) -> None:
    with pytest.raises(PoemNotFoundError) as missing:
        library.save_poem(PoemData(text="x"), poem_id=12345)
    assert "12345" in missing.value.message.zh and "12345" in missing.value.message.en
    with pytest.raises(PoemNotFoundError):
        library.get(12345)
    with pytest.raises(RevisionNotFoundError):
        library.restore_revision(999)
    with pytest.raises(InvalidPoemError):
        library.save_poem(PoemData(text="x", form="宋词"))
    with pytest.raises(InvalidPoemError):
        library.save_poem(PoemData(text="x", origin="copied"))
    with pytest.raises(InvalidPoemError):
        library.save_poem(PoemData(text="x", sampling={"bad": object()}))
    with pytest.raises(InvalidPoemError):
        library.save_poem(PoemData(text="x", scores=Scores(total=float("nan"))))
    assert library.count(PoemQuery(state="all")) == 0


def test_lone_surrogates_and_nul_are_replaced_so_the_save_is_not_lost(library: Library) -> None:
    raw = "床前\ud800明月光\n疑是\x00地上霜\n\ud83d\ude00"  # lone, NUL, a pair as two code points
    saved = library.save_poem(PoemData(title="静\udfff夜思", text=raw, tags=("月\ud800",)))
    assert saved.text == "床前\ufffd明月光\n疑是\ufffd地上霜\n😀"
    assert saved.title == "静\ufffd夜思"
    assert saved.tags == ("月\ufffd",)
    assert library.get(saved.id).text == saved.text
    # text after the former NUL is searchable, which it would not be with a NUL stored
    assert [p.id for p in library.search(PoemQuery(text="地上霜"))] == [saved.id]
    assert library.search(PoemQuery(text="明月\ud800")) == []  # a dirty query is cleaned too


def test_plain_sqlite3_refuses_a_lone_surrogate(tmp_path: Path) -> None:
    """The fault the cleaning exists for (measured on this Python/SQLite)."""
    conn = sqlite3.connect(tmp_path / "raw.sqlite3")
    conn.execute("CREATE TABLE t (x TEXT)")
    with pytest.raises(UnicodeEncodeError):
        conn.execute("INSERT INTO t VALUES (?)", ("\ud800",))
    conn.close()


def _titles(library: Library, query: PoemQuery) -> list[str]:
    return [p.title for p in library.search(query)]


@pytest.fixture
def shelf(library: Library) -> Library:
    library.save_poem(
        PoemData(title="静夜思", text=JINGYESI, author="李白", form="五绝", rhyme_group="下平七阳",
                 tags=("月", "思乡"), scores=Scores(total=0.7))
    )  # fmt: skip
    library.save_poem(
        PoemData(title="登鹳雀楼", text=DENG, author="王之涣", form="五绝",
                 rhyme_group="下平十一尤", tags=("登临",), scores=Scores(total=0.9))
    )  # fmt: skip
    library.save_poem(
        PoemData(title="月夜", text="今夜鄜州月\n闺中只独看", author="杜甫", form="五律",
                 rhyme_group="上平十四寒", origin="generated", model_id="m")
    )  # fmt: skip
    library.save_poem(
        PoemData(title="100% 纯", text="a_b", author="test", notes="明月 only in notes")
    )  # fmt: skip
    return library


def test_search_matches_title_text_author_and_tags(shelf: Library) -> None:
    assert _titles(shelf, PoemQuery(text="明月")) == ["静夜思"]  # text (not the notes)
    assert sorted(_titles(shelf, PoemQuery(text="月"))) == ["月夜", "静夜思"]
    assert _titles(shelf, PoemQuery(text="王之涣")) == ["登鹳雀楼"]  # author
    assert _titles(shelf, PoemQuery(text="登临")) == ["登鹳雀楼"]  # tag
    assert _titles(shelf, PoemQuery(text="思乡 李白")) == ["静夜思"]  # every word must match
    assert _titles(shelf, PoemQuery(text="思乡 杜甫")) == []
    assert _titles(shelf, PoemQuery(text="100%")) == ["100% 纯"]  # LIKE wildcards are literal
    assert _titles(shelf, PoemQuery(text="0%纯")) == []
    assert _titles(shelf, PoemQuery(text="a_b")) == ["100% 纯"]
    assert _titles(shelf, PoemQuery(text="a%b")) == []
    assert _titles(shelf, PoemQuery(text="TEST")) == ["100% 纯"]  # Latin case-insensitive


def test_search_matches_across_scripts(paths: AppPaths, clock: StepClock, tmp_path: Path) -> None:
    book = RhymeBook.load()
    options = library_options(tmp_path, clock=clock, script_forms=book.script_forms)
    library, _ = open_library(paths, options)
    try:
        library.save_poem(PoemData(title="登高", text="不尽长江滚滚来", author="杜甫"))
        library.save_poem(PoemData(title="黃鶴樓", text="晴川歷歷漢陽樹", author="崔顥",
                                   tags=("樓",)))  # fmt: skip
        assert _titles(library, PoemQuery(text="長江")) == ["登高"]  # traditional finds simplified
        assert _titles(library, PoemQuery(text="汉阳")) == ["黃鶴樓"]  # and the other way
        assert _titles(library, PoemQuery(text="黄鹤楼 崔颢")) == ["黃鶴樓"]
        assert _titles(library, PoemQuery(text="楼")) == ["黃鶴樓"]  # a tag in either script
        assert library.count(PoemQuery(text="長江")) == 1
        assert _titles(library, PoemQuery(text="长江 100%")) == []  # wildcards stay literal
        library.save_poem(PoemData(title="長江*? [Tang]", text="月"))
        assert _titles(library, PoemQuery(text="长江*?")) == ["長江*? [Tang]"]  # literal * ?
        assert _titles(library, PoemQuery(text="长江*x")) == []
        assert _titles(library, PoemQuery(text="[tang]")) == ["長江*? [Tang]"]  # Latin any case
        assert _titles(library, PoemQuery(text="長[tANG]")) == []  # not a word of the title
        assert book.script_forms("长") == "长長" and book.script_forms("月") == "月"
        assert set(book.script_forms("发")) >= {"发", "發", "髮"}
    finally:
        library.close()


def test_filters_and_counts(shelf: Library) -> None:
    assert sorted(_titles(shelf, PoemQuery(form="五绝"))) == ["登鹳雀楼", "静夜思"]
    assert _titles(shelf, PoemQuery(rhyme_group="上平十四寒")) == ["月夜"]
    assert _titles(shelf, PoemQuery(tag="月")) == ["静夜思"]
    assert _titles(shelf, PoemQuery(origin="generated")) == ["月夜"]
    assert _titles(shelf, PoemQuery(form="五绝", text="黄河")) == ["登鹳雀楼"]
    assert shelf.count() == 4
    assert shelf.count(PoemQuery(form="五绝", limit=1)) == 2


def test_sort_orders_and_pages(shelf: Library) -> None:
    newest_first = ["100% 纯", "月夜", "登鹳雀楼", "静夜思"]
    assert _titles(shelf, PoemQuery()) == newest_first
    assert _titles(shelf, PoemQuery(sort="created", descending=False)) == newest_first[::-1]
    assert _titles(shelf, PoemQuery(sort="title", descending=False)) == sorted(newest_first)
    # by total score, best first; poems without a score last in both directions
    assert _titles(shelf, PoemQuery(sort="score"))[:2] == ["登鹳雀楼", "静夜思"]
    assert _titles(shelf, PoemQuery(sort="score", descending=False))[:2] == ["静夜思", "登鹳雀楼"]
    assert set(_titles(shelf, PoemQuery(sort="score"))[2:]) == {"月夜", "100% 纯"}
    assert _titles(shelf, PoemQuery(limit=2, offset=1)) == newest_first[1:3]
    # editing an old poem brings it to the top of "updated"
    old = shelf.search(PoemQuery(text="静夜思"))[0]
    shelf.save_poem(dataclasses.replace(old.to_data(), notes="改"), poem_id=old.id)
    assert _titles(shelf, PoemQuery())[0] == "静夜思"


def test_tags_are_normalised_counted_and_renamed(library: Library) -> None:
    a = library.save_poem(PoemData(title="a", tags=(" 月 ", "月", "", "秋")))
    assert a.tags == ("月", "秋")
    b = library.save_poem(PoemData(title="b", tags=("月",)))
    library.save_poem(PoemData(title="c", tags=("秋夜",)))
    assert [(t.name, t.poems) for t in library.tags()] == [("月", 2), ("秋", 1), ("秋夜", 1)]
    library.delete(b.id)
    assert library.tags()[0] == TagCount("月", 1)  # the trash is not counted
    assert library.rename_tag("秋夜", "秋") == 1  # merge into an existing tag
    assert [(t.name, t.poems) for t in library.tags()] == [("月", 1), ("秋", 2)]
    assert library.rename_tag("月", "明月") == 2
    assert library.get(b.id).tags == ("明月",)
    assert library.rename_tag("没有", "x") == 0
    with pytest.raises(InvalidPoemError):
        library.rename_tag("明月", "  ")
    library.save_poem(PoemData(title="a"), poem_id=a.id)  # drop a's tags
    assert [t.name for t in library.tags()] == ["明月", "秋"]  # b (in the trash) keeps 明月


def test_trash_hides_restores_and_empties_with_a_backup_first(
    library: Library, paths: AppPaths, clock: StepClock
) -> None:
    keep = library.save_poem(PoemData(title="留", text="甲"))
    old = library.save_poem(PoemData(title="旧", text="乙", tags=("弃",)))
    recent = library.save_poem(PoemData(title="新", text="丙"))
    library.delete(old.id)
    trashed = library.delete(recent.id)
    assert trashed.in_trash
    assert _titles(library, PoemQuery()) == ["留"]
    assert _titles(library, PoemQuery(state="trash", sort="title", descending=False)) == [
        "新",
        "旧",
    ]
    assert len(_titles(library, PoemQuery(state="all"))) == 3
    assert library.undelete(recent.id).deleted_at is None
    library.delete(recent.id)
    clock.advance(timedelta(days=40))
    library.delete(keep.id)
    library.undelete(keep.id)
    # only what sat in the trash for 30 days goes; deleting is explicit and backed up first
    assert library.empty_trash(older_than=timedelta(days=30)) == 2
    with pytest.raises(PoemNotFoundError):
        library.get(old.id)
    with pytest.raises(PoemNotFoundError):
        library.revisions(old.id)
    assert [b.label for b in list_backups(paths.backups)] == ["before-empty-trash"]
    assert library.tags() == []
    assert library.empty_trash() == 0
    assert _titles(library, PoemQuery(state="all")) == ["留"]
    stats = library.stats()
    assert (stats.poems, stats.in_trash, stats.revisions, stats.tags) == (1, 0, 1, 0)


def test_a_trashed_poem_can_still_be_saved_and_stays_in_the_trash(library: Library) -> None:
    poem = library.save_poem(PoemData(text="甲"))
    library.delete(poem.id)
    saved = library.save_poem(PoemData(text="乙"), poem_id=poem.id)
    assert saved.text == "乙" and saved.in_trash


def test_stats_summarise_the_library(shelf: Library) -> None:
    stats = shelf.stats()
    assert stats.poems == 4 and stats.in_trash == 0 and stats.revisions == 4
    assert dict(stats.by_form) == {"—": 1, "五律": 1, "五绝": 2}
    assert dict(stats.by_origin) == {"generated": 1, "written": 3}
    assert stats.schema_version == LATEST_VERSION and stats.database_bytes > 0


def test_the_library_refuses_calls_from_another_thread(library: Library) -> None:
    errors: list[BaseException] = []

    def call() -> None:
        try:
            library.count()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    thread.join()
    assert len(errors) == 1 and isinstance(errors[0], RuntimeError)
    assert library.count() == 0
