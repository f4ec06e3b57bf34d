"""Grammars for remote servers: GBNF parsed by llama.cpp and obeyed by a tiny-model run,
the regular expression checked with Python's ``re``, and the remote backend's fields."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.compose.constraint.automaton import ToneClass
from app.compose.constraint.chars import CharPolicy, CharTable, book_universe
from app.compose.constraint.grammar import (
    metre_gbnf,
    metre_grammar_plan,
    metre_regex,
    remote_constraint_fields,
)
from app.compose.constraint.spec import ConstraintSpec
from app.compose.stream import parse_text
from app.engine.events import Done
from app.engine.remote import RemoteBackend
from app.prosody.checker import Checker
from app.prosody.findings import Severity
from app.prosody.forms import Form
from app.prosody.groups import GROUPS
from app.prosody.rhymebook import RhymeBook
from app.prosody.tones import Level
from tests.support.constraint_tools import (  # noqa: F401
    gbnf_parses,
    grammar_sample,
    vocab_llama_fixture,
)
from tests.support.engine_fixtures import (  # noqa: F401
    chat_request,
    collect,
    qwen2_vocab_fixture,
    tiny_model_fixture,
)
from tests.support.engine_http import ScriptedServer, have_server_extras, start_llama_server

FORMS = (Form.WUJUE, Form.QIJUE, Form.WULV, Form.QILV)


@pytest.fixture(scope="module")
def table(book: RhymeBook) -> CharTable:
    return CharTable.build(book, book_universe(book), CharPolicy())


def _spec(form: Form, group: int, **kw: object) -> ConstraintSpec:
    return ConstraintSpec.from_dict({"form": form.value, "group": group, **kw})


def _clean(checker: Checker, poem: str, form: Form, group: int) -> list[tuple[object, ...]]:
    found = checker.analyze(poem, form=form, group=GROUPS[group]).findings
    return [(f.rule, f.line, f.pos, f.char) for f in found if f.severity >= Severity.WARNING]


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.value)
def test_grammar_paths_are_poems_the_checker_accepts(
    form: Form, table: CharTable, checker: Checker
) -> None:
    """Random strings of the grammar's language (the graph both GBNF and the regular
    expression are written from) are strict poems, rhymes never repeated."""
    rng = random.Random(form.value)
    for group in rng.sample(range(30), 6):
        plan = metre_grammar_plan(_spec(form, group), table)
        for _ in range(4):
            poem = grammar_sample(plan, rng)
            assert _clean(checker, poem, form, group) == [], poem
            lines = poem.split("\n")
            rhymes = [ln[-1] for i, ln in enumerate(lines) if i % 2 == 1]
            assert len(set(rhymes)) == len(rhymes)


@pytest.mark.model
@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.value)
def test_gbnf_parses(form: Form, table: CharTable, vocab_llama: Any) -> None:
    from llama_cpp.llama_grammar import LlamaGrammar

    for think in (True, False):
        text = metre_gbnf(_spec(form, 7), table, think=think)
        assert text.startswith("root ::= " + ("think " if think else '"<answer>'))
        grammar = LlamaGrammar.from_string(text, verbose=False)
        assert grammar._grammar == text
        assert gbnf_parses(vocab_llama, text)  # llama.cpp's own parser
    assert not gbnf_parses(vocab_llama, text.replace("::=", "::", 1))  # the check is real


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.value)
def test_regex_matches_the_grammar_and_nothing_else(
    form: Form, table: CharTable, checker: Checker
) -> None:
    spec = _spec(form, 11)
    pattern = re.compile(metre_regex(spec, table, max_chars=40))
    plan = metre_grammar_plan(spec, table, max_chars=40)
    rng = random.Random(11)
    ze = plan.class_chars[1 << ToneClass.Z]
    ping = plan.class_chars[1 << ToneClass.P]
    for _ in range(10):
        poem = grammar_sample(plan, rng)
        assert pattern.fullmatch(f"<answer>\n{poem}\n</answer>"), poem
        assert _clean(checker, poem, form, 11) == []
        # line 2's 2nd character of the wrong tone: 失对, and the regex says no
        lines = poem.split("\n")
        want = checker.analyze(poem, form=form).lines[1].expected[1]
        swap = rng.choice(ze if want is Level.PING else ping)
        lines[1] = lines[1][0] + swap + lines[1][2:]
        assert not pattern.fullmatch("<answer>\n" + "\n".join(lines) + "\n</answer>")
        assert not pattern.fullmatch(f"<answer>\n{poem}\n\n</answer>")
        assert not pattern.fullmatch(f"<answer>\n{poem}，\n</answer>")
    thinking = re.compile(metre_regex(spec, table, max_chars=40, think=True))
    assert thinking.fullmatch(f"想一想\n</think>\n\n<answer>\n{poem}\n</answer>")


@pytest.mark.model
@pytest.mark.slow
def test_grammar_constrained_tiny_model_writes_a_strict_poem(
    tiny_model: Path, table: CharTable, checker: Checker
) -> None:
    """llama.cpp's own grammar sampler with our GBNF (thousands-character classes cost
    about a second a token on this model, so the classes are cut to the 150 most used
    characters of each tone)."""
    import llama_cpp
    from llama_cpp.llama_grammar import LlamaGrammar

    llama = llama_cpp.Llama(model_path=str(tiny_model), n_ctx=512, verbose=False)
    try:
        for form, group, seed in ((Form.WUJUE, 2, 1), (Form.QIJUE, 17, 2)):
            text = metre_gbnf(_spec(form, group), table, think=False, max_chars=150)
            out: Any = llama.create_completion(
                "<|im_start|>user\n写诗<|im_end|>\n<|im_start|>assistant\n",
                grammar=LlamaGrammar.from_string(text, verbose=False),
                max_tokens=200,
                temperature=0.8,
                seed=seed,
            )
            answer = out["choices"][0]["text"]
            result = parse_text(answer)
            assert result.answer_closed and len(result.lines) == 4, answer
            assert _clean(checker, result.poem, form, group) == [], answer
    finally:
        llama.close()


# ---------------------------------------------------------------- the remote backend
def test_remote_fields_by_mode(book: RhymeBook, table: CharTable) -> None:
    spec = {"form": "五绝", "group": 3}
    tables: dict[object, CharTable] = {}
    gbnf = remote_constraint_fields(spec, book, "gbnf", tables=tables)
    assert gbnf["grammar"].startswith("root ::= think ")
    assert len(tables) == 1  # kept for the next request
    vllm = remote_constraint_fields(spec, book, "vllm-grammar", tables=tables)
    assert vllm["structured_outputs"]["grammar"].startswith('root ::= "<answer>')
    regex = remote_constraint_fields(spec, book, "vllm-regex", tables=tables)
    assert re.compile(regex["structured_outputs"]["regex"])
    legacy = remote_constraint_fields(spec, book, "vllm-guided-regex", tables=tables)
    assert legacy["guided_regex"] == regex["structured_outputs"]["regex"]
    with pytest.raises(ValueError, match="no remote constraint mode"):
        remote_constraint_fields(spec, book, "off", tables=tables)


def test_remote_backend_sends_the_grammar(book: RhymeBook) -> None:
    spec = {"kind": "metre", "form": "五绝", "group": 22}
    with ScriptedServer("poem") as server:
        backend = RemoteBackend(server.url, "m", constraint_mode="vllm-grammar", rhyme_book=book)
        _text, events = collect(backend.generate(chat_request(constraint=spec)))
        assert isinstance(events[-1], Done)
        sent = server.requests[-1]["structured_outputs"]["grammar"]
        assert sent.startswith('root ::= "<answer>\\n"')
        bad = RemoteBackend(server.url, "m", constraint_mode="gbnf", rhyme_book=book)
        _text, events = collect(bad.generate(chat_request(constraint={"form": "七绝"})))
        err = events[-1]
        assert getattr(err, "code", None) == "no_group" and "韵部" in getattr(err, "zh", "")
        assert len(server.requests) == 1  # refused before anything was sent


@pytest.fixture(scope="module")
def llama_server(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not have_server_extras():
        pytest.skip("llama-cpp-python[server] extras are not installed")
    log = tmp_path_factory.mktemp("server") / "server.log"
    with start_llama_server(tiny_model, log=log) as url:
        yield url


@pytest.mark.model
@pytest.mark.slow
def test_llama_cpp_server_follows_the_grammar(
    llama_server: str, book: RhymeBook, checker: Checker
) -> None:
    """The whole remote path: RemoteBackend → llama.cpp's server with our GBNF → a poem."""
    backend = RemoteBackend(llama_server, "tiny", constraint_mode="gbnf", rhyme_book=book)
    spec = {"form": "五绝", "group": 5, "think_budget": 0, "grammar_chars": 150}
    text, events = collect(backend.generate(chat_request(max_tokens=200, seed=5, constraint=spec)))
    assert isinstance(events[-1], Done), events[-1]
    result = parse_text(text)
    assert len(result.lines) == 4, text
    assert _clean(checker, result.poem, Form.WUJUE, 5) == [], text
