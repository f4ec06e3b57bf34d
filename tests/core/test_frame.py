"""Title, author and note lines are not verse: the checker, the grader and the command
line read only the poem (app/prosody/frame.py)."""

from __future__ import annotations

import pytest

from app.assign.grading import Status, grade_submission
from app.assign.intake import Submission
from app.cli import main
from app.prosody.checker import Checker
from app.prosody.forms import Form
from app.prosody.frame import frame_lines
from tests.support.assign_class import CHU_SAI, frontier_assignment

JINGYESI = ["床前明月光", "疑是地上霜", "举头望明月", "低头思故乡"]
DENGGAO = ["风急天高猿啸哀", "渚清沙白鸟飞回", "无边落木萧萧下", "不尽长江滚滚来",
           "万里悲秋常作客", "百年多病独登台", "艰难苦恨繁霜鬓", "潦倒新停浊酒杯"]  # fmt: skip
CIBEIGU = "客路青山外，行舟绿水前。\n潮平两岸阔，风正一帆悬。\n海日生残夜，江春入旧年。\n乡书何处达？归雁洛阳边。"


def verse(text: str) -> list[str]:
    return [line.chars for line in frame_lines(text).verse]


@pytest.mark.parametrize(
    ("text", "title", "author", "notes"),
    [
        ("静夜思\n李白\n" + "\n".join(JINGYESI), "静夜思", "李白", ""),
        ("静夜思 李白\n床前明月光，疑是地上霜。\n举头望明月，低头思故乡。", "静夜思", "李白", ""),
        ("《静夜思》\n唐·李白\n" + "\n".join(JINGYESI), "静夜思", "唐·李白", ""),
        ("静夜思\n〔唐〕李白\n" + "\n".join(JINGYESI), "静夜思", "〔唐〕李白", ""),
        ("静夜思\n作者：李白\n" + "\n".join(JINGYESI), "静夜思", "李白", ""),
        ("\n".join(JINGYESI) + "\n——李白", "", "李白", ""),
        ("\n".join(JINGYESI) + "\n注：作于扬州旅舍。", "", "", "注：作于扬州旅舍。"),
        ("静夜思\n（其一）\n" + "\n".join(JINGYESI), "静夜思", "", "其一"),
        ("\n".join(JINGYESI).replace("明月光", "明月光（一作看月光）"), "", "", "一作看月光"),
    ],
)
def test_the_frame_around_a_poem_is_found(text: str, title: str, author: str, notes: str) -> None:
    frame = frame_lines(text)
    assert verse(text) == JINGYESI
    assert (frame.title, frame.author, frame.notes) == (title, author, notes)
    for part in frame.parts:  # each part points at its own text
        assert part.text.replace("——", "") in text[part.start : part.end] or part.kind == "title"


def test_a_note_line_does_not_make_denggao_a_pailv(checker: Checker) -> None:
    text = "\n".join(DENGGAO) + "\n（杜甫晚年作于夔州）"
    assert verse(text) == DENGGAO
    analysis = checker.analyze(text)
    assert analysis.form is Form.QILV and len(analysis.lines) == 8


def test_a_title_and_author_do_not_make_a_jueju_a_lvshi(checker: Checker) -> None:
    plain = checker.analyze("\n".join(JINGYESI))
    framed = checker.analyze("静夜思\n李白\n" + "\n".join(JINGYESI))
    assert framed.form is Form.WUJUE
    assert [f.rule for f in framed.findings] == [f.rule for f in plain.findings]
    assert len(framed.errors) == len(plain.errors) == 3  # 平仄, 失对, 失粘 — not a 五律's
    # the painted characters are the verse's (the title and author are left alone)
    first = "静夜思\n李白\n".__len__()
    assert framed.chars[0].offset == first


def test_a_title_of_the_lines_own_length_before_punctuated_verse() -> None:
    # 王湾《次北固山下》: the title has five characters, like the lines of the 五律
    assert len(verse("次北固山下\n" + CIBEIGU)) == 8
    assert frame_lines("次北固山下\n" + CIBEIGU).title == "次北固山下"


@pytest.mark.parametrize(
    "text",
    [
        "\n".join(JINGYESI),  # nothing around it
        "床前明月\n疑是地上霜\n举头望明月\n低头思故乡",  # a line one short: a mistake, kept
        "\n".join([*DENGGAO[:7], "潦倒新停浊"]),  # the last line two short: kept
        "\n".join([*JINGYESI, "李白"]),  # a bare name after the verse may be a line begun
        "床前明月光疑是地上霜举头望明月低头思故乡",  # one unpunctuated run
        "床前明",  # typing
    ],
)
def test_verse_is_never_set_aside(text: str) -> None:
    assert "".join(verse(text)) == "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")
    assert frame_lines(text).parts == ()


def test_while_typing_after_a_title_the_new_line_stays_verse() -> None:
    assert verse("静夜思\n床前明月光\n疑是") == ["床前明月光", "疑是"]


def test_grading_a_submission_headed_by_title_and_name(checker: Checker) -> None:
    # a 4-line file headed by a bare title and the student's name is graded as the 七绝
    # it is, not rejected as 「此稿为6句」
    text = "出塞\n王昌龄\n" + CHU_SAI
    report = grade_submission(Submission("王昌龄", "a.txt", text), frontier_assignment(), checker)
    assert report.status is Status.GRADED, report.reason
    assert report.analysis is not None and len(report.analysis.lines) == 4
    assert report.grade == 100.0


def test_grading_says_the_verse_line_count(checker: Checker) -> None:
    wrong = "春晓\n孟浩然\n" + "\n".join(JINGYESI)  # a 五绝 for a 七绝 assignment
    report = grade_submission(Submission("孟", "b.txt", wrong), frontier_assignment(), checker)
    assert report.status is Status.WRONG_FORM and report.reason is not None
    assert "此稿为4句" in report.reason.text("zh")


def test_the_command_line_reads_the_poem_only(capsys: pytest.CaptureFixture[str]) -> None:
    text = "登高\n杜甫\n" + "\n".join(DENGGAO) + "\n（杜甫晚年作于夔州）"
    main(["--lang", "zh", "check", text])
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("七律")
