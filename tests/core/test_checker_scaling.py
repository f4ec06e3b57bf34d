"""Long texts: analysis, suggestions and the JSON report grow linearly with the text.

No timings here (they live in bench/checker_scaling.py and docs/prosody.md): the work is
counted instead — every Python and C function call made while analysing a text and
suggesting for each of its findings, counted with ``sys.setprofile`` — and compared
between a text and one eight times as long. Linear work gives a ratio near 8; the
quadratic passes this guards against (the 重字 scan visiting every line once per
repeated character, the suggester walking every rhyme slot once per finding) gave
ratios above 20.
"""

from __future__ import annotations

import io
import json
import random
import re
import sys
import tracemalloc
from types import FrameType
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cli.jsonout import write_json
from app.prosody import frame
from app.prosody.analysis import PoemAnalysis
from app.prosody.checker import Checker
from app.prosody.rhymebook import RhymeBook
from app.prosody.suggest import Suggester


def _verse(book: RhymeBook, n_lines: int, seed: int = 15) -> str:
    """Random 七言 lines over the book's characters: many findings of every kind."""
    alphabet = sorted({ch for g in range(106) for ch in book.group_chars(g)})[:2000]
    rng = random.Random(seed)
    return "".join(
        "".join(rng.choices(alphabet, k=7)) + ("，" if i % 2 == 0 else "。") for i in range(n_lines)
    )


def _calls(fn: Any) -> int:
    count = 0

    def profile(_frame: FrameType, event: str, _arg: object) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count


def _suggest_all(suggester: Suggester, analysis: PoemAnalysis) -> None:
    for finding in analysis.findings:
        suggester.suggest(analysis, finding, 8)


def test_analysis_and_suggestions_grow_linearly(book: RhymeBook) -> None:
    checker = Checker(book)
    suggester = Suggester(book)
    small, large = _verse(book, 100), _verse(book, 800)
    for text in (large, small):  # warm every cache first
        _suggest_all(suggester, checker.analyze(text))
    analysis_ratio = _calls(lambda: checker.analyze(large)) / _calls(lambda: checker.analyze(small))
    assert analysis_ratio < 11, f"8× the text cost {analysis_ratio:.1f}× the calls to analyse"
    a_small, a_large = checker.analyze(small), checker.analyze(large)
    suggest_ratio = _calls(lambda: _suggest_all(suggester, a_large)) / _calls(
        lambda: _suggest_all(suggester, a_small)
    )
    assert suggest_ratio < 11, f"8× the text cost {suggest_ratio:.1f}× the calls to suggest"


class _CountingBook:
    """The real book, counting the characters it is asked to convert."""

    def __init__(self, book: RhymeBook) -> None:
        self._book = book
        self.converted = 0

    def to_simplified(self, text: str) -> str:
        self.converted += len(text)
        return self._book.to_simplified(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._book, name)


def test_suggestions_convert_the_text_once(book: RhymeBook, checker: Checker) -> None:
    text = _verse(book, 400)
    counting = _CountingBook(book)
    suggester = Suggester(cast("RhymeBook", counting))
    analysis = checker.analyze(text)
    offered = [suggester.suggest(analysis, f, 4) for f in analysis.findings]
    assert sum(1 for s in offered if s) > 100
    assert counting.converted <= len(text)
    again = checker.analyze(text)  # a new analysis (a keystroke) is converted anew
    suggester.suggest(again, again.findings[0], 4)
    assert counting.converted <= 2 * len(text)


def test_repeated_characters_are_all_found(book: RhymeBook, checker: Checker) -> None:
    """The one-pass 重字 scan finds what a naive scan finds, on a long text."""
    text = _verse(book, 500)
    analysis = checker.analyze(text)
    found = {(f.line, f.pos) for f in analysis.findings if f.rule.value == "chong_zi"}
    lines = [line.text.chars for line in analysis.lines]
    rhymes = set(analysis.rhyme_slots)
    first: dict[str, tuple[int, int]] = {}
    expected = set()
    for i, chars in enumerate(lines):
        for p, ch in enumerate(chars):
            if ch not in first:
                first[ch] = (i, p)
                continue
            doubled = (p > 0 and chars[p - 1] == ch) or (p + 1 < len(chars) and chars[p + 1] == ch)
            both_rhymes = (i, p) in rhymes and first[ch] in rhymes
            if not doubled and not both_rhymes:
                expected.add((i, p))
    assert len(expected) > 200
    assert found == expected


# ------------------------------------------------------------------ the JSON report
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(alphabet=st.characters(exclude_categories=["Cs"])),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(value=_JSON)
def test_streamed_json_is_what_json_dumps_writes(value: object) -> None:
    out = io.StringIO()
    write_json(value, out)
    assert out.getvalue() == json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def _lazily(value: object) -> object:
    """The same value with every list turned into an iterator."""
    if isinstance(value, list):
        return iter([_lazily(v) for v in value])
    if isinstance(value, dict):
        return {k: _lazily(v) for k, v in value.items()}
    return value


@settings(max_examples=200, deadline=None)
@given(value=_JSON)
def test_streamed_json_with_iterators_reads_back_the_same(value: object) -> None:
    out = io.StringIO()
    write_json(_lazily(value), out)
    assert json.loads(out.getvalue()) == json.loads(json.dumps(value))


def test_items_of_a_streamed_list_take_one_line_each() -> None:
    out = io.StringIO()
    rows = ({"char": ch, "readings": [{"tone": "平"}]} for ch in "东风")
    write_json({"form": "七绝", "lines": iter([{"text": "东风", "chars": rows}]), "n": 2}, out)
    assert out.getvalue() == (
        "{\n"
        '  "form": "七绝",\n'
        '  "lines": [\n'
        "    {\n"
        '      "text": "东风",\n'
        '      "chars": [\n'
        '        {"char": "东", "readings": [{"tone": "平"}]},\n'
        '        {"char": "风", "readings": [{"tone": "平"}]}\n'
        "      ]\n"
        "    }\n"
        "  ],\n"
        '  "n": 2\n'
        "}\n"
    )


def test_streamed_json_takes_iterators_lazily() -> None:
    """A report far larger than what the writer holds at any moment: items are made,
    encoded and written one by one."""

    def report(n: int) -> dict[str, Any]:
        items = (
            {"char": "月", "offset": i, "readings": [{"tone": "仄", "group": "入声六月"}]}
            for i in range(n)
        )
        return {"lines": ({"chars": items} for _ in range(1)), "empty": iter(())}

    whole = io.StringIO()
    write_json(report(2_000), whole)
    doc = json.loads(whole.getvalue())
    assert doc["lines"][0]["chars"][1_999]["offset"] == 1_999
    assert doc["empty"] == []

    class Counter(io.StringIO):  # counts what it is given, keeps nothing
        written = 0

        def write(self, s: str) -> int:
            self.written += len(s)
            return len(s)

    sink = Counter()
    tracemalloc.start()
    try:
        write_json(report(50_000), sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.written > 4_000_000
    assert peak < 1_000_000, f"{peak:,} bytes held to write {sink.written:,} characters"


# ------------------------------------------------------------------ brackets
class _ScanCounting(str):
    """A text that adds up how much of it ``find`` reads."""

    scanned = 0

    def find(self, sub: str, *args: Any) -> int:
        start = args[0] if args else 0
        found = super().find(sub, *args)
        _ScanCounting.scanned += (found if found >= 0 else len(self)) - start
        return found


class _CountingPattern:
    """A compiled pattern that adds up how much of the text its ``search`` reads."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.scanned = 0

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        found = self.pattern.search(text, pos)
        self.scanned += (found.start() if found else len(text)) - pos
        return found

    def __getattr__(self, name: str) -> Any:  # finditer and the rest: not counted
        return getattr(self.pattern, name)


@pytest.mark.parametrize("opening", ["（", "〔", "("])
def test_unclosed_brackets_are_searched_past_once(
    monkeypatch: pytest.MonkeyPatch, opening: str
) -> None:
    """Finding the notes of a text read the rest of it again at every unclosed bracket:
    40,000 of them took 51 s. Now the text is searched once per kind of bracket."""
    newlines = _CountingPattern(frame._NEWLINES)
    monkeypatch.setattr(frame, "_NEWLINES", newlines)
    text = _ScanCounting((opening + "月") * 4000 + "\n明月光")
    _ScanCounting.scanned = 0
    frame.frame_lines(text)
    assert _ScanCounting.scanned <= 2 * len(text)
    assert newlines.scanned <= 2 * len(text)
