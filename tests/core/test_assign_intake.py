"""Reading submissions: encodings detected or rejected with a reason, names from files."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.assign.intake import (
    decode_text,
    parse_submission,
    read_folder,
    read_submission_file,
    student_from_filename,
)
from tests.support.assign_class import DOCX_BYTES, JINGYESI, PNG_BYTES, RANDOM_BYTES


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("utf-8", "UTF-8"),
        ("utf-8-sig", "UTF-8 (BOM)"),
        ("gbk", "GB18030/GBK"),
        ("gb18030", "GB18030/GBK"),
        ("utf-16", "UTF-16"),
        ("utf-16-le", "UTF-16 LE"),
        ("utf-16-be", "UTF-16 BE"),
        ("utf-32", "UTF-32"),
    ],
)
def test_every_supported_encoding_reads_back_the_poem(encoding: str, name: str) -> None:
    text = "姓名：李白\n" + JINGYESI + "\n"
    decoded = decode_text(text.encode(encoding))
    assert decoded.problem is None
    assert decoded.text is not None and decoded.text.lstrip("\ufeff") == text
    assert decoded.encoding == name


@pytest.mark.parametrize(
    ("data", "fragment_zh", "fragment_en"),
    [
        (PNG_BYTES, "PNG", "PNG"),
        (DOCX_BYTES, "docx", "docx"),
        (b"%PDF-1.4\n...", "PDF", "PDF"),
        (RANDOM_BYTES, "二进制", "binary"),
        (b"\xef\xbb\xbf\xff\xfe bad", "UTF-8", "UTF-8"),
        (b"abc\x01\x02def", "控制字符", "control"),
        (b"\x81\x30\x81\xff\xfe\xfd", "编码", "encoding"),
    ],
)
def test_what_is_not_text_is_rejected_with_a_reason(
    data: bytes, fragment_zh: str, fragment_en: str
) -> None:
    decoded = decode_text(data)
    assert decoded.text is None and decoded.problem is not None
    assert fragment_zh in decoded.problem.zh and fragment_en in decoded.problem.en


def test_latin1_bytes_are_not_mistaken_for_chinese() -> None:
    decoded = decode_text("Café au lait, naïve résumé".encode("latin-1"))
    assert decoded.text is None and decoded.problem is not None


def test_the_student_name_rule() -> None:
    assert student_from_filename("03_张三.txt") == "张三"
    assert student_from_filename("03-张三.txt") == "张三"
    assert student_from_filename("03 张三.txt") == "张三"
    assert student_from_filename("张三.txt") == "张三"
    assert student_from_filename("2024.txt") == "2024"
    student, title, poem = parse_submission(
        "\n姓名：李白\n学号：07\n题目：《静夜思》\n" + JINGYESI, "fallback"
    )
    assert (student, title, poem) == ("李白", "静夜思", JINGYESI)
    student, title, poem = parse_submission("《静夜思》\r\n" + JINGYESI, "王五")
    assert (student, title, poem) == ("王五", "静夜思", JINGYESI)
    # a verse that happens to hold a colon is not a label
    student, _, poem = parse_submission("春眠不觉晓：处处闻啼鸟", "赵六")
    assert student == "赵六" and poem == "春眠不觉晓：处处闻啼鸟"


def test_files_other_than_text_are_listed_not_read(tmp_path: Path) -> None:
    (tmp_path / "a.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest")
    sub = read_submission_file(tmp_path / "a.doc")
    assert sub.text is None and sub.problem is not None and ".doc" in sub.problem.zh
    big = tmp_path / "big.txt"
    big.write_bytes("月".encode() * 200_000)
    sub = read_submission_file(big)
    assert sub.text is None and sub.problem is not None and "KB" in sub.problem.en
    assert [s.source for s in read_folder(tmp_path)] == ["a.doc", "big.txt"]
