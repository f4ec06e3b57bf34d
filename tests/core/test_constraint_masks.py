"""Token masks: tokens that span positions and line breaks, pieces of characters, and
the precomputed masks against the reference walk over a whole real vocabulary."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from app.compose.constraint.chars import CharPolicy, CharTable, book_universe
from app.compose.constraint.masks import MaskTable
from app.compose.constraint.poem import PoemRules, PoemState
from app.compose.constraint.spec import ConstraintSpec, plan_automaton
from app.compose.vocab.index import VocabIndex
from app.compose.vocab.llama import load_vocab_index, token_pieces
from app.prosody.rhymebook import RhymeBook
from tests.support.constraint_tools import (  # noqa: F401
    ALL_CONT,
    compare_masks_on_a_walk,
    vocab_llama_fixture,
)
from tests.support.engine_fixtures import qwen2_vocab_fixture  # noqa: F401

# ---------------------------------------------------------------- a small vocabulary
WORDS = ["天", "花", "月", "落", "日", "雪", "风", "红", "同", "东", "看", "山", "春"]
SPANS = ["\n", "天花", "月落", "落风", "日落天", "雪\n", "风\n", "\n天", "\n日", "红\n天"]
BAD = ["，", "。", "天，", "a", "ab", " 天", "天a", "\n\n", "<", "answer"]
FENG = "风".encode()  # e9 a3 8e
MIXED = [b"\xe5\xa4\xa9\xe9", b"\x8e\xe5\xa4\xa9"]  # 天 + a lead byte; a tail byte + 天


def _pieces() -> list[bytes]:
    out = [w.encode() for w in WORDS + SPANS + BAD]
    out += [FENG[:1], FENG[:2], "山".encode()[:2], "看".encode()[:1]]
    out += MIXED
    out += ALL_CONT
    return out


@pytest.fixture(scope="module")
def small(book: RhymeBook) -> tuple[list[bytes], MaskTable]:
    pieces = _pieces()
    vocab = VocabIndex.from_pieces(pieces)
    chars = book_universe(book) | set("".join(WORDS))
    return pieces, MaskTable(vocab, CharTable.build(book, chars, CharPolicy()))


def _rules(table: MaskTable, form: str = "五绝", **kw: object) -> PoemRules:
    spec = ConstraintSpec.from_dict({"form": form, "group": 0, **kw})  # 上平一东
    return PoemRules(plan_automaton(spec, table.chars.table), table.chars, 0)


def _state(rules: PoemRules, text: str) -> PoemState:
    state: PoemState | None = rules.start()
    for ch in text:
        assert state is not None
        state = rules.add_break(state) if ch == "\n" else rules.add_char(state, ch)
    assert state is not None, text
    return state


def _allowed(
    table: MaskTable, rules: PoemRules, state: PoemState, pieces: list[bytes]
) -> set[bytes]:
    return {pieces[i] for i in table.allowed(rules, state).tolist()}


def test_vocabulary_sorting(small: tuple[list[bytes], MaskTable]) -> None:
    pieces, table = small
    vocab = table.vocab
    texts = set(vocab.text_strs)
    assert {"天花", "雪\n", "\n天", "\n\n"} <= texts  # whole characters and breaks
    assert not texts & {"，", "天，", "a", " 天", "<"}  # punctuation, Latin: never
    assert set(vocab.lead_bytes) == {FENG[:1], FENG[:2], "山".encode()[:2], "看".encode()[:1]}
    assert len(vocab.cont_bytes) == 64
    assert not {pieces.index(m) for m in MIXED} & set(
        vocab.text_ids.tolist() + vocab.lead_ids.tolist() + vocab.cont_ids.tolist()
    )


def test_a_token_spanning_a_line_break(small: tuple[list[bytes], MaskTable]) -> None:
    pieces, table = small
    rules = _rules(table, qi="仄起", first_rhymes=False)  # a B b A
    end_of_a = _state(rules, "日落天花")  # q5 of line 1 must be definitely 仄
    got = _allowed(table, rules, end_of_a, pieces)
    assert "雪\n".encode() in got  # fills q5 and the break
    assert "风\n".encode() not in got and "红\n天".encode() not in got  # 平 where 仄 is due
    full = _state(rules, "日落天花雪")
    got = _allowed(table, rules, full, pieces)
    assert got == {b"\n", "\n天".encode(), "\n日".encode()}  # a break and line 2's q1
    mid = _state(rules, "日落天")
    assert not {p for p in _allowed(table, rules, mid, pieces) if b"\n" in p}
    rhyme = _state(rules, "日落天花雪\n天花月落")
    assert "风\n".encode() in _allowed(table, rules, rhyme, pieces)
    last = _state(rules, "日落天花雪\n天花月落风\n天花天落雪\n日落月花")
    assert "红\n天".encode() not in _allowed(table, rules, last, pieces)  # the poem ends


def test_multi_character_tokens_fit_every_position(small: tuple[list[bytes], MaskTable]) -> None:
    pieces, table = small
    rules = _rules(table, qi="仄起", first_rhymes=False)
    line2 = "日落天花雪\n"
    q4 = _state(rules, line2 + "天花月")
    assert "落风".encode() in _allowed(table, rules, q4, pieces)  # 仄 then a 一东 rhyme
    q3 = _state(rules, line2 + "天花")
    got = _allowed(table, rules, q3, pieces)
    assert "月落".encode() in got  # q3 仄 (q1 was 平), q4 仄
    assert "天花".encode() not in got  # q3 平 fits, q4 花 平 does not
    start = rules.start()
    got = _allowed(table, rules, start, pieces)
    assert "日落天".encode() in got and "月落".encode() in got
    assert "天花".encode() not in got  # 仄起: the 2nd character is 仄
    assert "落风".encode() not in got  # 风 平 where 仄起 wants 仄
    assert "落风".encode() in _allowed(table, rules, _state(rules, "日"), pieces)  # q2 q3
    used = _state(rules, line2 + "天花月落风\n天花天落雪\n日落月花")
    assert "风\n".encode() not in _allowed(table, rules, used, pieces)  # 风 rhymed already


def test_pieces_of_a_character(small: tuple[list[bytes], MaskTable]) -> None:
    pieces, table = small
    rules = _rules(table, qi="仄起", first_rhymes=False)
    for text in (
        "",
        "日",
        "日落天花",
        "日落天花雪\n天花月落",
        "日落天花雪\n天花月落风\n天花天落雪",
    ):
        state = _state(rules, text)
        allowed_chars = rules.allowed_chars(state)
        got = _allowed(table, rules, state, pieces)
        for lead in table.vocab.lead_bytes:
            expected = any(ch.encode().startswith(lead) for ch in allowed_chars)
            assert (lead in got) == expected, (text, lead)
    rhyme = _state(rules, "日落天花雪\n天花月落")
    assert FENG[:2] in _allowed(table, rules, rhyme, pieces)
    pending = rules.walk(rhyme, FENG[:2])
    assert pending is not None and pending.pending == FENG[:2]
    conts = _allowed(table, rules, pending, pieces)
    assert FENG[2:] in conts
    for c in conts:
        assert (FENG[:2] + c).decode() in rules.allowed_chars(rhyme)
    done = rules.walk(pending, FENG[2:])
    assert done is not None and done.used == frozenset("风") and not done.pending


def test_pieces_never_reach_a_dead_end(small: tuple[list[bytes], MaskTable]) -> None:
    """Random token walks that take a piece of a character whenever one is allowed."""
    pieces, table = small
    rng = random.Random(5)
    leads = set(table.vocab.lead_ids.tolist())
    conts = set(table.vocab.cont_ids.tolist())
    partial = 0
    for form in ("五绝", "七绝", "五律"):
        rules = _rules(table, form=form)
        for _ in range(15):
            state = rules.start()
            while not rules.is_final(state):
                ids = table.allowed(rules, state).tolist()
                assert ids, f"dead end at {state}"
                logits = np.zeros(len(pieces), dtype=np.float32)
                table.mask_logits(rules, state, logits)
                assert np.flatnonzero(np.isfinite(logits)).tolist() == sorted(ids)
                pick = [i for i in ids if i in leads or i in conts]
                tid = rng.choice(pick if pick and rng.random() < 0.7 else ids)
                partial += tid in leads or tid in conts
                nxt = rules.walk(state, pieces[tid])
                assert nxt is not None
                assert table.advance(rules, state, tid) == nxt  # the table of moves agrees
                state = nxt
    assert partial > 100


def test_punctuation_and_latin_are_never_allowed(small: tuple[list[bytes], MaskTable]) -> None:
    pieces, table = small
    rng = random.Random(9)
    bad = {p.encode() for p in BAD} | set(MIXED)
    rules = _rules(table, form="七律")
    state = rules.start()
    while not rules.is_final(state):
        got = _allowed(table, rules, state, pieces)
        assert not got & bad
        tid = rng.choice(table.allowed(rules, state).tolist())
        nxt = rules.walk(state, pieces[tid])
        assert nxt is not None
        state = nxt


# ---------------------------------------------------------------- the real Qwen2 vocabulary
@pytest.fixture(scope="module")
def qwen(vocab_llama: Any, book: RhymeBook, tmp_path_factory: pytest.TempPathFactory) -> Any:
    cache = tmp_path_factory.mktemp("vocab-cache")
    loaded = load_vocab_index(vocab_llama, cache)
    table = MaskTable(
        loaded.index,
        CharTable.build(book, loaded.index.han_chars | book_universe(book), CharPolicy()),
    )
    return loaded, table, token_pieces(vocab_llama, special=True), cache


@pytest.mark.model
def test_vocabulary_index_is_cached_on_disk(qwen: Any, vocab_llama: Any) -> None:
    loaded, _table, _pieces, cache = qwen
    assert not loaded.cache_hit and loaded.path is not None and loaded.path.parent == cache
    assert loaded.index.n_vocab == 151936
    assert len(loaded.index.text_ids) > 20000 and len(loaded.index.lead_ids) > 500
    again = load_vocab_index(vocab_llama, cache)
    assert again.cache_hit and again.index.digest == loaded.index.digest
    assert np.array_equal(again.index.text_ids, loaded.index.text_ids)
    assert again.index.text_strs == loaded.index.text_strs
    assert again.index.lead_bytes == loaded.index.lead_bytes
    assert again.index.cont_bytes == loaded.index.cont_bytes
    assert np.array_equal(again.index.eog_ids, loaded.index.eog_ids)
    assert again.path is not None
    again.path.write_bytes(b"not an npz")  # damaged: rebuilt, not trusted
    rebuilt = load_vocab_index(vocab_llama, cache)
    assert not rebuilt.cache_hit and rebuilt.index.text_strs == loaded.index.text_strs
    assert rebuilt.path is not None
    assert VocabIndex.load(rebuilt.path, "another-digest") is None


@pytest.mark.model
@pytest.mark.slow
def test_masks_equal_the_reference_walk_over_the_whole_vocabulary(qwen: Any) -> None:
    """At states along random token walks (pieces of characters included), the
    precomputed masks allow exactly the tokens :meth:`PoemRules.walk` accepts."""
    _loaded, table, pieces, _cache = qwen
    rng = random.Random(3)
    rng_np = np.random.default_rng(3)
    leads = set(table.vocab.lead_ids.tolist())
    compared = 0
    for form, group in (("七绝", 14), ("五律", 23)):
        spec = ConstraintSpec.from_dict({"form": form, "group": group})
        rules = PoemRules(plan_automaton(spec, table.chars.table), table.chars, group)
        compared += compare_masks_on_a_walk(
            table,
            rules,
            pieces,
            leads,
            (rng, rng_np),
            lambda step, state: step % 6 == 0 or bool(state.pending),
        )
    assert compared >= 10


@pytest.mark.model
def test_real_tokens(qwen: Any, vocab_llama: Any) -> None:
    _loaded, table, pieces, _cache = qwen
    rules = PoemRules(
        plan_automaton(
            ConstraintSpec.from_dict(
                {"form": "五绝", "group": 0, "qi": "仄起", "first_rhymes": False}
            ),
            table.chars.table,
        ),
        table.chars,
        0,
    )

    def token(text: str) -> int:
        ids = vocab_llama.tokenize(text.encode(), add_bos=False, special=True)
        assert len(ids) == 1, (text, ids)
        return int(ids[0])

    spring_wind = token("春风")  # one token, two positions
    comma = token("，")
    state = _state(rules, "日落天花雪\n天花月")
    allowed = set(table.allowed(rules, state).tolist())
    assert spring_wind not in allowed  # 春 is 平 where q4 must be 仄
    rhyme = _state(rules, "日落天花雪\n天花月落")
    allowed = set(table.allowed(rules, rhyme).tolist())
    assert token("风") in allowed and token("山") not in allowed and comma not in allowed
    assert token("\n\n") not in set(table.allowed(rules, _state(rules, "日落天花雪")).tolist())
    assert pieces[spring_wind] == "春风".encode()
