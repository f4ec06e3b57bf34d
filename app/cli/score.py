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
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from app.cli.common import CliError, add_book_argument, book_kind, language, stdin_bytes
from app.prosody.books.shelf import Shelf
from app.prosody.checker import Checker
from app.prosody.forms import Form
from app.prosody.rhymebook import RhymeBook
from app.prosody.scorer import WEIGHTS, Aggregate, PoemScore, aggregate_by, score
from app.prosody.settings import CheckSettings

_ORDER = ["五绝", "七绝", "五律", "七律", "五言排律", "七言排律", "对联", "全部"]


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
    add_book_argument(p)
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


# One row (one poem as a JSON object) may be this long; the corpus's longest is a few KB.
MAX_ROW_BYTES = 1024 * 1024
# The whole input, so an endless stream (/dev/zero, a runaway pipe) ends: 全唐诗 is 21 MB.
MAX_INPUT_BYTES = 1024 * 1024 * 1024


class BadRowError(ValueError):
    """A row that cannot be scored; the message says why."""


def _rows(stream: BinaryIO, name: str) -> Iterator[tuple[int, bytes | BadRowError]]:
    """(row number, raw bytes) for each line of ``stream``, split at ``\\n`` only (a JSON
    string may hold U+2028, which ``str.splitlines`` would split at). A row over
    :data:`MAX_ROW_BYTES` is a :class:`BadRowError` and is skipped without being held."""
    total = 0
    number = 0
    while True:
        number += 1
        raw = stream.readline(MAX_ROW_BYTES + 1)
        if not raw:
            return
        total += len(raw)
        if len(raw) > MAX_ROW_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of that row
                raw = stream.readline(1 << 20)
                total += len(raw)
                if total > MAX_INPUT_BYTES:
                    break
            mb = MAX_ROW_BYTES // (1024 * 1024)
            yield number, BadRowError(f"超过每行 {mb} MB 上限 / row over the {mb} MB limit")
        else:
            yield number, raw
        if total > MAX_INPUT_BYTES:
            raise CliError(
                f"输入超过 {MAX_INPUT_BYTES // (1024 * 1024 * 1024)} GB 上限 / {name} is larger "
                f"than the {MAX_INPUT_BYTES // (1024 * 1024 * 1024)} GB limit"
            )


def _parse(raw: bytes, first: bool) -> object:
    try:
        text = raw.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError as exc:
        raise BadRowError(f"不是 UTF-8 编码 / not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise BadRowError("JSON 嵌套太深 / JSON nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, and integers too long to convert
        raise BadRowError(str(exc)) from None


def _open(path_name: str) -> BinaryIO:
    if path_name == "-":
        return stdin_bytes()
    path = Path(path_name)
    try:
        if path.is_dir():
            raise CliError(f"这是文件夹 / is a folder: {path}")
        return path.open("rb")
    except FileNotFoundError:
        raise CliError(f"找不到文件 / file not found: {path}") from None
    except IsADirectoryError:
        raise CliError(f"这是文件夹 / is a folder: {path}") from None
    except OSError as exc:
        raise CliError(f"无法读取 / cannot read {path}: {exc.strerror or exc}") from None


def run(args: argparse.Namespace) -> int:
    en = language(args.lang) == "en"
    name = "standard input" if args.file == "-" else args.file
    stream = _open(args.file)
    kind = book_kind(args.book)
    book = Shelf(RhymeBook.load()).book(kind)
    checker = Checker(book, CheckSettings(dui_zhang=False, repeated_chars=False))
    pairs: list[tuple[str, PoemScore]] = []
    per_poem: list[dict[str, Any]] = []
    bad: list[str] = []
    stopped = False
    try:
        for number, raw in _rows(stream, name):
            try:
                if isinstance(raw, BadRowError):
                    raise raw
                if not raw.strip():
                    continue
                text, form = _poem_text(_parse(raw, number == 1), args.field)
            except ValueError as exc:
                bad.append(f"第{number}行 / line {number}: {exc}")
                if not args.skip_bad and len(bad) > 20:
                    stopped = True  # enough to say the file is not what it should be
                    break
                continue
            analysis = checker.analyze(text, form=form, per_char=False)
            if analysis.form is None:
                bad.append(f"第{number}行 / line {number}: 没有汉字 / no Chinese characters")
                continue
            s = score(analysis, checker.lexicon)
            pairs.append((analysis.form.value, s))
            if args.per_poem:
                per_poem.append({"line": number, "form": analysis.form.value, **s.as_dict()})
    except OSError as exc:
        raise CliError(f"无法读取 / cannot read {name}: {exc.strerror or exc}") from None
    finally:
        if args.file != "-":
            stream.close()
    if bad:
        for message in bad[:20]:
            print(f"shijian: {message}", file=sys.stderr)
        if len(bad) > 20 and not stopped:
            print(f"shijian: … {len(bad) - 20} more", file=sys.stderr)
        if not args.skip_bad:
            count = f"{len(bad) - 1}+" if stopped else str(len(bad))
            raise CliError(f"{count} 行无法读取 / malformed rows (use --skip-bad to skip them)")
    if not pairs:
        raise CliError("文件里没有诗 / no poems in the file")
    table = aggregate_by(pairs)
    if args.json:
        doc: dict[str, Any] = {
            "book": kind.value,
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
        ["form", "poems", "tones", "rhymes", "antithesis", "length", "weighted", "total"]
        if en
        else ["诗体", "首数", "平仄", "押韵", "对仗", "字数", "加权", "总分"]
    )
    rows = [head]
    for key in _ORDER:
        if key in table:
            a = table[key]
            values = (a.tones, a.rhymes, a.antithesis, a.length, a.weighted, a.total)
            rows.append([key, str(a.n)] + ["—" if v is None else f"{v:.2f}" for v in values])
    return "\n".join("  ".join(cell.rjust(8) for cell in row) for row in rows)
