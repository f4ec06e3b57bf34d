"""Submissions in: a folder of .txt files, or poems from the library.

Every entry of the folder is accounted for: a readable text becomes a
:class:`Submission` with its text; anything else (an unreadable file, a
binary file, another kind of file, a sub-folder) becomes a Submission with a
``problem`` saying why, in Chinese and English. Nothing is dropped silently.

Files are read by :mod:`app.textfile` (the command line's reader too): UTF-8
with or without a mark, UTF-16, UTF-32 and GBK/GB18030; binary files and files
over 256 KB are refused with the reason.

The student's name (:func:`parse_submission`): labelled lines at the top of the
file — ``姓名：…`` / ``名字：…`` / ``学生：…`` / ``作者：…`` / ``Name: …`` /
``Student: …`` — give the name; ``题目：…`` / ``标题：…`` / ``诗题：…`` /
``Title: …`` or a first line wholly in 《》 give the title; ``学号：…`` /
``班级：…`` / ``ID: …`` / ``Class: …`` are dropped. These lines are not part of
the poem. Without a name line the name is the file name without its extension,
less a leading number (``03_张三.txt``, ``03-张三.txt``, ``03 张三.txt`` → 张三).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.storage.messages import Message
from app.textfile import MAX_BYTES, Decoded, decode_text, read_text_file

if TYPE_CHECKING:
    from app.storage.records import PoemRecord

__all__ = [
    "MAX_BYTES",
    "Decoded",
    "Submission",
    "decode_text",
    "parse_submission",
    "read_folder",
    "read_submission_file",
    "student_from_filename",
    "submissions_from_poems",
]


@dataclass(frozen=True, slots=True)
class Submission:
    """One thing handed in. ``text`` is None when it could not be read (see ``problem``)."""

    student: str
    source: str  # the file name, or 诗库 #id
    text: str | None
    title: str = ""
    encoding: str = ""
    problem: Message | None = None  # why it could not be read at all
    poem_id: int | None = None  # when it came from the library

    @property
    def readable(self) -> bool:
        return self.text is not None


_NAME_LABELS = ("姓名", "名字", "学生", "作者", "name", "student", "author")
_TITLE_LABELS = ("题目", "标题", "诗题", "title")
_DROP_LABELS = ("学号", "班级", "日期", "id", "class", "date")
_LABEL_LINE = re.compile(r"^\s*([^\s:：]{1,10})\s*[:：]\s*(.*?)\s*$")
_LEADING_NUMBER = re.compile(r"^\s*\d+\s*[-_.、．\s]\s*")


def student_from_filename(name: str) -> str:
    stem = Path(name).stem.strip()
    rest = _LEADING_NUMBER.sub("", stem, count=1).strip()
    return rest or stem


def parse_submission(text: str, fallback_name: str) -> tuple[str, str, str]:
    """Split a file's text into (student, title, poem text); see the module docstring."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    student, title = "", ""
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if not line:
            i += 1
            continue
        m = _LABEL_LINE.match(line)
        if m:
            label = m.group(1).lower()
            if label in _NAME_LABELS:
                student = student or m.group(2)
                i += 1
                continue
            if label in _TITLE_LABELS:
                title = title or m.group(2).strip("《》")
                i += 1
                continue
            if label in _DROP_LABELS:
                i += 1
                continue
        if line.startswith("《") and line.endswith("》") and not title:
            title = line[1:-1].strip()
            i += 1
            continue
        break
    poem = "\n".join(lines[i:]).strip()
    return (student.strip() or fallback_name), title, poem


def read_submission_file(path: Path) -> Submission:
    """Read one file: a Submission with its text, or with the reason it cannot be read."""
    fallback = student_from_filename(path.name)
    name = path.name
    if path.is_dir():
        return Submission(fallback, name, None, problem=Message(
            "这是一个文件夹，不是作业文件（不会读取其中的内容）。",
            "This is a folder, not a submission (its contents are not read).",
        ))  # fmt: skip
    if path.suffix.lower() != ".txt":
        return Submission(fallback, name, None, problem=Message(
            f"不是 .txt 文件（{path.suffix or '无扩展名'}），未读取。",
            f"Not a .txt file ({path.suffix or 'no extension'}); not read.",
        ))  # fmt: skip
    decoded = read_text_file(path, max_bytes=MAX_BYTES)
    if decoded.text is None:
        return Submission(fallback, name, None, problem=decoded.problem)
    student, title, poem = parse_submission(decoded.text, fallback)
    return Submission(student, name, poem, title=title, encoding=decoded.encoding)


def read_folder(folder: Path) -> list[Submission]:
    """Every entry of ``folder`` (not recursive), in name order; see the module docstring."""
    entries = sorted(folder.iterdir(), key=lambda p: p.name)
    return [read_submission_file(p) for p in entries]


def submissions_from_poems(records: Iterable[PoemRecord]) -> list[Submission]:
    """Poems from the library (e.g. tagged with the assignment); the author is the student."""
    out: list[Submission] = []
    for rec in records:
        student = rec.author.strip() or rec.title.strip() or f"#{rec.id}"
        out.append(
            Submission(
                student, f"诗库 #{rec.id}", rec.text, title=rec.title, encoding="", poem_id=rec.id
            )
        )
    return out
