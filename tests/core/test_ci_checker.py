"""The 词 checker against a small 词谱 the tests write (tests/support/cipu_fixture.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.prosody.analysis import RhymeMark
from app.prosody.ci import CiAnalysis, CiChecker, CipuTable, CiSettings
from app.prosody.findings import Rule, Severity
from app.prosody.tones import Level
from tests.support.cipu_fixture import (  # noqa: F401
    PUSAMAN,
    QINGPINGYUE,
    ci_checker_fixture,
    cilin_fixture,
    cipu_table_fixture,
)

SHUIDIAO = (
    "明月几时有？把酒问青天。不知天上宫阙，今夕是何年。我欲乘风归去，又恐琼楼玉宇，"
    "高处不胜寒。起舞弄清影，何似在人间。转朱阁，低绮户，照无眠。不应有恨，何事长向别时圆？"
    "人有悲欢离合，月有阴晴圆缺，此事古难全。但愿人长久，千里共婵娟。"
)
SHENGSHENG = (
    "寻寻觅觅，冷冷清清，凄凄惨惨戚戚。乍暖还寒时候，最难将息。三杯两盏淡酒，怎敌他、晚来风急！"
    "雁过也，正伤心，却是旧时相识。满地黄花堆积。憔悴损，如今有谁堪摘？守着窗儿，独自怎生得黑！"
    "梧桐更兼细雨，到黄昏、点点滴滴。这次第，怎一个、愁字了得！"
)
MANJIANGHONG = (
    "怒发冲冠，凭栏处、潇潇雨歇。抬望眼、仰天长啸，壮怀激烈。三十功名尘与土，八千里路云和月。"
    "莫等闲、白了少年头，空悲切。靖康耻，犹未雪。臣子恨，何时灭。驾长车，踏破贺兰山缺。"
    "壮志饥餐胡虏肉，笑谈渴饮匈奴血。待从头、收拾旧山河，朝天阙。"
)
QINGYUAN = (
    "东风夜放花千树，更吹落、星如雨。宝马雕车香满路。凤箫声动，玉壶光转，一夜鱼龙舞。"
    "蛾儿雪柳黄金缕，笑语盈盈暗香去。众里寻他千百度，蓦然回首，那人却在，灯火阑珊处。"
)
YUMEIREN = (
    "春花秋月何时了？往事知多少。小楼昨夜又东风，故国不堪回首月明中。"
    "雕栏玉砌应犹在，只是朱颜改。问君能有几多愁？恰似一江春水向东流。"
)
CAISANG_LI = (
    "窗前谁种芭蕉树，阴满中庭。阴满中庭，叶叶心心，舒卷有余情。"
    "伤心枕上三更雨，点滴霖霪。点滴霖霪，愁损北人，不惯起来听。"
)

FAMOUS = [
    ("水调歌头", SHUIDIAO, 1, "蘇軾"),
    ("声声慢", SHENGSHENG, 1, "李清照"),
    ("满江红", MANJIANGHONG, 0, "柳永"),
    ("青玉案", QINGYUAN, 0, "賀鑄"),
    ("虞美人", YUMEIREN, 0, "李煜"),
    ("菩萨蛮", PUSAMAN, 0, "李白"),
    ("清平乐", QINGPINGYUE, 0, "李白"),
]


def problems(a: CiAnalysis) -> list[str]:
    return [f.message() for f in a.findings if f.severity >= Severity.WARNING]


@pytest.mark.parametrize(("tune", "text", "index", "author"), FAMOUS)
def test_famous_ci_are_clean_against_their_form(
    ci: CiChecker, tune: str, text: str, index: int, author: str
) -> None:
    a = ci.analyze(text, tune=tune)
    assert a.choice is not None
    assert a.choice.form.index == index and a.choice.form.author == author
    assert a.choice.exact and a.complete
    assert problems(a) == []
    assert a.summary_zh.endswith("合谱")
    # every character is placed and every rhyme position is in its group's 部
    assert all(c.expected in (Level.PING, Level.ZE, Level.FREE) for c in a.chars)
    assert a.rhyme_status and all(m is RhymeMark.IN for m in a.rhyme_status)


@pytest.mark.parametrize(("tune", "text", "index", "author"), FAMOUS)
def test_tune_found_without_a_name(
    ci: CiChecker, tune: str, text: str, index: int, author: str
) -> None:
    a = ci.analyze(text)
    assert a.choice is not None and not a.choice.tune_given
    assert a.choice.form.tune == ci.table.find(tune).name  # type: ignore[union-attr]
    assert a.choice.form.index == index
    assert "未指定词牌" in a.choice.why_zh and problems(a) == []


def test_why_a_variant_form_was_chosen(ci: CiChecker) -> None:
    a = ci.analyze(SHUIDIAO, tune="水調歌頭")  # traditional name works too
    assert a.choice is not None and a.choice.form.index == 1
    assert a.choice.candidates == 2
    assert "相合" in a.choice.why_zh and "fit" in a.choice.why_en
    assert "又一体" in a.summary_zh and "第七部" in a.summary_zh
    # pinned to the 正体 (4 + 7 where 苏轼 breaks 6 + 5): read against it, not exact
    main = ci.table.find("水调歌头").forms[0]  # type: ignore[union-attr]
    b = ci.analyze(SHUIDIAO, form=main)
    assert b.choice is not None and b.choice.pinned and not b.choice.exact
    assert [f.rule for f in b.findings if f.severity >= Severity.NOTE] == [Rule.CI_FORM]
    assert problems(b) == []


def test_a_ze_where_ping_is_needed(ci: CiChecker) -> None:
    text = SHUIDIAO.replace("把酒问青天", "把酒问绿天")
    a = ci.analyze(text, tune="水调歌头")
    errors = [f for f in a.findings if f.severity is Severity.ERROR]
    assert [(f.rule, f.char, f.expected) for f in errors] == [(Rule.TONE, "绿", "平")]
    assert errors[0].message() == "前段第2句第4字「绿」为入声，谱中此处应平。"
    assert "level" in errors[0].message("en")
    cell = next(c for c in a.chars if c.char == "绿")
    assert cell.severity is Severity.ERROR and cell.expected is Level.PING


def test_a_rhyme_outside_the_bu(ci: CiChecker) -> None:
    text = SHUIDIAO.replace("今夕是何年", "今夕是何时")
    a = ci.analyze(text, tune="水调歌头")
    errors = [f for f in a.findings if f.severity is Severity.ERROR]
    assert [(f.rule, f.char) for f in errors] == [(Rule.CHU_YUN, "时")]
    assert "第三部" in errors[0].message() and "第七部" in errors[0].message()
    assert RhymeMark.OUT in a.rhyme_status
    # a 仄 at a 平 rhyme: the rhyme's tone
    b = ci.analyze(SHUIDIAO.replace("千里共婵娟", "千里共婵月"), tune="水调歌头")
    assert [f.rule for f in b.findings if f.is_error] == [Rule.LINE_END, Rule.CHU_YUN] or [
        f.rule for f in b.findings if f.is_error
    ] == [Rule.LINE_END]


def test_a_missing_and_an_extra_character(ci: CiChecker) -> None:
    a = ci.analyze(SHUIDIAO.replace("起舞弄清影", "起舞清影"), tune="水调歌头")
    assert a.choice is not None and a.choice.form.index == 1 and not a.choice.exact
    lengths = [f for f in a.findings if f.rule is Rule.LENGTH]
    assert len(lengths) == 1
    assert "前段第8句应5字" in lengths[0].message() and "少1字" in lengths[0].message()
    assert not a.complete
    b = ci.analyze(MANJIANGHONG.replace("壮怀激烈", "壮怀甚激烈"), tune="满江红")
    extra = [f for f in b.findings if f.rule is Rule.LENGTH]
    assert len(extra) == 1 and "多1字" in extra[0].message()
    assert extra[0].marks  # the extra character is painted
    # everything else still checks: no tone errors from a shifted line
    assert [f.rule for f in b.findings if f.is_error] == [Rule.LENGTH]


def test_a_missing_sentence_is_named(ci: CiChecker) -> None:
    a = ci.analyze(PUSAMAN.replace("宿鸟归飞急。", ""), tune="菩萨蛮")
    missing = [f for f in a.findings if f.rule is Rule.LENGTH]
    assert len(missing) == 1 and "缺后段第2句" in missing[0].message()


def test_huan_yun_groups_are_separate(ci: CiChecker) -> None:
    a = ci.analyze(PUSAMAN, tune="菩萨蛮")
    assert [g.letter for g in a.groups] == ["A", "B", "C", "D"]
    assert [g.bu for g in a.groups] == [17, 12, 17, 11]
    # the last rhyme moved out of D's 部 is 出韵 there (not judged against A, B or C)
    b = ci.analyze(PUSAMAN.replace("长亭更短亭", "长亭更短天"), tune="菩萨蛮")
    out = [f for f in b.findings if f.rule is Rule.CHU_YUN]
    assert len(out) == 1 and out[0].char == "天" and "D韵" in out[0].message()
    # 清平乐: four 仄 rhymes then three 平 rhymes in another 部
    c = ci.analyze(QINGPINGYUE, tune="清平乐")
    assert [(g.letter, g.bu, g.kinds) for g in c.groups] == [("A", 7, "仄"), ("B", 11, "平")]
    d = ci.analyze(QINGPINGYUE.replace("还满", "还乱").replace("还生", "还深"), tune="清平乐")
    assert [f.char for f in d.findings if f.rule is Rule.CHU_YUN] == ["深"]


def test_die_ju_must_repeat(ci: CiChecker) -> None:
    a = ci.analyze(CAISANG_LI, tune="采桑子")
    assert a.choice is not None and a.choice.form.author == "李清照"
    assert not [f for f in a.findings if f.rule is Rule.DIE]
    b = ci.analyze(CAISANG_LI.replace("阴满中庭。阴满中庭", "阴满中庭。阴满前庭"), tune="采桑子")
    die = [f for f in b.findings if f.rule is Rule.DIE]
    assert len(die) == 1 and "叠句" in die[0].message() and "阴满中庭" in die[0].message()
    assert die[0].marks and die[0].is_error


def test_no_shi_rules_for_ci(ci: CiChecker) -> None:
    shi_rules = {Rule.SHI_DUI, Rule.SHI_NIAN, Rule.GU_PING, Rule.SAN_PING_WEI, Rule.ZHUANG_YUN}
    for _tune, text, _i, _a in FAMOUS:
        assert not {f.rule for f in ci.analyze(text).findings} & shi_rules


def test_text_that_fits_no_form_names_the_closest(ci: CiChecker) -> None:
    a = ci.analyze("春风又绿江南岸，明月何时照我还。", tune="菩萨蛮")
    assert a.choice is not None and not a.choice.exact
    note = next(f for f in a.findings if f.rule is Rule.CI_FORM)
    assert "最接近" in note.message() and "closest" in note.message("en")
    assert any(f.rule is Rule.LENGTH and "缺" in f.message() for f in a.findings)


def test_partial_text_is_not_missing_its_end(ci: CiChecker) -> None:
    a = ci.analyze("平林漠漠烟如织，寒山一带伤", tune="菩萨蛮", settings=CiSettings(partial=True))
    assert [f for f in a.findings if f.severity >= Severity.WARNING] == []
    assert not a.complete
    full = ci.analyze("平林漠漠烟如织，寒山一带伤", tune="菩萨蛮")
    assert any(f.rule is Rule.LENGTH for f in full.findings)


def test_pins_choose_a_reading(ci: CiChecker) -> None:
    # 看 is 平 and 仄: pinned 平 where the 体 wants 仄 is an error
    text = PUSAMAN.replace("寒山一带伤心碧", "寒山一看伤心碧")
    offset = text.index("看")
    assert not [f for f in ci.analyze(text, tune="菩萨蛮").findings if f.is_error]
    pinned = ci.analyze(text, tune="菩萨蛮", pins={offset: 1})
    assert [f.char for f in pinned.findings if f.is_error] == ["看"]


def test_unknown_tune_falls_back_to_detection(ci: CiChecker) -> None:
    a = ci.analyze(YUMEIREN, tune="没有这个词牌")
    assert a.choice is not None and a.choice.form.tune == "虞美人"
    assert ci.analyze("").choice is None and ci.analyze("……").chars == ()


def test_table_lookups(table: CipuTable, tmp_path: Path) -> None:
    assert table.find("菩萨蛮") is table.find("菩薩蠻") is table.find("子夜歌")
    assert table.find("菩萨蛮·平林漠漠") is table.find("菩萨蛮")
    assert table.find("《清平乐》") is not None and table.find("") is None
    assert [t.simplified for t in table.search("psm")] == ["菩萨蛮"]
    assert [t.simplified for t in table.search("pusa")] == ["菩萨蛮"]
    assert table.search("")[0].simplified == "水调歌头"  # the most written first
    by_length = [t.forms[0].chars for t in table.search("", sort="length")]
    assert by_length == sorted(by_length)
    assert next(t.pinyin for t in table.search("", sort="name")) == "cai sang zi"
    form = table.form("菩薩蠻#1")
    assert form is not None and form.author == "朱敦儒" and form.key == "菩薩蠻#1"
    assert table.form("菩薩蠻#9") is None and table.form("nothing") is None
    assert table.n_forms == sum(len(t.forms) for t in table)
    assert form.template().startswith("中平中仄平平仄。")
    # round trip through the writer
    table.dump(tmp_path / "copy")
    again = CipuTable.load(tmp_path / "copy")
    assert again.tunes == table.tunes


def test_scores_of_a_ci(ci: CiChecker) -> None:
    from app.prosody.duizhang import Lexicon
    from app.prosody.scorer import score

    lexicon = Lexicon(ci.book)
    clean = score(ci.analyze(PUSAMAN, tune="菩萨蛮"), lexicon)
    assert clean.as_dict() == {
        "tones": 100.0, "rhymes": 100.0, "antithesis": 100.0, "length": 100.0,
        "weighted": 100.0, "errors": 0, "deducted": 0.0, "total": 100.0,
    }  # fmt: skip
    assert clean.rhyme_units == (8, 8) and clean.tone_units == (44, 44)
    assert not clean.applies[2]  # a 词 asks for no 对仗: its weight is left out
    wrong = score(ci.analyze(PUSAMAN.replace("长亭更短亭", "长亭更短天"), tune="菩萨蛮"), lexicon)
    assert wrong.rhyme_units == (7, 8) and wrong.tones == 100.0
    # an error costs a 词 as it does a poem of its length (4 × 56 ÷ 44), and caps it at 89
    assert wrong.errors >= 1 and wrong.total <= 89.0
    assert wrong.deducted == pytest.approx(wrong.errors * 4 * 56 / 44)
    # one 出韵 in a 44-character 词: 4 points × 56 ÷ 44, and the cap under 优秀
    assert wrong.errors == 1 and wrong.deducted == pytest.approx(4 * 56 / 44)
    base = (0.4 * 100 + 0.3 * 87.5 + 0.1 * 100) / 0.8
    assert wrong.total == pytest.approx(min(base - 4 * 56 / 44, 89.0))
    short = score(ci.analyze(PUSAMAN.replace("宿鸟归飞急。", ""), tune="菩萨蛮"), lexicon)
    assert short.line_units == (7, 8) and short.rhyme_units[0] < 8
