"""The <think>/<answer> stream parser: split tags, missing tags, garbage, any chunking."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.compose.stream import (
    Delta,
    ParseResult,
    Part,
    ThinkAnswerParser,
    extract_poem_lines,
    parse_text,
)

JING_YE_SI = "床前明月光\n疑是地上霜\n举头望明月\n低头思故乡"


def feed_chunks(chunks: list[str], *, assume_think: bool = True) -> tuple[list[Delta], ParseResult]:
    parser = ThinkAnswerParser(assume_think=assume_think)
    deltas: list[Delta] = []
    for chunk in chunks:
        deltas.extend(parser.feed(chunk))
    tail, result = parser.finish()
    return deltas + tail, result


def joined(deltas: list[Delta], part: Part) -> str:
    return "".join(d.text for d in deltas if d.part is part)


def test_well_formed_output() -> None:
    text = f"<think>先想韵脚：光、霜、乡。</think>\n<answer>\n{JING_YE_SI}\n</answer>"
    deltas, result = feed_chunks([text])
    assert joined(deltas, Part.THINK) == "先想韵脚：光、霜、乡。"
    assert joined(deltas, Part.ANSWER) == JING_YE_SI
    assert result.lines == tuple(JING_YE_SI.split("\n"))
    assert result.saw_think_open and result.saw_think_close and result.answer_closed
    assert result.trailing == ""


def test_tags_cut_across_chunks() -> None:
    chunks = [
        "<th",
        "ink>想",
        "一想</th",
        "ink",
        ">\n<ans",
        "wer>床前明月光\n疑是",
        "地上霜</",
        "answer>",
    ]
    deltas, result = feed_chunks(chunks)
    assert joined(deltas, Part.THINK) == "想一想"
    assert joined(deltas, Part.ANSWER) == "床前明月光\n疑是地上霜"
    assert result.lines == ("床前明月光", "疑是地上霜")


def test_tag_split_into_single_characters() -> None:
    text = "<think>甲</think><answer>乙丙</answer>"
    deltas, result = feed_chunks(list(text))
    assert joined(deltas, Part.THINK) == "甲"
    assert result.answer == "乙丙"


def test_missing_think_opener_is_reasoning_for_a_reasoning_model() -> None:
    text = f"好的，用户要一首五绝。\n</think>\n\n<answer>{JING_YE_SI}</answer>"
    result = parse_text(text)
    assert result.think == "好的，用户要一首五绝。"
    assert not result.saw_think_open and result.saw_think_close
    assert result.lines == tuple(JING_YE_SI.split("\n"))


def test_missing_answer_tags_take_text_after_think() -> None:
    result = parse_text(f"<think>构思</think>\n\n{JING_YE_SI}\n")
    assert result.answer == JING_YE_SI
    assert not result.saw_answer
    assert len(result.lines) == 4


def test_general_model_without_tags_is_all_answer() -> None:
    deltas, result = feed_chunks(["床前明月光，", "疑是地上霜。"], assume_think=False)
    assert joined(deltas, Part.THINK) == ""
    assert result.lines == ("床前明月光", "疑是地上霜")


def test_reasoning_model_that_never_closes_thinking_has_no_answer() -> None:
    result = parse_text("<think>想了很久，还没想完")
    assert result.think == "想了很久，还没想完"
    assert result.answer == "" and result.lines == ()


def test_unclosed_answer_still_counts() -> None:
    result = parse_text("<think>x</think><answer>白日依山尽\n黄河入")
    assert result.lines == ("白日依山尽", "黄河入")
    assert result.saw_answer and not result.answer_closed


def test_repeated_answer_blocks_take_the_last() -> None:
    text = "<think>a</think><answer>初稿一句</answer><think>再想</think><answer>定稿一句</answer>"
    deltas, result = feed_chunks([text])
    assert result.answer == "定稿一句"
    assert result.think == "a\n\n再想"
    # Both blocks were streamed as answer text.
    assert joined(deltas, Part.ANSWER) == "初稿一句定稿一句"


def test_text_after_the_answer_is_trailing_not_answer() -> None:
    result = parse_text("<think>a</think><answer>白日依山尽</answer>\n以上是我的作品。")
    assert result.answer == "白日依山尽"
    assert result.trailing == "以上是我的作品。"


def test_garbage_angle_brackets_are_text() -> None:
    text = "<think>a<b 与 <thinking> 与 <ans 与 <</think><answer>x < y</answer>"
    result = parse_text(text)
    assert result.think == "a<b 与 <thinking> 与 <ans 与 <"
    assert result.answer == "x < y"


def test_held_back_tag_prefix_is_flushed_at_the_end() -> None:
    deltas, result = feed_chunks(["<think>思考<ans"])
    assert joined(deltas, Part.THINK) == "思考<ans"
    assert result.think == "思考<ans"


def test_tags_are_case_insensitive() -> None:
    result = parse_text("<THINK>想</Think><Answer>白日依山尽</ANSWER>")
    assert result.think == "想" and result.answer == "白日依山尽"


def test_stray_closing_answer_is_ignored() -> None:
    result = parse_text("</answer><think>想</think><answer>白日依山尽</answer>")
    assert result.think == "想" and result.answer == "白日依山尽"


def test_whitespace_around_segments_is_not_streamed() -> None:
    deltas, _ = feed_chunks(
        ["<answer>\n\n", "  白日", "依山尽  \n", "\n黄河入海流\n\n", "</answer>"]
    )
    assert joined(deltas, Part.ANSWER) == "白日依山尽  \n\n黄河入海流"
    assert all(d.text for d in deltas)


def test_feed_after_finish_is_an_error() -> None:
    parser = ThinkAnswerParser()
    parser.feed("x")
    parser.finish()
    try:
        parser.feed("y")
    except RuntimeError:
        return
    raise AssertionError("feeding a finished parser must fail")


# ---------------------------------------------------------------- poem lines
def test_extract_lines_strips_punctuation_and_numbering() -> None:
    text = "1. 床前明月光，\n2、疑是地上霜。\n一、举头望明月\n（四）低头思故乡！"
    assert extract_poem_lines(text) == tuple(JING_YE_SI.split("\n"))


def test_extract_lines_splits_couplets_on_punctuation_and_spaces() -> None:
    assert extract_poem_lines("床前明月光，疑是地上霜。") == ("床前明月光", "疑是地上霜")
    assert extract_poem_lines("金乌西坠暮云扬 万顷霞光映水漾") == (
        "金乌西坠暮云扬",
        "万顷霞光映水漾",
    )


def test_extract_lines_skips_titles_and_stops_at_commentary() -> None:
    text = (
        "《静夜思》\n标题：静夜思\n**床前明月光**\n疑是地上霜\n\n注释：此诗写游子思乡。\n举头望明月"
    )
    assert extract_poem_lines(text) == ("床前明月光", "疑是地上霜")


def test_extract_lines_drops_latin_and_markup() -> None:
    assert extract_poem_lines("- 白日依山尽 (line 1)\n> 黄河入海流") == ("白日依山尽", "黄河入海流")
    assert extract_poem_lines("no poem here") == ()


def test_extract_lines_keeps_traditional_and_placeholders() -> None:
    assert extract_poem_lines("國破山河在，城春草木□。") == ("國破山河在", "城春草木□")


# ---------------------------------------------------------------- properties
_PIECES = st.sampled_from(
    [
        "<think>",
        "</think>",
        "<answer>",
        "</answer>",
        "<",
        ">",
        "</",
        "<th",
        "ink>",
        "<ans",
        "wer>",
        "\n",
        " ",
        "白日依山尽",
        "，",
        "。",
        "1. ",
        "想",
        "abc",
        "<thinking>",
        "</answ",
        "ANSWER>",
    ]
)
_TEXTS = st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=30).map("".join)


@st.composite
def text_and_cuts(draw: st.DrawFn) -> tuple[str, list[str]]:
    text = draw(_TEXTS)
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=12)))
    chunks, prev = [], 0
    for c in cuts:
        chunks.append(text[prev:c])
        prev = c
    chunks.append(text[prev:])
    return text, chunks


@settings(max_examples=300, deadline=None)
@given(text_and_cuts(), st.booleans())
def test_any_chunking_gives_the_same_result(
    data: tuple[str, list[str]], assume_think: bool
) -> None:
    text, chunks = data
    whole_deltas, whole = feed_chunks([text], assume_think=assume_think)
    split_deltas, split = feed_chunks(chunks, assume_think=assume_think)
    assert split == whole
    for part in Part:
        assert joined(split_deltas, part) == joined(whole_deltas, part)


@settings(max_examples=200, deadline=None)
@given(text_and_cuts())
def test_char_by_char_feeding_equals_whole(data: tuple[str, list[str]]) -> None:
    text, _ = data
    assert feed_chunks(list(text))[1] == parse_text(text)


@settings(max_examples=200, deadline=None)
@given(_TEXTS)
def test_extracted_lines_are_clean(text: str) -> None:
    for line in parse_text(text).lines:
        assert line
        assert not any(c in line for c in "，。！？ \n<>0123456789abc")
