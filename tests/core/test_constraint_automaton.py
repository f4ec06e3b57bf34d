"""The metre automaton: never a dead end, and every poem it allows passes the checker."""

from __future__ import annotations

import itertools
import random

import pytest

from app.compose.constraint.automaton import MetreAutomaton, MetreSettings, MetreState, ToneClass
from app.compose.constraint.chars import CharPolicy, CharTable, book_universe
from app.compose.constraint.poem import PoemRules, PoemState
from app.compose.constraint.spec import ConstraintSpec, plan_automaton
from app.prosody.checker import Checker
from app.prosody.findings import Severity
from app.prosody.forms import Form
from app.prosody.groups import GROUPS, group_by_name
from app.prosody.rhymebook import RhymeBook
from app.prosody.settings import CheckSettings
from tests.support.constraint_tools import by_class, char_bytes, random_poem

FORMS = (Form.WUJUE, Form.QIJUE, Form.WULV, Form.QILV)
P, Z, E, U = ToneClass.P, ToneClass.Z, ToneClass.E, ToneClass.U


@pytest.fixture(scope="module")
def table(book: RhymeBook) -> CharTable:
    return CharTable.build(book, book_universe(book), CharPolicy())


def _successors(a: MetreAutomaton, st: MetreState) -> list[MetreState]:
    if a.wants_break(st):
        nxt = a.newline(st)
        assert nxt is not None
        return [nxt]
    out = []
    slot = a.slot(st)
    for tone in ToneClass:
        for rhyme in (False, True):
            got = a.step(st, tone, rhyme)
            bit = 1 << tone
            if got is None:
                continue
            # the slot announces exactly the steps that succeed
            assert bit & (slot.plain | (slot.rhyme if rhyme else 0))
            out.append(got[0])
    return out


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.value)
def test_every_reachable_state_can_finish(form: Form) -> None:
    """Exhaustive over tone classes (incl. unknown readings), rhyme or not, for every
    setting: from every state the automaton allows, the poem can still be completed."""
    checked = 0
    for aojiu, szw, first, qi in itertools.product(
        (True, False), (True, False), (None, True, False), (None, "平起", "仄起")
    ):
        a = MetreAutomaton(form, MetreSettings(aojiu, szw, first, qi))  # type: ignore[arg-type]
        seen: dict[MetreState, list[MetreState]] = {}
        stack = [a.start()]
        while stack:
            st = stack.pop()
            if st in seen:
                continue
            seen[st] = _successors(a, st)
            stack.extend(seen[st])
        live = {st for st in seen if a.is_final(st)}
        assert live, "no complete poem at all"
        changed = True
        while changed:
            changed = False
            for st, nxt in seen.items():
                if st not in live and any(n in live for n in nxt):
                    live.add(st)
                    changed = True
        dead = [st for st in seen if st not in live]
        assert not dead, f"{form.value} {aojiu=} {szw=} {first=} {qi=}: dead end at {dead[0]}"
        for st in seen:
            if not a.is_final(st) and not a.wants_break(st):
                slot = a.slot(st)
                assert slot.plain or slot.rhyme  # something may always be written
                assert not slot.plain & slot.rhyme
        checked += len(seen)
    assert checked > 1000


SETTINGS = [(True, True), (False, False), (True, False)]


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.value)
def test_random_poems_pass_the_checker(
    form: Form, book: RhymeBook, table: CharTable, checker: Checker
) -> None:
    """Random walks over real characters, for many rhyme groups and the 拗救/三仄尾 settings:
    every poem the automaton allows has no error and no warning, with the form and group
    pinned or voted by the checker itself."""
    rng = random.Random(f"walk-{form.value}")
    classes = by_class(table)
    chars = char_bytes(table)
    groups = [g for g in GROUPS if g.is_ping]
    n = 0
    for aojiu, szw in SETTINGS:
        settings = CheckSettings(accept_aojiu=aojiu, warn_san_ze_wei=not szw)
        for group in rng.sample(groups, 12):
            spec = ConstraintSpec.from_dict(
                {"form": form.value, "group": group.id, "aojiu": aojiu, "san_ze_wei": szw}
            )
            rules = PoemRules(plan_automaton(spec, table), chars, group.id)
            for _ in range(2):
                text = random_poem(rules, rng, classes)
                pinned = checker.analyze(text, form=form, group=group, settings=settings)
                bad = [f for f in pinned.findings if f.severity >= Severity.WARNING]
                assert not bad, (text, group.name, [(f.rule, f.line, f.pos, f.char) for f in bad])
                assert pinned.complete
                free = checker.analyze(text, settings=settings)
                assert not [f for f in free.findings if f.severity >= Severity.WARNING], text
                assert free.form is form and free.scheme == pinned.scheme
                n += 1
    assert n == 72


# ---------------------------------------------------------------- the rules, one by one
def _rules(
    table: CharTable, form: str = "五绝", group: str = "上平一东", **kw: object
) -> PoemRules:
    spec = ConstraintSpec.from_dict({"form": form, "group": group, **kw})
    g = group_by_name(group)
    assert g is not None
    return PoemRules(plan_automaton(spec, table), char_bytes(table), g.id)


def _feed(rules: PoemRules, text: str) -> PoemState | None:
    state: PoemState | None = rules.start()
    for ch in text:
        assert state is not None
        state = rules.add_break(state) if ch == "\n" else rules.add_char(state, ch)
        if state is None:
            return None
    return state


def test_the_characters_used_below(table: CharTable) -> None:
    for ch in "天花春霜山东风红同":
        assert table.tone_class(ch) == P, ch
    for ch in "月落日雪":
        assert table.tone_class(ch) == Z, ch
    for ch in "看思听中空":
        assert table.tone_class(ch) == E, ch
    member = table.rhymes_in(0)  # 上平一东
    assert all(member[table.index[c]] for c in "东风红同中空")
    assert not any(member[table.index[c]] for c in "天花春霜山")


def test_gu_ping_b_line_with_ze_q1_needs_ping_q3(table: CharTable) -> None:
    rules = _rules(table, qi="仄起", first_rhymes=False)  # a B b A
    line1 = "日落天花雪\n"
    assert _feed(rules, line1 + "月花月") is None  # 仄平仄仄平: 孤平
    assert _feed(rules, line1 + "月花天落风") is not None  # 仄平平仄平: 孤平拗救
    assert _feed(rules, line1 + "天花月落风") is not None  # 平平仄仄平
    assert _feed(rules, line1 + "看花月落风") is not None  # a polyphone at q1 reads 平
    off = _rules(table, qi="仄起", first_rhymes=False, aojiu=False)
    assert _feed(off, line1 + "月") is None  # without 拗救, q1 of a B line stays 平


def test_san_ping_wei_a_line_keeps_q3_ze(table: CharTable) -> None:
    rules = _rules(table, qi="仄起", first_rhymes=True)  # A B b A
    assert _feed(rules, "日落天") is None  # 仄仄平平平
    assert _feed(rules, "日落月花风") is not None
    assert _feed(rules, "日落看花风") is not None  # polyphone: fits as 仄


def test_da_ao_needs_the_next_line_to_rescue(table: CharTable) -> None:
    rules = _rules(table, qi="仄起", first_rhymes=False)
    da_ao = "日落天月雪\n"  # 仄仄平仄仄: q4 仄
    assert _feed(rules, da_ao) is not None
    assert _feed(rules, da_ao + "天花月") is None  # q3 仄: not rescued
    assert _feed(rules, da_ao + "天花天落风") is not None  # 平平平仄平 rescues
    off = _rules(table, qi="仄起", first_rhymes=False, aojiu=False)
    assert _feed(off, "日落天月") is None


def test_te_ao_b_line(table: CharTable) -> None:
    rules = _rules(table, qi="平起", first_rhymes=False)  # b A a B
    assert _feed(rules, "天花月天雪") is not None  # 平平仄平仄: 特拗
    assert _feed(rules, "月花月天") is None  # q1 仄: no 特拗
    assert _feed(rules, "天花天天") is None  # q3 平: q4 stays 仄
    assert _feed(rules, "天花月月雪") is not None  # 三仄尾, tolerated by default
    strict = _rules(table, qi="平起", first_rhymes=False, san_ze_wei=False)
    assert _feed(strict, "天花月月") is None
    assert _feed(strict, "天花月看雪") is not None  # a polyphone q4 avoids three 仄
    off = _rules(table, qi="平起", first_rhymes=False, aojiu=False)
    assert _feed(off, "天花月天") is None


def test_line_one_second_character_must_be_definite(table: CharTable) -> None:
    rules = _rules(table)
    assert _feed(rules, "天看") is None  # a polyphone would leave 平起/仄起 to a guess
    state = _feed(rules, "天花")
    assert state is not None
    assert {s.qi(5) for s in rules.automaton.candidate_schemes(state.metre)} == {"平起"}
    later = _rules(table, qi="仄起", first_rhymes=False)
    assert _feed(later, "日落天花雪\n天看") is not None  # elsewhere a polyphone fits


def test_first_line_ending_decides_shou_ju_ru_yun(table: CharTable) -> None:
    rules = _rules(table, qi="仄起")
    rhymes = _feed(rules, "日落月花风")
    plain = _feed(rules, "日落天花雪")
    assert rhymes is not None and plain is not None
    assert [s.first_rhymes for s in rules.automaton.candidate_schemes(rhymes.metre)] == [True]
    assert [s.first_rhymes for s in rules.automaton.candidate_schemes(plain.metre)] == [False]
    assert rhymes.used == frozenset("风") and plain.used == frozenset()
    assert _feed(rules, "日落天花看") is None  # a polyphone outside the group: neither
    assert _feed(rules, "日落天花天") is None  # 平 outside the group


def test_rhymes_come_from_the_group_once_each(table: CharTable) -> None:
    rules = _rules(table, qi="仄起", first_rhymes=False)
    start = "日落天花雪\n天花月落"
    assert _feed(rules, start + "山") is None  # 山 is 上平十五删
    assert _feed(rules, start + "中") is not None  # polyphone with a 一东 reading
    body = start + "风\n天花天落雪\n日落月花"
    assert _feed(rules, body + "风") is None  # 重韵
    assert _feed(rules, body + "红") is not None


def test_qi_pins_the_template(table: CharTable) -> None:
    assert _feed(_rules(table, qi="平起"), "日落") is None
    assert _feed(_rules(table, qi="仄起"), "日花") is None
    seven = _rules(table, form="七绝", qi="平起")  # 七言平起: 2nd character 平
    assert _feed(seven, "日花") is not None and _feed(seven, "日落") is None


def test_guessed_readings_only_where_either_tone_fits(book: RhymeBook) -> None:
    guessed = next(
        ch
        for ch in (chr(c) for c in range(0x4E00, 0x9FA6))
        if (info := book.lookup(ch)) is not None
        and info.readings
        and info.source.name == "GUESSED"
        and len({r.tone.is_ping for r in info.readings}) == 1
    )
    table = CharTable.build(book, book_universe(book) | {guessed}, CharPolicy(script="any"))
    assert table.tone_class(guessed) == U
    rules = PoemRules(
        plan_automaton(
            ConstraintSpec.from_dict(
                {"form": "五绝", "group": 0, "qi": "仄起", "first_rhymes": False, "script": "any"}
            ),
            table,
        ),
        char_bytes(table),
        0,
    )
    assert _feed(rules, guessed) is not None  # q1 of an a line: free
    assert _feed(rules, "日" + guessed) is None  # q2: fixed
    assert _feed(rules, "日落" + guessed) is not None  # q3 of an a line: free
    b_line = _feed(rules, "日落天花雪\n" + guessed)  # q1 of a B line: taken as 仄 …
    assert b_line is not None and b_line.metre.q1_ze
    assert _feed(rules, "日落天花雪\n" + guessed + "花月") is None  # … so q3 must be 平
