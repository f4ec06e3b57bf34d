"""Strict metre in the modern rhyme books, on the tiny model: the poem keeps the tones and
rhymes of the book its rhyme group belongs to (中华通韵, 中华新韵), not the 平水韵's."""

from __future__ import annotations

from typing import Any

import pytest

from app.compose.constraint import ConstraintFactory, metre_spec
from app.compose.constraint.spec import ConstraintError
from app.compose.stream import parse_text
from app.engine.requests import Sampling
from app.prosody.books import BookKind
from app.prosody.books.shelf import Shelf
from app.prosody.checker import Checker
from app.prosody.findings import Severity
from app.prosody.forms import Form
from tests.support.constraint_tools import (  # noqa: F401
    generate_text,
    shelf_factory_fixture,
    tiny_llama_fixture,
)
from tests.support.engine_fixtures import (  # noqa: F401
    qwen2_vocab_fixture,
    tiny_model_fixture,
)

pytestmark = [pytest.mark.model, pytest.mark.timeout(300)]

PROMPT = "<|im_start|>user\n写一首诗<|im_end|>\n<|im_start|>assistant\n"


def _generate(llama: Any, factory: ConstraintFactory, spec: dict[str, Any], seed: int) -> str:
    sampling = Sampling(max_tokens=600, seed=seed)
    text, stats = generate_text(llama, PROMPT, sampling, factory.token_source(spec, sampling))
    assert stats.finish_reason == "stop"
    return text


CASES = [
    (BookKind.TONGYUN, "十三昂", Form.QIJUE),
    (BookKind.TONGYUN, "四衣", Form.WULV),
    (BookKind.XINYUN, "十一庚", Form.WUJUE),
]


@pytest.mark.parametrize(("kind", "name", "form"), CASES, ids=[f"{k}-{n}" for k, n, _ in CASES])
def test_strict_metre_keeps_the_modern_books_rhymes(
    llama: Any, factory: ConstraintFactory, shelf: Shelf, kind: BookKind, name: str, form: Form
) -> None:
    book = shelf.book(kind)
    group = book.find_group(name)
    assert group is not None
    checker = Checker(book)
    for seed in (1, 2):
        spec = metre_spec(form, group.id, think_budget=16)
        assert spec["book"] == kind.value
        result = parse_text(_generate(llama, factory, spec, seed))
        assert len(result.lines) == form.n_lines
        assert all(len(line) == form.line_len for line in result.lines)
        analysis = checker.analyze(result.poem, form=form, group=group)
        bad = [f.message() for f in analysis.findings if f.severity >= Severity.WARNING]
        assert bad == [], result.poem
        rhymes = [result.lines[i][-1] for i in range(1, form.n_lines, 2)]
        for ch in rhymes:  # every rhyme is read 平 today and sits in the book's group
            info = book.lookup(ch)
            assert info is not None and group.id in info.ping_groups, (ch, result.poem)
        assert len(set(rhymes)) == len(rhymes)
        assert factory.last is not None and factory.last.substitutions == 0


def test_a_modern_group_by_name_needs_its_book(shelf: Shelf) -> None:
    spec = metre_spec(Form.QIJUE, "通韵十三昂")
    assert spec["book"] == "tongyun"
    assert metre_spec(Form.QIJUE, "十一庚", book="xinyun")["group"] == (
        shelf.book(BookKind.XINYUN).find_group("十一庚").id  # type: ignore[union-attr]
    )
    with pytest.raises(ConstraintError):
        metre_spec(Form.QIJUE, "十三昂")  # no book given: a 平水 name, and there is none
    with pytest.raises(ConstraintError) as info:
        metre_spec(Form.QIJUE, "通韵十三昂（仄）")
    assert info.value.code == "ze_group"


# ---------------------------------------------------------------- a couplet's 下联
COUPLET_FIRSTS = [
    (BookKind.PINGSHUI, "书山有路勤为径"),
    (BookKind.TONGYUN, "海内存知己"),
    (BookKind.PINGSHUI, "有志者，事竟成，破釜沉舟，百二秦关终属楚"),
]


@pytest.mark.parametrize(("kind", "first"), COUPLET_FIRSTS, ids=["shushan", "hainei", "long"])
def test_strict_metre_writes_a_second_line_that_answers_the_first(
    llama: Any, factory: ConstraintFactory, shelf: Shelf, kind: BookKind, first: str
) -> None:
    from app.compose.constraint import couplet_spec
    from app.prosody.couplet.analysis import CoupletAnalysis
    from app.prosody.findings import Rule

    checker = Checker(shelf.book(kind))
    clauses = [c for c in first.replace("，", " ").split()]
    for seed in (1, 2, 3):
        spec = couplet_spec(first, book=kind, think_budget=16)
        result = parse_text(_generate(llama, factory, spec, seed))
        assert [len(x) for x in result.lines] == [len(c) for c in clauses], result.lines
        text = "，".join(clauses) + "；\n" + "，".join(result.lines) + "。"
        analysis = checker.analyze(text, form=Form.DUILIAN)
        assert isinstance(analysis, CoupletAnalysis) and analysis.split == len(clauses)
        tonal = [f.message() for f in analysis.errors if f.rule.is_tonal or f.rule is Rule.LENGTH]
        assert tonal == [], text
        last = analysis.chars[-1]
        assert last.code == 1  # 平收, definitely
        assert factory.last is not None and factory.last.substitutions == 0
