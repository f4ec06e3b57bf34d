"""A class's worth of submissions on disk, in every shape a teacher's folder arrives in.

``make_class_folder(folder)`` writes the files and returns what each must become:
``{file name: (student, status)}``, so a test can check every file is accounted for;
``graded_class(folder, checker)`` writes them and grades them against the 七绝 of
``frontier_assignment()``.
"""

from __future__ import annotations

from pathlib import Path

from app.assign.grading import StudentReport, grade_all
from app.assign.intake import read_folder
from app.assign.model import Assignment, FirstLine, RhymeRequirement
from app.prosody.checker import Checker
from app.prosody.forms import Form
from app.prosody.groups import group_by_name

CHU_SAI = "秦时明月汉时关，万里长征人未还。\n但使龙城飞将在，不教胡马度阴山。"
BAIDI = "朝辞白帝彩云间，千里江陵一日还。\n两岸猿声啼不住，轻舟已过万重山。"
LIANGZHOU = "黄河远上白云间，一片孤城万仞山。\n羌笛何须怨杨柳，春风不度玉门关。"
SHANXING = "远上寒山石径斜，白云生处有人家。\n停车坐爱枫林晚，霜叶红于二月花。"
DENGGAO = (
    "风急天高猿啸哀，渚清沙白鸟飞回。\n无边落木萧萧下，不尽长江滚滚来。\n"
    "万里悲秋常作客，百年多病独登台。\n艰难苦恨繁霜鬓，潦倒新停浊酒杯。"
)
JINGYESI = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。"

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
DOCX_BYTES = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00word/document.xml"
RANDOM_BYTES = bytes((i * 73 + 41) % 256 for i in range(600))


def frontier_assignment() -> Assignment:
    """七绝, 上平十五删, line 1 rhymes, at least one of 月/山/关, no 酒."""
    group = group_by_name("上平十五删")
    assert group is not None
    return Assignment(
        title="边塞七绝",
        form=Form.QIJUE,
        instructions="以边塞为题，写一首七绝。",
        rhyme=RhymeRequirement(group.id, FirstLine.REQUIRED),
        theme="边塞",
        imagery=("月", "山", "关"),
        imagery_min=1,
        forbidden_chars="酒",
    )


def make_class_folder(folder: Path) -> dict[str, tuple[str, str]]:
    """Write a class folder; returns {file name: (student, expected status)}."""
    folder.mkdir(parents=True, exist_ok=True)
    expected: dict[str, tuple[str, str]] = {}

    def put(name: str, data: bytes, student: str, status: str) -> None:
        (folder / name).write_bytes(data)
        expected[name] = (student, status)

    put("01_王昌龄.txt", CHU_SAI.encode("utf-8"), "王昌龄", "graded")
    put("02_李白.txt", BAIDI.encode("gbk"), "李白", "graded")
    put("03 王之涣.txt", LIANGZHOU.encode("utf-16"), "王之涣", "graded")
    put("04-杜牧.txt", SHANXING.encode("utf-8-sig"), "杜牧", "graded")
    put("05_空白.txt", b"", "空白", "empty")
    put("06_杜甫.txt", DENGGAO.encode("utf-8"), "杜甫", "wrong_form")
    put("07_图片.txt", PNG_BYTES, "图片", "unreadable")
    put("08_作业.docx", DOCX_BYTES, "作业", "unreadable")
    put("09.txt", ("姓名：张三\n题目：《月夜》\n" + BAIDI.replace("千里", "一壶酒")).encode(),
        "张三", "graded")  # fmt: skip
    put("10_李四.txt", RANDOM_BYTES, "李四", "unreadable")
    put("11_王五.txt", "姓名：王五\n\n".encode(), "王五", "empty")
    put("12_静夜思.txt", JINGYESI.encode("gb18030"), "静夜思", "wrong_form")
    (folder / "13_草稿").mkdir()
    expected["13_草稿"] = ("草稿", "unreadable")
    return expected


def graded_class(folder: Path, checker: Checker) -> tuple[Assignment, list[StudentReport]]:
    """The class folder written in ``folder`` and graded against
    :func:`frontier_assignment`: the assignment and the students' reports."""
    make_class_folder(folder)
    assignment = frontier_assignment()
    return assignment, list(grade_all(read_folder(folder), assignment, checker))
