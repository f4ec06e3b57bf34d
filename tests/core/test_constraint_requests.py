"""Strict-metre requests: the spec, and the requests that cannot be met (rejected with a
Chinese and an English message before anything is generated)."""

from __future__ import annotations

from typing import Any

import pytest

from app.compose.constraint.automaton import MetreSettings
from app.compose.constraint.chars import CharPolicy, CharTable, book_universe
from app.compose.constraint.spec import ConstraintError, ConstraintSpec, metre_spec, plan_automaton
from app.prosody.forms import Form
from app.prosody.groups import GROUPS
from app.prosody.rhymebook import RhymeBook


def _reject(data: Any) -> ConstraintError:
    with pytest.raises(ConstraintError) as info:
        ConstraintSpec.from_dict(data)
    err = info.value
    assert err.zh and err.en and str(err) == err.en
    return err


def test_the_compose_panels_spec_and_the_defaults() -> None:
    spec = ConstraintSpec.from_dict({"kind": "metre", "form": "七绝", "group": 14})
    assert spec.form is Form.QIJUE and spec.group is GROUPS[14]
    assert spec.metre == MetreSettings() and spec.policy == CharPolicy()
    assert spec.think_budget == 1024 and spec.cache_dir is None
    by_name = ConstraintSpec.from_dict({"form": "七言绝句", "group": "上平十五删"})
    assert by_name.group is GROUPS[14]
    assert ConstraintSpec.from_dict(spec.to_dict()) == spec
    built = metre_spec(Form.WULV, "一东", first_rhymes=False, qi="平起", think_budget=0)
    assert built["group"] == 0 and built["first_rhymes"] is False and built["qi"] == "平起"


@pytest.mark.parametrize(
    ("data", "code", "zh", "en"),
    [
        ({"form": "七绝", "group": "上声一董"}, "ze_group", "仄声韵部", "oblique-tone group"),
        ({"form": "七绝", "group": 40}, "ze_group", "上声", "level-tone group"),
        ({"form": "七绝", "group": 999}, "unknown_group", "没有这个韵部", "no such rhyme group"),
        ({"form": "七绝", "group": "不存在"}, "unknown_group", "不存在", "no such rhyme group"),
        ({"form": "七绝"}, "no_group", "韵部", "needs a rhyme group"),
        (
            {"form": "五言排律", "group": 0},
            "unsupported_form",
            "五绝、七绝、五律、七律",
            "五绝/七绝",
        ),
        ({"form": "词", "group": 0}, "unsupported_form", "不支持", "not '词'"),
        ({"form": "七绝", "group": 0, "qi": "平"}, "bad_spec", "平起或仄起", "qi must be"),
        (
            {"form": "七绝", "group": 0, "first_rhymes": "yes"},
            "bad_spec",
            "首句入韵",
            "first_rhymes",
        ),
        ({"form": "七绝", "group": 0, "think_budget": -1}, "bad_spec", "思考预算", "think_budget"),
        ({"form": "七绝", "group": 0, "script": "cursive"}, "bad_spec", "字形", "script"),
        ({"kind": "json", "form": "七绝", "group": 0}, "bad_spec", "约束类型", "kind"),
        ("七绝", "bad_spec", "格式有误", "malformed"),
    ],
)
def test_impossible_requests_are_rejected_with_a_message(
    data: Any, code: str, zh: str, en: str
) -> None:
    err = _reject(data)
    assert err.code == code and zh in err.zh and en in err.en


def _table(book: RhymeBook, rhymes: str) -> CharTable:
    """The book's characters, but only ``rhymes`` left of 下平十五咸."""
    xian = set(book.group_chars(29)) | set(book.group_chars(29, "traditional"))
    return CharTable.build(book, (book_universe(book) - xian) | set(rhymes), CharPolicy())


def test_too_few_rhyme_characters(book: RhymeBook) -> None:
    table = _table(book, "咸衫")
    assert set(table.group_members(29)) == set("咸衫")
    with pytest.raises(ConstraintError) as info:
        plan_automaton(ConstraintSpec.from_dict({"form": "五律", "group": 29}), table)
    err = info.value
    assert err.code == "too_few_rhymes"
    assert "只有 2 个可用的韵字" in err.zh and "需要 4 个" in err.zh
    assert "only 2 usable rhyme characters" in err.en and "needs 4" in err.en


def test_shou_ju_ru_yun_is_dropped_when_the_group_is_one_short(book: RhymeBook) -> None:
    table = _table(book, "咸衫")
    automaton = plan_automaton(ConstraintSpec.from_dict({"form": "七绝", "group": 29}), table)
    assert {s.first_rhymes for s in automaton.candidate_schemes()} == {False}
    asked = ConstraintSpec.from_dict({"form": "七绝", "group": 29, "first_rhymes": True})
    with pytest.raises(ConstraintError) as info:
        plan_automaton(asked, table)
    assert info.value.code == "too_few_rhymes" and "需要 3 个" in info.value.zh


def test_every_level_group_can_rhyme_a_qilv(book: RhymeBook) -> None:
    table = CharTable.build(book, book_universe(book), CharPolicy())
    for g in GROUPS[:30]:
        members = table.group_members(g.id)
        assert len(members) >= 5, g.name
        automaton = plan_automaton(ConstraintSpec.from_dict({"form": "七律", "group": g.id}), table)
        assert automaton.max_rhyme_slots() == 5  # 首句入韵 stays possible everywhere
