"""``shijian ci`` (check a 词 against the 词谱) and ``shijian build-cipu`` (build the 词谱).

    shijian ci "平林漠漠烟如织，……" [--tune 菩萨蛮] [--form 2] [--book 平水韵] [--json]
    shijian build-cipu FOLDER [--out DIR] [--corpus songci.jsonl]

The 词谱 is built from the text of 《御定詞譜》, which the app does not ship: without a built
table ``shijian ci`` says so and how to build one (exit status 2).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.cli.common import CliError, language, read_poem_argument
from app.paths import resolve_paths
from app.prosody.books.shelf import Shelf
from app.prosody.ci import CiAnalysis, CiChecker, CipuError, CipuTable, load_installed
from app.prosody.ci.books import CiBookKind, ci_book
from app.prosody.ci.checker import CiSettings
from app.prosody.findings import Severity
from app.prosody.forms import EITHER, PING, ZE
from app.prosody.rhymebook import RhymeBook


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "ci",
        help="按词谱检查一首词 / check a ci against the 词谱",
        description="按《御定词谱》检查词：选出最合的体，逐字平仄、词林正韵押韵、叠句。 / "
        "Check a ci: the best-fitting form, tones, rhymes by the 词林正韵, repeated lines.",
    )
    p.add_argument("poem", nargs="?", help="the ci's text, a file, or - for stdin")
    p.add_argument("--file", "-f", help="read the ci from this UTF-8 file")
    p.add_argument("--tune", help="the 词牌 (name or alias); without it the tune is inferred")
    p.add_argument("--form", type=int, help="the 体 of the tune: 1 = 正体, 2 … = 又一体")
    p.add_argument("--cipu", help="a folder with a built 词谱 table")
    p.add_argument(
        "--book",
        help="the rhyme book: 词林正韵 (cilin, the default), 平水韵 (pingshui), 中华新韵 "
        "(xinyun), 中华通韵 (tongyun)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=run)

    b = sub.add_parser(
        "build-cipu",
        help="由《御定词谱》原文生成词谱 / build the 词谱 from the text of 《御定詞譜》",
        description="Parse the plain text of 《御定詞譜》 (one file per 卷) into the 词谱 table.",
    )
    b.add_argument("source", help="the folder holding the text of 《御定詞譜》")
    b.add_argument("--out", help="where to write the table (default: the app's data folder)")
    b.add_argument("--corpus", help="a ci corpus (JSON Lines with 'tune') to count tunes")
    b.set_defaults(handler=run_build)


def load_table(args: argparse.Namespace) -> CipuTable:
    try:
        if args.cipu:
            return CipuTable.load(Path(args.cipu))
        return load_installed(resolve_paths(args.basedir).data)
    except CipuError as exc:
        raise CliError(exc.en if language(args.lang) == "en" else exc.zh) from None


def run(args: argparse.Namespace) -> int:
    text = read_poem_argument(args.poem, args.file)
    lang = language(args.lang)
    table = load_table(args)
    tune = None
    if args.tune:
        tune = table.find(args.tune)
        if tune is None:
            raise CliError(f"词谱中没有这个词牌 / no such tune in the 词谱: {args.tune}")
    form = None
    if args.form is not None:
        if tune is None:
            raise CliError("--form 需要同时给出 --tune / --form needs --tune")
        form = tune.form(args.form - 1)
        if form is None:
            raise CliError(
                f"《{tune.name}》只有{len(tune.forms)}体 / {tune.name} has {len(tune.forms)} forms"
            )
    kind = CiBookKind.from_name(args.book) if args.book else CiBookKind.CILIN
    if kind is None:
        raise CliError(
            f"不认识的韵书 / unknown rhyme book: {args.book} "
            "(词林正韵 cilin, 平水韵 pingshui, 中华新韵 xinyun, 中华通韵 tongyun)"
        )
    checker = CiChecker.of(ci_book(kind, Shelf(RhymeBook.load())), table)
    analysis = checker.analyze(text, tune=tune, form=form, settings=CiSettings())
    if not analysis.chars:
        raise CliError("没有汉字，无从检查 / no Chinese characters to check")
    if args.json:
        print(json.dumps(to_json(analysis), ensure_ascii=False, indent=2))
    else:
        print(render(analysis, lang))
    return 1 if analysis.errors else 0


def _mark(code: int, severity: Severity | None) -> str:
    if severity is Severity.ERROR:
        return "✕"
    return {PING: "〇", ZE: "●", EITHER: "◎"}.get(code, "？")


def render(a: CiAnalysis, lang: str) -> str:
    en = lang == "en"
    out = [a.summary_en if en else a.summary_zh]
    if a.choice is not None:
        out.append(a.choice.why_en if en else a.choice.why_zh)
    out.append("")
    by_line: dict[int, list[Any]] = {}
    for c in a.chars:
        by_line.setdefault(c.line, []).append(c)
    for line in a.lines:
        chars = by_line.get(line.index, [])
        text = "".join(c.char for c in chars)
        marks = "".join(_mark(c.code, c.severity) for c in chars)
        tail = ("  ← rhyme" if en else "  ← 韵") if line.rhymes else ""
        out.append(f"{line.index + 1:>3}  {text}  {marks}  {line.template_text}{tail}")
    if a.findings:
        out += ["", "Findings:" if en else "发现："]
        for f in a.findings:
            label = f.severity.en if en else f.severity.zh
            out.append(f"  [{label}] {f.message('en' if en else 'zh')}")
    legend = "〇 level  ● oblique  ◎ either  ✕ error" if en else "〇 平  ● 仄  ◎ 平仄两读  ✕ 错误"
    out += ["", legend]
    return "\n".join(out)


def to_json(a: CiAnalysis) -> dict[str, Any]:
    choice = a.choice
    return {
        "tune": choice.form.tune if choice else None,
        "form": choice.form.index + 1 if choice else None,
        "form_key": choice.form.key if choice else None,
        "author": choice.form.author if choice else None,
        "exact": choice.exact if choice else False,
        "why": choice.why_zh if choice else "",
        "why_en": choice.why_en if choice else "",
        "complete": a.complete,
        "summary": a.summary_zh,
        "summary_en": a.summary_en,
        "rhymes": [
            {
                "group": g.letter,
                "bu": g.bu,
                "bu_name": g.bu_name or None,
                "kinds": g.kinds,
            }
            for g in a.groups
        ],
        "lines": [
            {"text": line.text.chars, "template": line.template_text, "rhymes": line.rhymes}
            for line in a.lines
        ],
        "findings": [
            {
                "rule": f.rule.value,
                "rule_zh": f.rule.zh,
                "severity": f.severity.en,
                "line": f.line + 1,
                "pos": None if f.pos is None else f.pos + 1,
                "char": f.char,
                "message": f.message("zh"),
                "message_en": f.message("en"),
            }
            for f in a.findings
        ],
    }


def run_build(args: argparse.Namespace) -> int:
    from app.prosody.ci.builder.assemble import build

    source = Path(args.source)
    if not source.is_dir():
        raise CliError(f"找不到文件夹 / folder not found: {source}")
    out = Path(args.out) if args.out else resolve_paths(args.basedir).data / "cipu"
    corpus = Path(args.corpus) if args.corpus else None
    try:
        meta = build(source, out, RhymeBook.load(), corpus)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    cov = meta["coverage"]
    assert isinstance(cov, dict)
    print(
        f"词谱已生成 / built: {meta['tunes']} 调, {meta['forms']} 体 → {out}\n"
        f"coverage: {json.dumps(cov, ensure_ascii=False)}"
    )
    return 0
