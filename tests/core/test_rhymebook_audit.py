"""The rhyme-book audit's rule (tools/audit_rhymebook.py) and its usage counts
(tools/tang_usage.py) on poems and evidence written here, without the data extra."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.prosody.groups import group_by_name
from app.prosody.rhymebook import RhymeBook

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def tools_on_path() -> Iterator[None]:
    sys.path.insert(0, str(ROOT / "tools"))
    yield
    sys.path.remove(str(ROOT / "tools"))


def gid(name: str) -> int:
    g = group_by_name(name)
    assert g is not None
    return g.id


XIAN, XIAN_QU, JI, DONG2 = gid("下平一先"), gid("去声十七霰"), gid("入声十四缉"), gid("上平二冬")


def evidence(rhyme: dict[int, int], ping: int, ze: int) -> Any:
    """An ``audit_rhymebook.Evidence`` (the module is imported once tools/ is on the path)."""
    from audit_rhymebook import Evidence

    return Evidence(rhyme, {}, ping, ze)


def test_a_tone_guangyun_gives_and_poets_use_is_added() -> None:
    from audit_rhymebook import decide

    rows = decide("先", {XIAN_QU}, {XIAN: "《廣韻》先韻平聲 蘇前切", XIAN_QU: "…"},
                  evidence({XIAN: 42}, 206, 0))  # fmt: skip
    assert [(r.group, r.change, r.decision) for r in rows] == [(XIAN, "+", "add")]


def test_a_tone_guangyun_lacks_and_poets_never_use_is_removed() -> None:
    from audit_rhymebook import decide

    rows = decide(
        "龍", {DONG2, JI}, {DONG2: "《廣韻》鍾韻平聲 力鍾切"}, evidence({DONG2: 112}, 626, 2)
    )
    assert [(r.group, r.change, r.decision) for r in rows] == [(JI, "-", "remove")]


@pytest.mark.parametrize(
    ("ping", "ze", "decision"),
    [
        (0, 4, "leave"),  # too rare to judge: the book stands
        (30, 20, "leave"),  # used as 仄 (a 集韻 reading poets use): kept
        (100, 2, "remove"),
    ],
)
def test_removal_needs_enough_usage_against_it(ping: int, ze: int, decision: str) -> None:
    from audit_rhymebook import decide

    rows = decide("字", {DONG2, JI}, {DONG2: "《廣韻》"}, evidence({}, ping, ze))
    assert [r.decision for r in rows] == [decision]


def test_zhe_groups_of_the_same_tone_are_left_with_a_reason() -> None:
    from audit_rhymebook import decide

    rows = decide("字", {XIAN_QU}, {gid("去声十五翰"): "《廣韻》"}, evidence({}, 0, 50))
    assert {r.decision for r in rows} == {"leave"}
    assert all("仄 groups" in r.reason for r in rows)


def test_usage_counts_rhymes_and_fixed_positions() -> None:
    from tang_usage import PING, ZE, count_usage

    book = RhymeBook.load()

    def groups_of(ch: str) -> frozenset[int]:
        info = book.lookup(ch)
        return info.group_ids if info is not None else frozenset()

    poems = [
        ["白日依山盡", "黃河入海流", "欲窮千里目", "更上一層樓"],  # keeps every fixed position
        ["丞相祠堂何處尋", "錦官城外柏森森", "映階碧草自春色", "隔葉黃鸝空好音",
         "三顧頻煩天下計", "兩朝開濟老臣心", "出師未捷身先死", "長使英雄淚滿襟"],
    ]  # fmt: skip
    usage = count_usage(poems, groups_of)
    assert usage.poems == 2 and usage.clean_poems == 2
    # 流 has one other rhyme (樓) and line 1 does not rhyme: too little to count
    assert usage.rhyme["流", gid("下平十一尤")] == 0
    # 心: 森 音 襟 and line 1's 尋 agree on 十二侵
    assert usage.rhyme["心", gid("下平十二侵")] == 1
    assert usage.first["尋", gid("下平十二侵")] == 1
    assert usage.fixed["心", PING] == 1 and usage.fixed["心", ZE] == 0  # a rhyme wants 平
    # 身先死: the 6th of a non-rhyming line has licences (大拗), so it is not counted
    assert usage.fixed["先", PING] == usage.fixed["先", ZE] == 0
    assert usage.fixed["日", ZE] == 1  # 白日: the 2nd of a 仄起 line
