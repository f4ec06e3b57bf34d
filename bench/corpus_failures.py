"""Why the checker fails real Tang poems: every regulated-shape poem of 全唐诗, by cause.

    PYTHONPATH=. python bench/corpus_failures.py [--corpus PATH] [--examples 3] [--json OUT]

Each poem is analysed as ``bench/score_corpus.py`` does (its ``form`` pinned, traditional
text as written, default settings). A poem *passes* when it has no error; a 仄韵 poem is
not checked as regulated verse. Every failing poem gets one cause, the first that fits:

1. **damaged text** — the source lost characters (□, or 囗 standing for one) or a line
   has the wrong length;
2. **not regulated verse** — faults in three or more lines: a 古体 poem of regulated shape
   (古绝, 古律), which the checker rightly does not call 合律;
3. **a reading the book lacks** — every faulty character is used as the position needs
   by Tang poets: in the wanted tone in ≥ 10% (and ≥ 3) of its uses at fixed positions of
   poems that otherwise keep the rules, or rhymed in the poem's group in ≥ 10% (and ≥ 3)
   of its rhymes (tools/tang_usage.py): 判 as 平, 阿 as 仄, 勤 in 十一真;
4. **a character the book lacks** — a faulty character has only derived or guessed
   readings, and too few Tang uses (< 10 at fixed positions) to confirm them (common
   ones, such as 啼 and the variant spellings 疎 跡 劒, are judged like book characters);
5. **a polyphone** — a faulty character of a tonal rule is a polyphone;
6. **a rule the tradition is divided on** — only 失粘 (折腰体, accepted in early Tang and by
   a setting), 出韵 into a neighbouring group (邻韵通押), 孤平, 三平尾 or 特拗 with a 仄
   first character;
7. **a real fault of the poet** — a definite character of the wrong tone at a fixed
   position, 失对, an unrescued 大拗, or a rhyme from a distant group, in one or two lines.

The counts, the rules behind each cause and examples are printed as Markdown (the table
in docs/prosody.md comes from here).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "tools") not in sys.path:
    sys.path.insert(0, str(ROOT / "tools"))

from tang_usage import PING, ZE, Usage, count_usage, read_poems  # noqa: E402

from app.prosody.analysis import PoemAnalysis  # noqa: E402
from app.prosody.checker import Checker  # noqa: E402
from app.prosody.findings import Finding, Need, Rule, Severity  # noqa: E402
from app.prosody.forms import Form  # noqa: E402
from app.prosody.groups import GROUPS, neighbours  # noqa: E402
from app.prosody.rhymebook import RhymeBook  # noqa: E402
from app.prosody.tones import UNCERTAIN_BIT  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "quantangshi_regulated.jsonl"
CAUSES = (
    "damaged text",
    "not regulated verse",
    "a reading the book lacks",
    "a character the book lacks",
    "a polyphone",
    "a rule the tradition is divided on",
    "a real fault of the poet",
)
DIVIDED = {Rule.SHI_NIAN, Rule.GU_PING, Rule.SAN_PING_WEI}


@dataclass
class Tally:
    poems: int = 0
    passed: int = 0
    ze_yun: int = 0
    by_cause: Counter[str] = field(default_factory=Counter)
    by_rule: dict[str, Counter[str]] = field(default_factory=dict)  # cause → rule → poems
    examples: dict[str, list[str]] = field(default_factory=dict)


def usage_of(book: RhymeBook, corpus: Path) -> Usage:
    """Tang usage by the bundled book's readings (tools/tang_usage.py)."""

    def groups_of(ch: str) -> frozenset[int]:
        info = book.lookup(ch)
        return info.group_ids if info is not None else frozenset()

    return count_usage(read_poems(corpus), groups_of)


def cause_of(a: PoemAnalysis, lines: list[str], book: RhymeBook, usage: Usage) -> str:
    errors = [f for f in a.findings if f.severity is Severity.ERROR]
    if any("□" in x or "囗" in x for x in lines) or any(f.rule is Rule.LENGTH for f in errors):
        return CAUSES[0]
    if len({f.line for f in errors}) >= 3:
        return CAUSES[1]
    # the decisive cell of each error: the character the finding names
    cells = [f for f in errors if f.pos is not None and f.char]
    if cells and all(_used_as_needed(f, a, usage) for f in cells):
        return CAUSES[2]
    for f in cells:
        info = book.lookup(f.char)
        uses = usage.fixed[f.char, PING] + usage.fixed[f.char, ZE]
        if info is not None and info.mask & UNCERTAIN_BIT and uses < 10:
            return CAUSES[3]
    for f in cells:
        info = book.lookup(f.char)
        if f.rule is not Rule.CHU_YUN and info is not None and info.is_polyphone:
            return CAUSES[4]
    if all(_divided(f, a) for f in errors):
        return CAUSES[5]
    return CAUSES[6]


def _used_as_needed(f: Finding, a: PoemAnalysis, usage: Usage) -> bool:
    """Tang poets use the character as the finding needs: rhymed in the poem's group
    (出韵), or in the wanted tone at fixed positions (≥ 3 and ≥ 10% of its uses)."""
    if f.rule is Rule.CHU_YUN:
        if a.rhyme_group is None:
            return False
        rhymes = sum(n for (c, _), n in usage.rhyme.items() if c == f.char)
        k = usage.rhyme[f.char, a.rhyme_group.id]
        return k >= 3 and k >= 0.1 * rhymes
    want = PING if f.need in (Need.PING, Need.RHYME) else ZE if f.need is Need.ZE else None
    if want is None:
        return False
    k, total = usage.fixed[f.char, want], usage.fixed[f.char, PING] + usage.fixed[f.char, ZE]
    return k >= 3 and k >= 0.1 * total


def _divided(f: Finding, a: PoemAnalysis) -> bool:
    if f.rule in DIVIDED:
        return True
    if f.rule is Rule.TE_AO and f.pos is not None:  # 仄平仄平仄: the 1st of a 特拗 line
        return True
    if f.rule is Rule.CHU_YUN and a.rhyme_group is not None:
        near = {g.id for g in neighbours(a.rhyme_group)}
        named = f.get("char_group") or ""
        return any(GROUPS[g].name in named for g in near)
    return False


def run(corpus: Path, n_examples: int) -> Tally:
    book = RhymeBook.load()
    checker = Checker(book)
    usage = usage_of(book, corpus)
    tally = Tally()
    with corpus.open(encoding="utf-8") as fh:
        for raw in fh:
            row = json.loads(raw)
            form = Form.from_name(row["form"]) if row.get("form") else None
            if form is None:
                continue
            tally.poems += 1
            a = checker.analyze("\n".join(row["lines"]), form=form, per_char=False)
            if a.ze_yun:
                tally.ze_yun += 1
                continue
            errors = [f for f in a.findings if f.severity is Severity.ERROR]
            if not errors:
                tally.passed += 1
                continue
            cause = cause_of(a, row["lines"], book, usage)
            tally.by_cause[cause] += 1
            rules = tally.by_rule.setdefault(cause, Counter())
            for rule in {f.rule.zh for f in errors}:
                rules[rule] += 1
            shown = tally.examples.setdefault(cause, [])
            if len(shown) < n_examples and row["id"][-1] in "0":  # a spread-out sample
                first = errors[0]
                line = row["lines"][first.line] if first.line < len(row["lines"]) else ""
                shown.append(f"{row['author']}《{row['title']}》{line}：{first.message()}")
    return tally


def markdown(t: Tally) -> str:
    failed = sum(t.by_cause.values())
    out = [
        f"{t.poems:,} poems: **{t.passed:,} keep every rule** ({t.passed / t.poems:.1%}), "
        f"{t.ze_yun:,} are 仄韵 (not checked as regulated verse), {failed:,} fail.",
        "",
        "| cause | poems | share of failures | rules broken (poems) |",
        "| --- | ---: | ---: | --- |",
    ]
    for cause in CAUSES:
        n = t.by_cause[cause]
        rules = ", ".join(f"{r} {k}" for r, k in t.by_rule.get(cause, Counter()).most_common(6))
        out.append(f"| {cause} | {n:,} | {n / failed:.1%} | {rules} |")
    out += ["", "Examples (the first error of each poem):", ""]
    for cause in CAUSES:
        for ex in t.examples.get(cause, []):
            out.append(f"- *{cause}* — {ex}")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--examples", type=int, default=3)
    args = parser.parse_args()
    if not args.corpus.exists():
        parser.error(f"corpus not found: {args.corpus}")
    print(markdown(run(args.corpus, args.examples)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
