"""Assignments in a modern rhyme book: the teacher chooses the book, the sheet prints its
group, the grading reads the poem in it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.assign.codec import AssignmentFormatError, from_json, to_dict, to_json
from app.assign.grading import Status, grade_submission
from app.assign.intake import Submission
from app.assign.model import Assignment, RhymeRequirement
from app.assign.sheet import sheet_content, sheet_text
from app.prosody.books import BookKind
from app.prosody.books.shelf import Shelf
from app.prosody.findings import Rule
from app.prosody.forms import Form
from app.prosody.groups import group_by_name

SHAN_XING = "远上寒山石径斜，白云生处有人家。停车坐爱枫林晚，霜叶红于二月花。"
ZAO_FA = "朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。"


def _assignment(shelf: Shelf, kind: BookKind, group: str | None) -> Assignment:
    g = shelf.book(kind).find_group(group) if group else None
    return Assignment(
        "秋日绝句",
        Form.QIJUE,
        rhyme=RhymeRequirement(g.id if g else None),
        book=kind,
    )


def test_the_book_round_trips_and_older_files_mean_the_pingshui(shelf: Shelf) -> None:
    a = _assignment(shelf, BookKind.TONGYUN, "一啊")
    data = to_dict(a)
    assert data["book"] == "tongyun" and data["rhyme_group"] == "通韵一啊"
    back = from_json(to_json(a))
    assert back == a and back.rhyme.group is not None and back.rhyme.group.name == "通韵一啊"
    del data["book"]
    data["rhyme_group"] = "下平六麻"
    old = from_json(__import__("json").dumps(data, ensure_ascii=False))
    assert old.book is BookKind.PINGSHUI and old.rhyme.group is group_by_name("下平六麻")


@pytest.mark.parametrize(
    ("book_name", "group"), [("klingon", None), ("tongyun", "下平六麻"), ("xinyun", "通韵一啊")]
)
def test_an_unknown_book_or_a_group_of_another_book_is_refused(
    shelf: Shelf, book_name: str, group: str | None
) -> None:
    data = to_dict(_assignment(shelf, BookKind.PINGSHUI, None))
    data["book"] = book_name
    data["rhyme_group"] = group
    with pytest.raises(AssignmentFormatError):
        from_json(__import__("json").dumps(data, ensure_ascii=False))


def test_a_group_of_another_book_is_a_problem(shelf: Shelf) -> None:
    a = _assignment(shelf, BookKind.PINGSHUI, "下平六麻")
    wrong = replace(a, book=BookKind.TONGYUN)
    assert any("不属于中华通韵" in p.zh for p in wrong.problems())
    assert a.problems() == []


def test_the_sheet_prints_the_books_group(shelf: Shelf) -> None:
    a = _assignment(shelf, BookKind.TONGYUN, "十三昂")
    book = shelf.book(BookKind.TONGYUN)
    content = sheet_content(a, book)
    assert content.rhyme_group == "通韵十三昂"
    from app.assign.sheet import safe_rhyme_chars

    ang = a.rhyme.group
    assert ang is not None
    assert content.rhyme_chars == safe_rhyme_chars(book, ang.id)
    assert content.rhyme_chars and set(content.rhyme_chars) <= set(book.group_chars(ang.id))
    text = sheet_text(content)
    assert "韵书：中华通韵（今音：阴平、阳平为平，上声、去声为仄，无入声）" in text
    assert "用韵：押通韵十三昂韵" in text
    assert "通韵十三昂常用字：" in text
    english = sheet_text(sheet_content(a, book, "en"))
    assert "Rhyme book: Zhonghua Tongyun" in english
    with pytest.raises(ValueError):
        sheet_content(a, shelf.book(BookKind.PINGSHUI))
    classical = sheet_text(sheet_content(_assignment(shelf, BookKind.PINGSHUI, None)))
    assert "韵书：平水韵" in classical


def test_grading_reads_the_poem_in_the_assignments_book(shelf: Shelf) -> None:
    """杜牧《山行》 keeps the 平水韵; graded in 通韵 its 斜 (xié) is out of the 啊 group."""
    classical = _assignment(shelf, BookKind.PINGSHUI, None)
    modern = _assignment(shelf, BookKind.TONGYUN, None)
    sub = Submission("学生甲", "a.txt", SHAN_XING)
    r1 = grade_submission(sub, classical, shelf.checker(BookKind.PINGSHUI))
    r2 = grade_submission(sub, modern, shelf.checker(BookKind.TONGYUN))
    assert r1.status is r2.status is Status.GRADED
    assert r1.errors == () and r1.grade == 100.0
    assert [f.rule for f in r2.errors] == [Rule.CHU_YUN]
    assert r2.analysis is not None and r2.analysis.book is BookKind.TONGYUN
    assert r2.grade is not None and r2.grade < 100.0
    # a poem that keeps both grades the same in both
    both = Submission("学生乙", "b.txt", ZAO_FA)
    assert grade_submission(both, modern, shelf.checker(BookKind.TONGYUN)).grade == 100.0
    with pytest.raises(ValueError):
        grade_submission(sub, modern, shelf.checker(BookKind.PINGSHUI))
