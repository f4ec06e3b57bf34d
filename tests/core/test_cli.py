"""The ``shijian`` command line: check, score, rhyme; bad input gets a message and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert set(doc["score"]) == {"tones", "rhymes", "antithesis", "length", "total"}


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
        (["check", "hello, world!"], "file not found"),
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
    assert message in err
    assert "Traceback" not in err


def test_non_utf8_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    poem = tmp_path / "gbk.txt"
    poem.write_bytes(CHUN_WANG.encode("gbk"))
    code, _, err = run(capsys, "check", str(poem))
    assert code == 2 and "not UTF-8" in err


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
    assert out.splitlines()[0].split() == ["诗体", "首数", "平仄", "押韵", "对仗", "字数", "总分"]
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert rows["五律"][1] == "1" and rows["五律"][-1] == "100.00"
    assert rows["五绝"][1] == "2" and rows["全部"][1] == "3"
    code, out, _ = run(capsys, "score", "--json", "--per-poem", str(data))
    doc = json.loads(out)
    assert doc["by_form"]["五律"]["total"] == 100.0
    jing = doc["poems"][1]
    assert jing["tones"] < 100 and jing["length"] == 100.0
    assert jing["total"] == pytest.approx(
        0.4 * jing["tones"]
        + 0.3 * jing["rhymes"]
        + 0.2 * jing["antithesis"]
        + 0.1 * jing["length"],
        abs=0.02,
    )


def test_score_malformed_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"lines": ["白日依山尽"]}\nnot json\n{"title": "no poem"}\n', encoding="utf-8")
    code, _, err = run(capsys, "score", str(data))
    assert code == 2
    assert "line 2" in err and "line 3" in err
    code, out, _ = run(capsys, "score", "--skip-bad", str(data))
    assert code == 0
    assert "全部" in out or "all" in out
