"""How long the checker takes for one 七律 (the issue's target: median ≤ 200 µs on one core).

Two measurements through one Checker, pinned to one core:

* **unseen poems** — every 七律 of 全唐诗 (../shared/corpus/quantangshi_regulated.jsonl)
  analysed once each, after a warm-up on 300 others: no poem's text has been seen before,
  so only the per-character and per-tone-pattern memos help, as for a poet's new poem;
* **re-analysis** — the 七律 of 唐诗三百首 round after round, as the editor does on each
  keystroke.

Each reports the median and 90th percentile per analysis, with per-character results
(what the editor paints) and without (what batch scoring uses), and for re-analysis the
median of the quietest round (a shared machine's noise comes in bursts). A reference
loop's time is printed first, to compare machines.

    python bench/checker_speed.py [--corpus PATH] [--all PATH] [--rounds 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import timeit
from pathlib import Path

from app.prosody.checker import Checker
from app.prosody.rhymebook import RhymeBook

BUILT_IN = [
    "风急天高猿啸哀，渚清沙白鸟飞回。无边落木萧萧下，不尽长江滚滚来。"
    "万里悲秋常作客，百年多病独登台。艰难苦恨繁霜鬓，潦倒新停浊酒杯。",
    "昔人已乘黄鹤去，此地空余黄鹤楼。黄鹤一去不复返，白云千载空悠悠。"
    "晴川历历汉阳树，芳草萋萋鹦鹉洲。日暮乡关何处是，烟波江上使人愁。",
    "锦瑟无端五十弦，一弦一柱思华年。庄生晓梦迷蝴蝶，望帝春心托杜鹃。"
    "沧海月明珠有泪，蓝田日暖玉生烟。此情可待成追忆，只是当时已惘然。",
]


def load_poems(corpus: Path) -> list[str]:
    if not corpus.exists():
        return BUILT_IN
    poems = []
    for raw in corpus.read_text(encoding="utf-8").splitlines():
        row = json.loads(raw)
        if row.get("form") == "七律":
            poems.append("\n".join(row.get("simplified") or row["lines"]))
    return poems or BUILT_IN


def _report(label: str, samples: list[float]) -> None:
    samples.sort()
    print(
        f"{label}: median {statistics.median(samples) * 1e6:.0f} µs, "
        f"p90 {samples[int(len(samples) * 0.9)] * 1e6:.0f} µs, n={len(samples)}"
    )


def unseen(path: Path) -> None:
    if not path.exists():
        print(f"(unseen poems skipped: {path} not found)")
        return
    poems = load_poems(path)
    for per_char in (True, False):
        checker = Checker(RhymeBook.load())
        for p in poems[:300]:
            checker.analyze(p, per_char=per_char)
        samples = []
        for p in poems[300:]:
            t = time.perf_counter()
            checker.analyze(p, per_char=per_char)
            samples.append(time.perf_counter() - t)
        what = "with per-character results" if per_char else "findings only (batch)"
        _report(f"unseen 全唐诗 七律, {what}", samples)


def parse_args(description: str) -> argparse.Namespace:
    """The checker benches' command line: ``--corpus``, ``--all``, ``--rounds``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus/tang300.jsonl"))
    parser.add_argument(
        "--all", type=Path, default=Path("../shared/corpus/quantangshi_regulated.jsonl")
    )
    parser.add_argument("--rounds", type=int, default=30)
    return parser.parse_args()


def one_core() -> None:
    """Pin this process to one core, and print how fast this machine runs Python (for
    comparing figures across machines)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    reference = min(timeit.repeat("sum(range(1000))", number=10_000, repeat=5)) / 10_000
    print(f"reference: sum(range(1000)) takes {reference * 1e6:.1f} µs here")


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    one_core()
    unseen(args.all)
    poems = load_poems(args.corpus)
    book = RhymeBook.load()
    checker = Checker(book)
    cold = []
    for p in poems:  # first sight of each poem: fills the per-character tone cache
        t = time.perf_counter()
        checker.analyze(p)
        cold.append(time.perf_counter() - t)
    for per_char in (True, False):
        samples = []
        round_medians = []
        for _ in range(args.rounds):
            this_round = []
            for p in poems:
                t = time.perf_counter()
                checker.analyze(p, per_char=per_char)
                this_round.append(time.perf_counter() - t)
            samples.extend(this_round)
            round_medians.append(statistics.median(this_round))
        label = "with per-character results" if per_char else "findings only (batch)"
        _report(
            f"re-analysis, 唐诗三百首 七律 × {len(poems)}, {args.rounds} rounds, {label}", samples
        )
        print(f"  quietest round's median: {min(round_medians) * 1e6:.0f} µs")
    print(
        f"first analysis of each poem (cold cache): median {statistics.median(cold) * 1e6:.0f} µs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
