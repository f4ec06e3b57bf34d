"""How fast the rhyme book loads and answers.

    .venv/bin/python bench/rhymebook_load.py [--repeat 20]

Prints, in milliseconds unless said otherwise:
- a fresh interpreter importing app.prosody.rhymebook and loading the bundled book
  (median of several processes, with the bare interpreter start for comparison);
- RhymeBook.load() inside a running process (min and median);
- the first tone masks of a 七律 (rows decoded on first use) and warm per-character costs;
- the first and a warm character-level conversion of the same poem.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.prosody.rhymebook import RhymeBook  # noqa: E402

# 杜甫《登高》, simplified.
POEM = (
    "风急天高猿啸哀渚清沙白鸟飞回无边落木萧萧下不尽长江滚滚来"
    "万里悲秋常作客百年多病独登台艰难苦恨繁霜鬓潦倒新停浊酒杯"
)

_CHILD = """
import time
t0 = time.perf_counter()
from app.prosody.rhymebook import RhymeBook
t1 = time.perf_counter()
rb = RhymeBook.load()
t2 = time.perf_counter()
print(f"{(t1 - t0) * 1000:.2f} {(t2 - t1) * 1000:.2f}")
"""


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def cold(runs: int) -> tuple[float, float, float, float]:
    imports, loads, totals, bare = [], [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", _CHILD], cwd=ROOT, capture_output=True, text=True, check=True
        )
        totals.append(time.perf_counter() - start)
        imp, load = (float(x) / 1000 for x in out.stdout.split())
        imports.append(imp)
        loads.append(load)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - start)
    return (
        statistics.median(imports),
        statistics.median(loads),
        statistics.median(totals),
        statistics.median(bare),
    )


def stdlib_import(runs: int) -> float:
    code = (
        "import time; t = time.perf_counter(); "
        "import json, dataclasses, enum, pathlib, unicodedata, importlib.resources; "
        "print(time.perf_counter() - t)"
    )
    out = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--processes", type=int, default=5)
    args = parser.parse_args(argv)

    imp, load, total, bare = cold(args.processes)
    stdlib = stdlib_import(args.processes)
    print(f"fresh process: import {_ms(imp)} ms, load {_ms(load)} ms, process {_ms(total)} ms")
    print(f"  (a bare interpreter start: {_ms(bare)} ms; {_ms(stdlib)} ms of the import is")
    print("   the standard library it pulls in: json, dataclasses, enum, importlib.resources)")

    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        rb = RhymeBook.load()
        times.append(time.perf_counter() - start)
    print(
        f"RhymeBook.load() in process: min {_ms(min(times))} ms, "
        f"median {_ms(statistics.median(times))} ms ({len(rb.stats)} stats, "
        f"{rb.stats['chars']} characters)"
    )

    rb = RhymeBook.load()
    start = time.perf_counter()
    masks = [rb.mask(ch) for ch in POEM]
    first = time.perf_counter() - start
    rounds = 2000
    start = time.perf_counter()
    for _ in range(rounds):
        for ch in POEM:
            rb.mask(ch)
    warm = (time.perf_counter() - start) / (rounds * len(POEM))
    start = time.perf_counter()
    for _ in range(rounds // 10):
        for ch in POEM:
            rb.lookup(ch)
    warm_lookup = (time.perf_counter() - start) / (rounds // 10 * len(POEM))
    print(
        f"七律 ({len(POEM)} chars, {sum(1 for m in masks if m)} with a tone): first masks "
        f"{_ms(first)} ms; warm mask {warm * 1e9:.0f} ns/char, warm lookup "
        f"{warm_lookup * 1e9:.0f} ns/char"
    )

    fresh = RhymeBook.load()
    start = time.perf_counter()
    fresh.to_traditional(POEM)
    first_conv = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(1000):
        fresh.to_traditional(POEM)
    warm_conv = (time.perf_counter() - start) / 1000
    print(
        f"to_traditional of the poem: first {_ms(first_conv)} ms (reads the table), "
        f"warm {warm_conv * 1e6:.1f} µs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
