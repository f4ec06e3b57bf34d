"""A 词 in another rhyme book: the 词林正韵 by default, the 平水韵 and the modern books on
request — in the checker, the command line and a pinned 部."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main as cli_main
from app.prosody.books.shelf import Shelf
from app.prosody.ci import CiChecker, CipuTable
from app.prosody.ci.books import BookRhymes, CiBookKind, CilinRhymes, ci_book
from app.prosody.ci.checker import CiSettings
from app.prosody.findings import Rule, Severity
from app.prosody.rhymebook.cilin import CilinBook
from tests.support.cipu_fixture import PUSAMAN, cilin_fixture, cipu_table_fixture  # noqa: F401


def _checker(kind: str, shelf: Shelf, cilin: CilinBook, table: CipuTable) -> CiChecker:
    return CiChecker.of(ci_book(kind, shelf, cilin), table)


def _errors(checker: CiChecker, text: str, **kw: object) -> list[tuple[Rule, str]]:
    a = checker.analyze(text, tune="菩萨蛮", **kw)  # type: ignore[arg-type]
    return [(f.rule, f.char) for f in a.findings if f.severity is Severity.ERROR]


def test_the_book_names(shelf: Shelf) -> None:
    assert CiBookKind.from_name("词林正韵") is CiBookKind.CILIN
    assert CiBookKind.from_name("cilin") is CiBookKind.CILIN
    assert CiBookKind.from_name("平水韵") is CiBookKind.PINGSHUI
    assert CiBookKind.from_name("通韵") is CiBookKind.TONGYUN
    assert CiBookKind.from_name("没有") is None and CiBookKind.from_name("") is None
    assert isinstance(ci_book(None, shelf).rhymes, CilinRhymes)  # the default
    with pytest.raises(ValueError, match="unknown rhyme book"):
        ci_book("没有的书", shelf)


def test_li_bai_keeps_the_cilin_but_not_the_pingshui_groups(
    shelf: Shelf, cilin: CilinBook, table: CipuTable
) -> None:
    """李白's 菩萨蛮 rhymes 织/碧 and 程/亭 in one 部 of the 词林正韵 each (第十七部 入声,
    第十一部 平声), while the 平水韵 puts 碧 (陌) apart from 织 and 亭 (青) apart from 程 (庚)."""
    assert _errors(_checker("cilin", shelf, cilin, table), PUSAMAN) == []
    pingshui = _checker("平水韵", shelf, cilin, table)
    out = _errors(pingshui, PUSAMAN)
    assert (Rule.CHU_YUN, "碧") in out and (Rule.CHU_YUN, "亭") in out
    message = next(f for f in pingshui.analyze(PUSAMAN, tune="菩萨蛮").findings
                   if f.char == "亭").message()  # fmt: skip
    assert "下平九青" in message and "平水韵" in message


def test_a_modern_book_reads_the_tones_of_today(
    shelf: Shelf, cilin: CilinBook, table: CipuTable
) -> None:
    """In 中华通韵 织 (zhī) and 急 (jí) are 平: a 仄 rhyme position says so, once."""
    tongyun = _checker("tongyun", shelf, cilin, table)
    analysis = tongyun.analyze(PUSAMAN, tune="菩萨蛮")
    chars = [f.char for f in analysis.findings if f.severity >= Severity.WARNING]
    assert chars == ["织", "急"]  # the tone errors, no second warning for the rhyme
    assert all(f.rule is not Rule.UNCERTAIN for f in analysis.findings)
    assert isinstance(tongyun.rhymes, BookRhymes) and tongyun.rhymes.joins_tones
    assert "通韵" in analysis.summary_zh


def test_a_pinned_bu_judges_the_group(shelf: Shelf, cilin: CilinBook, table: CipuTable) -> None:
    """With B pinned to 第十二部 the rhymes 楼/愁 keep it; pinned to 第一部 both are 出韵."""
    ci = _checker("cilin", shelf, cilin, table)
    assert _errors(ci, PUSAMAN, settings=CiSettings(bu=(("B", 12),))) == []
    out = _errors(ci, PUSAMAN, settings=CiSettings(bu=(("B", 1),)))
    assert out == [(Rule.CHU_YUN, "楼"), (Rule.CHU_YUN, "愁")]


def test_the_command_line_takes_a_book(
    table: CipuTable, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "cipu"
    table.dump(folder)
    base = ["--cipu", str(folder), "--tune", "菩萨蛮"]
    assert cli_main(["ci", PUSAMAN, *base]) == 0
    assert cli_main(["ci", PUSAMAN, *base, "--book", "平水韵"]) == 1
    out = capsys.readouterr().out
    assert "出韵" in out and "下平九青" in out
    assert cli_main(["ci", PUSAMAN, *base, "--book", "没有的书"]) == 2
    assert "unknown rhyme book" in capsys.readouterr().err
