"""The sentences a poet reads: every finding in Chinese (first) and English.

Lines and positions are 1-based in messages. Each message states the rule, what
was expected and what was found, in the shape of meter-spec §7:
第3句第2字「国」为入声仄，此处应平（失粘）。
"""

from __future__ import annotations

from app.prosody.findings import Finding, Rule, Severity

_TONE_EN = {"平": "level (平)", "仄": "oblique (仄)", "入声仄": "oblique, entering tone (入声)",
            "平仄两读": "either tone"}  # fmt: skip


def _en_tone(word: str) -> str:
    return _TONE_EN.get(word, word)


def render(f: Finding, lang: str = "zh") -> str:
    if f.rule is Rule.REQUIREMENT or f.get("zh"):
        # written by its maker (app.assign, the 词 checker), in both languages
        return f.get("en") if lang.startswith("en") else f.get("zh")
    return _render_en(f) if lang.startswith("en") else _render_zh(f)


def _where(f: Finding) -> str:
    if f.pos is None:
        return f"第{f.line + 1}句"
    return f"第{f.line + 1}句第{f.pos + 1}字「{f.char}」"


def _render_zh(f: Finding) -> str:
    r = f.rule
    other = f.get("other")
    if r is Rule.TONE:
        strict = "（严格一三五）" if f.get("strict") else ""
        return f"{_where(f)}为{f.found}，此处应{f.expected}{strict}。"
    if r is Rule.SHI_DUI:
        return f"{_where(f)}为{f.found}，与第{other}句第2字同声，失对。此处应{f.expected}。"
    if r is Rule.SHI_NIAN:
        return f"{_where(f)}为{f.found}，与第{other}句不粘（失粘）。此处应{f.expected}。"
    if r is Rule.ZHEYAO:
        return f"第{f.line + 1}句与第{other}句失粘，按折腰体处理。"
    if r is Rule.GU_PING:
        return (
            f"第{f.line + 1}句犯孤平：韵脚之外只有一个平声。"
            f"第{f.pos + 1 if f.pos is not None else 3}字宜改用平声（孤平拗救）。"
        )
    if r is Rule.GU_PING_JIU:
        return f"第{f.line + 1}句首字用仄，第{(f.pos or 0) + 1}字以平相救，为孤平拗救（本句自救），合律。"
    if r is Rule.SAN_PING_WEI:
        return f"第{f.line + 1}句末三字「{f.get('tail')}」皆平，犯三平尾。{_where(f)}应仄。"
    if r is Rule.SAN_ZE_WEI:
        return f"第{f.line + 1}句末三字「{f.get('tail')}」皆仄（三仄尾），可以容忍，但宜避免。"
    if r is Rule.DA_AO:
        rescue = f"对句（第{f.get('rescue_line')}句）第{f.get('rescue_pos')}字" if f.get(
            "rescue_line") else "对句第三字"  # fmt: skip
        return f"{_where(f)}应平而用仄（大拗），{rescue}未用平声相救。"
    if r is Rule.DA_AO_JIU:
        return (
            f"{_where(f)}应平而用仄（大拗），对句第{f.get('rescue_pos')}字"
            f"「{f.get('rescue_char')}」用平相救，合律。"
        )
    if r is Rule.XIAO_AO:
        tail = (
            f"，对句第{f.get('rescue_pos')}字「{f.get('rescue_char')}」用平相救"
            if f.get("rescued")
            else "，可于对句第三字（五言）用平相救"
        )
        return f"{_where(f)}用仄，成「仄仄仄平仄」（小拗）{tail}，合律。"
    if r is Rule.TE_AO:
        if f.severity is Severity.ERROR:
            return f"第{f.line + 1}句作特拗（平平仄平仄），但{_where(f)}用仄，特拗句此字宜平。"
        return f"第{f.line + 1}句作「平平仄平仄」，为特拗，合律。"
    if r is Rule.LINE_END:
        if f.get("rhymes"):
            group = f.get("group")
            return f"{_where(f)}在韵脚，却是{f.found}声字；韵脚应用平声{('「' + group + '」') if group else ''}韵字。"
        return f"第{f.line + 1}句不入韵，句脚{('「' + f.char + '」') if f.char else ''}应仄而用平。"
    if r is Rule.CHU_YUN:
        return (
            f"第{f.line + 1}句「{f.char}」属{f.get('char_group')}，本诗押{f.get('group')}（出韵）。"
        )
    if r is Rule.JIE_LIN_YUN:
        return f"首句韵脚「{f.char}」属{f.get('char_group')}，本诗押{f.get('group')}：首句借邻韵，可以。"
    if r is Rule.ZHUANG_YUN:
        return f"第{f.line + 1}句不入韵，句脚「{f.char}」却用本韵{f.get('group')}的平声字（撞韵）。"
    if r is Rule.CHONG_YUN:
        return f"韵脚「{f.char}」已在第{other}句用过（重韵）。"
    if r is Rule.CHONG_ZI:
        return f"「{f.char}」在第{other}句已出现（重字）；叠字不在此列。"
    if r is Rule.MAO_YUN:
        return f"{_where(f)}属本韵{f.get('group')}，用于句中（冒韵）。"
    if r is Rule.ZE_YUN:
        return "韵脚为仄声（仄韵），不按近体检查：此诗按古体看待，不标平仄错误。"
    if r is Rule.READING:
        avoided = _rule_name(f.get("avoided"), "zh")
        rhyme = "首句入韵" if f.expected == "平" else "首句不入韵"
        return f"第1句末字「{f.char}」平仄两读，此处读{f.expected}，{rhyme}（读作另一声则第1句犯{avoided}）。"
    if r is Rule.DUI_ZHANG:
        return (
            f"{f.get('couplet')}（第{f.line + 1}、{other}句）对仗不工："
            f"第{f.get('weak')}字词性或类别不对（相对度{float(f.get('score') or 0):.0%}）。"
        )
    if r is Rule.LENGTH:
        if f.get("kind") == "lines":
            return f"全诗{f.found}句，{f.get('form')}应为{f.expected}句。"
        return f"第{f.line + 1}句有{f.found}字，应为{f.expected}字。"
    if r is Rule.CONTEXT_READING:
        return (
            f"{_where(f)}在「{f.get('phrase')}」中读 {f.get('pinyin')}（{f.found}），"
            f"按此读音检查（据 pypinyin 词语读音）。"
        )
    if r is Rule.OTHER_BOOK:
        return (
            f"本诗按{f.get('book')}有{f.get('errors')}处不合，按{f.get('books')}合律："
            f"若有意用{f.get('books')}，可在韵书中改选。"
        )
    if r is Rule.UNCERTAIN:
        if f.get("rhyme"):
            return f"{_where(f)}不在韵书中，无法确认是否押{f.get('group')}，请核对。"
        return f"{_where(f)}不在韵书中，按普通话推测为{f.found}，此处应{f.expected}，请核对。"
    return f"{_where(f)}：{r.zh}"


def _rule_name(code: str | None, lang: str) -> str:
    try:
        rule = Rule(code or "")
    except ValueError:
        return code or ""
    return rule.en if lang == "en" else rule.zh


def _render_en(f: Finding) -> str:
    r = f.rule
    where = (
        f"Line {f.line + 1}"
        if f.pos is None
        else f"Line {f.line + 1}, character {f.pos + 1} 「{f.char}」"
    )
    other = f.get("other")
    exp, found = _en_tone(f.expected), _en_tone(f.found)
    if r is Rule.TONE:
        strict = " (strict 1-3-5)" if f.get("strict") else ""
        return f"{where} is {found}; this position needs {exp}{strict}."
    if r is Rule.SHI_DUI:
        return (
            f"{where} is {found}, the same as character 2 of line {other}: broken opposition "
            f"(失对). It should be {exp}."
        )
    if r is Rule.SHI_NIAN:
        return (
            f"{where} is {found} and does not adhere to line {other}: broken adhesion (失粘). "
            f"It should be {exp}."
        )
    if r is Rule.ZHEYAO:
        return (
            f"Lines {f.line + 1} and {other} do not adhere; read as the broken-waist form (折腰体)."
        )
    if r is Rule.GU_PING:
        return (
            f"Line {f.line + 1} has a lonely level tone (孤平): only one level tone besides the "
            f"rhyme. Make character {(f.pos or 2) + 1} level (the self-rescue)."
        )
    if r is Rule.GU_PING_JIU:
        return f"Line {f.line + 1} rescues its oblique first character with a level third (孤平拗救): fine."
    if r is Rule.SAN_PING_WEI:
        return f"Line {f.line + 1} ends in three level tones 「{f.get('tail')}」 (三平尾); {where} should be oblique."
    if r is Rule.SAN_ZE_WEI:
        return f"Line {f.line + 1} ends in three oblique tones 「{f.get('tail')}」 (三仄尾): tolerated, better avoided."
    if r is Rule.DA_AO:
        return (
            f"{where} should be level but is oblique (大拗), and the next line does not rescue "
            f"it with a level character {f.get('rescue_pos') or 3}."
        )
    if r is Rule.DA_AO_JIU:
        return (
            f"{where} is oblique where a level tone belongs (大拗), rescued by the next line's "
            f"level 「{f.get('rescue_char')}」 (对句相救): fine."
        )
    if r is Rule.XIAO_AO:
        tail = " and rescued by the next line" if f.get("rescued") else ""
        return f"{where} makes the minor irregularity 仄仄仄平仄 (小拗){tail}: fine."
    if r is Rule.TE_AO:
        if f.severity is Severity.ERROR:
            return f"Line {f.line + 1} uses the special irregularity (特拗) but {where} should be level."
        return f"Line {f.line + 1} reads 平平仄平仄, the special irregularity (特拗): fine."
    if r is Rule.LINE_END:
        if f.get("rhymes"):
            return f"{where} is a rhyme position but {found}; it needs a level-tone character of {f.get('group') or 'the rhyme group'}."
        return (
            f"Line {f.line + 1} does not rhyme, so its last character should be oblique, not level."
        )
    if r is Rule.CHU_YUN:
        return f"{where} belongs to {f.get('char_group')}; the poem rhymes in {f.get('group')} (out of rhyme, 出韵)."
    if r is Rule.JIE_LIN_YUN:
        return f"The first line's rhyme 「{f.char}」 borrows the neighbouring group {f.get('char_group')} (借邻韵): allowed."
    if r is Rule.ZHUANG_YUN:
        return f"Line {f.line + 1} should not rhyme, but 「{f.char}」 is a level-tone character of {f.get('group')} (撞韵)."
    if r is Rule.CHONG_YUN:
        return f"The rhyme 「{f.char}」 was already used in line {other} (重韵)."
    if r is Rule.CHONG_ZI:
        return f"「{f.char}」 already appears in line {other} (repeated character)."
    if r is Rule.MAO_YUN:
        return (
            f"{where} belongs to the rhyme group {f.get('group')} but stands inside a line (冒韵)."
        )
    if r is Rule.ZE_YUN:
        return "The rhymes are oblique-tone (仄韵): not checked as regulated verse (read as ancient-style verse, no tone errors marked)."
    if r is Rule.READING:
        avoided = _rule_name(f.get("avoided"), "en")
        rhyme = "the first line rhymes" if f.expected == "平" else "the first line does not rhyme"
        return (
            f"Line 1 ends in 「{f.char}」, which has both tones; it is read here as "
            f"{_en_tone(f.expected)}, so {rhyme} (read the other way, line 1 would break: {avoided})."
        )
    if r is Rule.DUI_ZHANG:
        return (
            f"Couplet {f.get('couplet')} (lines {f.line + 1}–{other}) is not parallel at "
            f"character(s) {f.get('weak')} (match {float(f.get('score') or 0):.0%})."
        )
    if r is Rule.LENGTH:
        if f.get("kind") == "lines":
            return f"The poem has {f.found} lines; a {f.get('form')} has {f.expected}."
        return f"Line {f.line + 1} has {f.found} characters; it should have {f.expected}."
    if r is Rule.CONTEXT_READING:
        return (
            f"{where} reads {f.get('pinyin')} ({found}) in 「{f.get('phrase')}」, and is checked "
            f"so (pypinyin's phrase readings)."
        )
    if r is Rule.OTHER_BOOK:
        return (
            f"The poem breaks {f.get('book_en')} in {f.get('errors')} place(s) but keeps the "
            f"rules of {f.get('books_en')} (按{f.get('books')}合律); choose that rhyme book if "
            f"you meant it."
        )
    if r is Rule.UNCERTAIN:
        if f.get("rhyme"):
            return (
                f"{where} is not in the rhyme book; cannot confirm it rhymes in {f.get('group')}."
            )
        return f"{where} is not in the rhyme book; guessed {found} from Mandarin, this position needs {exp}. Please check."
    return f"{where}: {r.en}"
