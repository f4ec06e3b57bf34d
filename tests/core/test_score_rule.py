"""The scoring rule's number follows its figures.

A library rescores its poems only when ``SCORE_RULE`` changes (docs/scoring.md), so a change
that gives these poems other totals without raising the number would leave stale scores in
every library. When this test fails after a deliberate change: raise ``SCORE_RULE`` in
app/prosody/scorer.py and add the new figures under the new number.
"""

from __future__ import annotations

import pytest

from app.prosody.books import BookKind
from app.prosody.books.shelf import Shelf
from app.prosody.rhymebook import RhymeBook
from app.prosody.scorer import SCORE_RULE, score

POEMS = {
    "静夜思": "床前明月光，疑是地上霜。举头望明月，低头思故乡。",
    "春晓": "春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。",
    "黄鹤楼": "昔人已乘黄鹤去，此地空余黄鹤楼。黄鹤一去不复返，白云千载空悠悠。"
    "晴川历历汉阳树，芳草萋萋鹦鹉洲。日暮乡关何处是，烟波江上使人愁。",
    "登高": "风急天高猿啸哀，渚清沙白鸟飞回。无边落木萧萧下，不尽长江滚滚来。"
    "万里悲秋常作客，百年多病独登台。艰难苦恨繁霜鬓，潦倒新停浊酒杯。",
    "山行": "远上寒山石径斜，白云生处有人家。停车坐爱枫林晚，霜叶红于二月花。",
    "回乡偶书": "少小离家老大回，乡音无改鬓毛衰。儿童相见不相识，笑问客从何处来。",
    "春望": "国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。"
    "烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。",
    "对联": "书山有路勤为径\n学江无涯苦作舟",
}

# the totals each rule gives, per book (rule 1, the weighted mean alone, was not recorded)
TOTALS: dict[int, dict[BookKind, dict[str, float]]] = {
    2: {
        BookKind.PINGSHUI: {"静夜思": 61.4, "春晓": 12.5, "黄鹤楼": 89.0, "登高": 100.0,
                            "山行": 100.0, "回乡偶书": 79.5, "春望": 100.0, "对联": 69.71},
        BookKind.TONGYUN: {"静夜思": 61.4, "春晓": 12.5, "黄鹤楼": 89.0, "登高": 64.43,
                           "山行": 79.5, "回乡偶书": 69.71, "春望": 80.3, "对联": 69.71},
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def shelf() -> Shelf:
    return Shelf(RhymeBook.load())


@pytest.mark.parametrize("kind", [BookKind.PINGSHUI, BookKind.TONGYUN])
def test_the_rules_number_names_its_figures(shelf: Shelf, kind: BookKind) -> None:
    assert SCORE_RULE in TOTALS, f"record the figures of rule {SCORE_RULE} here"
    checker = shelf.checker(kind)
    got = {t: round(score(checker.analyze(p), checker.lexicon).total, 2) for t, p in POEMS.items()}
    assert got == TOTALS[SCORE_RULE][kind], (
        "these poems score otherwise than rule "
        f"{SCORE_RULE} did: raise SCORE_RULE so libraries score their poems again"
    )
