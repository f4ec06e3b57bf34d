"""The bundled 词林正韵 table (resources/cilin/) and its lookups, on the real data."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.prosody.rhymebook.cilin import (
    BU_NAMES,
    CilinBook,
    CilinError,
    bu_name,
    decode_parts,
    encode_parts,
    parse_bu,
)
from app.prosody.rhymebook.rows import SortedRows
from app.prosody.tones import Tone
from tests.support.cipu_fixture import cilin_fixture  # noqa: F401


def test_names_and_parsing() -> None:
    assert bu_name(1) == "第一部" and bu_name(14) == "第十四部" and bu_name(19) == "第十九部"
    assert len(BU_NAMES) == 19
    assert parse_bu("第七部") == 7 and parse_bu("十一部") == 11 and parse_bu("7") == 7
    assert parse_bu("第二十部") is None and parse_bu("阳") is None


def test_encoding_round_trip() -> None:
    parts = ((7, Tone.PING), (6, Tone.PING), (7, Tone.QU), (18, Tone.RU))
    assert encode_parts(parts) == "7p 6p 7q 18r"
    assert decode_parts("7p 6p 7q 18r") == parts


@pytest.mark.parametrize(
    ("ch", "kind", "bu"),
    [
        ("东", "平", 1), ("冬", "平", 1), ("江", "平", 2), ("阳", "平", 2), ("窗", "平", 2),
        ("支", "平", 3), ("微", "平", 3), ("回", "平", 3), ("梅", "平", 3),
        ("鱼", "平", 4), ("来", "平", 5), ("开", "平", 5), ("街", "平", 5),
        ("真", "平", 6), ("门", "平", 6), ("魂", "平", 6), ("村", "平", 6),
        ("元", "平", 7), ("园", "平", 7), ("言", "平", 7), ("天", "平", 7), ("寒", "平", 7),
        ("萧", "平", 8), ("歌", "平", 9), ("花", "平", 10), ("涯", "平", 10),
        ("明", "平", 11), ("青", "平", 11), ("蒸", "平", 11), ("秋", "平", 12),
        ("心", "平", 13), ("南", "平", 14), ("帘", "平", 14),
        ("外", "仄", 3), ("会", "仄", 3), ("带", "仄", 5), ("话", "仄", 10), ("挂", "仄", 10),
        ("洒", "仄", 10), ("买", "仄", 5), ("去", "仄", 4), ("晚", "仄", 7), ("恨", "仄", 6),
        ("屋", "仄", 15), ("觉", "仄", 16), ("药", "仄", 16), ("国", "仄", 17),
        ("碧", "仄", 17), ("月", "仄", 18), ("雪", "仄", 18), ("叶", "仄", 18), ("合", "仄", 19),
    ],
)  # fmt: skip
def test_bu_of_common_rhymes(cilin: CilinBook, ch: str, kind: str, bu: int) -> None:
    assert bu in cilin.bu_of(ch, kind), (ch, cilin.parts(ch))  # type: ignore[arg-type]


def test_divided_groups_are_divided(cilin: CilinBook) -> None:
    # 十三元: 元 with 寒删先 (第七部), 魂痕 with 真文 (第六部)
    assert cilin.bu_of("元", "平") == {7} and cilin.bu_of("门", "平") == {6}
    # 十灰: 灰 with 支微 (第三部), 咍 with 佳皆 (第五部)
    assert cilin.bu_of("回", "平") == {3} and cilin.bu_of("来", "平") == {5}
    # 泰: 合口 → 第三部, 開口 → 第五部
    assert cilin.bu_of("最", "仄") == {3} and 5 in cilin.bu_of("带", "仄")
    # 入声 部 stand apart from 平上去
    assert cilin.bu_of("月", "平") == frozenset()
    assert all(bu >= 15 for bu in cilin.bu_of("月", "仄"))


def test_members_and_meta(cilin: CilinBook) -> None:
    assert cilin.members(7, "平")[:40].count("天") == 1
    assert "花" in cilin.members(10, "平") and "月" in cilin.members(18, "入")
    assert cilin.members(15, "平") == ""
    assert len(cilin) > 20000
    assert cilin.meta["format"] == "1"
    assert cilin.parts("a") == () and cilin.bu_of("𠀀𠀀", "平") == frozenset()


def test_rows_sorted() -> None:
    root = Path(__file__).resolve().parents[2] / "resources" / "cilin"
    lines = (root / "chars.tsv").read_text(encoding="utf-8").splitlines()
    assert SortedRows(lines, start=1).is_sorted()


def test_missing_or_foreign_folder(tmp_path: Path) -> None:
    with pytest.raises(CilinError):
        CilinBook.load(tmp_path)
    (tmp_path / "chars.tsv").write_text("#something\t9\n", encoding="utf-8")
    (tmp_path / "bu.tsv").write_text("#bu\n", encoding="utf-8")
    (tmp_path / "meta.json").write_text("{}", encoding="utf-8")
    with pytest.raises(CilinError, match="format"):
        CilinBook.load(tmp_path)
