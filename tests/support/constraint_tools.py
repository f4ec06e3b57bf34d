"""Helpers for the strict-metre tests: random poems through the automaton, vocabularies,
grammar walks, and fixtures for llama-cpp-python objects (the real library).

Fixtures (import them into a test module; pytest finds them by name)::

    from tests.support.constraint_tools import vocab_llama_fixture  # noqa: F401
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.compose.constraint.automaton import ToneClass
from app.compose.constraint.chars import EXCLUDED, CharTable
from app.compose.constraint.grammar import GrammarPlan
from app.compose.constraint.poem import CharBytes, PoemRules, PoemState
from tests.support.engine_fixtures import HAVE_LLAMA

ALL_CONT = [bytes([b]) for b in range(0x80, 0xC0)]  # every continuation byte as a token


def by_class(table: CharTable) -> dict[int, list[str]]:
    """The table's admitted characters by tone class."""
    out: dict[int, list[str]] = defaultdict(list)
    for ch, cls in zip(table.chars, table.classes.tolist(), strict=True):
        if cls != EXCLUDED:
            out[cls].append(ch)
    return out


def random_poem(rules: PoemRules, rng: random.Random, classes: dict[int, list[str]]) -> str:
    """A poem the rules accept, one random character at a time (each step checks that the
    next position still has a character; a dead end fails the calling test)."""
    automaton = rules.automaton
    table = rules.chars.table
    state = rules.start()
    lines: list[str] = [""]
    while not rules.is_final(state):
        if automaton.wants_break(state.metre):
            nxt = rules.add_break(state)
            assert nxt is not None
            state = nxt
            lines.append("")
            continue
        slot = automaton.slot(state.metre)
        options: list[str] = []
        for cls in ToneClass:
            if slot.plain >> cls & 1:
                options.extend(rng.sample(classes[cls], min(20, len(classes[cls]))))
            if slot.rhyme >> cls & 1:
                options.extend(
                    table.chars[i]
                    for i in rules.rhyme_available(state)
                    if int(table.classes[i]) == cls
                )
        rng.shuffle(options)
        for ch in options:
            got = rules.add_char(state, ch)
            if got is not None:
                state = got
                lines[-1] += ch
                break
        else:
            raise AssertionError(f"dead end at {state}: {lines}")
    return "\n".join(lines)


def walk_pieces(
    rules: PoemRules, state: PoemState, pieces: list[bytes], ids: list[int]
) -> PoemState:
    """Feed tokens through :meth:`PoemRules.walk`, failing on a token that does not fit."""
    for tid in ids:
        got = rules.walk(state, pieces[tid])
        assert got is not None, f"token {tid} {pieces[tid]!r} does not fit at {state}"
        state = got
    return state


def grammar_sample(plan: GrammarPlan, rng: random.Random) -> str:
    """A random string of a grammar plan's language (the poem part)."""
    state = plan.start
    out: list[str] = []
    while True:
        edges = plan.edges[state]
        if not edges:
            assert state in plan.finals
            break
        sym, nxt = rng.choice(edges)
        if sym[0] == "nl":
            out.append("\n")
        elif sym[0] == "r":
            out.append(rng.choice(plan.rhyme_chars[sym[1]]))
        else:
            chars = "".join(plan.class_chars[1 << t] for t in ToneClass if sym[1] >> t & 1)
            out.append(rng.choice(chars))
        state = nxt
    return "".join(out)


def char_bytes(table: CharTable) -> CharBytes:
    return CharBytes(table, ALL_CONT)


def gbnf_parses(llama: Any, grammar: str) -> bool:
    """Does llama.cpp's own grammar parser accept ``grammar``? (``LlamaGrammar.from_string``
    only stores the text; llama.cpp parses it when the sampler is made.)"""
    import llama_cpp

    vocab = llama_cpp.llama_model_get_vocab(llama.model)
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode(), b"root")
    if not sampler:
        return False
    llama_cpp.llama_sampler_free(sampler)
    return True


@pytest.fixture(scope="session", name="vocab_llama")
def vocab_llama_fixture(qwen2_vocab: Path) -> Iterator[Any]:
    """The real Qwen2 tokenizer alone (``vocab_only``): 151,936 tokens, no weights."""
    if not HAVE_LLAMA:
        pytest.skip("llama-cpp-python is not installed")
    import llama_cpp

    llama = llama_cpp.Llama(model_path=str(qwen2_vocab), vocab_only=True, verbose=False)
    yield llama
    llama.close()
