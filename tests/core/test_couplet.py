"""对联 (meter-spec §10): each rule with a famous couplet that keeps it and one that breaks
it, a 长联, recognition, both kinds of rhyme book, the scores, assignments."""

from __future__ import annotations

import pytest

from app.assign.codec import from_json, to_json
from app.assign.couplet import couplet_template
from app.assign.grading import Status, grade_submission
from app.assign.intake import Submission
from app.assign.model import Assignment, RhymeRequirement
from app.assign.sheet import sheet_content, sheet_text
from app.prosody.analysis import PoemAnalysis
from app.prosody.books import BookKind
from app.prosody.books.shelf import Shelf
from app.prosody.couplet.analysis import CoupletAnalysis
from app.prosody.couplet.rules import ma_ti, rhythm_points
from app.prosody.findings import Rule, Severity
from app.prosody.forms import PING, ZE, Form
from app.prosody.scorer import aggregate, score
from app.prosody.settings import CheckSettings
from app.prosody.tones import Level

PINGSHUI, TONGYUN = BookKind.PINGSHUI, BookKind.TONGYUN
BOTH = [PINGSHUI, TONGYUN]

# 王勃《送杜少府之任蜀州》's couplet
HAINEI = "海内存知己，天涯若比邻。"
# 韩愈 (attributed): the study couplet
SHUSHAN = "书山有路勤为径\n学海无涯苦作舟"
# 顾宪成, 东林书院: a 长联 of two clauses a side, its repetitions mirrored (声 / 事)
DONGLIN = "风声雨声读书声，声声入耳；家事国事天下事，事事关心。"
# 蒲松龄's motto: four clauses a side, the endings in 马蹄韵 (仄平平仄 / 平仄仄平)
PU = "有志者，事竟成，破釜沉舟，百二秦关终属楚；苦心人，天不负，卧薪尝胆，三千越甲可吞吴。"


def check(shelf: Shelf, kind: BookKind, text: str, **kw: object) -> PoemAnalysis:
    return shelf.checker(kind).analyze(text, **kw)  # type: ignore[arg-type]


def rules_of(a: PoemAnalysis, severity: Severity | None = None) -> list[Rule]:
    return [f.rule for f in a.findings if severity is None or f.severity is severity]


# ---------------------------------------------------------------- recognition
@pytest.mark.parametrize("kind", BOTH)
@pytest.mark.parametrize("text", [HAINEI, SHUSHAN, DONGLIN, PU])
def test_famous_couplets_are_recognised_and_keep_the_rules(
    shelf: Shelf, kind: BookKind, text: str
) -> None:
    a = check(shelf, kind, text)
    assert isinstance(a, CoupletAnalysis) and a.form is Form.DUILIAN and not a.form_pinned
    assert a.rhyme_group is None and a.rhyme_slots == () and a.complete
    errors = [f.message() for f in a.errors]
    if kind is TONGYUN and text == PU:  # 不 is 仄 today, 竟 too: the two sides clash there
        assert [f.rule for f in a.errors] == [Rule.COUPLET_TONE]
    else:
        assert errors == []


def test_what_is_and_is_not_a_couplet(shelf: Shelf) -> None:
    c = shelf.checker(PINGSHUI)
    assert c.analyze("海内存知己\n天涯若比邻").form is Form.DUILIAN
    # while typing, two 5- or 7-character lines are a 绝句 under way
    typing = CheckSettings(partial=True)
    assert c.analyze("海内存知己\n天涯若比邻", settings=typing).form is Form.WUJUE
    assert c.analyze("书山有路勤为径学\n学海无涯苦作舟书", settings=typing).form is Form.DUILIAN
    # a 绝句 on two lines rhymes at line 2: not a couplet
    assert c.analyze("白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。").form is Form.WUJUE
    # three lines, unequal sides, too short a side
    assert c.analyze("床前明月光\n疑是地上霜\n举头望明月").form is not Form.DUILIAN
    assert c.analyze("海内存知己\n天涯若比邻兮").form is not Form.DUILIAN
    assert c.analyze("海内\n天涯").form is not Form.DUILIAN
    # labels and a 横批 are not part of the couplet
    a = c.analyze("上联：一帆风顺年年好\n下联：万事如意步步高\n横批：万象更新")
    assert isinstance(a, CoupletAnalysis)
    assert [ln.text.chars for ln in a.lines] == ["一帆风顺年年好", "万事如意步步高"]


def test_a_pinned_couplet_is_read_whatever_its_shape(shelf: Shelf) -> None:
    c = shelf.checker(PINGSHUI)
    a = c.analyze("海内存知己", form=Form.DUILIAN)
    assert isinstance(a, CoupletAnalysis) and a.form_pinned and a.split == 1
    assert [f.rule for f in a.errors] == [Rule.LENGTH]  # no 下联
    assert not c.analyze(
        "海内存知己", form=Form.DUILIAN, settings=CheckSettings(partial=True)
    ).errors
    empty = c.analyze("   ", form=Form.DUILIAN)
    assert empty.form is Form.DUILIAN and not empty.chars


# ---------------------------------------------------------------- each rule
@pytest.mark.parametrize("kind", BOTH)
def test_length(shelf: Shelf, kind: BookKind) -> None:
    assert not check(shelf, kind, SHUSHAN, form=Form.DUILIAN).errors
    a = check(shelf, kind, "书山有路勤为径\n学海无涯苦作小舟", form=Form.DUILIAN)
    [f] = [f for f in a.errors if f.rule is Rule.LENGTH]
    assert f.message() == "下联8字，上联对应处7字，应当一样长。"
    b = check(shelf, kind, "有志者，事竟成；苦心人，天不负，卧薪尝胆", form=Form.DUILIAN)
    length = next(f for f in b.errors if f.rule is Rule.LENGTH)
    assert "上联2个分句，下联3个分句" in length.message()


@pytest.mark.parametrize("kind", BOTH)
def test_ends_ze_then_ping(shelf: Shelf, kind: BookKind) -> None:
    """联脚: 王勃's 己 (仄) and 邻 (平); written the other way round both ends are wrong."""
    a = check(shelf, kind, "天涯若比邻\n海内存知己", form=Form.DUILIAN)
    ends = [(f.rule, f.line, f.char) for f in a.errors]
    assert ends == [(Rule.LINE_END, 0, "邻"), (Rule.LINE_END, 1, "己")]
    assert a.errors[0].message() == "上联第5字「邻」为平声；上联应以仄声收尾（仄收）。"
    assert a.errors[1].message() == "下联第5字「己」为仄声；下联应以平声收尾（平收）。"
    assert "must end oblique" in a.errors[0].message("en")


@pytest.mark.parametrize("kind", BOTH)
def test_tones_opposed_at_the_rhythm_points(shelf: Shelf, kind: BookKind) -> None:
    """书山 / 学海: 山 平 against 海 仄; a 下联 with 江 (平) there clashes."""
    a = check(shelf, kind, "书山有路勤为径\n学江无涯苦作舟")
    [f] = a.errors
    assert (f.rule, f.line, f.pos, f.char) == (Rule.COUPLET_TONE, 1, 1, "江")
    assert f.marks == ((0, 1), (1, 1))
    assert f.message() == (
        "下联第2字「江」为平，与上联「山」同声；节奏点上下联平仄应相对，此处宜仄。"
    )
    assert rhythm_points(7) == (1, 3, 5, 6) and rhythm_points(4) == (1, 3)


@pytest.mark.parametrize("kind", BOTH)
def test_ma_ti_order_of_clause_endings(shelf: Shelf, kind: BookKind) -> None:
    """蒲松龄's motto ends its clauses 仄平平仄 / 平仄仄平; swapping the second clauses keeps
    the sides opposed but breaks the 马蹄韵 (a warning)."""
    assert ma_ti(4, 0) == (ZE, PING, PING, ZE) and ma_ti(4, 1) == (PING, ZE, ZE, PING)
    assert ma_ti(2, 0) == (PING, ZE) and ma_ti(5, 0) == (ZE, ZE, PING, PING, ZE)
    swapped = PU.replace("事竟成", "□").replace("天不负", "事竟成").replace("□", "天不负")
    a = check(shelf, kind, swapped)
    [f] = [f for f in a.findings if f.rule is Rule.MA_TI]
    assert f.severity is Severity.WARNING and (f.line, f.char) == (1, "负")
    assert not [g for g in check(shelf, kind, PU).findings if g.rule is Rule.MA_TI]


@pytest.mark.parametrize("kind", BOTH)
def test_no_three_level_tones_ending_the_second_line(shelf: Shelf, kind: BookKind) -> None:
    a = check(shelf, kind, "书山有路勤为径\n学海无涯浮孤舟")
    [f] = [f for f in a.errors if f.rule is Rule.SAN_PING_WEI]
    assert f.line == 1 and f.char == "浮" and f.marks == ((1, 4), (1, 5), (1, 6))
    assert not [g for g in check(shelf, kind, SHUSHAN).findings if g.rule is Rule.SAN_PING_WEI]


@pytest.mark.parametrize("kind", BOTH)
def test_lonely_level_tone_is_a_warning(shelf: Shelf, kind: BookKind) -> None:
    a = check(shelf, kind, "海内存知己\n万山在眼前")
    [f] = [f for f in a.findings if f.rule is Rule.GU_PING]
    assert f.severity is Severity.WARNING and f.line == 1
    assert not a.errors
    assert not [g for g in check(shelf, kind, HAINEI).findings if g.rule is Rule.GU_PING]


@pytest.mark.parametrize(
    "text",
    [
        "感时花溅泪\n恨别鸟惊心",  # 杜甫《春望》: 仄仄仄平平, the 平 beside the last one
        "白发三千丈\n缘愁似个长",  # 李白: 平平仄仄平 in any book
        "国破山河在\n城春草木深",
    ],
)
def test_a_level_tone_beside_the_last_is_not_lonely(shelf: Shelf, text: str) -> None:
    """孤平 is a 平 standing alone among 仄 (仄平仄仄平); a clause ending 平平 (仄仄仄平平, the
    ⊙仄仄平平 of regulated verse) keeps two 平 together, in every book."""
    for kind in BOTH:
        a = check(shelf, kind, text)
        assert not [f for f in a.findings if f.rule is Rule.GU_PING], (kind, text)
    # a lone 平 away from the last one still is: 仄平仄仄平 and 仄仄平仄仄仄平
    for kind in BOTH:
        for lone in ("海内存知己\n万山在眼前", "白日依山尽\n欲穷万里流"):
            got = [f for f in check(shelf, kind, lone).findings if f.rule is Rule.GU_PING]
            assert got, (kind, lone)


@pytest.mark.parametrize("kind", BOTH)
def test_antithesis_by_the_parallelism_scorer(shelf: Shelf, kind: BookKind) -> None:
    a = check(shelf, kind, SHUSHAN)
    assert isinstance(a, CoupletAnalysis) and a.antithesis[0] >= 0.5
    assert not [f for f in a.findings if f.rule is Rule.DUI_ZHANG]
    b = check(shelf, kind, "书山有路勤为径\n明月何时照我还")
    [f] = [f for f in b.findings if f.rule is Rule.DUI_ZHANG]
    assert f.severity is Severity.WARNING and "对仗不工" in f.message()


@pytest.mark.parametrize("kind", BOTH)
def test_repeated_characters_only_in_mirror(shelf: Shelf, kind: BookKind) -> None:
    """东林书院: 声 five times above, 事 five times below, in the same places: fine. A
    character in both lines, or repeated on one side only, is not."""
    assert not [f for f in check(shelf, kind, DONGLIN).findings if f.rule is Rule.CHONG_ZI]
    a = check(shelf, kind, "海内存知己\n天涯若知音")
    [f] = [f for f in a.findings if f.rule is Rule.CHONG_ZI]
    assert (f.line, f.char, f.severity) == (1, "知", Severity.WARNING)
    b = check(shelf, kind, "风声雨声读书声，声声入耳；家事国事天下事，人人关心。")
    flagged = {f.char for f in b.findings if f.rule is Rule.CHONG_ZI}
    assert "声" in flagged and "人" in flagged  # 人人 faces 声声 but 声 repeats elsewhere


def test_the_long_couplet_in_full(shelf: Shelf) -> None:
    a = check(shelf, PINGSHUI, PU)
    assert isinstance(a, CoupletAnalysis) and a.is_long and a.split == 4
    assert [len(ln.text.chars) for ln in a.lines] == [3, 3, 4, 7, 3, 3, 4, 7]
    assert a.summary_zh == "长联（每边4个分句），合律"
    assert a.pairs == ((0, 4), (1, 5), (2, 6), (3, 7))
    # the templates: ends by 马蹄韵, the 下联's rhythm points opposed to the 上联
    assert a.lines[3].expected[-1] is Level.ZE and a.lines[7].expected[-1] is Level.PING
    assert a.lines[4].expected[-1] is Level.PING and a.lines[5].expected[-1] is Level.ZE
    assert all(c.rhyme.value == "" for c in a.chars)


def test_today_and_classically(shelf: Shelf) -> None:
    """The same couplet in both kinds of book: 蒲松龄's 不 (平 in the 平水韵 as fǒu too) and
    竟 clash today; the note says which book it keeps."""
    a = check(shelf, TONGYUN, PU)
    assert [f.char for f in a.errors] == ["不"]
    [note] = [f for f in a.findings if f.rule is Rule.OTHER_BOOK]
    assert note.get("books") == "平水韵"


# ---------------------------------------------------------------- the scores
def test_scores_of_a_couplet(shelf: Shelf) -> None:
    c = shelf.checker(PINGSHUI)
    good = score(c.analyze(SHUSHAN), c.lexicon)
    assert not good.rhymes_apply and good.as_dict()["rhymes"] is None
    assert good.tone_units == (8, 8) and good.line_units == (1, 1)
    assert good.couplet_units == (1, 1) and good.total == pytest.approx(100.0)
    bad = score(c.analyze("书山有路勤为径\n学江无涯苦作舟"), c.lexicon)
    assert bad.tone_units == (6, 8)  # the clash paints both 山 and 江
    assert bad.base == pytest.approx((0.4 * 75 + 0.2 * 100 + 0.1 * 100) / 0.7)
    assert bad.errors == 1 and bad.total < bad.base  # the error costs its points too
    long = score(c.analyze(PU), c.lexicon)
    assert long.line_units == (4, 4) and long.couplet_units[1] == 4
    # a collection: the couplets leave the rhyme mean to the poems
    poem = score(c.analyze("白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"), c.lexicon)
    agg = aggregate([good, poem])
    assert agg.rhymes == pytest.approx(poem.rhymes)
    # couplets alone have no rhyme mean: None (null, "—"), not a free 100
    only = aggregate([good, long])
    assert only.rhymes is None and only.as_dict()["rhymes"] is None


# ---------------------------------------------------------------- assignments
def test_a_couplet_assignment_with_a_given_first_line(shelf: Shelf) -> None:
    a = Assignment("对下联", Form.DUILIAN, couplet_first="书山有路勤为径", book=TONGYUN)
    assert a.problems() == []
    assert from_json(to_json(a)) == a
    book = shelf.book(TONGYUN)
    content = sheet_content(a, book)
    assert [ln.given for ln in content.lines] == ["书山有路勤为径", ""]
    assert content.lines[0].template == "⊙平⊙仄⊙平仄"
    # the 下联's template: opposite the given line's definite tones (为 reads wéi or wèi:
    # free there)
    assert content.lines[1].template == "⊙仄⊙平⊙⊙平"
    text = sheet_text(content)
    assert "出句（上联）：「书山有路勤为径」，请对出下联" in text
    assert "用韵" not in text and "韵书：中华通韵" in text
    checker = shelf.checker(TONGYUN)
    good = grade_submission(Submission("甲", "a.txt", SHUSHAN), a, checker)
    assert good.status is Status.GRADED and good.grade == 100.0
    other = grade_submission(Submission("乙", "b.txt", "书山无路勤为径\n学海无涯苦作舟"), a,
                             checker)  # fmt: skip
    assert other.status is Status.GRADED
    assert [r.kind.value for r in other.unmet] == ["given_line"]
    poem = grade_submission(Submission("丙", "c.txt", "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"),
                            a, checker)  # fmt: skip
    assert poem.status is Status.WRONG_FORM


def test_a_couplet_assignment_of_a_set_length(shelf: Shelf) -> None:
    a = Assignment("春联", Form.DUILIAN, couplet_length=9)
    text = sheet_text(sheet_content(a, shelf.book(PINGSHUI)))
    assert "上下联各9字" in text
    assert couplet_template(9, 0) in text and couplet_template(9, 1) in text
    assert Assignment("x", Form.DUILIAN, couplet_length=20).problems()
    grouped = Assignment("x", Form.DUILIAN, rhyme=RhymeRequirement(0))
    assert any("对联不押韵" in p.zh for p in grouped.problems())


def test_a_settled_reading_is_placed_by_side_and_clause(shelf: Shelf) -> None:
    """The hint on a reading the words settle names the side (and clause of a 长联), as every
    couplet finding does, not 第2句."""
    from app.prosody.messages import render

    a = check(shelf, TONGYUN, "爆竹一声除旧\n桃符万户更新")
    [hint] = [f for f in a.findings if f.rule is Rule.CONTEXT_READING]
    assert render(hint) == (
        "下联第5字「更」在「更新」中读 gēng（平），按此读音检查（据 pypinyin 词语读音）。"
    )
    assert render(hint, "en").startswith("Second line, character 5 「更」 reads gēng (level)")
    long = check(shelf, TONGYUN, "风声雨声读书声，声声入耳；家事国事天下事，长长关心。")
    places = [render(f) for f in long.findings if f.rule is Rule.CONTEXT_READING]
    assert places and all(p.startswith("下联第2分句") for p in places), places
