"""``shijian check``: a poem's tones, template and findings, for people or for programs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import Any

from app.cli.common import (
    CliError,
    add_book_argument,
    book_kind,
    count,
    language,
    read_poem_argument,
)
from app.cli.jsonout import write_json
from app.prosody.analysis import CharResult, PoemAnalysis
from app.prosody.books.kinds import BookKind
from app.prosody.books.shelf import Shelf
from app.prosody.checker import Checker
from app.prosody.findings import Finding, Severity
from app.prosody.forms import EITHER, PING, ZE, Form
from app.prosody.rhymebook import RhymeBook
from app.prosody.scorer import score
from app.prosody.settings import CheckSettings
from app.prosody.suggest import Suggester

_SEVERITY_MARK = {
    Severity.ERROR: "✕",
    Severity.WARNING: "△",
    Severity.NOTE: "·",
    Severity.HINT: "·",
}


_GROUP_EXAMPLES = {
    BookKind.PINGSHUI: "下平七阳, 阳",
    BookKind.XINYUN: "新韵十唐, 唐",
    BookKind.TONGYUN: "通韵十三昂, 昂",
}


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="检查一首诗 / check a poem",
        description="检查平仄、粘对、押韵 / check tones, 粘对 and rhyme. "
        "Marks: 〇 平  ● 仄  ◎ 平仄两读  ✕ 错误",
    )
    p.add_argument("poem", nargs="?", help="the poem's text, a file, or - for stdin")
    p.add_argument(
        "--file", "-f", help="read the poem from this file (UTF-8, UTF-16 with a mark, GBK)"
    )
    p.add_argument("--form", help="pin the form: 五绝 七绝 五律 七律 五言排律 七言排律 对联")
    p.add_argument("--group", help="pin the rhyme group, e.g. 下平七阳 or 阳 (通韵: 十三昂)")
    add_book_argument(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--strict", action="store_true", help="strict 一三五 (严格一三五)")
    p.add_argument("--san-ze-wei", action="store_true", help="warn on 三仄尾")
    p.add_argument("--zheyao", action="store_true", help="accept 失粘 as 折腰体 (note)")
    p.add_argument("--mao-yun", action="store_true", help="advise on 冒韵")
    p.add_argument("--no-aojiu", action="store_true", help="treat 拗救 forms as errors")
    p.add_argument("--suggest", type=count, default=8, metavar="N", help="suggestions per finding")
    p.set_defaults(handler=run)


def settings_from(args: argparse.Namespace) -> CheckSettings:
    return CheckSettings(
        warn_san_ze_wei=args.san_ze_wei,
        zheyao_as_note=args.zheyao,
        mao_yun=args.mao_yun,
        strict_135=args.strict,
        accept_aojiu=not args.no_aojiu,
    )


def run(args: argparse.Namespace) -> int:
    text = read_poem_argument(args.poem, args.file)
    lang = language(args.lang)
    form = None
    if args.form:
        form = Form.from_name(args.form)
        if form is None:
            raise CliError(
                f"不认识的诗体 / unknown form: {args.form} "
                "(五绝 七绝 五律 七律 五言排律 七言排律 对联)"
            )
    kind = book_kind(args.book)
    shelf = Shelf(RhymeBook.load())
    book = shelf.book(kind)
    group = None
    if args.group:
        group = book.find_group(args.group)
        if group is None:
            example = _GROUP_EXAMPLES[kind]
            raise CliError(
                f"{kind.zh}里没有这个韵部 / unknown rhyme group in {kind.en}: {args.group} "
                f"(e.g. {example})"
            )
    checker = Checker(book, settings_from(args), others=shelf.others(kind))
    analysis = checker.analyze(text, form=form, group=group)
    if not analysis.chars:
        raise CliError("没有汉字，无从检查 / no Chinese characters to check")
    suggester = Suggester(book)
    if args.json:
        write_json(to_json(analysis, checker, suggester, args.suggest), sys.stdout)
    else:
        print(render(analysis, suggester, lang, args.suggest))
    return 1 if analysis.errors else 0


def mark(c: CharResult) -> str:
    if c.severity is Severity.ERROR:
        return "✕"
    return {PING: "〇", ZE: "●", EITHER: "◎"}.get(c.code, "？")


def render(a: PoemAnalysis, suggester: Suggester, lang: str, n_suggest: int) -> str:
    en = lang == "en"
    head = a.summary_en if en else a.summary_zh
    if a.book.is_modern:  # the default (平水韵) goes without saying
        head += f"  [{a.book.en if en else a.book.zh}]"
    out = [head, ""]
    by_line: dict[int, list[CharResult]] = {}
    for c in a.chars:
        by_line.setdefault(c.line, []).append(c)
    for line in a.lines:
        chars = by_line.get(line.index, [])
        text = "".join(c.char for c in chars)
        marks = "".join(mark(c) for c in chars)
        rhyme = ("  ← rhyme" if en else "  ← 韵") if line.rhymes else ""
        out.append(f"{line.index + 1:>3}  {text}  {marks}  {line.template_text}{rhyme}")
    if a.findings:
        out.append("")
        out.append("Findings:" if en else "发现：")
        for f in a.findings:
            label = f.severity.en if en else f.severity.zh
            out.append(
                f"  {_SEVERITY_MARK[f.severity]} [{label}] {f.message('en' if en else 'zh')}"
            )
            if f.severity >= Severity.WARNING and n_suggest > 0:
                sug = suggester.suggest(a, f, n_suggest)
                if sug:
                    joined = " ".join(f"「{s.label(lang)}」" for s in sug)
                    out.append(f"      {'try' if en else '可换'}: {joined}")
    legend = "〇 level  ● oblique  ◎ either  ✕ error" if en else "〇 平  ● 仄  ◎ 平仄两读  ✕ 错误"
    out += ["", legend]
    return "\n".join(out)


def finding_json(f: Finding, a: PoemAnalysis, suggester: Suggester, n: int) -> dict[str, Any]:
    return {
        "rule": f.rule.value,
        "rule_zh": f.rule.zh,
        "severity": f.severity.en,
        "line": f.line + 1,
        "pos": None if f.pos is None else f.pos + 1,
        "offset": f.offset,
        "char": f.char,
        "expected": f.expected,
        "found": f.found,
        "message": f.message("zh"),
        "message_en": f.message("en"),
        "suggestions": [s.char for s in suggester.suggest(a, f, n)] if n > 0 else [],
    }


def char_json(c: CharResult) -> dict[str, Any]:
    readings = []
    if c.info is not None:
        for r in c.info.readings:
            readings.append(
                {
                    "tone": r.tone.zh,
                    "group": r.group.name if r.group is not None else None,
                    "source": r.source.name.lower(),
                    "via": r.via or None,
                }
            )
    return {
        "char": c.char,
        "offset": c.offset,
        "tone": {PING: "平", ZE: "仄", EITHER: "either"}.get(c.code, "unknown"),
        "ru": c.is_ru,
        "polyphone": c.is_polyphone,
        "uncertain": c.uncertain,
        "expected": c.expected.value,
        "verdict": c.severity.en if c.severity is not None else "ok",
        "rhyme": c.rhyme.value or None,
        "readings": readings,
    }


def to_json(a: PoemAnalysis, checker: Checker, suggester: Suggester, n: int) -> dict[str, Any]:
    """The report as a JSON-ready dict whose ``lines`` and ``findings`` are generators:
    :func:`write_json` encodes them one item at a time (``list()`` them for anything else)."""
    return {
        "form": a.form.value if a.form else None,
        "form_pinned": a.form_pinned,
        "qi": a.qi or None,
        "first_line_rhymes": a.first_line_rhymes,
        "book": a.book.value,
        "book_zh": a.book.zh,
        "rhyme_group": a.rhyme_group.name if a.rhyme_group else None,
        "ze_yun": a.ze_yun,
        "complete": a.complete,
        "summary": a.summary_zh,
        "summary_en": a.summary_en,
        "lines": _lines_json(a),
        "findings": (finding_json(f, a, suggester, n) for f in a.findings),
        "score": score(a, checker.lexicon).as_dict(),
    }


def _lines_json(a: PoemAnalysis) -> Iterator[dict[str, Any]]:
    chars = a.chars  # in line order
    k = 0
    for line in a.lines:
        start = k
        while k < len(chars) and chars[k].line == line.index:
            k += 1
        yield {
            "text": line.text.chars,
            "type": line.type.value if line.type else None,
            "template": line.template_text,
            "rhymes": line.rhymes,
            "chars": (char_json(chars[j]) for j in range(start, k)),
        }
