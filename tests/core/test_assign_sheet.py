"""The assignment sheet's content: the template the form asks for, the rhyme's characters."""

from __future__ import annotations

from dataclasses import replace

from app.assign.model import FirstLine, Qi, RhymeRequirement
from app.assign.sheet import sheet_content, sheet_text
from app.prosody.forms import Form
from app.prosody.rhymebook import RhymeBook
from tests.support.assign_class import frontier_assignment


def test_the_template_follows_qi_and_the_first_line(book: RhymeBook) -> None:
    a = frontier_assignment()  # 七绝, line 1 rhymes, qi free → 平起
    c = sheet_content(a, book)
    assert [ln.template for ln in c.lines] == ["⊙平⊙仄仄平平", "⊙仄⊙平⊙仄平",
                                               "⊙仄⊙平⊙仄仄", "⊙平⊙仄仄平平"]  # fmt: skip
    assert [ln.rhymes for ln in c.lines] == [True, True, False, True] and c.qi == "平起"
    wulv = replace(a, form=Form.WULV, qi=Qi.ZE,
                   rhyme=RhymeRequirement(a.rhyme.group_id, FirstLine.FORBIDDEN))  # fmt: skip
    c = sheet_content(wulv, book)
    assert len(c.lines) == 8 and all(len(ln.template) == 5 for ln in c.lines)
    assert c.lines[0].template == "⊙仄⊙平仄" and not c.lines[0].rhymes and c.qi == "仄起"
    assert [ln.rhymes for ln in c.lines] == [False, True] * 4


def test_the_sheet_text_names_every_requirement(book: RhymeBook) -> None:
    a = replace(frontier_assignment(), required_chars="秋")
    text = sheet_text(sheet_content(a, book))
    for piece in ("边塞七绝", "以边塞为题", "押上平十五删韵", "首句须入韵", "须用意象：月、山、关（至少用1个）",
                  "必用字：秋", "禁用字：酒", "平仄格式（平起）", "上平十五删常用字："):  # fmt: skip
        assert piece in text, piece
    chars = sheet_content(a, book).rhyme_chars
    assert 0 < len(chars) <= 40 and set(chars) <= set(book.group_chars(a.rhyme.group_id or 0))
    english = sheet_text(sheet_content(a, book, "en"))
    assert "Rhyme: rhyme group 上平十五删" in english and "Tone template" in english
    anyg = replace(a, rhyme=RhymeRequirement(None))
    assert sheet_content(anyg, book).rhyme_chars == ""
