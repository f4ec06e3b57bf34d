"""``shijian rhyme 字``: every reading of a character, and its groups' characters."""

from __future__ import annotations

import argparse
import json
from typing import Any

from app.cli.common import CliError, add_book_argument, book_kind, count, language
from app.prosody.books.shelf import Shelf
from app.prosody.books.tables import group_by_id
from app.prosody.rhymebook import RhymeBook, Script


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "rhyme",
        help="查字的韵部 / look up a character's readings and rhyme group",
        description="查一个字的全部读音、韵部，以及该韵部的常用字。也可直接查韵部（如：下平七阳；"
        "--book tongyun 时如：十三昂）。",
    )
    p.add_argument("char", help="one character (字), or a group name such as 下平七阳")
    add_book_argument(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=count, default=60, help="group characters to list (0: all)")
    p.add_argument("--traditional", action="store_true", help="list group characters in 繁体")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    query = args.char.strip()
    en = language(args.lang) == "en"
    kind = book_kind(args.book)
    book = Shelf(RhymeBook.load()).book(kind)
    script: Script = "traditional" if args.traditional else "simplified"
    limit = None if args.limit == 0 else args.limit
    if len(query) != 1:
        group = book.find_group(query)
        if group is None:
            raise CliError(
                f"请给一个汉字或{kind.zh}的韵部名 / give one character or a group name of "
                f"{kind.en}: {query!r}"
            )
        chars = book.group_chars(group.id, script)
        if args.json:
            doc = {"book": kind.value, "group": group.name, "chars": list(chars[:limit])}
            print(json.dumps(doc, ensure_ascii=False, indent=2))
        else:
            print(f"{group.name}（{len(chars)}字）")
            print("".join(chars[:limit]))
        return 0
    info = book.lookup(query)
    if info is None:
        raise CliError(f"「{query}」不是汉字 / is not a Chinese character")
    readings = [
        {
            "tone": r.tone.zh,
            "tone_class": "平" if r.tone.is_ping else "仄",
            "group": r.group.name if r.group is not None else None,
            "source": r.source.name.lower(),
            "source_zh": r.source.zh if not kind.is_modern else "普通话",
            "via": r.via or None,
        }
        for r in info.readings
    ]
    groups = sorted({r.group_id for r in info.readings if r.group_id >= 0})
    if args.json:
        print(json.dumps({
            "book": kind.value,
            "char": query,
            "polyphone": info.is_polyphone,
            "ru": info.is_ru,
            "uncertain": info.uncertain,
            "traditional": list(info.traditional),
            "frequency": book.frequency(query),
            "readings": readings,
            "groups": {group_by_id(g).name: list(book.group_chars(g, script)[:limit])
                       for g in groups},
        }, ensure_ascii=False, indent=2))  # fmt: skip
        return 0
    flags = []
    if info.is_polyphone:
        flags.append("polyphone" if en else "平仄两读")
    if info.is_ru:
        flags.append("entering tone" if en else "入声")
    if info.uncertain:
        flags.append("uncertain" if en else "读音存疑")
    head = (
        f"「{query}」"
        + (f"（{'、'.join(flags)}）" if flags else "")
        + f"  [{kind.en if en else kind.zh}]"
    )
    if info.traditional and info.traditional != (query,):
        head += ("  traditional: " if en else "  繁体：") + "".join(info.traditional)
    lines = [head]
    if not readings:
        lines.append("  no reading known" if en else "  无可靠读音")
    for r in readings:
        via = f"（{r['via']}）" if r["via"] else ""
        if kind.is_modern:  # the reading itself (huán), with its tone class
            lines.append(f"  {r['via']}  {r['tone_class']}  {r['group'] or '韵部不明'}")
            continue
        src = r["source"] if en else r["source_zh"]
        lines.append(f"  {r['tone']}声  {r['group'] or '韵部不明'}  [{src}]{via}")
    for g in groups:
        chars = book.group_chars(g, script)
        lines.append("")
        lines.append(f"{group_by_id(g).name}（{len(chars)}字）：")
        lines.append("".join(chars[:limit]))
    print("\n".join(lines))
    return 0
