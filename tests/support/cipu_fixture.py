"""A small 词谱 in the table format, written by the tests (no source text needed).

Seven tunes with 体 shapes, rhyme positions and marks written for these tests from the
common knowledge of these forms (the 例词 text is left empty; a 体 is only its marks).
Each 体 is a string of segments separated by spaces, 段 by `` | ``; a segment is its marks
(平 仄 中 ？) followed by its end: ``，`` a 句, ``、`` a 讀, a capital letter a rhyme of
that group (the last mark is the tone it needs), and ``=N`` to repeat segment N.

Fixtures (import them into a test module; pytest finds them by name)::

    from tests.support.cipu_fixture import cilin_fixture, cipu_table_fixture  # noqa: F401

(``ci_checker_fixture`` wants a ``book`` fixture besides.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.prosody.ci import CiChecker
from app.prosody.ci.table import CiForm, CipuTable, Segment, Tune, write_table
from app.prosody.rhymebook import RhymeBook
from app.prosody.rhymebook.cilin import CilinBook

# 李白's 菩萨蛮 (a 段 a line in PUSAMAN_LINES, as typed in the editor) and 李煜's 清平乐: the
# 词 of the tests, clean against their 体 in the 词林正韵
PUSAMAN_STANZAS = (
    "平林漠漠烟如织，寒山一带伤心碧。暝色入高楼，有人楼上愁。",
    "玉阶空伫立，宿鸟归飞急。何处是归程？长亭更短亭。",
)
PUSAMAN = "".join(PUSAMAN_STANZAS)
PUSAMAN_LINES = "\n".join(PUSAMAN_STANZAS)
QINGPINGYUE = (
    "别来春半，触目柔肠断。砌下落梅如雪乱，拂了一身还满。"
    "雁来音信无凭，路遥归梦难成。离恨恰如春草，更行更远还生。"
)

# name, simplified, aliases, pinyin, written, [(author, spec), …]
TUNES: list[tuple[str, str, tuple[str, ...], str, int, list[tuple[str, str]]]] = [
    (
        "水調歌頭", "水调歌头", ("元會曲", "臺城遊", "江南好"), "shui diao ge tou", 743,
        [
            (
                "毛滂",
                "中仄仄平仄， 中仄仄平平A 中平中仄， 中仄中仄仄平平A 中仄中平中仄， "
                "中仄中平中仄， 中仄仄平平A 中仄中平仄， 中仄仄平平A | "
                "中中仄， 平中仄， 仄平平A 中平中仄， 中仄中仄仄平平A 中仄中平中仄， "
                "中仄中平中仄， 中仄仄平平A 中仄中平仄， 中仄仄平平A",
            ),
            (
                "蘇軾",
                "中仄仄平仄， 中仄仄平平A 中平中仄中仄， 中仄仄平平A 中仄中平中仄， "
                "中仄中平中仄， 中仄仄平平A 中仄中平仄， 中仄仄平平A | "
                "中中仄， 平中仄， 仄平平A 中平中仄， 中仄中仄仄平平A 中仄中平中仄， "
                "中仄中平中仄， 中仄仄平平A 中仄中平仄， 中仄仄平平A",
            ),
        ],
    ),
    (
        "聲聲慢", "声声慢", ("勝勝慢", "鳳求凰"), "sheng sheng man", 133,
        [
            (
                "晁補之",
                "中平中仄， 中仄平平， 中平中仄平平A 中仄平平中仄， 中仄平平A "
                "中平中平中仄， 仄中平、 中仄平平A 中仄仄， 中平中、 中仄中仄平平A | "
                "中仄中平中仄， 中中仄、 平平中仄平平A 中仄平平， 中仄中仄平平A "
                "中平中平中仄， 仄中平、 中仄平平A 中仄仄， 中中中、 中仄平平A",
            ),
            (
                "李清照",
                "中平中仄， 中仄平平， 中平中仄中仄A 中仄中平中仄， 中平中仄A "
                "中平中仄中仄， 仄中平、 中平中仄A 中仄仄， 中平平， 中仄中平中仄A | "
                "中仄中平中仄A 中中仄， 中平中中平仄A 中仄平平， 中仄中平中仄A "
                "中平中平中仄， 仄平平、 中中中仄A 中仄仄， 中中中、 中仄中仄A",
            ),
        ],
    ),
    (
        "滿江紅", "满江红", ("上江虹", "念良遊", "傷春曲"), "man jiang hong", 549,
        [
            (
                "柳永",
                "中仄平平， 平中仄、 中平中仄A 中中仄、 中平中仄， 中平中仄A "
                "中仄中平平仄仄， 中平中仄平平仄A 仄中平、 中仄仄平平， 平平仄A | "
                "中中仄， 平中仄A 中中仄， 平平仄A 中平平、 中仄中平平仄A "
                "中仄中平平仄仄， 中平中仄平平仄A 仄中平、 中仄仄平平， 平平仄A",
            ),
        ],
    ),
    (
        "青玉案", "青玉案", ("橫塘路", "西湖路"), "qing yu an", 242,
        [
            (
                "賀鑄",
                "中平中仄平平仄A 仄中仄、 平平仄A 中仄中平平仄仄A 中平中仄， 中平中仄， "
                "中仄平平仄A | 中平中仄平平仄A 中仄平平仄平仄A 中仄中平平仄仄A "
                "中平中仄， 中平中仄， 中仄平平仄A",
            ),
        ],
    ),
    (
        "虞美人", "虞美人", ("一江春水", "玉壺冰", "憶柳曲"), "yu mei ren", 289,
        [
            (
                "李煜",
                "中平中仄平平仄A 中仄平平仄A 中平中仄仄平平B 中仄中平中仄、 仄平平B | "
                "中平中仄平中仄C 中仄平平仄C 中平中仄仄平平D 中仄中平中仄、 仄平平D",
            ),
        ],
    ),
    (
        "菩薩蠻", "菩萨蛮", ("子夜歌", "重疊金", "花間意"), "pu sa man", 598,
        [
            (
                "李白",
                "中平中仄平平仄A 中平中仄平平仄A 中仄仄平平B 中平中仄平B | "
                "中平平仄仄C 中仄平平仄C 中仄仄平平D 中平中仄平D",
            ),
            (
                "朱敦儒",
                "中平中仄平平仄A 中平中仄平平仄A 中仄仄平平B 中平中仄平B | "
                "中平平仄仄A 中仄平平仄A 中仄仄平平B 中平中仄平B",
            ),
        ],
    ),
    (
        "清平樂", "清平乐", ("清平樂令", "憶蘿月", "醉東風"), "qing ping yue", 341,
        [
            (
                "李白",
                "中平中仄A 中仄平平仄A 中仄中平平仄仄A 中仄中平中仄A | "
                "中平中仄平平B 中平中仄平平B 中仄中平中仄， 中平中仄平平B",
            ),
        ],
    ),
    (
        "采桑子", "采桑子", ("醜奴兒", "羅敷媚"), "cai sang zi", 200,
        [
            (
                "和凝",
                "中平中仄平平仄， 中仄平平A 中仄平平A 中仄平平中仄平A | "
                "中平中仄平平仄， 中仄平平A 中仄平平A 中仄平平中仄平A",
            ),
            (
                "李清照",
                "中平中仄平平仄， 中仄平平A 中仄平平=1 中仄平平、 中仄仄平平A | "
                "中平中仄平平仄， 中仄平平A 中仄平平=6 中仄平平、 中仄仄平平A",
            ),
        ],
    ),
]  # fmt: skip


def parse_spec(tune: str, index: int, author: str, spec: str) -> CiForm:
    segments: list[Segment] = []
    for section, part in enumerate(spec.split("|")):
        for token in part.split():
            repeat = -1
            if "=" in token:
                marks, _, n = token.partition("=")
                repeat = int(n)
                end = "疊"
                rhyme = segments[repeat].rhyme if repeat < len(segments) else ""
            elif token[-1] == "，":
                marks, end, rhyme = token[:-1], "句", ""
            elif token[-1] == "、":
                marks, end, rhyme = token[:-1], "讀", ""
            else:
                marks, end = token[:-1], "韻"
                rhyme = token[-1] + marks[-1]
            segments.append(Segment("", marks, end, rhyme, repeat, section))
    return CiForm(tune, index, author, sum(s.length for s in segments), "", tuple(segments))


def fixture_tunes() -> tuple[Tune, ...]:
    tunes = []
    for name, simplified, aliases, pinyin, written, forms in TUNES:
        tunes.append(
            Tune(
                name,
                simplified,
                aliases,
                aliases,
                pinyin,
                written,
                tuple(parse_spec(name, i, a, s) for i, (a, s) in enumerate(forms)),
            )
        )
    return tuple(tunes)


def write_fixture(folder: Path) -> Path:
    """Write the fixture table into ``folder`` (the app's own writer) and return it."""
    write_table(folder, fixture_tunes(), {"source": "test fixture"})
    return folder


def fixture_table(folder: Path) -> CipuTable:
    return CipuTable.load(write_fixture(folder))


def tune_form(table: CipuTable, tune: str, index: int = 0) -> CiForm:
    """The ``index``-th 体 of ``tune`` in ``table`` (the tune must be there)."""
    found = table.find(tune)
    assert found is not None, tune
    return found.forms[index]


@pytest.fixture(scope="module", name="table")
def cipu_table_fixture(tmp_path_factory: pytest.TempPathFactory) -> CipuTable:
    """The small 词谱, written once a test module."""
    return fixture_table(tmp_path_factory.mktemp("cipu"))


@pytest.fixture(scope="session", name="cilin")
def cilin_fixture() -> CilinBook:
    """The bundled 词林正韵, loaded once a test session."""
    return CilinBook.load()


@pytest.fixture(scope="module", name="ci")
def ci_checker_fixture(book: RhymeBook, cilin: CilinBook, table: CipuTable) -> CiChecker:
    """The 词 checker on the small 词谱 and the 词林正韵."""
    return CiChecker(book, cilin, table)
