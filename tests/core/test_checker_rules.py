"""Every rule of meter-spec §4–5, with poems that keep it and poems that break it.

Famous poems are typed in here; the "broken" variants change one or two characters
so the test knows exactly which rule must fire, where.
"""

from __future__ import annotations

import pytest

from app.prosody.analysis import PoemAnalysis, RhymeMark
from app.prosody.checker import Checker
from app.prosody.findings import Rule, Severity
from app.prosody.forms import PING, ZE, Form
from app.prosody.groups import group_by_name
from app.prosody.settings import CheckSettings

DENG_GUAN_QUE_LOU = "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"
CHUN_WANG = "国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。"
ZAO_FA_BAI_DI = "朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。"
DENG_GAO = (
    "风急天高猿啸哀，渚清沙白鸟飞回。无边落木萧萧下，不尽长江滚滚来。"
    "万里悲秋常作客，百年多病独登台。艰难苦恨繁霜鬓，潦倒新停浊酒杯。"
)
FENG_QIAO = "月落乌啼霜满天，江枫渔火对愁眠。姑苏城外寒山寺，夜半钟声到客船。"
LE_YOU_YUAN = "向晚意不适，驱车登古原。夕阳无限好，只是近黄昏。"
JING_YE_SI = "床前明月光，疑是地上霜。举头望明月，低头思故乡。"
CHUN_XIAO = "春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。"
HUANG_HE_LOU = (
    "昔人已乘黄鹤去，此地空余黄鹤楼。黄鹤一去不复返，白云千载空悠悠。"
    "晴川历历汉阳树，芳草萋萋鹦鹉洲。日暮乡关何处是，烟波江上使人愁。"
)


def rules(a: PoemAnalysis, severity: Severity | None = None) -> list[tuple[Rule, int, int | None]]:
    return [
        (f.rule, f.line, f.pos) for f in a.findings if severity is None or f.severity is severity
    ]


def errors(a: PoemAnalysis) -> list[tuple[Rule, int, int | None]]:
    return rules(a, Severity.ERROR)


@pytest.mark.parametrize(
    ("poem", "form", "qi", "first_rhymes", "group"),
    [
        (DENG_GUAN_QUE_LOU, Form.WUJUE, "仄起", False, "下平十一尤"),
        (CHUN_WANG, Form.WULV, "仄起", False, "下平十二侵"),
        (ZAO_FA_BAI_DI, Form.QIJUE, "平起", True, "上平十五删"),
        (DENG_GAO, Form.QILV, "仄起", True, "上平十灰"),
        (FENG_QIAO, Form.QIJUE, "仄起", True, "下平一先"),
        (LE_YOU_YUAN, Form.WUJUE, "仄起", False, "上平十三元"),
    ],
)
def test_famous_regulated_poems_keep_the_rules(
    checker: Checker, poem: str, form: Form, qi: str, first_rhymes: bool, group: str
) -> None:
    a = checker.analyze(poem)
    assert errors(a) == []
    assert a.form is form
    assert a.qi == qi
    assert a.first_line_rhymes is first_rhymes
    assert a.rhyme_group is not None and a.rhyme_group.name == group
    assert a.complete
    n_han = sum(1 for ch in poem if ch not in "，。")
    assert len(a.chars) == n_han


def test_traditional_input_gives_the_same_verdicts(checker: Checker) -> None:
    trad = "國破山河在，城春草木深。感時花濺淚，恨別鳥驚心。烽火連三月，家書抵萬金。白頭搔更短，渾欲不勝簪。"
    a, b = checker.analyze(CHUN_WANG), checker.analyze(trad)
    assert errors(b) == []
    assert [c.code for c in a.chars] == [c.code for c in b.chars]
    assert a.rhyme_group == b.rhyme_group


def test_shi_dui_and_shi_nian(checker: Checker) -> None:
    a = checker.analyze(JING_YE_SI)  # a 古绝: 举头 breaks both 对 (with 低头) and 粘 (with 疑是)
    found = errors(a)
    assert (Rule.SHI_DUI, 2, 1) in found
    assert (Rule.SHI_NIAN, 2, 1) in found
    f = next(f for f in a.findings if f.rule is Rule.SHI_NIAN)
    assert f.char == "头" and f.expected == "仄" and f.found == "平"
    assert f.message() == "第3句第2字「头」为平，与第2句不粘（失粘）。此处应仄。"
    assert "broken adhesion" in f.message("en")


def test_zheyao_setting_turns_shi_nian_into_a_note(checker: Checker) -> None:
    a = checker.analyze(JING_YE_SI, settings=CheckSettings(zheyao_as_note=True))
    assert (Rule.SHI_NIAN, 2, 1) not in errors(a)
    assert (Rule.ZHEYAO, 2, 1) in rules(a, Severity.NOTE)


def test_one_wrong_character_in_line_one_does_not_paint_the_poem_red(checker: Checker) -> None:
    # 国破 → 国安: line 1's 2nd character turns 平; the vote keeps the poem 仄起.
    a = checker.analyze(CHUN_WANG.replace("国破", "国安"))
    assert a.qi == "仄起"
    assert {line for _, line, _ in errors(a)} == {0}


def test_gu_ping_is_an_error(checker: Checker) -> None:
    a = checker.analyze(DENG_GUAN_QUE_LOU.replace("黄河入海流", "北河入海流"))
    assert (Rule.GU_PING, 1, 2) in errors(a)
    f = next(f for f in a.findings if f.rule is Rule.GU_PING)
    assert "孤平" in f.message()
    assert a.chars[5].severity is Severity.ERROR  # 北 is painted


def test_gu_ping_self_rescue_is_a_note(checker: Checker) -> None:
    a = checker.analyze(DENG_GUAN_QUE_LOU.replace("黄河入海流", "北河东海流"))
    assert errors(a) == []
    assert (Rule.GU_PING_JIU, 1, 2) in rules(a, Severity.NOTE)


def test_san_ping_wei(checker: Checker) -> None:
    a = checker.analyze(DENG_GUAN_QUE_LOU.replace("更上一层楼", "更上千层楼"))
    assert (Rule.SAN_PING_WEI, 3, 2) in errors(a)
    f = next(f for f in a.findings if f.rule is Rule.SAN_PING_WEI)
    assert f.get("tail") == "千层楼"
    assert f.message() == "第4句末三字「千层楼」皆平，犯三平尾。第4句第3字「千」应仄。"


def test_polyphone_does_not_make_san_ping_wei(checker: Checker) -> None:
    # 白云千载空悠悠: 空 reads 平 or 仄 (kòng), and a polyphone satisfies either tone;
    # the famous rule-breaker still breaks other rules.
    a = checker.analyze(HUANG_HE_LOU)
    assert not [f for f in a.findings if f.rule is Rule.SAN_PING_WEI]
    assert errors(a)


def test_san_ze_wei_is_tolerated_unless_asked(checker: Checker) -> None:
    poem = DENG_GUAN_QUE_LOU.replace("欲穷千里目", "欲穷万里目")
    assert rules(checker.analyze(poem)) == []
    a = checker.analyze(poem, settings=CheckSettings(warn_san_ze_wei=True))
    assert (Rule.SAN_ZE_WEI, 2, 2) in rules(a, Severity.WARNING)
    assert errors(a) == []


DA_AO = DENG_GUAN_QUE_LOU.replace("白日依山尽", "白日依海尽")  # 仄仄平仄仄


def test_da_ao_rescued_by_the_next_line(checker: Checker) -> None:
    a = checker.analyze(DA_AO.replace("黄河入海流", "黄河东海流"))  # next line 平平平仄平
    assert errors(a) == []
    assert (Rule.DA_AO_JIU, 0, 3) in rules(a, Severity.NOTE)
    f = next(f for f in a.findings if f.rule is Rule.DA_AO_JIU)
    assert f.get("rescue_char") == "东"


def test_da_ao_unrescued_is_an_error(checker: Checker) -> None:
    a = checker.analyze(DA_AO)
    assert (Rule.DA_AO, 0, 3) in errors(a)
    f = next(f for f in a.findings if f.rule is Rule.DA_AO)
    assert f.message() == "第1句第4字「海」应平而用仄（大拗），对句（第2句）第3字未用平声相救。"


def test_aojiu_forms_become_errors_when_not_accepted(checker: Checker) -> None:
    rescued = DA_AO.replace("黄河入海流", "黄河东海流")
    a = checker.analyze(rescued, settings=CheckSettings(accept_aojiu=False))
    assert (Rule.DA_AO_JIU, 0, 3) in errors(a)


def test_le_you_yuan_polyphone_bu_keeps_the_line(checker: Checker) -> None:
    # 向晚意不适: 不 also reads 平 (尤), so the line is read as 小拗, not 大拗
    a = checker.analyze(LE_YOU_YUAN)
    assert errors(a) == []
    assert (Rule.XIAO_AO, 0, 2) in rules(a, Severity.NOTE)


def test_xiao_ao_is_a_note(checker: Checker) -> None:
    a = checker.analyze(DENG_GUAN_QUE_LOU.replace("白日依山尽", "白日落山尽"))
    assert errors(a) == []
    assert (Rule.XIAO_AO, 0, 2) in rules(a, Severity.NOTE)


def test_te_ao(checker: Checker) -> None:
    a = checker.analyze(DENG_GUAN_QUE_LOU.replace("欲穷千里目", "高楼万山目"))
    assert errors(a) == []
    assert (Rule.TE_AO, 2, 2) in rules(a, Severity.NOTE)
    bad = checker.analyze(DENG_GUAN_QUE_LOU.replace("欲穷千里目", "北楼万山目"))
    assert (Rule.TE_AO, 2, 0) in errors(bad)


def test_fixed_position_tone_error(checker: Checker) -> None:
    # line 2 of 早发白帝城 is 仄仄平平仄仄平; make its 4th character 仄
    a = checker.analyze(ZAO_FA_BAI_DI.replace("江陵", "江水"))
    assert errors(a) == [(Rule.TONE, 1, 3)]
    f = a.errors[0]
    assert f.message() == "第2句第4字「水」为仄，此处应平。"
    assert f.need.value == "平"


def test_chu_yun_names_both_groups(checker: Checker) -> None:
    a = checker.analyze(CHUN_WANG.replace("浑欲不胜簪", "浑欲不胜郎"))
    f = next(f for f in a.findings if f.rule is Rule.CHU_YUN)
    assert (f.line, f.pos, f.char) == (7, 4, "郎")
    assert f.message() == "第8句「郎」属下平七阳，本诗押下平十二侵（出韵）。"
    assert a.chars[-1].rhyme is RhymeMark.OUT


def test_rhyme_group_is_the_one_the_poem_set_out_in(checker: Checker) -> None:
    a = checker.analyze(DENG_GUAN_QUE_LOU.replace("一层楼", "一层台"))
    assert a.rhyme_group is not None and a.rhyme_group.name == "下平十一尤"
    assert (Rule.CHU_YUN, 3, 4) in errors(a)


def test_pinned_rhyme_group(checker: Checker) -> None:
    group = group_by_name("下平七阳")
    assert group is not None
    a = checker.analyze(DENG_GUAN_QUE_LOU, group=group)
    assert a.group_pinned and a.rhyme_group == group
    assert {(r, line) for r, line, _ in errors(a)} == {(Rule.CHU_YUN, 1), (Rule.CHU_YUN, 3)}


def test_first_line_may_borrow_a_neighbouring_group(checker: Checker) -> None:
    a = checker.analyze(ZAO_FA_BAI_DI.replace("彩云间", "彩云天"))  # 天: 下平一先, beside 删
    assert errors(a) == []
    assert (Rule.JIE_LIN_YUN, 0, 6) in rules(a, Severity.NOTE)
    assert a.chars[6].rhyme is RhymeMark.BORROWED


def test_neighbouring_group_elsewhere_is_chu_yun(checker: Checker) -> None:
    a = checker.analyze(DENG_GAO.replace("浊酒杯", "浊酒怀"))  # 怀: 上平九佳, beside 十灰
    assert (Rule.CHU_YUN, 7, 6) in errors(a)


def test_zhuang_yun(checker: Checker) -> None:
    a = checker.analyze(ZAO_FA_BAI_DI.replace("啼不住", "啼不闲"))
    assert (Rule.ZHUANG_YUN, 2, 6) in errors(a)


def test_unrhymed_line_ending_level_is_an_error(checker: Checker) -> None:
    a = checker.analyze(CHUN_WANG.replace("感时花溅泪", "感时花溅红"))
    assert (Rule.LINE_END, 2, 4) in errors(a)


def test_chong_yun_is_a_warning(checker: Checker) -> None:
    a = checker.analyze(CHUN_WANG.replace("浑欲不胜簪", "浑欲不胜心"))
    assert (Rule.CHONG_YUN, 7, 4) in rules(a, Severity.WARNING)
    assert errors(a) == []


def test_repeated_characters_are_light_notes_and_die_zi_is_legitimate(checker: Checker) -> None:
    a = checker.analyze(DENG_GAO)  # 萧萧 滚滚 are 叠字
    assert not [f for f in a.findings if f.rule is Rule.CHONG_ZI]
    b = checker.analyze(JING_YE_SI)
    repeated = [f for f in b.findings if f.rule is Rule.CHONG_ZI]
    assert {f.char for f in repeated} == {"明", "月", "头"}
    assert all(f.severity is Severity.HINT for f in repeated)


def test_mao_yun_only_when_asked(checker: Checker) -> None:
    poem = DENG_GUAN_QUE_LOU.replace("白日依山尽", "白日依楼尽")  # 楼 (尤) inside a line
    assert not [f for f in checker.analyze(poem).findings if f.rule is Rule.MAO_YUN]
    a = checker.analyze(poem, settings=CheckSettings(mao_yun=True))
    mao = [(f.rule, f.line, f.pos, f.severity) for f in a.findings if f.rule is Rule.MAO_YUN]
    assert mao == [(Rule.MAO_YUN, 0, 3, Severity.HINT)]  # rhyme positions are never 冒韵


def test_ze_yun_poems_are_treated_as_gu_ti(checker: Checker) -> None:
    a = checker.analyze(CHUN_XIAO)
    assert a.ze_yun
    assert errors(a) == []
    f = next(f for f in a.findings if f.rule is Rule.ZE_YUN)
    assert f.message() == "韵脚为仄声（仄韵），不按近体检查：此诗按古体看待，不标平仄错误。"
    assert a.summary_zh == "五绝，仄韵，不按近体检查" and "合律" not in a.summary_zh


def test_dui_zhang_hints(checker: Checker) -> None:
    assert not [f for f in checker.analyze(DENG_GAO).findings if f.rule is Rule.DUI_ZHANG]
    loose = CHUN_WANG.replace("感时花溅泪，恨别鸟惊心", "人言秋可悲，我独爱秋心")
    hints = [f for f in checker.analyze(loose).findings if f.rule is Rule.DUI_ZHANG]
    assert hints and hints[0].severity is Severity.HINT and hints[0].get("couplet") == "颔联"
    # 绝句 need no 对仗
    assert not [f for f in checker.analyze(JING_YE_SI).findings if f.rule is Rule.DUI_ZHANG]


def test_length_errors(checker: Checker) -> None:
    a = checker.analyze("白日依山尽，黄河入海流。欲穷千里目，更上一层高楼。")
    assert (Rule.LENGTH, 3, None) in errors(a)
    assert not a.complete
    b = checker.analyze("白日依山尽，黄河入海流。欲穷千里目。")
    assert any(r is Rule.LENGTH for r, _, _ in errors(b))


def test_partial_poem_while_typing(checker: Checker) -> None:
    typing = CheckSettings(partial=True)
    a = checker.analyze("白日依山尽，黄河入", settings=typing)
    assert errors(a) == []
    assert a.form is Form.WUJUE and len(a.chars) == 8
    assert [c.expected.value for c in a.chars[5:]] == ["⊙", "平", "⊙"]


def test_polyphones_fit_either_tone_and_pins_choose_one(checker: Checker) -> None:
    # 看 is 平 (寒) and 仄 (翰): at a 仄 position it is fine
    poem = "白日看山尽，黄河入海流。欲穷千里目，更上一层楼。"
    a = checker.analyze(poem)
    kan = a.chars[2]
    assert kan.char == "看" and kan.is_polyphone
    pinned = checker.analyze(poem, pins={2: PING})
    assert pinned.chars[2].code == PING and pinned.chars[2].pinned
    pinned_ze = checker.analyze("白看依山尽，黄河入海流。欲穷千里目，更上一层楼。", pins={1: PING})
    assert (Rule.SHI_DUI, 0, 1) in errors(pinned_ze) or any(
        line == 0 for _, line, _ in errors(pinned_ze)
    )
    free = checker.analyze("白看依山尽，黄河入海流。欲穷千里目，更上一层楼。", pins={1: ZE})
    assert errors(free) == []


def test_ru_sheng_is_flagged(checker: Checker) -> None:
    a = checker.analyze(CHUN_WANG)
    guo = a.chars[0]
    assert guo.char == "国" and guo.is_ru and guo.code == ZE and guo.tone_zh == "入"


def test_strict_135(checker: Checker) -> None:
    strict = CheckSettings(strict_135=True)
    a = checker.analyze(CHUN_WANG, settings=strict)
    warnings = [f for f in a.findings if f.rule is Rule.TONE and f.severity is Severity.WARNING]
    assert warnings  # 国破山河在: 国 is 仄 where the standard line has 仄? 城春草木深 … some free positions deviate
    assert errors(a) == []


def test_pinned_form(checker: Checker) -> None:
    a = checker.analyze(DENG_GUAN_QUE_LOU, form=Form.WULV)
    assert a.form is Form.WULV and a.form_pinned
    assert any(r is Rule.LENGTH for r, _, _ in errors(a))


def test_unpunctuated_run_is_split_by_shape(checker: Checker) -> None:
    a = checker.analyze("白日依山尽黄河入海流欲穷千里目更上一层楼")
    assert a.form is Form.WUJUE and len(a.lines) == 4 and errors(a) == []


def test_offsets_point_into_the_text(checker: Checker) -> None:
    text = "  白日依山尽，\n黄河「入海」流。欲穷千里目，更上一层楼。🌕"
    a = checker.analyze(text)
    for c in a.chars:
        assert text[c.offset] == c.char
    assert errors(a) == []
    assert a.char_at_offset(text.index("入")) is not None
    assert a.char_at_offset(0) is None


def test_every_finding_has_bilingual_messages(checker: Checker) -> None:
    poems = [
        JING_YE_SI,
        HUANG_HE_LOU,
        CHUN_XIAO,
        LE_YOU_YUAN,
        ZAO_FA_BAI_DI.replace("啼不住", "啼不闲"),
    ]
    settings = CheckSettings(warn_san_ze_wei=True, mao_yun=True, strict_135=True)
    for poem in poems:
        for f in checker.analyze(poem, settings=settings).findings:
            zh, en = f.message("zh"), f.message("en")
            assert zh and en and zh != en
            assert "{" not in zh and "{" not in en
