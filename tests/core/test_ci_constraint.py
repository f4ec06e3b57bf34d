"""Strict metre for 词: the automaton of a 体, its rhyme groups and 部, 叠句, the requests
that cannot be met — random 词 through the rules pass the 词 checker (no model needed)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from app.compose.ci.text import format_answer, matches_form
from app.compose.constraint.automaton import ANY, E_BIT, P_BIT, Z_BIT, ToneClass
from app.compose.constraint.chars import CharPolicy, CharTable, book_universe
from app.compose.constraint.ci.automaton import CiAutomaton, CiState
from app.compose.constraint.ci.rules import CiRhymeTable, CiRules
from app.compose.constraint.ci.spec import CiSpec, ci_spec, plan_rhymes
from app.compose.constraint.poem import CharBytes, PoemState
from app.compose.constraint.spec import ConstraintError
from app.prosody.books.shelf import Shelf
from app.prosody.ci import CiChecker, CiForm, CipuTable
from app.prosody.ci.books import CiBookKind, ci_book
from app.prosody.findings import Severity
from app.prosody.rhymebook import RhymeBook
from app.prosody.rhymebook.cilin import CilinBook
from tests.support.cipu_fixture import (  # noqa: F401
    cilin_fixture,
    cipu_table_fixture,
    tune_form,
)
from tests.support.constraint_tools import by_class, random_lines


@pytest.fixture(scope="module")
def chars(book: RhymeBook) -> CharBytes:
    universe = book_universe(book)
    return CharBytes(CharTable.build(book, universe, CharPolicy()), [])


@pytest.fixture(scope="module")
def rhyme_tables(
    chars: CharBytes, shelf: Shelf, cilin: CilinBook
) -> dict[CiBookKind, CiRhymeTable]:
    return {
        kind: CiRhymeTable(chars.table, ci_book(kind, shelf, cilin).rhymes)
        for kind in (CiBookKind.CILIN, CiBookKind.PINGSHUI)
    }


def _rules(form: CiForm, rhymes: CiRhymeTable, chars: CharBytes, **bu: int | str) -> CiRules:
    spec = CiSpec.from_dict(ci_spec(form, book=rhymes.rhymes.kind, bu=dict(bu)))
    automaton, allowed = plan_rhymes(spec, rhymes)
    return CiRules(automaton, chars, rhymes, allowed, ("test", form.key, tuple(bu.items())))


def _problems(checker: CiChecker, text: str, form: CiForm) -> list[str]:
    analysis = checker.analyze(text, form=form)
    return [f.message() for f in analysis.findings if f.severity >= Severity.WARNING]


# ---------------------------------------------------------------- the automaton
def test_slots_follow_the_marks_of_the_form(table: CipuTable) -> None:
    form = tune_form(table, "菩萨蛮")  # 中平中仄平平仄A …
    automaton = CiAutomaton(form)
    assert automaton.n_lines == 8 and automaton.n_chars == 44
    assert automaton.slot(CiState(0, 0)).plain == ANY  # 中
    assert automaton.slot(CiState(0, 1)).plain == P_BIT | E_BIT  # 平
    assert automaton.slot(CiState(0, 3)).plain == Z_BIT | E_BIT  # 仄
    rhyme = automaton.slot(CiState(0, 6))
    assert rhyme.plain == 0 and rhyme.rhyme == Z_BIT | E_BIT  # a 仄 rhyme of group A
    assert automaton.slot(CiState(2, 4)).rhyme == P_BIT | E_BIT  # group B rhymes 平
    assert [(r.letter, r.kind) for r in automaton.rhymes] == [
        ("A", "仄"), ("A", "仄"), ("B", "平"), ("B", "平"),
        ("C", "仄"), ("C", "仄"), ("D", "平"), ("D", "平"),
    ]  # fmt: skip
    assert automaton.newline(CiState(0, 6)) is None  # the segment is not complete
    assert automaton.newline(CiState(0, 7)) == CiState(1, 0)
    assert automaton.is_final(CiState(7, 5)) and not automaton.wants_break(CiState(7, 5))
    assert automaton.step(CiState(0, 1), ToneClass.Z, False) is None  # 仄 where 平 stands
    assert automaton.step(CiState(0, 6), ToneClass.Z, False) is None  # a rhyme needs a rhyme
    assert automaton.step(CiState(0, 6), ToneClass.Z, True) == (CiState(0, 7), True)


def test_a_repeated_segment_is_left_to_the_decoder(table: CipuTable) -> None:
    form = tune_form(table, "采桑子", 1)  # 中仄平平A 中仄平平=1
    automaton = CiAutomaton(form)
    assert automaton.echo(CiState(2, 0)) == 1 and automaton.echo(CiState(1, 0)) == -1
    assert automaton.slot(CiState(2, 0)) == (0, 0)  # nothing for the model to choose
    assert automaton.after_echo(CiState(2, 0)) == CiState(2, 4)
    assert len(automaton.rhymes) == 4  # the repeated rhymes are not the model's


# ---------------------------------------------------------------- rhyme groups and 部
def test_an_open_group_takes_the_bu_of_its_first_rhyme(
    table: CipuTable, rhyme_tables: dict[CiBookKind, CiRhymeTable], chars: CharBytes
) -> None:
    cilin = rhyme_tables[CiBookKind.CILIN]
    rules = _rules(tune_form(table, "水调歌头", 1), cilin, chars)
    first = rules.rhyme_set(rules.start())
    assert first.member[chars.table.index["天"]] and first.member[chars.table.index["风"]]
    after = PoemState(CiState(1, 5), frozenset("天"), b"", ("天",))
    members = {chars.table.chars[i] for i in rules.rhyme_set(after).ids}
    assert "年" in members and "寒" in members and "风" not in members  # 第七部 only
    assert all(7 in cilin.bu_of(ch, "平") for ch in members)


def test_a_pinned_bu_and_a_change_of_rhyme(
    table: CipuTable, rhyme_tables: dict[CiBookKind, CiRhymeTable], chars: CharBytes
) -> None:
    cilin = rhyme_tables[CiBookKind.CILIN]
    rules = _rules(tune_form(table, "菩萨蛮"), cilin, chars, B="第一部")
    index = chars.table.index
    after_a = PoemState(CiState(2, 0), frozenset("碧织"), b"", ("织", "碧"))
    group_b = rules.rhyme_set(after_a)
    assert group_b.member[index["楼"]] is False or not group_b.member[index["楼"]]
    assert group_b.member[index["东"]] and group_b.member[index["风"]]  # 第一部 平
    assert not group_b.member[index["织"]]
    after_b = PoemState(CiState(4, 0), frozenset("碧织东风"), b"", ("织", "碧", "东", "风"))
    group_c = rules.rhyme_set(after_b)  # C is open again: any 仄 rhyme
    assert group_c.member[index["立"]] and group_c.member[index["碧"]]
    assert not group_c.member[index["东"]]


@pytest.mark.parametrize("kind", [CiBookKind.CILIN, CiBookKind.PINGSHUI])
def test_random_ci_through_the_rules_pass_the_checker(
    table: CipuTable,
    rhyme_tables: dict[CiBookKind, CiRhymeTable],
    chars: CharBytes,
    shelf: Shelf,
    cilin: CilinBook,
    kind: CiBookKind,
) -> None:
    """Every 体 of the test 词谱, several random 词 each: the 词 checker pinned to the 体 (in
    the same book) finds no error and no warning, no rhyme character repeats, and the
    text has the 体's shape."""
    rng = random.Random(7)
    classes = by_class(chars.table)
    checker = CiChecker.of(ci_book(kind, shelf, cilin), table)
    n = 0
    for tune in table:
        for form in tune.forms:
            rules = _rules(form, rhyme_tables[kind], chars)
            for _ in range(3):
                lines = random_lines(rules, rng, classes)
                assert matches_form(lines, form)
                text = format_answer(lines, form)
                assert _problems(checker, text, form) == [], (form.label_zh, text)
                rhymes = [lines[r.seg][-1] for r in rules.automaton.rhymes]
                assert len(set(rhymes)) == len(rhymes), text
                n += 1
    assert n >= 30


def test_the_formatted_answer_reads_as_the_template(table: CipuTable) -> None:
    form = tune_form(table, "声声慢", 1)
    lines = ["寻寻觅觅", "冷冷清清", "凄凄惨惨戚戚", "乍暖还寒时候", "最难将息", "三杯两盏淡酒",
             "怎敌他", "晚来风急", "雁过也", "正伤心", "却是旧时相识",
             "满地黄花堆积", "憔悴损", "如今有谁堪摘", "守着窗儿", "独自怎生得黑",
             "梧桐更兼细雨", "到黄昏", "点点滴滴", "这次第", "怎一个", "愁字了得"]  # fmt: skip
    text = format_answer(lines, form)
    assert text.startswith("寻寻觅觅，冷冷清清，凄凄惨惨戚戚。")
    assert "怎敌他、晚来风急。雁过也，" in text and "\n满地黄花堆积。" in text
    assert text.endswith("这次第，怎一个、愁字了得。")
    assert format_answer(["明月几时有", "把酒问青天"], form) == "明月几时有\n把酒问青天"


# ---------------------------------------------------------------- requests refused
@pytest.mark.parametrize(
    ("change", "code", "zh"),
    [
        ({"form": None}, "bad_spec", "缺少词的体式"),
        ({"form": {"tune": "x", "sections": [["天|平|句||"]]}}, "bad_spec", "没有韵脚"),
        ({"book": "没有的书"}, "bad_spec", "不认识的韵书"),
        ({"bu": {"Z": 7}}, "bad_spec", "没有Z韵"),
        ({"bu": {"A": "第二十部"}}, "unknown_group", "没有这个韵部"),
        ({"think_budget": -1}, "bad_spec", "思考预算"),
        ({"script": "cursive"}, "bad_spec", "不认识的字形"),
    ],
)
def test_bad_requests_are_refused_with_both_messages(
    table: CipuTable,
    rhyme_tables: dict[CiBookKind, CiRhymeTable],
    change: dict[str, object],
    code: str,
    zh: str,
) -> None:
    data = {**ci_spec(tune_form(table, "菩萨蛮")), **change}
    with pytest.raises(ConstraintError) as err:
        plan_rhymes(CiSpec.from_dict(data), rhyme_tables[CiBookKind.CILIN])
    assert err.value.code == code and zh in err.value.zh and err.value.en


def test_a_bu_with_too_few_characters_is_refused(
    table: CipuTable, rhyme_tables: dict[CiBookKind, CiRhymeTable], book: RhymeBook
) -> None:
    """A pinned 部 with fewer characters than the 体 has rhyme positions is refused; left
    open, only the 部 with enough are offered, and with none the request is refused too."""
    form = tune_form(table, "水调歌头", 1)  # eight 平 rhymes of one group
    assert len(CiAutomaton(form).rhymes) == 8
    few = CharTable.build(book, set("天年前仙烟眠圆全娟寒间东风中红同空"), CharPolicy())
    small = CiRhymeTable(few, rhyme_tables[CiBookKind.CILIN].rhymes)
    assert small.count("平", 7) == 11 and small.count("平", 1) == 6
    _automaton, allowed = plan_rhymes(CiSpec.from_dict(ci_spec(form)), small)
    assert allowed == {"A": frozenset({7})}
    with pytest.raises(ConstraintError) as err:
        plan_rhymes(CiSpec.from_dict(ci_spec(form, bu={"A": 1})), small)
    assert err.value.code == "too_few_rhymes" and "第一部只有 6 个" in err.value.zh
    assert "请换一个韵部" in err.value.zh and "Choose another" in err.value.en
    fewer = CharTable.build(book, set("天年前仙东风中红同空"), CharPolicy())
    with pytest.raises(ConstraintError) as err:
        plan_rhymes(CiSpec.from_dict(ci_spec(form)), CiRhymeTable(fewer, small.rhymes))
    assert err.value.code == "too_few_rhymes" and "没有足够韵字" in err.value.zh


def test_the_spec_round_trips(table: CipuTable) -> None:
    form = tune_form(table, "采桑子", 1)
    data = ci_spec(form, book="词林正韵", bu={"A": 7}, think_budget=0, cache_dir="/x")
    assert data["book"] == "cilin" and data["bu"] == {"A": 7} and data["think_budget"] == 0
    again = CiSpec.from_dict(data)
    assert again.form.segments == form.segments and again.form.key == form.key
    assert again.to_dict() == data and again.cache_dir == "/x"


def test_no_table_needed_in_the_engine(table: CipuTable, tmp_path: Path) -> None:
    """The spec carries the 体 itself: a request names nothing the engine must look up."""
    data = ci_spec(tune_form(table, "清平乐"))
    sections = data["form"]["sections"]
    assert len(sections) == 2 and all("|" in s for part in sections for s in part)


def test_a_remote_server_is_not_asked_for_a_strict_ci(table: CipuTable, book: RhymeBook) -> None:
    """A grammar cannot follow a 词's changing rhyme sets and 叠句: refused with both messages
    before anything is sent."""
    from app.engine.remote import RemoteBackend
    from tests.support.engine_fixtures import chat_request, collect
    from tests.support.engine_http import ScriptedServer

    spec = ci_spec(tune_form(table, "菩萨蛮"))
    with ScriptedServer("poem") as server:
        backend = RemoteBackend(server.url, "m", constraint_mode="gbnf", rhyme_book=book)
        _text, events = collect(backend.generate(chat_request(constraint=spec)))
        err = events[-1]
        assert getattr(err, "code", None) == "constraint_unsupported"
        assert "本机模型" in getattr(err, "zh", "") and "local model" in getattr(err, "en", "")
        assert not server.requests
