"""Submissions in: a folder of .txt files, or poems from the library.

Every entry of the folder is accounted for: a readable text becomes a
:class:`Submission` with its text; anything else (an unreadable file, a
binary file, another kind of file, a sub-folder) becomes a Submission with a
``problem`` saying why, in Chinese and English. Nothing is dropped silently.

Encodings (:func:`decode_text`): a byte-order mark decides (UTF-8, UTF-16 LE/BE,
UTF-32); without one, strict UTF-8, then GB18030 (which includes GBK and GB2312)
when the result reads as Chinese text; UTF-16 without a mark is recognised by
its zero bytes. Known binary formats (PDF, images, Word, zip) and any other
bytes that decode to control characters are rejected with the reason.

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
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.prosody.text import is_han
from app.storage.messages import Message

if TYPE_CHECKING:
    from app.storage.records import PoemRecord

MAX_BYTES = 256 * 1024  # a poem is a few hundred bytes; anything this big is not one

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"PK\x03\x04", "ZIP / Word (.docx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Word 97–2003 (.doc)"),
    (b"{\\rtf", "RTF"),
    (b"SQLite format 3\x00", "SQLite"),
    (b"\x7fELF", "ELF"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
    (b"\x1f\x8b", "gzip"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (  # UTF-32 first: its LE mark starts like UTF-16's
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (BOM)",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "utf-32": "UTF-32",
    "gb18030": "GB18030/GBK",
}


@dataclass(frozen=True, slots=True)
class Decoded:
    """The result of :func:`decode_text`: text and its encoding, or why not."""

    text: str | None
    encoding: str = ""  # a display name: UTF-8, UTF-8 (BOM), GB18030/GBK, UTF-16 LE …
    problem: Message | None = None


def _unreadable(zh: str, en: str) -> Decoded:
    return Decoded(None, "", Message(zh, en))


def _controls(text: str) -> int:
    """Characters no text file has: C0/C1 controls (but tab, newlines, form feed), NUL."""
    return sum(
        1
        for ch in text
        if (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v") or ch == "\ufffd"
    )


def _reads_as_chinese(text: str) -> bool:
    """Plausible Chinese text: no controls or private-use characters, mostly Han/punctuation."""
    if _controls(text):
        return False
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return True
    if any(unicodedata.category(ch) == "Co" for ch in visible):
        return False
    han = sum(1 for ch in visible if is_han(ch))
    cjk_punct = sum(
        1 for ch in visible if 0x3000 <= ord(ch) <= 0x303F or 0xFF00 <= ord(ch) <= 0xFFEF
    )
    return han > 0 and (han + cjk_punct) * 2 >= len(visible)


def decode_text(data: bytes) -> Decoded:
    """Decode a submitted file (see the module docstring); never raises."""
    if not data:
        return Decoded("", "UTF-8")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                name = _ENCODING_NAMES.get(codec, codec)
                return _unreadable(
                    f"文件开头标明是 {name} 编码，但内容不是有效的 {name} 文本。",
                    f"The file starts with a {name} byte-order mark but is not valid {name}.",
                )
            if _controls(text):
                break  # a "mark" followed by binary: fall through to the binary checks
            return Decoded(text, _ENCODING_NAMES.get(codec, codec))
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return _unreadable(
                f"这不是纯文本文件（看起来是 {kind} 文件）。请另存为 .txt 纯文本再交。",
                f"This is not a plain-text file (it looks like {kind}). Save it as .txt.",
            )
    if b"\x00" in data:
        if len(data) % 2 == 0:
            for codec in ("utf-16-le", "utf-16-be"):
                try:
                    text = data.decode(codec)
                except UnicodeDecodeError:
                    continue
                if _reads_as_chinese(text):
                    return Decoded(text, _ENCODING_NAMES[codec])
        return _unreadable(
            "文件含有二进制数据，不是文本文件。",
            "The file contains binary data; it is not a text file.",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if not _controls(text):
            return Decoded(text, "UTF-8")
        return _unreadable(
            "文件含有控制字符，不是文本文件。",
            "The file contains control characters; it is not a text file.",
        )
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if text and _reads_as_chinese(text):
        return Decoded(text, "GB18030/GBK")
    return _unreadable(
        "无法识别文件的编码（不是 UTF-8、UTF-16 或 GBK 文本）。请用 UTF-8 另存后再交。",
        "The file's encoding is not recognised (not UTF-8, UTF-16 or GBK text). "
        "Save it as UTF-8 and hand it in again.",
    )


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
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return Submission(fallback, name, None, problem=Message(
                f"文件太大（{size // 1024} KB），不像一首诗。",
                f"The file is too large ({size // 1024} KB) to be a poem.",
            ))  # fmt: skip
        data = path.read_bytes()
    except OSError as exc:
        why = exc.strerror or str(exc)
        return Submission(fallback, name, None, problem=Message(
            f"无法读取文件：{why}", f"The file cannot be read: {why}"
        ))  # fmt: skip
    decoded = decode_text(data)
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
