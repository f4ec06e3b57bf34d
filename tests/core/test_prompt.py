"""The compose prompt: the published QPM / Xunzi-Yayun-R1 format, with the rhyme retrieval."""

from __future__ import annotations

import pytest

from app.compose.prompt import (
    REASONING_SYSTEM_PROMPT,
    ComposeRequest,
    PromptStyle,
    build_prompt,
    build_user_prompt,
)
from app.compose.stream import parse_text
from app.engine.chat_template import render_chatml
from app.engine.requests import Sampling
from app.prosody.forms import Form
from app.prosody.groups import GROUPS, group_by_name
from app.prosody.rhymebook import RhymeBook


def gid(name: str) -> int:
    group = group_by_name(name)
    assert group is not None
    return group.id


def test_system_prompt_is_exactly_the_trained_one(book: RhymeBook) -> None:
    plan = build_prompt(ComposeRequest("秋思", Form.WUJUE, gid("上平一东")), book)
    assert REASONING_SYSTEM_PROMPT == (
        "Respond in the following format:<think>...</think><answer>...</answer>"
    )
    assert plan.messages[0].role == "system"
    assert plan.messages[0].content == REASONING_SYSTEM_PROMPT
    assert plan.messages[1].role == "user"
    assert plan.assume_think


def test_user_prompt_follows_the_published_template(book: RhymeBook) -> None:
    dong = gid("上平一东")
    text = build_user_prompt(ComposeRequest("忧愁", Form.WUJUE, dong), book)
    rhyme_chars = "".join(book.group_chars(dong)[:20])
    lines = text.split("\n")
    assert (
        lines[0] == f"你是一位精通唐诗的AI，当前创作需要遵循以下押韵要求：可用韵脚字：{rhyme_chars}"
    )
    assert lines[1] == "请严格按照以下要求创作一首五言绝句："
    assert lines[2] == "1. 诗歌主题：忧愁"
    assert lines[3] == "2. 押韵要求：第二句和第四句必须押《平水韵》「东」韵（平声）"
    assert lines[4:8] == [
        "3. 格式规范：",
        "- 每句单独一行，不加任何标点",
        "- 绝句必须4行，律诗必须8行",
        "- 示例格式：",
    ]
    assert lines[8:12] == ["白日依山尽", "黄河入海流", "欲穷千里目", "更上一层楼"]
    assert lines[12:] == [
        "4. 律诗要求：",
        "中间两联必须对仗工整",
        "5. 输出限制：",
        "- 仅输出诗句内容",
        "- 不要标题、注释、解释等任何额外内容",
        "- 禁止使用任何标点符号",
    ]


def test_retrieval_lists_the_groups_most_common_characters(book: RhymeBook) -> None:
    yang = gid("下平七阳")
    text = build_user_prompt(ComposeRequest("日落", Form.QILV, yang), book, n_rhyme_chars=12)
    listed = text.split("\n")[0].rsplit("：", 1)[1]
    assert listed == "".join(book.group_chars(yang)[:12])
    assert len(listed) == 12
    # every listed character is a member of the group in the book
    assert set(listed) <= set(book.group_chars(yang))


def test_lvshi_rhymes_on_even_lines_and_names_tone(book: RhymeBook) -> None:
    text = build_user_prompt(ComposeRequest("日落", Form.QILV, gid("去声二十三漾")), book)
    assert "请严格按照以下要求创作一首七言律诗：" in text
    assert "2. 押韵要求：第二、四、六、八句必须押《平水韵》「漾」韵（去声）" in text


def test_entering_tone_group_is_named(book: RhymeBook) -> None:
    text = build_user_prompt(ComposeRequest("雪", Form.WULV, gid("入声九屑")), book)
    assert "「屑」韵（入声）" in text


def test_extras_come_after_the_trained_items(book: RhymeBook) -> None:
    req = ComposeRequest(
        "秋思",
        Form.QIJUE,
        gid("下平十一尤"),
        title="登楼",
        imagery=("雁", " 霜 ", ""),
        instructions="末句用问句",
    )
    lines = build_user_prompt(req, book).split("\n")
    tail = lines[lines.index("- 禁止使用任何标点符号") + 1 :]
    assert tail == [
        "6. 诗题：登楼（仅供构思，不要输出）",
        "7. 意象：请融入雁、霜",
        "8. 其他要求：末句用问句",
    ]


def test_title_alone_serves_as_theme(book: RhymeBook) -> None:
    text = build_user_prompt(ComposeRequest("", Form.QIJUE, 0, title="春晓"), book)
    assert "1. 诗歌主题：春晓" in text
    assert "诗题" not in text


def test_without_a_rhyme_group_asks_for_one_level_group(book: RhymeBook) -> None:
    text = build_user_prompt(ComposeRequest("春", Form.QIJUE, None), book)
    assert text.startswith("你是一位精通唐诗的AI。\n")
    assert "必须押《平水韵》同一平声韵部" in text


def test_general_models_get_no_format_system_prompt(book: RhymeBook) -> None:
    req = ComposeRequest("春", Form.QIJUE, gid("上平十一真"))
    plan = build_prompt(req, book, style=PromptStyle.GENERAL)
    assert [m.role for m in plan.messages] == ["user"]
    assert plan.messages[0].content == build_user_prompt(req, book)
    assert not plan.assume_think
    rendered = render_chatml(plan.messages)
    assert rendered.startswith("<|im_start|>user\n你是一位精通唐诗的AI")
    assert rendered.endswith("<|im_end|>\n<|im_start|>assistant\n")


def test_sampling_defaults_are_qwen_reasoning_defaults(book: RhymeBook) -> None:
    plan = build_prompt(ComposeRequest("春", Form.QIJUE, 0), book)
    assert (plan.sampling.temperature, plan.sampling.top_p, plan.sampling.top_k) == (0.6, 0.95, 20)
    assert plan.stop == ("<|im_end|>",)


def test_candidates_become_requests_with_distinct_seeds(book: RhymeBook) -> None:
    plan = build_prompt(
        ComposeRequest("春", Form.QIJUE, 0, candidates=3), book, sampling=Sampling(max_tokens=99)
    )
    reqs = plan.generate_requests(base_seed=100)
    assert [r.sampling.seed for r in reqs] == [100, 101, 102]
    assert len({r.id for r in reqs}) == 3
    assert all(r.messages == plan.messages and r.sampling.max_tokens == 99 for r in reqs)
    assert [r.sampling.seed for r in plan.generate_requests()] == [None, None, None]
    seeded = build_prompt(
        ComposeRequest("春", Form.QIJUE, 0, candidates=2), book, sampling=Sampling(seed=7)
    )
    assert [r.sampling.seed for r in seeded.generate_requests()] == [7, 8]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"theme": "春", "form": Form.WUPAI},
        {"theme": "春", "rhyme_group": 999},
        {"theme": "春", "candidates": 0},
        {"theme": "  "},
    ],
)
def test_invalid_requests_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ComposeRequest(**kwargs)  # type: ignore[arg-type]


def test_every_level_group_has_retrieval_characters(book: RhymeBook) -> None:
    for group in GROUPS:
        if group.is_ping:
            text = build_user_prompt(ComposeRequest("春", Form.QIJUE, group.id), book)
            listed = text.split("\n")[0].rsplit("：", 1)[1]
            assert len(listed) >= 10, group.name
            assert f"「{group.rep}」韵（平声）" in text


def test_the_published_example_answer_parses_to_its_lines() -> None:
    # The answer Xunzi-Yayun-R1 gave in the paper's table 14 (lines separated by spaces).
    answer = "金乌西坠暮云扬 万顷霞光映水漾\n山染丹青浮翠嶂 江吞赤焰化银浪"
    result = parse_text(f"<think>思考</think><answer>{answer}</answer>")
    assert result.lines == ("金乌西坠暮云扬", "万顷霞光映水漾", "山染丹青浮翠嶂", "江吞赤焰化银浪")


def test_a_modern_rhyme_group_names_its_book_and_retrieves_from_it(book: RhymeBook) -> None:
    """The rhyme list comes from the group's own book; the template names that book."""
    from app.prosody.books import BookKind
    from app.prosody.books.shelf import Shelf

    tongyun = Shelf(book).book(BookKind.TONGYUN)
    ang = tongyun.find_group("十三昂")
    assert ang is not None
    req = ComposeRequest("还乡", Form.QIJUE, ang.id)
    assert req.book is BookKind.TONGYUN and req.group is ang
    text = build_user_prompt(req, tongyun)
    listed = text.split("可用韵脚字：")[1].split("\n")[0]
    assert listed == "".join(tongyun.group_chars(ang.id)[:20])
    assert "必须押《中华通韵》「昂」韵（平声）" in text
    assert "《平水韵》" not in text
    # without a group the book still decides the wording
    free = build_user_prompt(ComposeRequest("春", Form.QIJUE, None, book=BookKind.XINYUN), book)
    assert "必须押《中华新韵》同一平声韵部" in free


def test_a_couplet_request_asks_for_the_second_line_and_keeps_both(book: RhymeBook) -> None:
    """对下联: the prompt gives the 上联; the run's poem is the whole couplet."""
    from app.compose.session import CandidateRun
    from app.engine.events import Done, GenerationStats, Token
    from app.prosody.books import BookKind

    req = ComposeRequest("", Form.DUILIAN, couplet_first="书山有路勤为径", book=BookKind.TONGYUN)
    assert req.theme == "书山有路勤为径" and req.group is None
    plan = build_prompt(req, book)
    user = plan.messages[-1].content
    assert "上联：书山有路勤为径" in user and "按《中华通韵》论平仄" in user
    assert "仅输出下联" in user
    with pytest.raises(ValueError):
        ComposeRequest("春", Form.DUILIAN)  # no 上联
    request = plan.generate_requests(base_seed=1)[0]
    run = CandidateRun(0, plan, request, "m")
    run.consume([Token(request.id, "<think>想</think><answer>\n学海无涯苦作舟\n</answer>"),
                 Done(request.id, GenerationStats())])  # fmt: skip
    poem = run.poem()
    assert poem is not None and poem.form == "对联" and poem.book == "tongyun"
    assert poem.text == "书山有路勤为径\n学海无涯苦作舟"
