"""Strict-metre 词 on the tiny qwen2 model through the real llama-cpp-python: the masks
against the reference walk over the whole vocabulary, constrained 词 the 词 checker passes
(a single-rhyme tune, 换韵 tunes, a 叠句), in-process and through the engine process."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.compose.ci.text import format_answer, matches_form
from app.compose.constraint import ConstraintFactory
from app.compose.constraint.chars import CharPolicy, CharTable, book_universe
from app.compose.constraint.ci.automaton import CiAutomaton
from app.compose.constraint.ci.decoder import CiTokenConstraint
from app.compose.constraint.ci.rules import CiRhymeTable, CiRules
from app.compose.constraint.ci.spec import CiSpec, ci_spec, plan_rhymes
from app.compose.constraint.masks import MaskTable
from app.compose.constraint.poem import PoemState
from app.compose.stream import parse_text
from app.compose.vocab.llama import load_vocab_index, token_pieces
from app.engine.client import EngineClient
from app.engine.events import Done, EngineError, Token
from app.engine.requests import GenerateRequest, Sampling
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
from tests.support.constraint_tools import (  # noqa: F401
    compare_masks_on_a_walk,
    constraint_factory_fixture,
    generate_text,
    strict_request,
    tiny_llama_fixture,
    vocab_llama_fixture,
)
from tests.support.engine_fixtures import (  # noqa: F401
    collect,
    engine_fixture,
    engine_process_fixture,
    qwen2_vocab_fixture,
    tiny_model_fixture,
)

pytestmark = [pytest.mark.model, pytest.mark.timeout(600)]

PROMPT = "<|im_start|>user\n填一首词<|im_end|>\n<|im_start|>assistant\n"
# a single-rhyme tune; two 换韵 tunes (菩萨蛮: 仄平仄平, four groups; 清平乐: 仄 then 平);
# a 叠句 (采桑子, 李清照's 体)
CASES = [("水调歌头", 1), ("菩萨蛮", 0), ("清平乐", 0), ("采桑子", 1)]


def _generate(
    llama: Any, factory: ConstraintFactory, spec: dict[str, Any], sampling: Sampling
) -> tuple[str, Any]:
    return generate_text(llama, PROMPT, sampling, factory.token_source(spec, sampling))


def _problems(checker: CiChecker, text: str, form: CiForm) -> list[str]:
    analysis = checker.analyze(text, form=form)
    return [f.message() for f in analysis.findings if f.severity >= Severity.WARNING]


@pytest.mark.parametrize(("tune", "index"), CASES, ids=[t for t, _ in CASES])
def test_constrained_ci_pass_the_checker(
    llama: Any,
    factory: ConstraintFactory,
    table: CipuTable,
    book: RhymeBook,
    cilin: CilinBook,
    tune: str,
    index: int,
) -> None:
    form = tune_form(table, tune, index)
    checker = CiChecker(book, cilin, table)
    automaton = CiAutomaton(form)
    for seed in (1, 2):
        spec = ci_spec(form, think_budget=16)
        text, stats = _generate(llama, factory, spec, Sampling(max_tokens=900, seed=seed))
        assert stats.finish_reason == "stop", text
        result = parse_text(text)
        assert result.saw_think_close and result.saw_answer and result.answer_closed
        assert matches_form(result.lines, form), result.lines
        poem = format_answer(result.lines, form)
        assert _problems(checker, poem, form) == [], poem
        rhymes = [result.lines[r.seg][-1] for r in automaton.rhymes]
        assert len(set(rhymes)) == len(rhymes)  # no rhyme character twice
        for j, seg in enumerate(form.segments):  # 叠句 repeat what they repeat
            if seg.repeat >= 0:
                assert result.lines[j] == result.lines[seg.repeat]
        constraint = factory.last
        assert isinstance(constraint, CiTokenConstraint) and constraint.substitutions == 0


def test_the_free_model_writes_no_ci(
    llama: Any, table: CipuTable, book: RhymeBook, cilin: CilinBook
) -> None:
    """The control: the same random model without the constraint writes no 菩萨蛮."""
    form = tune_form(table, "菩萨蛮")
    out = llama.create_completion(PROMPT, max_tokens=120, seed=1, temperature=0.6)
    text = out["choices"][0]["text"]
    analysis = CiChecker(book, cilin, table).analyze(text, form=form)
    assert any(f.severity is Severity.ERROR for f in analysis.findings)


@pytest.mark.parametrize(
    ("kind", "bu"),
    [(CiBookKind.PINGSHUI, "下平一先"), (CiBookKind.CILIN, 7), (CiBookKind.TONGYUN, "十三昂")],
)
def test_a_pinned_bu_and_another_book(
    llama: Any,
    factory: ConstraintFactory,
    table: CipuTable,
    shelf: Shelf,
    cilin: CilinBook,
    kind: CiBookKind,
    bu: int | str,
) -> None:
    """清平乐 with its 平 group pinned (第七部 of the 词林正韵, 下平一先 of the 平水韵, 十三昂
    of 中华通韵, whose tones are today's): the rhymes of that group are all in it, and the
    checker of that book passes the 词."""
    form = tune_form(table, "清平乐")
    spec = ci_spec(form, book=kind, bu={"B": bu}, think_budget=0)
    text, stats = _generate(llama, factory, spec, Sampling(max_tokens=600, seed=5))
    assert stats.finish_reason == "stop"
    result = parse_text(text, assume_think=False)
    poem = format_answer(result.lines, form)
    ci_checker = CiChecker.of(ci_book(kind, shelf, cilin), table)
    assert _problems(ci_checker, poem, form) == [], poem
    groups = {g.letter: g for g in ci_checker.analyze(poem, form=form).groups}
    assert groups["B"].bu == ci_checker.rhymes.find_bu(bu)


@pytest.mark.slow
def test_masks_equal_the_reference_walk_over_the_whole_vocabulary(
    vocab_llama: Any, book: RhymeBook, cilin: CilinBook, table: CipuTable, tmp_path: Path
) -> None:
    """At states along random token walks of a 换韵 tune (the rhyme set changes with each
    group and narrows with each rhyme), the masks allow exactly what
    :meth:`CiRules.walk` accepts over all 151,936 tokens."""
    loaded = load_vocab_index(vocab_llama, tmp_path)
    chars = CharTable.build(book, loaded.index.han_chars | book_universe(book), CharPolicy())
    masks = MaskTable(loaded.index, chars)
    pieces = token_pieces(vocab_llama, special=True)
    rhymes = CiRhymeTable(chars, ci_book(CiBookKind.CILIN, Shelf(book), cilin).rhymes)
    rng = random.Random(5)
    rng_np = np.random.default_rng(5)
    leads = set(loaded.index.lead_ids.tolist())
    compared = 0
    for tune in ("菩萨蛮", "清平乐"):
        spec = CiSpec.from_dict(ci_spec(tune_form(table, tune)))
        automaton, allowed = plan_rhymes(spec, rhymes)
        rules = CiRules(automaton, masks.chars, rhymes, allowed, ("walk", tune))

        def near_a_rhyme(step: int, state: PoemState, rules: CiRules = rules) -> bool:
            return step % 5 == 0 or bool(rules.automaton.slot(state.metre).rhyme or state.pending)

        compared += compare_masks_on_a_walk(
            masks, rules, pieces, leads, (rng, rng_np), near_a_rhyme
        )
    assert compared >= 20


# ---------------------------------------------------------------- through the engine process
def _request(spec: dict[str, Any], *, max_tokens: int = 700, seed: int = 3) -> GenerateRequest:
    return strict_request("请依词牌《菩萨蛮》填一首词", spec, max_tokens=max_tokens, seed=seed)


def test_engine_process_writes_a_strict_ci(
    engine: EngineClient, table: CipuTable, book: RhymeBook, cilin: CilinBook, tmp_path: Path
) -> None:
    form = tune_form(table, "菩萨蛮")
    spec = ci_spec(form, think_budget=24, cache_dir=str(tmp_path))
    text, events = collect(engine.generate(_request(spec)))
    done = events[-1]
    assert isinstance(done, Done) and done.stats.finish_reason == "stop", events[-1]
    poem = format_answer(parse_text(text).lines, form)
    assert _problems(CiChecker(book, cilin, table), poem, form) == [], text


def test_engine_refuses_an_impossible_ci_before_generating(
    engine: EngineClient, table: CipuTable, tmp_path: Path
) -> None:
    spec = {**ci_spec(tune_form(table, "菩萨蛮"), cache_dir=str(tmp_path)), "bu": {"A": "第二十部"}}
    _text, events = collect(engine.generate(_request(spec)))
    assert not [e for e in events if isinstance(e, Token)]
    err = events[-1]
    assert isinstance(err, EngineError) and err.code == "unknown_group"
    assert "没有这个韵部" in err.zh and "no such rhyme group" in err.en


def test_a_compose_run_through_the_engine_gives_a_ci(
    engine: EngineClient, table: CipuTable, book: RhymeBook, cilin: CilinBook, tmp_path: Path
) -> None:
    """What the compose panel does for a 词: the prompt by 词牌 and 体, the strict spec, the
    real engine, the candidate's events; the poem is punctuated as the 体 and marked as a
    词 of that tune, 体 and book, and the checker pinned to the 体 passes it."""
    from dataclasses import replace

    from app.compose.ci.prompt import CiRequest, build_ci_prompt
    from app.compose.session import CandidateRun

    form = tune_form(table, "虞美人")
    request = CiRequest("春愁", form, think_budget=8)
    plan = build_ci_prompt(request, cilin, sampling=Sampling(max_tokens=600))
    generate = replace(
        plan.generate_requests(base_seed=2)[0],
        constraint=ci_spec(form, cache_dir=str(tmp_path)),
    )
    run = CandidateRun(0, plan, generate, "tiny-qwen2")
    run.consume(engine.generate(generate))
    poem = run.poem()
    assert run.failure is None and poem is not None
    assert poem.form == "词" and poem.tune == "虞美人" and poem.ci_form == "虞美人#0"
    assert poem.ci_book == "cilin" and poem.rhyme_group is None
    assert poem.text.count("\n") == 1 and poem.text.endswith("。")  # two 段, punctuated
    assert "、" in poem.text  # the 讀 of the last 句 of each 段
    assert _problems(CiChecker(book, cilin, table), poem.text, form) == [], poem.text
