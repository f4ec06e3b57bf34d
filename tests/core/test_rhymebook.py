"""The bundled 平水韵 rhyme book and its lookup API, on the real data."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.bundled import resource
from app.prosody.chars import CharInfo
from app.prosody.groups import GROUPS, RhymeGroup, group_by_name
from app.prosody.rhymebook import RhymeBook, RhymeBookError
from app.prosody.rhymebook.encoding import decode_readings, encode_readings
from app.prosody.rhymebook.guess import cantonese_readings, cantonese_tone, guess_readings
from app.prosody.rhymebook.rows import SortedRows
from app.prosody.tones import (
    PING_BIT,
    RU_BIT,
    UNCERTAIN_BIT,
    ZE_BIT,
    GuessMethod,
    Source,
    Tone,
)

CLASS_BITS = PING_BIT | ZE_BIT | RU_BIT
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rb() -> RhymeBook:
    return RhymeBook.load()


def group(name: str) -> RhymeGroup:
    g = group_by_name(name)
    assert g is not None, name
    return g


def info(rb: RhymeBook, ch: str) -> CharInfo:
    found = rb.lookup(ch)
    assert found is not None, ch
    return found


# ---------------------------------------------------------------- book facts
def test_dong_is_in_upper_ping_one(rb: RhymeBook) -> None:
    dong = group("上平一东")
    for ch in "东東":
        ci = info(rb, ch)
        assert ci.group_ids == {dong.id}
        assert ci.source is Source.BOOK and not ci.uncertain
        assert ci.can_be_ping and not ci.can_be_ze
    assert info(rb, "东").traditional == ("東",)
    assert [r.via for r in info(rb, "东").readings] == ["東"]
    assert info(rb, "東").traditional == ()


def test_ting_is_a_polyphone_through_its_traditional_form_not_the_rare_homograph(
    rb: RhymeBook,
) -> None:
    ci = info(rb, "听")
    assert ci.is_polyphone
    assert ci.traditional == ("聽",)
    assert {r.via for r in ci.readings} == {"聽"}
    assert ci.group_ids == {group("下平九青").id, group("去声二十五径").id}
    # The book's own 听 (yǐn) sits in 十二文 and 十二吻: not used for 听.
    assert group("上平十二文").id not in ci.group_ids
    assert "听" in rb.group_chars(group("上平十二文").id, "traditional")
    assert "听" not in rb.group_chars(group("上平十二文").id, "simplified")
    assert "听" in rb.group_chars(group("下平九青").id, "simplified")


def test_fa_unites_both_traditional_forms(rb: RhymeBook) -> None:
    ci = info(rb, "发")
    assert ci.traditional == ("發", "髮")
    assert {r.via for r in ci.readings} == {"發", "髮"}
    assert all(r.tone is Tone.RU for r in ci.readings)
    for ch in "發髮":
        assert info(rb, ch).is_ru


def test_simplified_union_of_traditional_forms(rb: RhymeBook) -> None:
    hou = info(rb, "后")
    assert set(hou.traditional) == {"後", "后"}
    assert {r.via for r in hou.readings} == {"後", ""}
    gan = info(rb, "干")
    assert {"幹", "乾", "干"} <= set(gan.traditional)
    # 乾 qián (一先, 平) comes in through the union, 幹 gàn (十五翰, 去) too.
    assert group("下平一先").id in gan.group_ids
    assert group("去声十五翰").id in gan.group_ids
    assert gan.is_polyphone


@pytest.mark.parametrize("ch", "国学一白十竹说")
def test_entering_tone_characters(rb: RhymeBook, ch: str) -> None:
    ci = info(rb, ch)
    assert ci.is_ru and rb.mask(ch) & RU_BIT
    assert ci.can_be_ze
    assert ci.source is Source.BOOK


@pytest.mark.parametrize("ch", "看思过望中为重教")
def test_polyphones(rb: RhymeBook, ch: str) -> None:
    ci = info(rb, ch)
    assert ci.is_polyphone
    assert rb.mask(ch) & (PING_BIT | ZE_BIT) == PING_BIT | ZE_BIT


def test_variant_spellings_reach_the_book(rb: RhymeBook) -> None:
    # The book writes 為 and 床; OpenCC's standard forms are 爲 and 牀.
    for ch in "为爲為":
        ci = info(rb, ch)
        assert ci.source is Source.BOOK and ci.is_polyphone
        assert group("上平四支").id in ci.group_ids
    assert info(rb, "床").group_ids == {group("下平七阳").id}
    assert info(rb, "牀").group_ids == {group("下平七阳").id}


def test_traditional_and_simplified_give_the_same_tone_classes(rb: RhymeBook) -> None:
    for pair in ["东東", "听聽", "国國", "学學", "说說", "过過", "风風", "时時", "门門", "长長"]:
        s, t = pair[0], pair[1]
        assert rb.mask(s) & CLASS_BITS == rb.mask(t) & CLASS_BITS, (s, t)
    # Every book member whose simplified form has just that one traditional form.
    compared = 0
    for g in GROUPS:
        for t in rb.group_chars(g.id, "traditional"):
            s = rb.to_simplified(t)
            if s == t or info(rb, s).traditional != (t,):
                continue
            if info(rb, t).traditional not in ((), (t,)):
                continue  # t is itself a simplified form of something else (苧 → 薴)
            compared += 1
            assert rb.mask(s) & CLASS_BITS == rb.mask(t) & CLASS_BITS, (s, t)
    assert compared > 2000


# ---------------------------------------------------------------- outside the book
def test_characters_missing_from_the_book_are_derived(rb: RhymeBook) -> None:
    ti, huan = info(rb, "啼"), info(rb, "浣")
    for ci in (ti, huan):
        assert ci.source is Source.DERIVED
        assert ci.uncertain and rb.mask(ci.char) & UNCERTAIN_BIT
    assert ti.group_ids == {group("上平八齐").id}
    assert group("上声十四旱").id in huan.group_ids


def test_unknown_han_characters_get_a_labelled_guess(rb: RhymeBook) -> None:
    hu = info(rb, "蝴")  # not in the book nor in 《廣韻》: Cantonese wu4 (陽平)
    assert hu.source is Source.GUESSED and hu.uncertain
    assert all(r.group_id == -1 for r in hu.readings)
    assert hu.can_be_ping and not hu.can_be_ze
    assert hu.guess is GuessMethod.CANTONESE


# ---------------------------------------------------------------- the Cantonese tier
def test_modern_characters_resolve_through_cantonese_as_labelled_guesses(rb: RhymeBook) -> None:
    yang = info(rb, "氧")  # joeng5: 陽上 → 上, 仄 (Mandarin yǎng agrees)
    assert [(r.tone, r.group_id, r.source, r.guess) for r in yang.readings] == [
        (Tone.SHANG, -1, Source.GUESSED, GuessMethod.CANTONESE)
    ]
    assert yang.can_be_ze and not yang.can_be_ping and not yang.is_ru
    assert yang.uncertain and rb.mask("氧") == ZE_BIT | UNCERTAIN_BIT
    assert yang.guess is GuessMethod.CANTONESE and yang.guess.zh == "粤语推测"
    a = info(rb, "啊")  # aa3: 陰去 → 仄; Mandarin would make it a polyphone (a1 … a4)
    assert a.guess is GuessMethod.CANTONESE and a.uncertain
    assert a.can_be_ze and not a.is_polyphone
    men = info(rb, "们")  # through its traditional form 們 (mun4, 陽平)
    assert men.traditional == ("們",)
    assert [(r.tone, r.via, r.guess) for r in men.readings] == [
        (Tone.PING, "們", GuessMethod.CANTONESE)
    ]


@pytest.mark.parametrize("ch", "碟氟")
def test_cantonese_keeps_the_entering_tone_that_mandarin_lost(rb: RhymeBook, ch: str) -> None:
    # 碟 dip6 (dié in Mandarin, 2nd tone), 氟 fat1 (fú): stop endings make them 入.
    ci = info(rb, ch)
    assert ci.guess is GuessMethod.CANTONESE
    assert ci.is_ru and ci.can_be_ze and not ci.can_be_ping
    assert rb.mask(ch) == ZE_BIT | RU_BIT | UNCERTAIN_BIT
    mandarin = guess_readings(ch)  # what the last resort would have said
    assert mandarin and all(r.tone is Tone.PING for r in mandarin)
    assert all(r.guess is GuessMethod.MANDARIN for r in mandarin)


def test_mandarin_stays_the_last_resort(rb: RhymeBook) -> None:
    ai = info(rb, "砹")  # astatine: in GB2312, unknown to the book, 《廣韻》 and Cantonese
    assert ai.source is Source.GUESSED and ai.guess is GuessMethod.MANDARIN
    assert [r.tone for r in ai.readings] == [Tone.QU]
    runtime = RhymeBook.load().lookup("𠀁")  # outside the table: guessed on demand
    assert runtime is not None and runtime.uncertain
    assert all(r.guess is GuessMethod.MANDARIN for r in runtime.readings)


@pytest.mark.parametrize(
    ("syllable", "tone"),
    [
        ("aa1", Tone.PING), ("mun4", Tone.PING), ("m4", Tone.PING),
        ("gong2", Tone.SHANG), ("joeng5", Tone.SHANG), ("ng5", Tone.SHANG),
        ("hei3", Tone.QU), ("daan6", Tone.QU),
        ("fat1", Tone.RU), ("gwok3", Tone.RU), ("sik6", Tone.RU), ("zaap3", Tone.RU),
        ("JOENG5", Tone.SHANG),
    ],
)  # fmt: skip
def test_jyutping_tone_numbers_map_to_rhyme_book_tones(syllable: str, tone: Tone) -> None:
    assert cantonese_tone(syllable) is tone


@pytest.mark.parametrize("text", ["", "aa", "aa7", "aa0", "joeng5 hei3", "5", "氧"])
def test_malformed_jyutping_gives_no_tone(text: str) -> None:
    assert cantonese_tone(text) is None


def test_cantonese_readings_of_several_tone_classes_make_a_polyphone() -> None:
    readings = cantonese_readings(["kaa1", "kaa3", "kaat1", "kaa3"], via="卡")
    assert [r.tone for r in readings] == [Tone.PING, Tone.QU, Tone.RU]
    assert {(r.group_id, r.source, r.via, r.guess) for r in readings} == {
        (-1, Source.GUESSED, "卡", GuessMethod.CANTONESE)
    }
    assert CharInfo("卡", readings).is_polyphone
    assert CharInfo("卡", readings).uncertain


def test_gb2312_level_one_rests_on_a_mandarin_guess_for_at_most_one_percent(
    rb: RhymeBook,
) -> None:
    level1 = [  # GB2312 0xB0A1–0xD7F9
        bytes([hi, lo]).decode("gb2312")
        for hi in range(0xB0, 0xD8)
        for lo in range(0xA1, 0xFF)
        if (hi << 8) | lo <= 0xD7F9
    ]
    assert len(level1) == 3755
    by_method: dict[str, int] = {}
    for ch in level1:
        ci = info(rb, ch)
        assert ci.readings, ch  # every one resolves
        key = ci.guess.name if ci.guess is not None else ci.source.name
        by_method[key] = by_method.get(key, 0) + 1
    assert by_method.get("MANDARIN", 0) <= len(level1) // 100
    assert by_method["BOOK"] > 3400 and by_method["CANTONESE"] > 0


# ---------------------------------------------------------------- own readings (§1 rule)
def test_bing_keeps_its_own_readings_besides_its_traditional_forms(rb: RhymeBook) -> None:
    bing = info(rb, "并")
    assert bing.is_polyphone and bing.source is Source.BOOK
    own = {(r.group_id, r.source) for r in bing.readings if r.via == ""}
    assert own == {
        (group("下平八庚").id, Source.BOOK),  # 并州 bīng
        (group("去声二十四敬").id, Source.BOOK),  # 兼并 bìng
    }
    assert set(bing.traditional) == {"並", "併", "幷", "并"}
    assert "并" in rb.group_chars(group("下平八庚").id, "simplified")


@pytest.mark.parametrize(("ch", "groups"), [
    ("洼", ["上平九佳", "下平六麻"]), ("沄", ["上平十二文", "上平十三元"]),
    ("么", ["下平二萧"]), ("苧", ["上声六语"]), ("昵", ["上声八荠", "入声四质"]),
])  # fmt: skip
def test_reviewed_characters_keep_their_own_book_readings(
    rb: RhymeBook, ch: str, groups: list[str]
) -> None:
    ci = info(rb, ch)
    assert ch in ci.traditional
    own = {r.group_id for r in ci.readings if r.via == "" and r.source is Source.BOOK}
    assert own == {group(name).id for name in groups}


@pytest.mark.parametrize(("ch", "forms"), [
    ("机", ("機",)), ("坏", ("壞",)), ("听", ("聽",)), ("洁", ("潔", "絜")),
])  # fmt: skip
def test_rare_homographs_stay_out(rb: RhymeBook, ch: str, forms: tuple[str, ...]) -> None:
    ci = info(rb, ch)
    assert ci.traditional == forms
    assert all(r.via in forms for r in ci.readings)
    assert ch in {c for g in GROUPS for c in rb.group_chars(g.id, "traditional")}


def test_cjk_extension_characters_do_not_raise() -> None:
    book = RhymeBook.load()
    for ch in ["𠀀", "𪚥", "\U0002b740", "\U0002ebf0", "\U00030000", "\U00031350", "㐀"]:
        ci = book.lookup(ch)
        assert ci is not None and ci.char == ch
        assert book.mask(ch) == ci.mask
        assert ci.mask & UNCERTAIN_BIT or ci.source is not Source.GUESSED
    assert book.stats["runtime_guesses"] >= 1


def test_compatibility_ideograph_resolves_like_its_unified_form(rb: RhymeBook) -> None:
    compat = "\uf900"  # 豈 (CJK COMPATIBILITY IDEOGRAPH-F900)
    assert rb.is_han(compat)
    assert info(rb, compat).readings == info(rb, "豈").readings
    assert rb.mask(compat) == rb.mask("豈")


@pytest.mark.parametrize("text", ["A", "1", "，", "。", " ", "ア", "한", "", "中国", "\n"])
def test_non_han_gives_none_and_zero(rb: RhymeBook, text: str) -> None:
    assert rb.lookup(text) is None
    assert rb.mask(text) == 0
    assert rb.frequency(text) == 0


def test_is_han_ranges(rb: RhymeBook) -> None:
    for ch in ["中", "㐀", "䶿", "鿿", "豈", "𠀀", "\U0002a700", "\U0002f800", "\U000323af"]:
        assert rb.is_han(ch), hex(ord(ch))
    for ch in ["a", "〇", "、", "ㄅ", "ぁ", "\u2e80", "\U0002fa20", "中文"]:
        assert not rb.is_han(ch), ch


# ---------------------------------------------------------------- the fast path
def test_mask_fast_path_agrees_with_lookup(rb: RhymeBook) -> None:
    fresh = RhymeBook.load()  # masks come from the raw rows here, before any lookup
    sample: set[str] = set()
    for g in GROUPS:
        sample.update(fresh.group_chars(g.id, "simplified")[:30])
        sample.update(fresh.group_chars(g.id, "traditional")[:30])
    sample.update("啼浣蝴为爲发后干听氧们碟砹并")
    masks = {ch: fresh.mask(ch) for ch in sample}
    for ch, mask in masks.items():
        assert mask == info(rb, ch).mask, ch
        assert mask & (PING_BIT | ZE_BIT), ch


def test_group_chars_are_book_members_most_used_first(rb: RhymeBook) -> None:
    dong = group("上平一东")
    first = rb.group_chars(dong.id)[:8]
    assert {"中", "风", "东", "空"} <= set(first)
    assert rb.group_chars(dong.id, "traditional")[:4] == tuple(
        rb.to_traditional("".join(first[:4]))
    )
    for g in GROUPS:
        trad = rb.group_chars(g.id, "traditional")
        assert trad, g.name
        for ch in trad:  # book members only: never a derived or guessed reading
            ci = info(rb, ch)
            if ci.traditional and ch not in ci.traditional:
                continue  # also the simplified form of other characters (听 = 聽): §1 rule
            assert any(r.group_id == g.id and r.source is Source.BOOK for r in ci.readings), (
                g.name,
                ch,
            )
        for ch in rb.group_chars(g.id, "simplified"):
            assert g.id in info(rb, ch).group_ids, (g.name, ch)
    with pytest.raises(IndexError):
        rb.group_chars(106)
    with pytest.raises(ValueError):
        rb.group_chars(0, "cyrillic")  # type: ignore[arg-type]


def test_group_ranking_puts_common_characters_before_rare_ones(rb: RhymeBook) -> None:
    for g in GROUPS:
        members = rb.group_chars(g.id, "traditional")
        if len(members) < 40:
            continue
        head = sum(rb.frequency(ch) for ch in members[:10])
        tail = sum(rb.frequency(ch) for ch in members[-10:])
        assert head > tail, g.name


def test_frequency_resolves_both_scripts(rb: RhymeBook) -> None:
    assert rb.frequency("风") == rb.frequency("風") > 1000
    assert rb.frequency("后") >= rb.frequency("後") > 0
    assert rb.frequency("\U0002a6d6") == 0


# ---------------------------------------------------------------- conversion
POEMS = [
    ("白日依山尽，黄河入海流。欲穷千里目，更上一层楼。",
     "白日依山盡，黃河入海流。欲窮千里目，更上一層樓。"),
    ("国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。",
     "國破山河在，城春草木深。感時花濺淚，恨別鳥驚心。"),
    ("云想衣裳花想容，春风拂槛露华浓。",
     "雲想衣裳花想容，春風拂檻露華濃。"),
]  # fmt: skip


@pytest.mark.parametrize(("simplified", "traditional"), POEMS)
def test_conversion_round_trips_famous_poems(
    rb: RhymeBook, simplified: str, traditional: str
) -> None:
    assert rb.to_traditional(simplified) == traditional
    assert rb.to_simplified(traditional) == simplified
    assert rb.to_simplified(rb.to_traditional(simplified)) == simplified


# ---------------------------------------------------------------- loading and format
def test_stats_add_up(rb: RhymeBook) -> None:
    stats = rb.stats
    assert stats["book"] + stats["derived"] + stats["guessed"] == stats["chars"]
    assert stats["cantonese"] + stats["mandarin"] == stats["guessed"]
    assert stats["cantonese"] > stats["mandarin"]
    assert stats["book_chars"] == 8553  # the list's 8,550 and 凭 汚 粗, joined by the errata
    assert stats["polyphones"] > 800
    assert stats["ru_chars"] > 1500


def test_several_instances_are_independent(tmp_path: Path) -> None:
    folder = tmp_path / "rhyme"
    shutil.copytree(Path(str(resource("rhyme"))), folder)
    a, b = RhymeBook.load(folder), RhymeBook.load()
    assert a.lookup("𠀁") is not None
    assert a.stats["runtime_guesses"] == 1 and b.stats["runtime_guesses"] == 0
    assert a.lookup("东") == b.lookup("东")


def test_missing_or_foreign_data_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RhymeBookError):
        RhymeBook.load(tmp_path)
    folder = tmp_path / "rhyme"
    shutil.copytree(Path(str(resource("rhyme"))), folder)
    (folder / "chars.tsv").write_text("char\tmask\n东\t1\n", encoding="utf-8")
    with pytest.raises(RhymeBookError):
        RhymeBook.load(folder)


def test_every_row_is_found_by_the_binary_search(rb: RhymeBook) -> None:
    text = (Path(str(resource("rhyme"))) / "chars.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.split("\n")[1:] if line]
    assert len(rows) == rb.stats["chars"]
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)  # the build sorts them
    fresh = RhymeBook.load()
    for ch, mask, *_ in rows:
        assert fresh.mask(ch) == int(mask, 16), ch
    assert SortedRows(["#head", "b\t1", "a\t2"], start=1).is_sorted() is False
    sorted_rows = SortedRows(["#head", "a\t2", "b\t1"], start=1)
    assert sorted_rows.is_sorted() and len(sorted_rows) == 2
    assert sorted_rows.get("b") == "b\t1" and sorted_rows.get("#") is None
    assert sorted_rows.get("ab") is None and sorted_rows.get("") is None


def test_line_ends_rewritten_by_a_checkout_still_load(tmp_path: Path) -> None:
    folder = tmp_path / "rhyme"
    shutil.copytree(Path(str(resource("rhyme"))), folder)
    chars = folder / "chars.tsv"
    chars.write_bytes(chars.read_bytes().replace(b"\n", b"\r\n"))
    book = RhymeBook.load(folder)
    assert book.lookup("东") == RhymeBook.load().lookup("东")
    assert book.mask("氧") == ZE_BIT | UNCERTAIN_BIT and book.frequency("风") > 1000


def test_reading_encoding_round_trips(rb: RhymeBook) -> None:
    for ch in "发后干听为啼浣蝴东中氧们碟砹锫并":
        readings = info(rb, ch).readings
        assert decode_readings(encode_readings(readings)) == readings


def test_loading_does_not_import_pypinyin() -> None:
    code = (
        "import sys\n"
        "from app.prosody.rhymebook import RhymeBook\n"
        "rb = RhymeBook.load()\n"
        "assert rb.mask('听') and rb.lookup('啼') and rb.lookup('蝴')\n"
        "print('pypinyin' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
