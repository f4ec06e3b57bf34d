"""Property tests: any text at all is analysed without raising, one result per Han character."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.prosody.checker import Checker
from app.prosody.forms import PING, ZE, Form
from app.prosody.frame import frame_lines
from app.prosody.settings import CheckSettings
from app.prosody.suggest import Suggester
from app.prosody.text import is_han, split_lines

# Text made of the things that actually turn up: common Han characters, CJK
# Extension B, punctuation of both kinds, line breaks, spaces, Latin, emoji,
# combining marks and variation selectors, lone surrogates excluded by Hypothesis.
_PIECES = st.one_of(
    st.sampled_from(list("国破山河在城春草木深看听思过望中为重教白日依尽黄入海流")),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),
    st.sampled_from(list("，。？！；：、,.?!;:\n\r \u3000「」《》")),
    st.sampled_from(["\u0301", "\ufe0f", "\U000e0100", "🌕", "a", "Z", "7", "\u200b"]),
    st.characters(),
)
TEXT = st.lists(_PIECES, max_size=400).map("".join)

FORMS = st.sampled_from([None, *Form])
SETTINGS = st.builds(
    CheckSettings,
    warn_san_ze_wei=st.booleans(),
    zheyao_as_note=st.booleans(),
    mao_yun=st.booleans(),
    strict_135=st.booleans(),
    accept_aojiu=st.booleans(),
    partial=st.booleans(),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT, form=FORMS, options=SETTINGS)
def test_any_text_is_analysed(checker: Checker, text: str, form: Form | None,
                              options: CheckSettings) -> None:  # fmt: skip
    a = checker.analyze(text, form=form, settings=options)
    han = [i for i, ch in enumerate(text) if is_han(ch)]
    frame = frame_lines(text)
    verse = [o for tl in frame.verse for o in tl.offsets]
    assert [c.offset for c in a.chars] == verse  # every verse character, in order
    framed = {o for part in frame.parts for o in range(part.start, part.end)}
    assert set(han) == set(verse) | (set(han) & framed)  # the rest is title, author, notes
    assert not set(verse) & framed
    assert all(text[c.offset] == c.char for c in a.chars)
    for f in a.findings:
        assert f.message("zh") and f.message("en")
        for line, pos in f.marks:
            assert 0 <= line < len(a.lines)
            assert 0 <= pos < len(a.lines[line].text.chars)
        if f.offset is not None:
            assert 0 <= f.offset < len(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT)
def test_suggestions_never_raise(checker: Checker, text: str) -> None:
    suggester = Suggester(checker.book)
    a = checker.analyze(text)
    for f in a.findings[:5]:
        for s in suggester.suggest(a, f, 5):
            assert len(s.char) == 1


@settings(max_examples=60, deadline=None)
@given(text=TEXT, data=st.data())
def test_pins_are_respected(checker: Checker, text: str, data: st.DataObject) -> None:
    han = [i for i, ch in enumerate(text) if is_han(ch)]
    if not han:
        return
    chosen = data.draw(st.lists(st.sampled_from(han), max_size=5, unique=True))
    pins = {off: data.draw(st.sampled_from([PING, ZE])) for off in chosen}
    a = checker.analyze(text, pins=pins)
    for c in a.chars:
        if c.offset in pins:
            assert c.pinned and c.code == pins[c.offset]


def test_edge_texts(checker: Checker) -> None:
    for text in ["", " ", "\n\n\n", "，。", "a", "🌕", "\ud7ff", "国", "国" * 7, "\U00020000" * 5]:
        a = checker.analyze(text)
        assert len(a.chars) == sum(1 for ch in text if is_han(ch))


def test_a_hundred_thousand_characters_stay_fast(checker: Checker) -> None:
    poem = "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。\n"
    text = (poem * (100_000 // len(poem) + 1))[:100_000]
    # Speed is measured by bench/checker_speed.py; here the suite's timeout is the guard.
    a = checker.analyze(text, settings=CheckSettings(partial=True))
    assert len(a.chars) == sum(1 for ch in text if is_han(ch))
    assert a.form is Form.WUPAI and len(a.lines) == len(split_lines(text))


def test_long_garbage_line_is_linear(checker: Checker) -> None:
    text = "国" * 50_000  # one line of 50k characters, no punctuation
    a = checker.analyze(text)
    assert len(a.chars) == 50_000
