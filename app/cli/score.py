"""``shijian score FILE.jsonl``: the four scores over a collection, as a table by form.

Each line of the file is a JSON object with the poem as ``lines`` (a list of verse
lines, as in the chinese-poetry corpus) or ``text`` (one string), and optionally
``form`` (五绝/七绝/五律/七律), which pins the form; otherwise it is read from the
shape. ``--field simplified`` scores another list field instead of ``lines``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.cli.common import CliError, language
from app.prosody.checker import Checker
from app.prosody.forms import Form
from app.prosody.rhymebook import RhymeBook
from app.prosody.scorer import WEIGHTS, Aggregate, PoemScore, aggregate_by, score
from app.prosody.settings import CheckSettings

_ORDER = ["五绝", "七绝", "五律", "七律", "五言排律", "七言排律", "全部"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "score",
        help="给一批诗打分 / score a collection (JSON Lines)",
        description="平仄、押韵、对仗、字数四项得分及总分（0.4/0.3/0.2/0.1），按诗体汇总。",
    )
    p.add_argument("file", help="a .jsonl file, one poem per line (- for stdin)")
    p.add_argument("--field", default="lines", help="which field holds the poem (default: lines)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--per-poem", action="store_true", help="with --json: every poem's scores too")
    p.add_argument("--skip-bad", action="store_true", help="skip malformed rows instead of failing")
    p.set_defaults(handler=run)


def _poem_text(row: object, field: str) -> tuple[str, Form | None]:
    if not isinstance(row, dict):
        raise ValueError("not a JSON object")
    value = row.get(field, row.get("text") if field == "lines" else None)
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        text = "\n".join(value)
    elif isinstance(value, str):
        text = value
    else:
        raise ValueError(f"no '{field}' (a list of lines) or 'text' (a string)")
    form_name = row.get("form")
    form = Form.from_name(form_name) if isinstance(form_name, str) else None
    return text, form


def run(args: argparse.Namespace) -> int:
    en = language(args.lang) == "en"
    if args.file == "-":
        raw_lines = sys.stdin.read().splitlines()
    else:
        path = Path(args.file)
        try:
            raw_lines = path.read_text(encoding="utf-8-sig").splitlines()
        except FileNotFoundError:
            raise CliError(f"找不到文件 / file not found: {path}") from None
        except IsADirectoryError:
            raise CliError(f"这是文件夹 / is a folder: {path}") from None
        except UnicodeDecodeError:
            raise CliError(f"文件不是 UTF-8 编码 / not UTF-8 text: {path}") from None
        except OSError as exc:
            raise CliError(f"无法读取 / cannot read {path}: {exc.strerror}") from None

    book = RhymeBook.load()
    checker = Checker(book, CheckSettings(dui_zhang=False, repeated_chars=False))
    pairs: list[tuple[str, PoemScore]] = []
    per_poem: list[dict[str, Any]] = []
    bad: list[str] = []
    for number, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        try:
            text, form = _poem_text(json.loads(raw), args.field)
        except (json.JSONDecodeError, ValueError) as exc:
            bad.append(f"第{number}行 / line {number}: {exc}")
            continue
        analysis = checker.analyze(text, form=form, per_char=False)
        if analysis.form is None:
            bad.append(f"第{number}行 / line {number}: 没有汉字 / no Chinese characters")
            continue
        s = score(analysis, checker.lexicon)
        pairs.append((analysis.form.value, s))
        if args.per_poem:
            per_poem.append({"line": number, "form": analysis.form.value, **s.as_dict()})
    if bad:
        for message in bad[:20]:
            print(f"shijian: {message}", file=sys.stderr)
        if len(bad) > 20:
            print(f"shijian: … {len(bad) - 20} more", file=sys.stderr)
        if not args.skip_bad:
            raise CliError(f"{len(bad)} 行无法读取 / malformed rows (use --skip-bad to skip them)")
    if not pairs:
        raise CliError("文件里没有诗 / no poems in the file")
    table = aggregate_by(pairs)
    if args.json:
        doc: dict[str, Any] = {
            "weights": WEIGHTS,
            "by_form": {k: table[k].as_dict() for k in _ORDER if k in table},
            "skipped": len(bad),
        }
        if args.per_poem:
            doc["poems"] = per_poem
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print(render_table(table, en))
    return 0


def render_table(table: dict[str, Aggregate], en: bool) -> str:
    head = (
        ["form", "poems", "tones", "rhymes", "antithesis", "length", "total"]
        if en
        else ["诗体", "首数", "平仄", "押韵", "对仗", "字数", "总分"]
    )
    rows = [head]
    for key in _ORDER:
        if key in table:
            a = table[key]
            rows.append([key, str(a.n)] + [f"{v:.2f}" for v in (a.tones, a.rhymes, a.antithesis,
                                                                  a.length, a.total)])  # fmt: skip
    return "\n".join("  ".join(cell.rjust(8) for cell in row) for row in rows)
