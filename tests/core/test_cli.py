"""The ``shijian`` command line: check, score, rhyme; bad input gets a message and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.assign.intake import read_submission_file
from app.cli import main

CHUN_WANG = "国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。"
JING_YE_SI = "床前明月光，疑是地上霜。举头望明月，低头思故乡。"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_a_clean_poem(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--lang", "zh", "check", CHUN_WANG)
    assert code == 0, err
    assert out.splitlines()[0] == "五律，仄起，首句不入韵，押下平十二侵，合律"
    assert "  1  国破山河在  ●●〇〇●  ⊙仄⊙平仄" in out
    assert "← 韵" in out


def test_check_marks_errors_and_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--lang", "zh", "check", JING_YE_SI)
    assert code == 1
    assert "  3  举头望明月  ●✕◎〇●" in out
    assert "✕ [错误] 第3句第2字「头」为平，与第2句不粘（失粘）。此处应仄。" in out
    assert "可换:" in out


def test_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--json", JING_YE_SI)
    assert code == 1
    doc = json.loads(out)
    assert doc["form"] == "五绝"
    assert len(doc["lines"]) == 4
    assert sum(len(line["chars"]) for line in doc["lines"]) == 20
    rules = {f["rule"] for f in doc["findings"]}
    assert {"shi_dui", "shi_nian"} <= rules
    shi_nian = next(f for f in doc["findings"] if f["rule"] == "shi_nian")
    assert shi_nian["line"] == 3 and shi_nian["pos"] == 2 and shi_nian["suggestions"]
    guo = doc["lines"][0]["chars"][0]
    assert guo["char"] == "床" and guo["readings"]
    assert set(doc["score"]) == {"tones", "rhymes", "antithesis", "length", "weighted", "errors",
                                 "deducted", "total"}  # fmt: skip
    # three errors in a 五绝 cost 3 × 11.2: not the 96 of the weighted scores
    assert doc["score"]["weighted"] == 96.0 and doc["score"]["total"] == 61.4


def test_check_reads_a_file_and_stdin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    poem = tmp_path / "poem.txt"
    poem.write_text(CHUN_WANG, encoding="utf-8")
    code, out, _ = run(capsys, "check", str(poem))
    assert code == 0 and "合律" in out
    proc = subprocess.run(
        [sys.executable, "-m", "app", "--lang", "en", "check", "-"],
        input=CHUN_WANG.encode(),
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0
    assert "keeps the rules" in proc.stdout.decode()


def test_check_pins_form_and_group(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--json", "--group", "阳", CHUN_WANG)
    doc = json.loads(out)
    assert code == 1 and doc["rhyme_group"] == "下平七阳"
    assert any(f["rule"] == "chu_yun" for f in doc["findings"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "/no/such/poem.txt"], "file not found"),
        (["check", "--form", "八股", CHUN_WANG], "unknown form"),
        (["check", "--group", "火星", CHUN_WANG], "unknown rhyme group"),
        (["check", "hello, world!"], "no Chinese characters to check"),
        (["check", ""], "the poem is empty"),
        (["check", "   "], "the poem is empty"),
        (["check", "--file", ""], "No file name was given"),
        (["check", "静夜思.txt"], "File not found: 静夜思.txt"),
        (["rhyme", "ab"], "give one character"),
        (["rhyme", "a"], "is not a Chinese character"),
        (["score", "/no/such.jsonl"], "file not found"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message.lower() in err.lower()
    assert "Traceback" not in err
    assert "文件夹" not in err  # an empty argument is not the current folder


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        ("gbk", b""),
        ("gb18030", b""),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-8", b""),
    ],
)
def test_check_reads_every_encoding_the_grader_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str, prefix: bytes
) -> None:
    poem = tmp_path / "poem.txt"
    poem.write_bytes(prefix + CHUN_WANG.encode(encoding))
    code, out, err = run(capsys, "--lang", "zh", "check", str(poem))
    assert code == 0, err
    assert out.splitlines()[0].endswith("合律") and "国破山河在" in out
    # one reader: the grader gets the same text from the same bytes
    sub = read_submission_file(poem)
    assert sub.text == CHUN_WANG
    code, out2, _ = run(capsys, "--lang", "zh", "check", "--file", str(poem))
    assert code == 0 and out2 == out


def test_stdin_in_another_encoding(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "app", "--lang", "zh", "check", "-"],
        input=b"\xff\xfe" + CHUN_WANG.encode("utf-16-le"),
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert "合律" in proc.stdout.decode()


def test_a_binary_or_folder_argument_says_what_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "poem.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    code, _, err = run(capsys, "check", str(png))
    assert code == 2 and "PNG" in err
    code, _, err = run(capsys, "check", "--file", str(tmp_path))
    assert code == 2 and "is a folder" in err


def test_no_chinese_in_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    poem = tmp_path / "latin.txt"
    poem.write_text("just some words", encoding="utf-8")
    code, _, err = run(capsys, "check", str(poem))
    assert code == 2 and "no Chinese characters" in err


def test_rhyme_lookup(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rhyme", "--json", "听")
    assert code == 0
    doc = json.loads(out)
    assert doc["polyphone"] is True
    assert {r["tone_class"] for r in doc["readings"]} == {"平", "仄"}
    assert "下平九青" in doc["groups"]
    code, out, _ = run(capsys, "--lang", "zh", "rhyme", "东")
    assert code == 0 and "上平一东" in out
    code, out, _ = run(capsys, "rhyme", "下平七阳", "--limit", "10")
    assert code == 0 and out.startswith("下平七阳") and len(out.splitlines()[1]) == 10


def write_jsonl(path: Path, rows: list[object]) -> None:
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )


def test_score_table_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "poems.jsonl"
    write_jsonl(
        data,
        [
            {"lines": CHUN_WANG.replace("。", "，").strip("，").split("，"), "form": "五律"},
            {"lines": JING_YE_SI.replace("。", "，").strip("，").split("，"), "form": "五绝"},
            {"text": "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"},
        ],
    )
    code, out, _ = run(capsys, "--lang", "zh", "score", str(data))
    assert code == 0
    assert out.splitlines()[0].split() == ["诗体", "首数", "平仄", "押韵", "对仗", "字数", "加权",
                                             "总分"]  # fmt: skip
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert rows["五律"][1] == "1" and rows["五律"][-1] == "100.00"
    assert rows["五绝"][1] == "2" and rows["全部"][1] == "3"
    code, out, _ = run(capsys, "score", "--json", "--per-poem", str(data))
    doc = json.loads(out)
    assert doc["by_form"]["五律"]["total"] == 100.0
    jing = doc["poems"][1]
    assert jing["tones"] < 100 and jing["length"] == 100.0
    assert jing["errors"] == 3 and jing["total"] < 70
    assert jing["weighted"] == pytest.approx(
        0.4 * jing["tones"]
        + 0.3 * jing["rhymes"]
        + 0.2 * jing["antithesis"]
        + 0.1 * jing["length"],
        abs=0.02,
    )


def test_score_a_collection_of_couplets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """押韵 does not apply to a couplet: the 对联 row shows —, JSON null, not 100."""
    data = tmp_path / "mixed.jsonl"
    rows = [{"lines": ["海内存知己", "天涯若比邻"]}, {"text": "书山有路勤为径\n学海无涯苦作舟"},
            {"text": "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"}]  # fmt: skip
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    code, out, _ = run(capsys, "--lang", "zh", "score", str(data))
    assert code == 0
    [couplets] = [line.split() for line in out.splitlines() if line.split()[0] == "对联"]
    assert couplets[1] == "2" and couplets[3] == "—"
    code, out, _ = run(capsys, "score", "--json", str(data))
    doc = json.loads(out)
    assert doc["by_form"]["对联"]["rhymes"] is None
    assert doc["by_form"]["全部"]["rhymes"] == 100.0  # the 五绝 alone


def test_score_malformed_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"lines": ["白日依山尽"]}\nnot json\n{"title": "no poem"}\n', encoding="utf-8")
    code, _, err = run(capsys, "score", str(data))
    assert code == 2
    assert "line 2" in err and "line 3" in err
    code, out, _ = run(capsys, "score", "--skip-bad", str(data))
    assert code == 0
    assert "全部" in out or "all" in out


# ------------------------------------------------------------------ bad input, as a process
# Each of these once ended in a traceback, a MemoryError or a kill: now one line on
# stderr and exit status 2, whatever the input.
def shijian(
    *argv: str,
    stdin: bytes | None = b"",
    stdout_path: str | None = None,
    close: tuple[int, ...] = (),
    env: dict[str, str] | None = None,
) -> tuple[int, str, str]:
    def close_fds() -> None:
        for fd in close:
            os.close(fd)

    out_file = open(stdout_path, "wb") if stdout_path else None  # noqa: SIM115
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "app", *argv],
            input=stdin if 0 not in close else None,
            stdout=out_file or subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=close_fds if close else None,
            env={**os.environ, **(env or {})},
            check=False,
            timeout=120,
        )
    finally:
        if out_file:
            out_file.close()
    out = proc.stdout.decode("utf-8", "replace") if proc.stdout else ""
    return proc.returncode, out, proc.stderr.decode("utf-8", "replace")


def assert_one_clear_line(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("shijian"), err
    for needle in needles:
        assert needle in err, err


@pytest.mark.parametrize("skip_bad", [False, True])
def test_score_deeply_nested_json(tmp_path: Path, skip_bad: bool) -> None:
    data = tmp_path / "deep.jsonl"
    data.write_text(
        '{"text": "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"}\n'
        + '{"lines": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
        + '{"a": ' * 50_000 + "1" + "}" * 50_000 + "\n",
        encoding="utf-8",
    )  # fmt: skip
    code, out, err = shijian("score", *(["--skip-bad"] if skip_bad else []), str(data))
    assert "Traceback" not in err
    assert "line 2: JSON 嵌套太深 / JSON nested too deeply" in err
    assert "line 3: JSON 嵌套太深" in err
    if skip_bad:
        assert code == 0 and "全部" in out
    else:
        assert_one_clear_line(code, err, "2 行无法读取")


def test_score_stdin_that_is_not_utf8() -> None:
    # PYTHONIOENCODING makes Python's own stdin strict, as under most desktop locales
    row = '{"text": "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"}\n'
    code, _, err = shijian(
        "score", "-", stdin=row.encode("gbk"), env={"PYTHONIOENCODING": "utf-8:strict"}
    )
    assert_one_clear_line(code, err, "line 1: 不是 UTF-8 编码 / not UTF-8 (byte 10)")
    code, _, err = shijian(
        "score", "--skip-bad", "-", stdin=row.encode("gbk") + row.encode(),
        env={"PYTHONIOENCODING": "utf-8:strict"},
    )  # fmt: skip
    assert code == 0 and "Traceback" not in err and "not UTF-8" in err


def test_score_keeps_rows_whole_at_unicode_line_separators(tmp_path: Path) -> None:
    data = tmp_path / "sep.jsonl"
    data.write_text(
        '{"lines": ["白日依山尽\u2028", "黄河入海流\u2029", "欲穷千里目\x85", "更上一层楼"]}\n',
        encoding="utf-8",
    )
    code, out, err = shijian("--lang", "zh", "score", str(data))
    assert code == 0, err
    assert "五绝" in out


def test_score_overlong_row(tmp_path: Path) -> None:
    data = tmp_path / "long.jsonl"
    with data.open("w", encoding="utf-8") as fh:
        fh.write('{"text": "' + "月" * 400_000 + '"}\n')  # 1.2 MB
        fh.write('{"text": "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"}\n')
    code, _, err = shijian("score", str(data))
    assert_one_clear_line(code, err, "line 1: 超过每行 1 MB 上限 / row over the 1 MB limit")
    code, out, err = shijian("score", "--skip-bad", "--json", str(data))
    assert code == 0 and json.loads(out)["skipped"] == 1


@pytest.mark.parametrize("command", ["check", "score"])
def test_endless_input_is_refused_with_the_limit(command: str) -> None:
    code, _, err = shijian(command, "/dev/zero")
    limit = "8 MB" if command == "check" else "1 GB"
    assert_one_clear_line(code, err, f"/dev/zero is larger than the {limit} limit")


def test_check_stdin_over_the_limit() -> None:
    code, _, err = shijian("check", "-", stdin="月".encode() * (3 * 1024 * 1024))
    assert_one_clear_line(code, err, "standard input is larger than the 8 MB limit")


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"],
        ["check", "--json", "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"],
        ["rhyme", "东"],
        ["score", "ROWS"],
    ],
)
def test_output_that_cannot_be_written(tmp_path: Path, argv: list[str]) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    rows = tmp_path / "rows.jsonl"
    write_jsonl(rows, [{"text": "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"}])
    argv = [str(rows) if a == "ROWS" else a for a in argv]
    code, _, err = shijian(*argv, stdout_path="/dev/full")
    assert_one_clear_line(code, err, "cannot write the output: No space left on device")


@pytest.mark.parametrize("argv", [["check", "-"], ["score", "-"]])
def test_closed_stdin(argv: list[str]) -> None:
    code, _, err = shijian(*argv, close=(0,))
    assert_one_clear_line(code, err, "standard input is closed")


def test_closed_stdout() -> None:
    code, _, err = shijian("check", "--json", "春眠不觉晓", close=(1,))
    assert_one_clear_line(code, err, "standard output is closed")


@pytest.mark.parametrize(
    "argv", [["rhyme", "--limit", "-5", "东"], ["check", "--suggest", "x", "月"]]
)
def test_counts_must_be_counts(argv: list[str]) -> None:
    code, _, err = shijian(*argv)
    assert_one_clear_line(code, err, "not a count (0 or more)")


@pytest.mark.parametrize(
    "argv",
    [["score"], ["bogus"], ["check", "--form"], ["rhyme", "--limit", "x", "东"], ["--lang", "fr"]],
)
def test_bad_arguments_are_one_line(argv: list[str]) -> None:
    code, _, err = shijian(*argv)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith("shijian") and "usage:" not in err
