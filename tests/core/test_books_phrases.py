"""The phrase index that settles a modern book's polyphones in a line (PhraseIndex)."""

from __future__ import annotations

from app.prosody.books.phrases import PhraseIndex

TABLE = {
    "还乡": ("huán", "-"),
    "青春还乡": ("-", "-", "huán", "-"),
    "春还": ("-", "huán"),
    "还是": ("hái", "-"),
    "看守": ("kān", "-"),
    "守看": ("-", "kàn"),
    "长江": ("cháng", "-"),
    "江长": ("-", "zhǎng"),
    "一二三四长": ("-", "-", "-", "-", "zhǎng"),  # longer than 4: never searched
}


def test_settleable_characters_are_those_a_phrase_reads() -> None:
    assert PhraseIndex(TABLE).settleable == frozenset("还看长")


def test_phrases_that_agree_settle_and_the_first_found_is_named() -> None:
    index = PhraseIndex(TABLE)
    # 青春还乡, 春还 and 还乡 all read 还 huán: the phrase starting first, the longest
    # first at each start, names it
    assert index.settle("青春还乡") == [(2, "huán", "青春还乡")]
    assert index.settle("春还乡") == [(1, "huán", "春还")]
    assert index.settle("还乡还是") == [(0, "huán", "还乡"), (2, "hái", "还是")]


def test_phrases_that_disagree_settle_nothing() -> None:
    index = PhraseIndex(TABLE)
    assert index.settle("守看守") == []  # 守看 says kàn, 看守 says kān
    assert index.settle("看守") == [(0, "kān", "看守")]
    assert index.settle("守看") == [(1, "kàn", "守看")]


def test_each_place_of_a_character_is_settled_on_its_own() -> None:
    index = PhraseIndex(TABLE)
    assert index.settle("长江长") == [(0, "cháng", "长江"), (2, "zhǎng", "江长")]


def test_no_phrase_around_a_character_settles_nothing() -> None:
    index = PhraseIndex(TABLE)
    assert index.settle("白日依山尽") == []
    assert index.settle("还有") == []  # 还 settleable, but no phrase of the table here
    assert index.settle("一二三四长") == []  # a five-character phrase is not searched
    assert index.settle("") == [] and index.settle("还") == []
