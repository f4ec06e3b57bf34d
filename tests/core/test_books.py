"""The modern rhyme books (中华新韵, 中华通韵) beside the 平水韵 (meter-spec §9).

Real data throughout: the bundled Mandarin tables (from pypinyin) under the official group
tables. Famous poems are typed in; mutations change the rhyme characters so that a poem
is 出韵 in one book and not in another, and the checker must say which.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.prosody.analysis import PoemAnalysis, RhymeMark
from app.prosody.books import BookKind, ModernGroup, book_of_group, group_by_id
from app.prosody.books.mandarin import MandarinData, MandarinDataError
from app.prosody.books.modern import ModernBook
from app.prosody.books.pinyin import marked, parse
from app.prosody.books.shelf import Shelf
from app.prosody.books.tables import TONGYUN_GROUPS, XINYUN_GROUPS, group_for
from app.prosody.checker import Checker
from app.prosody.findings import Rule, Severity
from app.prosody.forms import EITHER, PING, ZE
from app.prosody.groups import GROUPS, group_by_name
from app.prosody.rhymebook import RhymeBook
from app.prosody.tones import PING_BIT, RU_BIT, UNCERTAIN_BIT, ZE_BIT, Source, Tone

PINGSHUI, XINYUN, TONGYUN = BookKind.PINGSHUI, BookKind.XINYUN, BookKind.TONGYUN

ZAO_FA_BAI_DI = "朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。"
FENG_QIAO = "月落乌啼霜满天，江枫渔火对愁眠。姑苏城外寒山寺，夜半钟声到客船。"
SHAN_XING = "远上寒山石径斜，白云生处有人家。停车坐爱枫林晚，霜叶红于二月花。"
DENG_GUAN_QUE_LOU = "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"
JIU_YUE_JIU = "独在异乡为异客，每逢佳节倍思亲。遥知兄弟登高处，遍插茱萸少一人。"
# 毛泽东《七律·长征》: its rhymes mix 十四寒 (难 丸 寒) and 十五删 (闲 颜) of the 平水韵,
# one group (an) today. 礴 and 拍, 入声 and so 仄 in the 平水韵, are 平 today.
CHANG_ZHENG = (
    "红军不怕远征难，万水千山只等闲。五岭逶迤腾细浪，乌蒙磅礴走泥丸。"
    "金沙水拍云崖暖，大渡桥横铁索寒。更喜岷山千里雪，三军过后尽开颜。"
)
# the same with those two 入声 characters replaced by today's 仄: a modern-rhymed 七律
CHANG_ZHENG_MODERN = CHANG_ZHENG.replace("磅礴", "峻岭").replace("水拍云崖暖", "水暖云崖峭")
# 毛泽东《七律·人民解放军占领南京》: 江 (上平三江) rhymes with 下平七阳 at line 2
NAN_JING = (
    "钟山风雨起苍黄，百万雄师过大江。虎踞龙盘今胜昔，天翻地覆慨而慷。"
    "宜将剩勇追穷寇，不可沽名学霸王。天若有情天亦老，人间正道是沧桑。"
)


def errors(a: PoemAnalysis) -> list[tuple[Rule, int, int | None]]:
    return [(f.rule, f.line, f.pos) for f in a.errors]


def analyse(shelf: Shelf, kind: BookKind, text: str) -> PoemAnalysis:
    return shelf.checker(kind).analyze(text)


# ---------------------------------------------------------------- the interface
def test_every_book_offers_the_interface(shelf: Shelf) -> None:
    for kind in BookKind:
        book = shelf.book(kind)
        assert book.kind is kind
        assert shelf.book(kind.value) is book and shelf.book(kind.zh) is book
        assert all(g.is_ping for g in book.ping_groups)
        assert set(book.ping_groups) < set(book.groups)
        for g in book.groups:
            assert group_by_id(g.id) is g
            assert book_of_group(g) is kind
            assert book.find_group(g.name) is g
        assert book.lookup("a") is None and book.mask("a") == 0
        assert book.is_han("风") and book.frequency("风") > 0
    assert len(shelf.book(PINGSHUI).ping_groups) == 30
    assert len(shelf.book(XINYUN).ping_groups) == 14
    assert len(shelf.book(TONGYUN).ping_groups) == 16
    with pytest.raises(ValueError):
        shelf.book("no such book")


def test_group_ids_are_unique_across_books() -> None:
    ids = [g.id for g in (*GROUPS, *XINYUN_GROUPS, *TONGYUN_GROUPS)]
    assert ids == list(range(len(ids)))
    names = [g.name for g in (*GROUPS, *XINYUN_GROUPS, *TONGYUN_GROUPS)]
    assert len(set(names)) == len(names)
    assert group_by_name("下平七阳") is not None and group_by_name("通韵十三昂") is None
    g = group_by_id(XINYUN_GROUPS[0].id)
    assert isinstance(g, ModernGroup) and g.name == "新韵一麻" and g.is_ping
    assert XINYUN_GROUPS[14].name == "新韵一麻（仄）" and not XINYUN_GROUPS[14].is_ping
    assert TONGYUN_GROUPS[12].name == "通韵十三昂" and TONGYUN_GROUPS[12].finals == (
        "ang", "iang", "uang")  # fmt: skip


def test_book_kind_names() -> None:
    for name, kind in [("tongyun", TONGYUN), ("通韵", TONGYUN), ("中华通韵", TONGYUN),
                       ("中華新韻", XINYUN), ("XinYun", XINYUN), ("平水韵", PINGSHUI)]:  # fmt: skip
        assert BookKind.from_name(name) is kind
    assert BookKind.from_name("") is None and BookKind.from_name("韵书") is None


def test_group_names_resolve_in_their_own_book(shelf: Shelf) -> None:
    tong, xin = shelf.book(TONGYUN), shelf.book(XINYUN)
    assert tong.find_group("十三昂") is tong.find_group("昂") is tong.find_group("ang")
    ze = tong.find_group("通韵十三昂（仄）")
    assert ze is not None and not ze.is_ping
    assert xin.find_group("庚") is xin.find_group("新韵十一庚") is xin.find_group("ong")
    assert tong.find_group("下平七阳") is None and xin.find_group("昂") is None
    assert shelf.book(PINGSHUI).find_group("阳") is group_by_name("下平七阳")


# ---------------------------------------------------------------- the group tables
@pytest.mark.parametrize(
    ("final", "xinyun", "tongyun"),
    [
        ("a", "新韵一麻", "通韵一啊"),
        ("e", "新韵二波", "通韵三鹅"),  # 新韵: e and o are one rhyme body; 通韵 splits them
        ("o", "新韵二波", "通韵二喔"),
        ("ie", "新韵三皆", "通韵三鹅"),
        ("üe", "新韵三皆", "通韵三鹅"),
        ("uei", "新韵五微", "通韵八欸"),
        ("iou", "新韵七尤", "通韵十欧"),
        ("ün", "新韵九文", "通韵十二恩"),
        ("ong", "新韵十一庚", "通韵十五雍"),  # 新韵: eng/ong one group; 通韵: 英 and 雍
        ("ueng", "新韵十一庚", "通韵十四英"),
        ("i", "新韵十二齐", "通韵四衣"),
        ("er", "新韵十二齐", "通韵十六儿"),
        ("ü", "新韵十二齐", "通韵六迂"),
        ("-i", "新韵十三支", "通韵四衣"),  # 新韵 keeps 支 apart; 通韵 unites it with 衣
        ("u", "新韵十四姑", "通韵五乌"),
    ],
)
def test_finals_fall_in_the_official_groups(final: str, xinyun: str, tongyun: str) -> None:
    x = group_for(XINYUN, final, ping=True)
    t = group_for(TONGYUN, final, ping=True)
    assert x is not None and x.name == xinyun
    assert t is not None and t.name == tongyun
    z = group_for(TONGYUN, final, ping=False)
    assert z is not None and z.name == f"{tongyun}（仄）"


@pytest.mark.parametrize(
    ("syllable", "plain", "tone", "final"),
    [
        ("huán", "huan", 2, "uan"), ("lǜ", "lü", 4, "ü"), ("zhī", "zhi", 1, "-i"),
        ("sì", "si", 4, "-i"), ("yuè", "yue", 4, "üe"), ("jū", "ju", 1, "ü"),
        ("wēng", "weng", 1, "ueng"), ("yǒng", "yong", 3, "iong"), ("niǔ", "niu", 3, "iou"),
        ("duì", "dui", 4, "uei"), ("lún", "lun", 2, "uen"), ("yūn", "yun", 1, "ün"),
        ("ér", "er", 2, "er"), ("men", "men", 5, "en"), ("hm", "hm", 5, ""), ("yī", "yi", 1, "i"),
        ("nüè", "nüe", 4, "üe"), ("wǒ", "wo", 3, "uo"), ("bō", "bo", 1, "o"),
    ],
)  # fmt: skip
def test_pinyin_syllables_parse(syllable: str, plain: str, tone: int, final: str) -> None:
    s = parse(syllable)
    assert (s.plain, s.tone, s.final) == (plain, tone, final)
    if tone != 5:
        assert marked(s.plain, s.tone) == syllable


# ---------------------------------------------------------------- readings
def test_modern_tones_have_no_ru(shelf: Shelf) -> None:
    """入声 characters take today's tone: 国学一白十竹福 are 平 today, 月日 are 仄."""
    for kind in (XINYUN, TONGYUN):
        book = shelf.book(kind)
        for ch in "国学一白十竹福":
            info = book.lookup(ch)
            assert info is not None and info.mask & (PING_BIT | ZE_BIT) == PING_BIT, ch
            assert not info.is_ru and not info.uncertain
        for ch in "月日不":
            assert book.mask(ch) & (PING_BIT | ZE_BIT | RU_BIT) == ZE_BIT, ch
    classical = shelf.book(PINGSHUI)
    assert classical.mask("国") & RU_BIT and not classical.mask("国") & PING_BIT


def test_readings_carry_pinyin_group_and_source(shelf: Shelf) -> None:
    tong = shelf.book(TONGYUN)
    info = tong.lookup("东")
    assert info is not None
    [r] = info.readings
    assert (r.tone, r.via, r.source) == (Tone.PING, "dōng", Source.BOOK)
    assert r.group is not None and r.group.name == "通韵十五雍"
    assert shelf.book(XINYUN).lookup("东").readings[0].group.name == "新韵十一庚"  # type: ignore[union-attr]
    qu = tong.lookup("去")
    assert qu is not None and qu.readings[0].tone is Tone.QU
    assert qu.readings[0].group is not None and qu.readings[0].group.name == "通韵六迂（仄）"
    # traditional input reads the same
    assert tong.lookup("東").readings == info.readings  # type: ignore[union-attr]


def test_polyphones_from_readings_in_use(shelf: Shelf) -> None:
    """Several Mandarin readings of different tone class make a polyphone; readings only
    historical dictionaries list (过 guō, 毛 mào) do not count."""
    tong = shelf.book(TONGYUN)
    for ch in "看中重教为长":
        info = tong.lookup(ch)
        assert info is not None and info.is_polyphone, ch
    for ch in "过毛思听望":
        info = tong.lookup(ch)
        assert info is not None and not info.is_polyphone, ch
    # 还: hái and huán, both 平, in two groups
    huan = tong.lookup("还")
    assert huan is not None and not huan.is_polyphone
    assert {r.group.name for r in huan.readings if r.group} == {"通韵七哀", "通韵十一安"}


def test_sandhi_is_not_a_reading(shelf: Shelf) -> None:
    """一 and 不 take their citation tones (yī 平, bù 仄), not the sandhi the phrase table
    writes (一样 yí, 不对 bú)."""
    tong = shelf.book(TONGYUN)
    assert [r.via for r in tong.lookup("一").readings] == ["yī"]  # type: ignore[union-attr]
    assert [r.via for r in tong.lookup("不").readings] == ["bù"]  # type: ignore[union-attr]


def test_neutral_tone_only_is_unknown(shelf: Shelf) -> None:
    info = shelf.book(TONGYUN).lookup("们")
    assert info is not None and info.readings == () and info.mask == UNCERTAIN_BIT
    a = Checker(shelf.book(TONGYUN)).analyze("我们")
    assert a.chars[1].uncertain


def test_group_lists_rank_and_filter_by_script(shelf: Shelf) -> None:
    tong = shelf.book(TONGYUN)
    ang = tong.find_group("昂")
    assert ang is not None
    chars = tong.group_chars(ang.id)
    assert {"长", "江", "阳", "光", "乡"} <= set(chars[:30])
    assert chars.index("阳") < chars.index("邙")  # the most used first
    assert all(tong.lookup(c) is not None and ang.id in tong.lookup(c).group_ids for c in chars)  # type: ignore[union-attr]
    trad = tong.group_chars(ang.id, "traditional")
    assert "陽" in trad and "阳" not in trad
    with pytest.raises(IndexError):
        tong.group_chars(group_by_name("下平七阳").id)  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        tong.group_chars(ang.id, "cursive")  # type: ignore[arg-type]


def test_missing_data_is_a_clear_error(tmp_path: Path, book: RhymeBook) -> None:
    with pytest.raises(MandarinDataError):
        MandarinData.load(tmp_path)
    (tmp_path / "readings.tsv").write_text("#something-else\t9\n", encoding="utf-8")
    (tmp_path / "meta.json").write_text("{}", encoding="utf-8")
    with pytest.raises(MandarinDataError, match="format"):
        MandarinData.load(tmp_path)
    with pytest.raises(ValueError):
        ModernBook(PINGSHUI, book, MandarinData.load())


def test_readings_table_is_sorted_and_complete() -> None:
    data = MandarinData.load()
    assert data._rows.is_sorted()
    assert len(data) > 40_000
    assert data.readings("还") == ("hái", "huán")
    for cp in range(0x4E00, 0x4E00 + 3000):  # every common character has a reading
        ch = chr(cp)
        if ch.encode("gb2312", errors="ignore"):
            assert data.readings(ch), ch


# ---------------------------------------------------------------- phrase context
def test_phrase_context_settles_a_polyphone(shelf: Shelf) -> None:
    tong = shelf.book(TONGYUN)
    [s] = tong.settle("青春作伴好还乡")
    assert (s.pos, s.syllable, s.phrase) == (5, "huán", "还乡")
    assert s.reading.group is not None and s.reading.group.name == "通韵十一安"
    [s] = tong.settle("还是")
    assert s.syllable == "hái" and s.reading.group.name == "通韵七哀"  # type: ignore[union-attr]
    assert tong.settle("还有") == ()  # the phrase table does not settle it: both readings stay
    [s] = tong.settle("看守")
    assert s.syllable == "kān" and s.reading.tone is Tone.PING
    [s] = tong.settle("看见")
    assert s.syllable == "kàn" and s.reading.tone is Tone.QU
    # a reading only historical dictionaries list is not brought back by a phrase
    assert tong.settle("南无") == () and tong.lookup("南").readings[0].via == "nán"  # type: ignore[union-attr]
    assert shelf.book(PINGSHUI).settle("青春作伴好还乡") == ()


def test_a_settled_reading_decides_the_tone_and_says_so(shelf: Shelf) -> None:
    checker = Checker(shelf.book(TONGYUN))
    # 看 at the 4th character of a 七言 line (平平仄仄平平仄 wants 仄 there)
    alone = checker.analyze("春风吹看柳条新", per_char=True)
    assert alone.chars[3].code == EITHER
    seen = checker.analyze("春风看见柳条新")  # 看见: kàn, 仄
    assert seen.chars[2].code == ZE
    [hint] = [f for f in seen.findings if f.rule is Rule.CONTEXT_READING]
    assert (hint.line, hint.pos, hint.char, hint.severity) == (0, 2, "看", Severity.HINT)
    assert (
        hint.message()
        == "第1句第3字「看」在「看见」中读 kàn（仄），按此读音检查（据 pypinyin 词语读音）。"
    )
    assert "reads kàn" in hint.message("en")
    guard = checker.analyze("春风看守柳条新")  # 看守: kān, 平
    assert guard.chars[2].code == PING
    # a pinned reading still wins
    pinned = checker.analyze("春风看见柳条新", pins={2: PING})
    assert pinned.chars[2].code == PING and pinned.chars[2].pinned


def test_the_settled_reading_shows_in_a_poem(shelf: Shelf) -> None:
    """杜甫《闻官军收河南河北》's 还乡 is huán."""
    text = (
        "剑外忽传收蓟北，初闻涕泪满衣裳。却看妻子愁何在，漫卷诗书喜欲狂。"
        "白日放歌须纵酒，青春作伴好还乡。即从巴峡穿巫峡，便下襄阳向洛阳。"
    )
    a = analyse(shelf, TONGYUN, text)
    hints = {
        (f.line, f.char): f.get("pinyin") for f in a.findings if f.rule is Rule.CONTEXT_READING
    }
    assert hints[(5, "还")] == "huán"
    assert a.rhyme_group is not None and a.rhyme_group.name == "通韵十三昂"


# ---------------------------------------------------------------- famous poems, each book
@pytest.mark.parametrize("kind", list(BookKind))
@pytest.mark.parametrize("text", [ZAO_FA_BAI_DI, FENG_QIAO])
def test_poems_that_keep_every_book(shelf: Shelf, kind: BookKind, text: str) -> None:
    a = analyse(shelf, kind, text)
    assert a.errors == (), [f.message() for f in a.errors]
    assert a.book is kind
    assert all(m is RhymeMark.IN for m in a.rhyme_status)
    assert not [f for f in a.findings if f.rule is Rule.OTHER_BOOK]


def test_group_names_in_the_summary(shelf: Shelf) -> None:
    assert analyse(shelf, PINGSHUI, ZAO_FA_BAI_DI).summary_zh.endswith("押上平十五删，合律")
    assert analyse(shelf, XINYUN, ZAO_FA_BAI_DI).summary_zh.endswith("押新韵八寒，合律")
    assert analyse(shelf, TONGYUN, ZAO_FA_BAI_DI).summary_zh.endswith("押通韵十一安，合律")
    assert "rhyme group 通韵十一安" in analyse(shelf, TONGYUN, ZAO_FA_BAI_DI).summary_en


def test_shan_xing_rhymes_classically_not_today(shelf: Shelf) -> None:
    """杜牧《山行》: 斜 (xiá, 六麻 in the 平水韵) is xié today, out of the 麻/啊 group."""
    assert analyse(shelf, PINGSHUI, SHAN_XING).errors == ()
    for kind, group, char_group in [
        (XINYUN, "新韵一麻", "新韵三皆"),
        (TONGYUN, "通韵一啊", "通韵三鹅"),
    ]:
        a = analyse(shelf, kind, SHAN_XING)
        assert errors(a) == [(Rule.CHU_YUN, 0, 6)]
        [f] = a.errors
        assert f.message() == f"第1句「斜」属{char_group}，本诗押{group}（出韵）。"
        assert a.rhyme_status[0] is RhymeMark.OUT
        # no borrowing in the modern books: line 1 is 出韵 like any other slot
        [note] = [f for f in a.findings if f.rule is Rule.OTHER_BOOK]
        assert note.message() == (
            f"本诗按{kind.zh}有1处不合，按平水韵合律：若有意用平水韵，可在韵书中改选。"
        )
        assert note.severity is Severity.NOTE and note.marks == ()


def test_entering_tones_read_today(shelf: Shelf) -> None:
    """王维《九月九日忆山东兄弟》: 节 插 一 are 入声 (仄) classically, 平 today."""
    assert analyse(shelf, PINGSHUI, JIU_YUE_JIU).errors == ()
    for kind in (XINYUN, TONGYUN):
        a = analyse(shelf, kind, JIU_YUE_JIU)
        assert [(f.rule, f.line, f.pos, f.char) for f in a.errors] == [
            (Rule.TONE, 1, 3, "节"),
            (Rule.TONE, 3, 1, "插"),
            (Rule.TONE, 3, 5, "一"),
        ]
    a = analyse(shelf, TONGYUN, DENG_GUAN_QUE_LOU)
    assert [(f.rule, f.char) for f in a.errors] == [(Rule.SAN_PING_WEI, "一")]


def test_chang_zheng_rhymes_today_not_classically(shelf: Shelf) -> None:
    """《七律·长征》: 丸 寒 (十四寒) against 闲 颜 (十五删) — 出韵 in the 平水韵, one group today."""
    a = analyse(shelf, PINGSHUI, CHANG_ZHENG)
    assert sorted((f.rule, f.char) for f in a.errors) == [
        (Rule.CHU_YUN, "丸"),
        (Rule.CHU_YUN, "寒"),
    ]
    for kind in (XINYUN, TONGYUN):
        b = analyse(shelf, kind, CHANG_ZHENG)
        assert all(m is RhymeMark.IN for m in b.rhyme_status)
        # its 入声 礴 and 拍 are 平 today, where the 4th character wants 仄
        assert sorted(f.char for f in b.errors) == ["拍", "礴"]
        assert analyse(shelf, kind, CHANG_ZHENG_MODERN).errors == ()
    # the modern-rhymed version fails the 平水韵 and is told which books it keeps
    c = analyse(shelf, PINGSHUI, CHANG_ZHENG_MODERN)
    [note] = [f for f in c.findings if f.rule is Rule.OTHER_BOOK]
    assert note.message() == (
        "本诗按平水韵有2处不合，按中华新韵、中华通韵合律：若有意用中华新韵、中华通韵，可在韵书中改选。"
    )
    assert "keeps the rules of" in note.message("en")
    assert note.get("kinds") == "xinyun,tongyun"


def test_nan_jing_jiang_rhymes_today(shelf: Shelf) -> None:
    """《七律·人民解放军占领南京》: 江 (上平三江) at line 2 of a 七阳 poem; one group today."""
    a = analyse(shelf, PINGSHUI, NAN_JING)
    assert [(f.rule, f.char) for f in a.errors] == [(Rule.CHU_YUN, "江")]
    for kind in (XINYUN, TONGYUN):
        b = analyse(shelf, kind, NAN_JING)
        assert all(m is RhymeMark.IN for m in b.rhyme_status)
        assert [(f.rule, f.char) for f in b.errors] == [(Rule.LINE_END, "昔")]  # xī is 平 today


# ---------------------------------------------------------------- mutations between books
# 早发白帝城 with its three rhyme characters replaced
ONG_ENG = "朝辞白帝彩云红，千里江陵一日风。两岸猿声啼不住，轻舟已过万重灯。"
I_AND_APICAL = "朝辞白帝彩云西，千里江陵一日时。两岸猿声啼不住，轻舟已过万重诗。"
AN_TIAN = ZAO_FA_BAI_DI.replace("万重山", "万重天")


def test_ong_and_eng_rhyme_in_xinyun_only(shelf: Shelf) -> None:
    """红 (ong) with 风 灯 (eng): one group in 新韵 (十一庚), two in 通韵 (雍, 英)."""
    assert analyse(shelf, XINYUN, ONG_ENG).errors == ()
    t = analyse(shelf, TONGYUN, ONG_ENG)
    assert [(f.rule, f.char, f.get("char_group")) for f in t.errors] == [
        (Rule.CHU_YUN, "红", "通韵十五雍")
    ]
    assert t.rhyme_group is not None and t.rhyme_group.name == "通韵十四英"
    [note] = [f for f in t.findings if f.rule is Rule.OTHER_BOOK]
    assert note.get("books") == "中华新韵"
    p = analyse(shelf, PINGSHUI, ONG_ENG)  # 灯 is 下平十蒸
    assert [(f.rule, f.char) for f in p.errors] == [(Rule.CHU_YUN, "灯")]


def test_i_and_apical_i_rhyme_in_tongyun_only(shelf: Shelf) -> None:
    """西 (i) with 时 诗 (-i): one group in 通韵 (四衣), two in 新韵 (齐, 支); the 平水韵 lets
    line 1 borrow 八齐 for a 四支 poem (首句借邻韵), the modern books have no such licence."""
    assert analyse(shelf, TONGYUN, I_AND_APICAL).errors == ()
    x = analyse(shelf, XINYUN, I_AND_APICAL)
    assert [(f.rule, f.line, f.char) for f in x.errors] == [(Rule.CHU_YUN, 0, "西")]
    assert x.rhyme_status[0] is RhymeMark.OUT
    [note] = [f for f in x.findings if f.rule is Rule.OTHER_BOOK]
    assert note.get("books") == "平水韵、中华通韵"
    p = analyse(shelf, PINGSHUI, I_AND_APICAL)
    assert p.errors == ()
    assert [f.rule for f in p.findings if f.rule is Rule.JIE_LIN_YUN] == [Rule.JIE_LIN_YUN]
    assert p.rhyme_status[0] is RhymeMark.BORROWED


def test_neighbour_groups_per_book(shelf: Shelf) -> None:
    ps = shelf.book(PINGSHUI)
    dong = group_by_name("上平一东")
    assert dong is not None and [g.name for g in ps.neighbours(dong)] == ["上平二冬"]
    for kind in (XINYUN, TONGYUN):
        book = shelf.book(kind)
        assert all(book.neighbours(g) == () for g in book.groups)


def test_an_and_ian_rhyme_today_not_in_the_pingshui(shelf: Shelf) -> None:
    """间 还 (十五删) with 天 (一先): 出韵 in the 平水韵 only at line 4 — line 1 may borrow."""
    for kind in (XINYUN, TONGYUN):
        assert analyse(shelf, kind, AN_TIAN).errors == ()
    p = analyse(shelf, PINGSHUI, AN_TIAN)
    assert p.rhyme_group is not None and p.rhyme_group.name == "下平一先"
    assert p.errors == ()  # 间 line 1 borrows 十五删; 还 is a polyphone with a 一先 reading


def test_a_pinned_group_of_another_book_is_ignored(shelf: Shelf) -> None:
    tong = Checker(shelf.book(TONGYUN))
    a = tong.analyze(ZAO_FA_BAI_DI, group=group_by_name("下平七阳"))
    assert not a.group_pinned and a.rhyme_group is not None
    assert a.rhyme_group.name == "通韵十一安"
    b = tong.analyze(ZAO_FA_BAI_DI, group=shelf.book(TONGYUN).find_group("昂"))
    assert b.group_pinned and {f.rule for f in b.errors} == {Rule.CHU_YUN}


def test_no_cross_book_note_while_typing_or_for_clean_poems(shelf: Shelf) -> None:
    from app.prosody.settings import CheckSettings

    c = shelf.checker(TONGYUN)
    typing = c.analyze(SHAN_XING[:20], settings=CheckSettings(partial=True))
    assert not [f for f in typing.findings if f.rule is Rule.OTHER_BOOK]
    assert not [f for f in c.analyze(FENG_QIAO).findings if f.rule is Rule.OTHER_BOOK]
    # a plain checker (no other books) never adds it
    plain = Checker(shelf.book(TONGYUN)).analyze(SHAN_XING)
    assert not [f for f in plain.findings if f.rule is Rule.OTHER_BOOK]


def test_suggestions_come_from_the_chosen_book(shelf: Shelf) -> None:
    from app.prosody.suggest import Suggester

    book = shelf.book(TONGYUN)
    a = Checker(book).analyze(SHAN_XING)
    [f] = a.errors
    got = [s.char for s in Suggester(book).suggest(a, f, 12)]
    assert got and all(a.rhyme_group.id in book.lookup(c).ping_groups for c in got)  # type: ignore[union-attr]
    assert "斜" not in got and "家" not in got


# ---------------------------------------------------------------- the command line
def test_cli_rhyme_check_and_score_take_a_book(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    def shijian(*args: str) -> tuple[int, str, str]:
        code = main(["--lang", "zh", *args])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, err = shijian("rhyme", "东", "--book", "tongyun", "--limit", "5")
    assert code == 0, err
    assert "[中华通韵]" in out and "dōng  平  通韵十五雍" in out
    code, out, _ = shijian("rhyme", "十一庚", "--book", "新韵", "--limit", "8")
    assert code == 0 and out.startswith("新韵十一庚（")
    code, out, _ = shijian("check", SHAN_XING, "--book", "tongyun")
    assert code == 1
    assert out.splitlines()[0].endswith("押通韵一啊，1处错误  [中华通韵]")
    assert "按平水韵合律" in out
    code, out, _ = shijian("check", SHAN_XING, "--book", "tongyun", "--group", "昂", "--json")
    assert code == 1
    doc = json.loads(out)
    assert doc["book"] == "tongyun" and doc["rhyme_group"] == "通韵十三昂"
    code, _, err = shijian("check", SHAN_XING, "--book", "klingon")
    assert code == 2 and "unknown rhyme book" in err
    code, _, err = shijian("check", SHAN_XING, "--book", "xinyun", "--group", "下平六麻")
    assert code == 2 and "unknown rhyme group" in err
    poems = tmp_path / "p.jsonl"
    poems.write_text(
        "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in (SHAN_XING, FENG_QIAO)),
        encoding="utf-8",
    )
    code, classical, _ = shijian("score", str(poems), "--json")
    assert code == 0
    code, modern, _ = shijian("score", str(poems), "--json", "--book", "tongyun")
    assert code == 0
    assert json.loads(modern)["book"] == "tongyun"
    assert json.loads(classical)["by_form"]["七绝"]["rhymes"] == 100.0
    assert json.loads(modern)["by_form"]["七绝"]["rhymes"] < 100.0


def test_modern_books_never_import_pypinyin() -> None:
    """The modern books read the bundled tables; pypinyin is only the build's input."""
    code = (
        "import sys\n"
        "from app.prosody.rhymebook import RhymeBook\n"
        "from app.prosody.books.shelf import Shelf\n"
        "s = Shelf(RhymeBook.load())\n"
        "c = s.checker('tongyun')\n"
        "c.analyze('青春作伴好还乡，白日放歌须纵酒')\n"
        "print('pypinyin' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.stdout.strip() == "False", out.stderr
