"""The checker agrees with the Tang poets: famous poems typed in, the 特拗 line with
polyphones and uncertain readings at each position, the line-1 polyphone in the template
vote, when a poem is 仄韵, and suggestions that lead with characters whose readings fit."""

from __future__ import annotations

import pytest

from app.prosody.analysis import PoemAnalysis
from app.prosody.checker import Checker
from app.prosody.findings import Finding, Need, Rule, Severity
from app.prosody.forms import EITHER, PING, UNKNOWN, ZE, LineType
from app.prosody.linerules import GPING, GZE, LineInput, check_line
from app.prosody.settings import CheckSettings
from app.prosody.suggest import Suggester

SHU_XIANG = (
    "丞相祠堂何处寻，锦官城外柏森森。映阶碧草自春色，隔叶黄鹂空好音。"
    "三顾频烦天下计，两朝开济老臣心。出师未捷身先死，长使英雄泪满襟。"
)
SHU_XIANG_TRAD = (
    "丞相祠堂何處尋，錦官城外柏森森。映階碧草自春色，隔葉黃鸝空好音。"
    "三顧頻煩天下計，兩朝開濟老臣心。出師未捷身先死，長使英雄淚滿襟。"
)
LIANG_ZHOU_CI = "黄河远上白云间，一片孤城万仞山。羌笛何须怨杨柳，春风不度玉门关。"
WANG_YUE_HUAI_YUAN = (
    "海上生明月，天涯共此时。情人怨遥夜，竟夕起相思。"
    "灭烛怜光满，披衣觉露滋。不堪盈手赠，还寝梦佳期。"
)
JIN_SE = (
    "锦瑟无端五十弦，一弦一柱思华年。庄生晓梦迷蝴蝶，望帝春心托杜鹃。"
    "沧海月明珠有泪，蓝田日暖玉生烟。此情可待成追忆，只是当时已惘然。"
)
CI_BEI_GU_SHAN = "客路青山外，行舟绿水前。潮平两岸阔，风正一帆悬。海日生残夜，江春入旧年。乡书何处达，归雁洛阳边。"
SHAN_JU_QIU_MING = "空山新雨后，天气晚来秋。明月松间照，清泉石上流。竹喧归浣女，莲动下渔舟。随意春芳歇，王孙自可留。"
WEN_GUAN_JUN = (
    "剑外忽传收蓟北，初闻涕泪满衣裳。却看妻子愁何在，漫卷诗书喜欲狂。"
    "白日放歌须纵酒，青春作伴好还乡。即从巴峡穿巫峡，便下襄阳向洛阳。"
)
BO_QIN_HUAI = "烟笼寒水月笼沙，夜泊秦淮近酒家。商女不知亡国恨，隔江犹唱后庭花。"
LIANG_ZHOU_CI_WANG_HAN = "葡萄美酒夜光杯，欲饮琵琶马上催。醉卧沙场君莫笑，古来征战几人回。"
# issue 13.1: a 平 first-line rhyme, then 回 (平) and 去 (仄) at the rhyme positions
DENG_GAO_BROKEN = "风急天高猿啸哀，渚清沙白鸟飞回。无边落木萧萧下，不尽长江滚滚去。"
JIANG_XUE = "千山鸟飞绝，万径人踪灭。孤舟蓑笠翁，独钓寒江雪。"
CHUN_XIAO = "春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。"


def errors(a: PoemAnalysis) -> list[Finding]:
    return [f for f in a.findings if f.severity is Severity.ERROR]


# ---------------------------------------------------------------- famous poems
@pytest.mark.parametrize(
    ("poem", "group"),
    [
        (SHU_XIANG, "下平十二侵"),
        (SHU_XIANG_TRAD, "下平十二侵"),
        (LIANG_ZHOU_CI, "上平十五删"),
        (WANG_YUE_HUAI_YUAN, "上平四支"),
        (JIN_SE, "下平一先"),
        (CI_BEI_GU_SHAN, "下平一先"),
        (SHAN_JU_QIU_MING, "下平十一尤"),
        (WEN_GUAN_JUN, "下平七阳"),
        (BO_QIN_HUAI, "下平六麻"),
        (LIANG_ZHOU_CI_WANG_HAN, "上平十灰"),
    ],
)
def test_famous_poems_check_clean(checker: Checker, poem: str, group: str) -> None:
    a = checker.analyze(poem)
    assert errors(a) == [], [f.message() for f in errors(a)]
    assert a.rhyme_group is not None and a.rhyme_group.name == group
    assert a.summary_zh.endswith("合律")


def test_shu_xiang_xian_is_ping(checker: Checker) -> None:
    a = checker.analyze(SHU_XIANG)
    xian = next(c for c in a.chars if c.line == 6 and c.pos == 5)
    assert xian.char == "先" and xian.code == EITHER  # 平 (一先) and 去 (霰)
    assert xian.severity is None


def test_te_ao_lines_of_famous_poems_are_notes(checker: Checker) -> None:
    for poem, line, pos in ((LIANG_ZHOU_CI, 2, 4), (WANG_YUE_HUAI_YUAN, 2, 2)):
        a = checker.analyze(poem)
        te_ao = [f for f in a.findings if f.rule is Rule.TE_AO]
        assert [(f.line, f.pos, f.severity) for f in te_ao] == [(line, pos, Severity.NOTE)]


# ---------------------------------------------------------------- 特拗 at each position
def b_line(q1: int, q3: int, q4: int, length: int = 5) -> LineInput:
    """A b line (⊙平平仄仄; 七言 仄仄平平平仄仄) with the given codes at q1, q3, q4."""
    five = [q1, PING, q3, q4, ZE]
    codes = five if length == 5 else [ZE, ZE, *five]
    chars = "天花月天雪" if length == 5 else "雪月天花月天雪"
    return LineInput(0, chars, tuple(range(length)), codes, {}, LineType.b, length)


def verdict(line: LineInput) -> list[tuple[Rule, Severity, int | None]]:
    return [(f.rule, f.severity, f.pos) for f in check_line(line, None, CheckSettings())]


@pytest.mark.parametrize("length", [5, 7])
@pytest.mark.parametrize(
    ("q1", "q3", "q4", "want"),
    [
        # q3 (the 3rd of 五言, 5th of 七言): 仄 or a polyphone read 仄 makes 特拗
        (PING, ZE, PING, [(Rule.TE_AO, Severity.NOTE, 2)]),
        (PING, EITHER, PING, [(Rule.TE_AO, Severity.NOTE, 2)]),
        (PING, PING, PING, [(Rule.TONE, Severity.ERROR, 3)]),
        (PING, GZE, PING, [(Rule.UNCERTAIN, Severity.WARNING, 2)]),
        (PING, GPING, PING, [(Rule.UNCERTAIN, Severity.WARNING, 2)]),
        (PING, UNKNOWN, PING, [(Rule.UNCERTAIN, Severity.WARNING, 2)]),
        # q1: 特拗 needs 平 there; a polyphone is read 平, a guess never decides
        (EITHER, ZE, PING, [(Rule.TE_AO, Severity.NOTE, 2)]),
        (GPING, ZE, PING, [(Rule.TE_AO, Severity.NOTE, 2)]),
        (ZE, ZE, PING, [(Rule.TE_AO, Severity.ERROR, 0)]),
        (ZE, EITHER, PING, [(Rule.TE_AO, Severity.ERROR, 0)]),
        (GZE, ZE, PING, [(Rule.UNCERTAIN, Severity.WARNING, 0)]),
        (UNKNOWN, EITHER, PING, [(Rule.UNCERTAIN, Severity.WARNING, 0)]),
        # q4: 仄 (or a polyphone read 仄) is the standard line; a guessed 平 is fine
        # whenever 特拗 could hold, and a warning where it could not
        (PING, ZE, EITHER, []),
        (PING, PING, EITHER, []),
        (PING, EITHER, GPING, []),
        (PING, ZE, UNKNOWN, []),
        (PING, PING, GPING, [(Rule.UNCERTAIN, Severity.WARNING, 3)]),
        (ZE, ZE, GPING, [(Rule.UNCERTAIN, Severity.WARNING, 3)]),
        (PING, PING, GZE, []),
    ],
)
def test_te_ao_with_polyphones_and_guesses(
    q1: int, q3: int, q4: int, want: list[tuple[Rule, Severity, int]], length: int
) -> None:
    shift = length - 5
    expected = [(rule, sev, pos + shift) for rule, sev, pos in want]
    assert verdict(b_line(q1, q3, q4, length)) == expected


def test_te_ao_as_an_error_when_licences_are_off() -> None:
    found = check_line(b_line(PING, EITHER, PING), None, CheckSettings(accept_aojiu=False))
    assert [(f.rule, f.severity) for f in found] == [(Rule.TE_AO, Severity.ERROR)]


def test_a_polyphone_at_q3_keeps_a_real_fault_at_q1(checker: Checker) -> None:
    # 情人怨遥夜 with 情 → 月: 月人怨遥夜 is 仄平仄平仄, a 特拗 line whose 1st must be 平
    a = checker.analyze(WANG_YUE_HUAI_YUAN.replace("情人", "月人"))
    assert [(f.rule, f.line, f.pos) for f in errors(a)] == [(Rule.TE_AO, 2, 0)]


# ---------------------------------------------------------------- the line-1 polyphone vote
KAN_AS_ZE = "万里人皆看，长江日夜寒。孤舟何处泊，落日照长安。"


def test_a_polyphone_ending_line_1_is_read_as_the_poem_needs(checker: Checker) -> None:
    """看 (平 寒, 去 翰) shares 十四寒 with 寒, which alone would choose 首句入韵; but then
    万里人皆看 would be 仄仄平平平 (三平尾). Read 仄, the poem keeps every rule, and the
    analysis says which reading it took and why."""
    a = checker.analyze(KAN_AS_ZE)
    assert errors(a) == []
    assert a.scheme is not None and not a.scheme.first_rhymes
    note = next(f for f in a.findings if f.rule is Rule.READING)
    assert (note.line, note.pos, note.char, note.severity) == (0, 4, "看", Severity.NOTE)
    assert note.get("avoided") == Rule.SAN_PING_WEI.value
    assert note.message() == (
        "第1句末字「看」平仄两读，此处读仄，首句不入韵（读作另一声则第1句犯三平尾）。"
    )
    assert "three level tones" in note.message("en")


def test_no_reading_note_when_line_1_decides_nothing(checker: Checker) -> None:
    # 万里独登看: as A (入韵, 仄仄仄平平) or a (小拗 仄仄仄平仄) line 1 is fine; the
    # rhyme with 寒 decides
    a = checker.analyze("万里独登看，长江日夜寒。孤舟何处泊，落日照长安。")
    assert errors(a) == []
    assert a.scheme is not None and a.scheme.first_rhymes
    assert not [f for f in a.findings if f.rule is Rule.READING]
    # 獻壽人皆慶: 慶 is 去 only (the book's 下平七阳 reading is an erratum), so no vote at all
    b = checker.analyze("献寿人皆庆，长江日夜寒。孤舟何处泊，落日照长安。")
    assert errors(b) == [] and b.scheme is not None and not b.scheme.first_rhymes


# ---------------------------------------------------------------- 仄韵 or not
def test_issue_13_1_poem_is_ping_yun_with_a_fault(checker: Checker) -> None:
    a = checker.analyze(DENG_GAO_BROKEN)
    assert not a.ze_yun
    assert a.rhyme_group is not None and a.rhyme_group.name == "上平十灰"
    assert [(f.rule, f.line, f.pos, f.char) for f in errors(a)] == [(Rule.LINE_END, 3, 6, "去")]
    assert "合律" not in a.summary_zh and a.summary_zh.endswith("1处错误")


@pytest.mark.parametrize(
    ("line2", "line4", "ze_yun"),
    [
        ("回", "来", False),  # 登高 itself: every rhyme 十灰
        ("栽", "去", False),  # a polyphone (平 十灰, 去): it never tips the poem to 仄
        ("回", "在", False),  # mixed: 平 回, 仄 在 — a 平韵 poem with a fault
        ("在", "去", True),  # both even lines end definitely 仄: a 仄韵 poem, not checked
    ],
)
def test_mutations_of_the_rhyme_positions(
    checker: Checker, line2: str, line4: str, ze_yun: bool
) -> None:
    poem = DENG_GAO_BROKEN.replace("鸟飞回", "鸟飞" + line2).replace("滚滚去", "滚滚" + line4)
    a = checker.analyze(poem)
    assert a.ze_yun is ze_yun
    if ze_yun:
        assert a.summary_zh == "七绝，仄韵，不按近体检查"
        assert errors(a) == []
    else:
        assert "仄韵" not in a.summary_zh
        assert a.rhyme_group is not None and a.rhyme_group.name == "上平十灰"
        n = sum(1 for c in (line2, line4) if c in "在去")
        assert len(errors(a)) == n


@pytest.mark.parametrize("poem", [JIANG_XUE, CHUN_XIAO])
def test_real_ze_yun_poems_are_not_checked_and_never_said_to_keep_the_rules(
    checker: Checker, poem: str
) -> None:
    a = checker.analyze(poem)
    assert a.ze_yun and errors(a) == []
    assert a.summary_zh == "五绝，仄韵，不按近体检查"
    assert a.summary_en == "five-character quatrain, oblique rhyme, not checked as regulated verse"
    assert "合律" not in a.summary_zh and "keeps the rules" not in a.summary_en


# ---------------------------------------------------------------- suggestions
def test_suggestions_for_a_ping_position_lead_with_unambiguous_characters(
    checker: Checker,
) -> None:
    suggester = Suggester(checker.book)
    a = checker.analyze(SHU_XIANG.replace("身先死", "身国死"))
    finding = next(f for f in errors(a) if f.char == "国")
    assert finding.need is Need.PING
    got = suggester.suggest(a, finding, 8)
    assert len(got) == 8
    assert not got[0].polyphone and got[0].char != "不"
    polyphones = [s.polyphone for s in got]
    assert polyphones == sorted(polyphones)  # characters whose every reading fits first
    for s in got:
        info = checker.book.lookup(s.char)
        assert info is not None and info.can_be_ping


# ---------------------------------------------------------------- one fault, named once
def test_a_line_of_the_other_pattern_is_one_fault_at_position_2(checker: Checker) -> None:
    # 蓬萊山下足波潮 is a good 平平仄仄仄平平 line where 仄仄平平仄仄平 belongs: the fault is
    # its 2nd character (失对 with line 1, 失粘 with line 3), not again its 4th and 6th
    a = checker.analyze("洛陽陌上多離別，蓬萊山下足波潮。碧海桑田何處在，笙歌一聽一遙遙。")
    assert {(f.rule, f.line, f.pos) for f in errors(a)} == {
        (Rule.SHI_DUI, 1, 1),
        (Rule.SHI_NIAN, 1, 1),
    }


def test_the_second_half_of_a_zheyao_poem_is_not_wrong_again(checker: Checker) -> None:
    # lines 3-4 follow the other pattern, consistently with each other: one 失粘
    a = checker.analyze("黃昏騎得下天龍，巡遍茅山數十峰。採芝却到蓬萊上，花裏猶殘碧玉鍾。")
    assert [(f.rule, f.line, f.pos) for f in errors(a)] == [(Rule.SHI_NIAN, 2, 1)]
    b = checker.analyze(
        "黃昏騎得下天龍，巡遍茅山數十峰。採芝却到蓬萊上，花裏猶殘碧玉鍾。",
        settings=CheckSettings(zheyao_as_note=True),
    )
    assert errors(b) == [] and [f.rule for f in b.findings if f.rule is Rule.ZHEYAO]


def test_a_couplet_of_the_other_pattern_behind_a_polyphone_is_still_reported(
    checker: Checker,
) -> None:
    """杜甫《詠懷古跡》二: lines 1-2 follow 仄起, the rest 平起; 望 (平 or 仄) leaves the
    relation between lines 2 and 3 open, so no 失粘 is named — the couplet's 2nd
    characters are, once each (not their 4th and 6th again)."""
    a = checker.analyze(
        "搖落深知宋玉悲，風流儒雅亦吾師。悵望千秋一灑淚，蕭條異代不同時。"
        "江山故宅空文藻，雲雨荒臺豈夢思。最是楚宮俱泯滅，舟人指點到今疑。"
    )
    assert [(f.rule, f.line, f.pos) for f in errors(a)] == [(Rule.TONE, 0, 1), (Rule.TONE, 1, 1)]
