"""Helpers for the strict-metre tests: random poems through the automaton, vocabularies,
grammar walks, generation in process, and fixtures for llama-cpp-python objects (the real
library).

Fixtures (import them into a test module; pytest finds them by name)::

    from tests.support.constraint_tools import vocab_llama_fixture  # noqa: F401

``llama`` is the tiny qwen2 model (``tiny_llama_fixture``, wants ``tiny_model``) or the
tiny qwen3 one (``tiny_qwen3_llama_fixture``, wants ``tiny_qwen3``); ``factory`` is a
:class:`ConstraintFactory` on it with the 平水韵 (``constraint_factory_fixture``, wants
``book``) or every book of the shelf (``shelf_factory_fixture``, wants ``shelf``).
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.compose.constraint import ConstraintFactory
from app.compose.constraint.automaton import ToneClass
from app.compose.constraint.chars import EXCLUDED, CharTable
from app.compose.constraint.ci.automaton import CiAutomaton
from app.compose.constraint.grammar import GrammarPlan
from app.compose.constraint.masks import MaskTable
from app.compose.constraint.poem import CharBytes, PoemRules, PoemState
from app.engine.events import GenerationStats
from app.engine.generation import run_generation
from app.engine.requests import ChatMessage, GenerateRequest, Sampling
from app.prosody.books.shelf import Shelf
from app.prosody.rhymebook import RhymeBook
from tests.support.engine_fixtures import HAVE_LLAMA

ALL_CONT = [bytes([b]) for b in range(0x80, 0xC0)]  # every continuation byte as a token


def by_class(table: CharTable) -> dict[int, list[str]]:
    """The table's admitted characters by tone class."""
    out: dict[int, list[str]] = defaultdict(list)
    for ch, cls in zip(table.chars, table.classes.tolist(), strict=True):
        if cls != EXCLUDED:
            out[cls].append(ch)
    return out


def random_lines(rules: PoemRules, rng: random.Random, classes: dict[int, list[str]]) -> list[str]:
    """The lines of a poem (a 诗, or a 词 when the rules are a 词's) the rules accept, one
    random character at a time from up to 20 characters of each tone class the position
    admits and up to 40 of the rhymes still available; a 叠句 is copied as the decoder
    writes it. Each step checks that the position still has a character: a dead end fails
    the calling test."""
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
        if isinstance(automaton, CiAutomaton):
            source = automaton.echo(state.metre)
            if source >= 0:
                lines[-1] = lines[source]
                after = automaton.after_echo(state.metre)
                state = PoemState(after, state.used, b"", state.rhymes)
                continue
        slot = automaton.slot(state.metre)
        options: list[str] = []
        for cls in ToneClass:
            if slot.plain >> cls & 1:
                options.extend(rng.sample(classes[cls], min(20, len(classes[cls]))))
        if slot.rhyme:
            available = [
                table.chars[i]
                for i in rules.rhyme_available(state)
                if slot.rhyme >> int(table.classes[i]) & 1
            ]
            options.extend(rng.sample(available, min(40, len(available))))
        rng.shuffle(options)
        for ch in options:
            got = rules.add_char(state, ch)
            if got is not None:
                state = got
                lines[-1] += ch
                break
        else:
            raise AssertionError(f"dead end at {state}: {lines}")
    return lines


def random_poem(rules: PoemRules, rng: random.Random, classes: dict[int, list[str]]) -> str:
    """A 诗 the rules accept (:func:`random_lines`), a line a line."""
    return "\n".join(random_lines(rules, rng, classes))


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


def generate_text(
    llama: Any,
    prompt: str,
    sampling: Sampling,
    token_source: Callable[[list[int]], Iterator[int]] | None = None,
) -> tuple[str, GenerationStats]:
    """Generate in process from the chat-template text ``prompt`` until ``<|im_end|>`` (the
    engine's loop, :func:`run_generation`): the text written and the stats."""
    tokens = llama.tokenize(prompt.encode(), add_bos=False, special=True)
    out: list[str] = []
    stats = run_generation(
        llama,
        tokens,
        sampling,
        ("<|im_end|>",),
        threading.Event(),
        lambda text, *_rest: out.append(text),
        token_source=token_source,
    )
    return "".join(out), stats


def _open_llama(model: Path) -> Iterator[Any]:
    import llama_cpp

    llama = llama_cpp.Llama(model_path=str(model), n_ctx=2048, verbose=False)
    yield llama
    llama.close()


@pytest.fixture(scope="module", name="llama")
def tiny_llama_fixture(tiny_model: Path) -> Iterator[Any]:
    """The tiny qwen2 model in process, loaded once a test module."""
    yield from _open_llama(tiny_model)


@pytest.fixture(scope="module", name="llama")
def tiny_qwen3_llama_fixture(tiny_qwen3: Path) -> Iterator[Any]:
    """The tiny qwen3 model in process, loaded once a test module."""
    yield from _open_llama(tiny_qwen3)


@pytest.fixture(scope="module", name="factory")
def constraint_factory_fixture(
    llama: Any, book: RhymeBook, tmp_path_factory: pytest.TempPathFactory
) -> ConstraintFactory:
    """Strict metre on ``llama`` in the 平水韵."""
    return ConstraintFactory(llama, book=book, cache_dir=tmp_path_factory.mktemp("constraint"))


@pytest.fixture(scope="module", name="factory")
def shelf_factory_fixture(
    llama: Any, shelf: Shelf, tmp_path_factory: pytest.TempPathFactory
) -> ConstraintFactory:
    """Strict metre on ``llama`` in whichever book of the shelf a request names."""
    return ConstraintFactory(llama, shelf=shelf, cache_dir=tmp_path_factory.mktemp("constraint"))


def compare_masks_on_a_walk(
    masks: MaskTable,
    rules: PoemRules,
    pieces: list[bytes],
    leads: set[int],
    rngs: tuple[random.Random, np.random.Generator],
    compare_at: Callable[[int, PoemState], bool],
) -> int:
    """Walk ``rules`` to their end by random tokens of ``pieces`` (every fourth step a
    lead byte token when one fits) and, at the steps where ``compare_at(step, state)``,
    check that the mask table allows exactly the tokens :meth:`PoemRules.walk` accepts,
    as a token list and as masked logits; every step checks that the table's advance is
    the rules' walk. How many states were compared."""
    rng, rng_np = rngs
    compared = 0
    state = rules.start()
    step = 0
    while not rules.is_final(state):
        ids = masks.allowed(rules, state)
        if compare_at(step, state):
            reference = {i for i, p in enumerate(pieces) if rules.walk(state, p) is not None}
            assert set(ids.tolist()) == reference, state
            assert len(ids) == len(reference)  # no duplicates
            logits = rng_np.standard_normal(len(pieces)).astype(np.float32)
            masks.mask_logits(rules, state, logits)  # what the engine does
            assert set(np.flatnonzero(np.isfinite(logits)).tolist()) == reference
            compared += 1
        pick = [i for i in ids.tolist() if i in leads]
        tid = rng.choice(pick if pick and step % 4 == 1 else ids.tolist())
        nxt = rules.walk(state, pieces[tid])
        assert nxt is not None and masks.advance(rules, state, tid) == nxt
        state = nxt
        step += 1
    return compared


def strict_request(
    user: str, spec: dict[str, Any], *, max_tokens: int, seed: int
) -> GenerateRequest:
    """An engine request with strict metre ``spec``: the reasoning format's system
    message and ``user``'s text."""
    return GenerateRequest(
        messages=(
            ChatMessage(
                "system", "Respond in the following format:<think>...</think><answer>...</answer>"
            ),
            ChatMessage("user", user),
        ),
        sampling=Sampling(max_tokens=max_tokens, seed=seed),
        constraint=spec,
    )
