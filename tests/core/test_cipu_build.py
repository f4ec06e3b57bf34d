"""The 词谱 builder on a short sample in the markup of the source text, written for this test.

The sample imitates the layout of the transcription (page marks, ``¶`` line ends, small
double-column notes as ``(right/left)``, a 目録 with 又名, a tune heading whose note runs on,
form headings with the author after them or on the next line, 段 apart by a full-width
space, marks 句 讀 韻 仄韻 換平韻 疊, a refrain before a mark, notes citing other poems), but
its words are made up here; nothing of the real book is in the tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.cli import main as cli_main
from app.prosody.ci import CiChecker, CipuError, CipuTable, load_installed
from app.prosody.ci.builder.assemble import build, heading_chars
from app.prosody.ci.builder.notes import chinese_number
from app.prosody.findings import Severity
from app.prosody.rhymebook import RhymeBook
from app.prosody.rhymebook.cilin import CilinBook

SAMPLE_TOC = """# -*- mode: mandoku-view; -*-
#+TITLE: 御定詞譜
#+PROPERTY: JUAN 卷一目録
<pb:SAMPLE_001-1a>¶
　欽定四庫全書¶
御定詞譜巻一目録(起十六字至/十八字)¶
　　　試春詞二體(又名小橋詞/)　(流水令/)¶
#+PROPERTY: JUAN 卷一
<pb:SAMPLE_001-2a>¶
　欽定四庫全書¶
御定詞譜巻一(起十六字至/十八字)¶
　試春詞(此調為試作取其首句之意名之/亦名小橋詞又名流水令)¶
　　　　(詞凡兩體/)¶
　　試春詞(雙調十六字前後/段各兩句一平韻)　　　張　三¶
東風吹柳(句/)細雨沾衣(韻/)　山高月小(句/)人去¶
樓遲(韻/)¶
　(按王五詞前段第一句北風吹雪北字仄聲後段第二/句月明人靜月字仄聲譜内可平可仄據此)¶
<pb:SAMPLE_001-2b>¶
　　又一體(雙調十八字前段兩句兩仄韻後/段兩句一疊韻一平韻)¶
　　　　　　　　　　　　(花草粹編/)無名氏¶
小橋流水(仄/韻)人家遠(女兒/韻)　人家遠(疊/)夕陽¶
西沉(換平/韻)¶
　(此詞後段起句即疊前段結句/)¶
"""


def write_sample(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "SAMPLE_001.txt").write_text(SAMPLE_TOC, encoding="utf-8")
    (folder / "source.json").write_text(
        json.dumps({"name": "a sample written for the tests", "licence": "none"}),
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, book: RhymeBook) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("cipu-build")
    src = write_sample(root / "src")
    meta = build(src, root / "out", book)
    return root / "out", meta


def test_numbers() -> None:
    assert chinese_number("十") == 10 and chinese_number("十三") == 13
    assert chinese_number("二十") == 20 and chinese_number("四十四") == 44
    assert heading_chars("雙調十六字前後段各兩句") == 16
    assert heading_chars("雙調一百二字") == 102 and heading_chars("三段一百十三字") == 113
    assert heading_chars("雙調一百二十字") == 120 and heading_chars("雙調九十五字") == 95


def test_tunes_forms_and_names(built: tuple[Path, dict[str, Any]]) -> None:
    out, meta = built
    table = CipuTable.load(out)
    assert meta["tunes"] == 1 and meta["forms"] == 2
    tune = table.find("试春词")  # the simplified name finds it too
    assert tune is not None and tune.name == "試春詞"
    assert set(tune.aliases) == {"小橋詞", "流水令"}
    assert table.find("小桥词") is tune
    assert tune.pinyin == "shi chun ci"
    first, second = tune.forms
    assert (first.author, first.chars, second.author, second.chars) == ("張三", 16, "無名氏", 14)
    assert first.heading.startswith("雙調十六字")
    assert meta["source"] == {"name": "a sample written for the tests", "licence": "none"}


def test_segments_marks_and_either_positions(built: tuple[Path, dict[str, Any]]) -> None:
    table = CipuTable.load(built[0])
    first = table.find("試春詞").forms[0]  # type: ignore[union-attr]
    assert [s.text for s in first.segments] == ["東風吹柳", "細雨沾衣", "山高月小", "人去樓遲"]
    assert [s.section for s in first.segments] == [0, 0, 1, 1]
    assert [s.end for s in first.segments] == ["句", "韻", "句", "韻"]
    assert [s.rhyme for s in first.segments] == ["", "A平", "", "A平"]
    # from the book: 東風吹柳 平平？仄 (吹 is 平 and 去: unsure), 山高月小 平平仄仄; 北 (仄)
    # cited at 前段第一句 makes 東 中; 月 (仄) cited at 後段第二句 makes 人 中; a rhyme
    # position takes its rhyme's tone (衣 is 平 and 去 in the book)
    assert first.segments[0].marks == "中平？仄"
    assert first.segments[2].marks == "平平仄仄"
    assert first.segments[3].marks == "中仄平平"
    notes = built[1]["coverage"]["notes"]
    assert notes["citations"] == 2 and notes["placed"] == 2 and notes["unplaced"] == 0


def test_rhyme_groups_refrain_and_repeat(built: tuple[Path, dict[str, Any]]) -> None:
    second = CipuTable.load(built[0]).find("試春詞").forms[1]  # type: ignore[union-attr]
    segs = second.segments
    assert [s.text for s in segs] == ["小橋流水", "人家遠", "人家遠", "夕陽西沉"]
    assert [s.rhyme for s in segs] == ["A仄", "A仄", "A仄", "B平"]  # 換平韻 opens B
    assert segs[2].end == "疊" and segs[2].repeat == 1
    assert [s.section for s in segs] == [0, 0, 1, 1]
    assert segs[0].marks[-1] == "仄" and segs[3].marks[-1] == "平"


def test_the_built_table_checks_a_ci(built: tuple[Path, dict[str, Any]], book: RhymeBook) -> None:
    checker = CiChecker(book, CilinBook.load(), CipuTable.load(built[0]))
    good = checker.analyze("南风吹柳，细雨沾衣。山高月小，月去楼迟。", tune="试春词")
    assert good.choice is not None and good.choice.form.index == 0 and good.choice.exact
    assert [f for f in good.findings if f.severity >= Severity.WARNING] == []
    bad = checker.analyze("东风吹柳，细雨沾衣。山高月小，人去楼中。", tune="试春词")
    assert [f.char for f in bad.findings if f.is_error] == ["中"]  # 中 is 第一部, 衣 第三部
    # 叠句 not repeated
    die = checker.analyze("小桥流水，人家远。人家近，夕阳西沉。", tune="试春词")
    assert die.choice is not None and die.choice.form.index == 1
    assert any(f.rule.value == "die" for f in die.findings)


def test_coverage_is_reported(built: tuple[Path, dict[str, Any]]) -> None:
    out, meta = built
    cov = meta["coverage"]
    assert cov["forms read"] == 2 and cov["forms whose length matches the heading"] == 1
    assert cov["marks"]["characters"] == 30
    assert cov["marks"]["unsure"] == cov["marks"]["characters"] - (
        cov["marks"]["from the rhyme book"] + cov["marks"]["through a variant form"]
    )
    assert json.loads((out / "meta.json").read_text(encoding="utf-8"))["format"] == 1


def test_no_table_installed_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(CipuError) as err:
        CipuTable.load(tmp_path / "nothing")
    assert "build-cipu" in err.value.zh and "build-cipu" in err.value.en
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "tunes.jsonl").write_text("{not json\n", encoding="utf-8")
    with pytest.raises(CipuError, match="damaged"):
        CipuTable.load(tmp_path / "bad")
    with pytest.raises(CipuError):
        load_installed(tmp_path / "data-without-table")  # and no bundled table in tests


def test_command_line_build_and_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_sample(tmp_path / "src")
    base = tmp_path / "base"
    assert cli_main(["--basedir", str(base), "build-cipu", str(src)]) == 0
    assert "2 体" in capsys.readouterr().out
    assert (base / "data" / "cipu" / "tunes.jsonl").is_file()
    text = "东风吹柳，细雨沾衣。山高月小，人去楼迟。"
    assert cli_main(["--basedir", str(base), "ci", text, "--tune", "试春词"]) == 0
    shown = capsys.readouterr().out
    assert "合谱" in shown and "試春詞" in shown
    assert cli_main(["--basedir", str(base), "ci", text, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tune"] == "試春詞" and data["form"] == 1 and data["rhymes"][0]["bu"] == 3
    # no table: a clear message and exit status 2
    assert cli_main(["--basedir", str(tmp_path / "empty"), "ci", text]) == 2
    assert "build-cipu" in capsys.readouterr().err
    assert cli_main(["--basedir", str(base), "ci", text, "--tune", "没有"]) == 2
    assert cli_main(["--basedir", str(base), "build-cipu", str(tmp_path / "none")]) == 2
