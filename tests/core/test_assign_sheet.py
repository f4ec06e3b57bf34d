"""The assignment sheet's content: the template the form asks for, the rhyme's characters."""

from __future__ import annotations

from dataclasses import replace

from app.assign.model import FirstLine, Qi, RhymeRequirement
from app.assign.sheet import sheet_content, sheet_text
from app.prosody.forms import Form
from app.prosody.groups import group_by_name
from app.prosody.rhymebook import RhymeBook
from tests.support.assign_class import frontier_assignment


def test_the_template_follows_qi_and_the_first_line(book: RhymeBook) -> None:
    a = frontier_assignment()  # 七绝, line 1 rhymes, either start: 平起 and 仄起 both shown
    c = sheet_content(a, book)
    assert c.qis == ("平起", "仄起")
    assert [ln.templates for ln in c.lines] == [
        ("⊙平⊙仄仄平平", "⊙仄平平⊙仄平"),
        ("⊙仄平平⊙仄平", "⊙平⊙仄仄平平"),
        ("⊙仄⊙平⊙仄仄", "⊙平⊙仄⊙平仄"),
        ("⊙平⊙仄仄平平", "⊙仄平平⊙仄平"),
    ]
    assert [ln.rhymes for ln in c.lines] == [True, True, False, True]
    ping = sheet_content(replace(a, qi=Qi.PING), book)
    assert ping.qis == ("平起",) and [ln.templates for ln in ping.lines] == [
        (ln.templates[0],) for ln in c.lines
    ]
    wulv = replace(a, form=Form.WULV, qi=Qi.ZE,
                   rhyme=RhymeRequirement(a.rhyme.group_id, FirstLine.FORBIDDEN))  # fmt: skip
    c = sheet_content(wulv, book)
    assert len(c.lines) == 8 and all(len(ln.template) == 5 for ln in c.lines)
    assert c.lines[0].template == "⊙仄⊙平仄" and not c.lines[0].rhymes and c.qis == ("仄起",)
    assert [ln.rhymes for ln in c.lines] == [False, True] * 4


def test_the_first_character_of_ping_ping_ze_ze_ping_is_not_free(book: RhymeBook) -> None:
    # 仄平仄仄平 is 孤平: a template that marks the first character free invites it.
    for form, b_line in ((Form.WULV, "平平⊙仄平"), (Form.QILV, "⊙仄平平⊙仄平")):
        a = replace(frontier_assignment(), form=form, qi=None)
        c = sheet_content(a, book)
        templates = {t for ln in c.lines for t in ln.templates}
        assert b_line in templates
        free_b = "⊙平⊙仄平" if form is Form.WULV else "⊙仄⊙平⊙仄平"
        assert free_b not in templates
        assert "孤平" in sheet_text(c)


def test_the_rhyme_characters_are_safe_rhymes(book: RhymeBook) -> None:
    you = group_by_name("下平十一尤")
    assert you is not None
    a = replace(frontier_assignment(), rhyme=RhymeRequirement(you.id), forbidden_chars="愁")
    chars = sheet_content(a, book).rhyme_chars
    assert len(chars) == 40
    assert "不" not in chars  # 不 reads 尤 平 but is mostly 入声 仄: never a rhyme to offer
    assert "愁" not in chars  # the forbidden character is not offered
    for ch in chars:
        info = book.lookup(ch)
        assert info is not None and info.can_be_ping and not info.can_be_ze, ch
        assert info.ping_groups == frozenset({you.id}), ch
    # most used first, as in the book
    order = [book.group_chars(you.id).index(ch) for ch in chars]
    assert order == sorted(order)
    # a traditional forbidden character keeps its simplified form off the list too
    trad = replace(a, forbidden_chars="愁樓")
    assert "楼" not in sheet_content(trad, book).rhyme_chars


def test_the_sheet_text_names_every_requirement(book: RhymeBook) -> None:
    a = replace(frontier_assignment(), required_chars="秋")
    text = sheet_text(sheet_content(a, book))
    for piece in ("边塞七绝", "以边塞为题", "押上平十五删韵", "首句须入韵", "须用意象：月、山、关（至少用1个）",
                  "必用字：秋", "禁用字：酒", "平仄格式（平起）", "平仄格式（仄起）",
                  "上平十五删常用字："):  # fmt: skip
        assert piece in text, piece
    chars = sheet_content(a, book).rhyme_chars
    assert 0 < len(chars) <= 40 and set(chars) <= set(book.group_chars(a.rhyme.group_id or 0))
    english = sheet_text(sheet_content(a, book, "en"))
    assert "Rhyme: rhyme group 上平十五删" in english and "Tone template" in english
    anyg = replace(a, rhyme=RhymeRequirement(None))
    assert sheet_content(anyg, book).rhyme_chars == ""
