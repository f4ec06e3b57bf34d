"""How long the checker takes for one 七律 (the issue's target: median ≤ 200 µs on one core).

Analyses every 七律 of 唐诗三百首 (from ../shared/corpus/tang300.jsonl when present, else a
few built-in poems) round after round through one Checker, as the editor does on each
keystroke, and reports the median and 90th percentile per analysis — with per-character
results (what the editor paints) and without (what batch scoring uses).

    python bench/checker_speed.py [--corpus PATH] [--rounds 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus/tang300.jsonl"))
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
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
        for _ in range(args.rounds):
            for p in poems:
                t = time.perf_counter()
                checker.analyze(p, per_char=per_char)
                samples.append(time.perf_counter() - t)
        samples.sort()
        label = "with per-character results" if per_char else "findings only (batch)"
        print(
            f"七律 × {len(poems)}, {args.rounds} rounds, {label}: "
            f"median {statistics.median(samples) * 1e6:.0f} µs, "
            f"p90 {samples[int(len(samples) * 0.9)] * 1e6:.0f} µs"
        )
    print(
        f"first analysis of each poem (cold cache): median {statistics.median(cold) * 1e6:.0f} µs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
