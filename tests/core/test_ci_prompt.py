"""The prompt for a 词 by 词牌 and 体 (a small 词谱 written by the tests)."""

from __future__ import annotations

import pytest

from app.compose.ci.prompt import CiRequest, build_ci_user_prompt, ci_messages, template_lines
from app.compose.prompt import REASONING_SYSTEM_PROMPT, PromptStyle
from app.prosody.ci import CipuTable
from app.prosody.rhymebook.cilin import CilinBook
from tests.support.cipu_fixture import cipu_table_fixture  # noqa: F401


def test_template_lines_show_marks_pauses_rhymes_and_sections(table: CipuTable) -> None:
    form = table.find("虞美人").forms[0]  # type: ignore[union-attr]
    lines = template_lines(form)
    assert lines[0] == "⊙平⊙仄平平仄（韵A·仄）"
    assert lines[3] == "⊙仄⊙平⊙仄、仄平平（韵B·平）"  # the 讀 inside the 句
    assert lines[4] == "（换段）" and len(lines) == 9


def test_a_huan_yun_prompt_names_each_group_and_its_characters(table: CipuTable) -> None:
    form = table.find("菩萨蛮").forms[0]  # type: ignore[union-attr]
    cilin = CilinBook.load()
    text = build_ci_user_prompt(
        CiRequest("秋思", form, bu={"A": 17, "B": 12}, imagery=("雁",)), cilin
    )
    assert "依词牌《菩薩蠻》填一首词" in text and "正体，共44字，2段（4句、4句）" in text
    assert "A韵（第十七部）可用韵脚字：" in text and "B韵（第十二部）可用韵脚字：" in text
    assert "A韵押《词林正韵》第十七部（仄声）" in text and "C韵押《词林正韵》同一韵部" in text
    assert "换韵处另押一部" in text and "意象：请融入雁" in text
    rhymes_b = text.split("B韵（第十二部）可用韵脚字：")[1].split("\n")[0]
    assert "愁" in rhymes_b or "秋" in rhymes_b  # 第十二部 平声 (尤侯)
    messages = ci_messages(CiRequest("秋思", form), cilin, PromptStyle.REASONING)
    assert messages[0].content == REASONING_SYSTEM_PROMPT and messages[1].role == "user"
    assert len(ci_messages(CiRequest("秋思", form), cilin, PromptStyle.GENERAL)) == 1


def test_bad_requests_are_refused(table: CipuTable) -> None:
    form = table.find("清平乐").forms[0]  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="theme"):
        CiRequest("  ", form)
    with pytest.raises(ValueError, match="group C"):
        CiRequest("春", form, bu={"C": 7})
    with pytest.raises(ValueError, match="部 20"):
        CiRequest("春", form, bu={"A": 20})


def test_the_plan_for_a_ci_request(table: CipuTable) -> None:
    from app.compose.ci.prompt import build_ci_prompt
    from app.engine.requests import Sampling
    from app.prosody.books.shelf import Shelf
    from app.prosody.ci.books import CiBookKind, ci_book
    from app.prosody.rhymebook import RhymeBook

    form = table.find("清平乐").forms[0]  # type: ignore[union-attr]
    request = CiRequest("春别", form, candidates=3, think_budget=200)
    plan = build_ci_prompt(request, CilinBook.load(), style="qwen3", sampling=Sampling(seed=4))
    assert plan.request is request and plan.think_budget == 200 and plan.thinking is True
    assert [r.sampling.seed for r in plan.generate_requests()] == [4, 5, 6]
    assert "依词牌《清平樂》填一首词" in plan.messages[0].content
    off = build_ci_prompt(CiRequest("春别", form, thinking=False), CilinBook.load(), style="qwen3")
    assert off.thinking is False and off.think_budget is None and off.sampling.top_p == 0.8
    # another rhyme book: its name and its group's characters in the prompt
    pingshui = ci_book(CiBookKind.PINGSHUI, Shelf(RhymeBook.load()))
    text = (
        build_ci_prompt(
            CiRequest("春别", form, bu={"B": 15}, book=CiBookKind.PINGSHUI), pingshui.rhymes
        )
        .messages[1]
        .content
    )
    assert "B韵押《平水韵》下平一先（平声）" in text and "B韵（下平一先）可用韵脚字：年天" in text
    with pytest.raises(ValueError, match="candidates"):
        CiRequest("春", form, candidates=0)
