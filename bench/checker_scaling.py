"""How analysis time and memory grow with the size of the text (1 KB → 5 MB).

Three kinds of text, each cut to sizes from 1 KB to 5 MB of UTF-8:

* **poems** — poems of 全唐诗 one after another (../shared/corpus/quantangshi_regulated.jsonl;
  random 七言 lines when the corpus is not there), what a pasted collection looks like;
* **random** — 七言 lines of random characters of the rhyme book, punctuated: a finding at
  almost every character, the most work per character there is;
* **one line** — the same characters with no punctuation at all: a single line.

For each text it measures, in this process, ``Checker.analyze`` (per-character results, as
the editor asks) and, as separate processes, ``shijian check FILE`` and
``shijian check FILE --json`` with their peak memory (the child's maximum resident size)
and the size of what they printed. Then the **slope**: the least-squares slope of
log(time) over log(size) for the sizes from 64 KB up — 1.0 is linear, 2.0 quadratic (for
the two commands, less the 1 KB run's time, which is the start-up).

    PYTHONPATH=. python bench/checker_scaling.py [--max-mb 5] [--kinds poems,random,line]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

from app.prosody.checker import Checker
from app.prosody.rhymebook import RhymeBook

SIZES = [1_000, 4_000, 16_000, 64_000, 256_000, 1_000_000, 5_000_000]
CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
SLOPE_FROM = 64_000


def _cut(text: str, size: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 form is at most ``size`` bytes."""
    data = text.encode()[:size]
    return data.decode(errors="ignore")


def _random_lines(book: RhymeBook, size: int, punctuated: bool, seed: int = 15) -> str:
    alphabet = sorted({ch for g in range(106) for ch in book.group_chars(g)})
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    i = 0
    while total < size:
        line = "".join(rng.choices(alphabet, k=7))
        if punctuated:
            line += "，" if i % 2 == 0 else "。\n"
        parts.append(line)
        total += len(line.encode())
        i += 1
    return _cut("".join(parts), size)


def _poems(book: RhymeBook, size: int, corpus: Path) -> str:
    path = corpus / "quantangshi_regulated.jsonl"
    if not path.exists():
        return _random_lines(book, size, True, seed=1)
    parts: list[str] = []
    total = 0
    with path.open(encoding="utf-8") as fh:
        for raw in fh:
            row = json.loads(raw)
            lines = row.get("simplified") or row["lines"]
            poem = (
                "".join(line + ("，" if k % 2 == 0 else "。") for k, line in enumerate(lines))
                + "\n\n"
            )
            parts.append(poem)
            total += len(poem.encode())
            if total >= size:
                break
    text = "".join(parts)
    while len(text.encode()) < size:  # the corpus is ~20 MB; repeat it if asked for more
        text += text
    return _cut(text, size)


# The child reports its own peak resident size (VmHWM) as it exits: the maximum resident
# size the kernel keeps for a child also counts what it shared with this process before
# exec, so it would say how large the benchmark was, not the check.
_CHILD = """
import atexit, sys
def _peak():
    with open('/proc/self/status') as fh:
        for line in fh:
            if line.startswith('VmHWM:'):
                sys.stderr.write('PEAK ' + line.split()[1] + '\\n')
atexit.register(_peak)
from app.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _run_check(path: Path, *extra: str) -> tuple[float, int, int, int]:
    """Wall seconds, exit status, bytes printed and peak resident bytes of one check."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, "check", str(path), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    printed = 0
    while block := proc.stdout.read(1 << 20):
        printed += len(block)
    err = proc.stderr.read().decode(errors="replace")
    proc.wait()
    seconds = time.perf_counter() - start
    peaks = [line.split()[1] for line in err.splitlines() if line.startswith("PEAK ")]
    peak = int(peaks[-1]) * 1024 if peaks else 0
    return seconds, proc.returncode, printed, peak


def _slope(points: list[tuple[int, float]]) -> float:
    pts = [(math.log(s), math.log(t)) for s, t in points if s >= SLOPE_FROM and t > 0]
    if len(pts) < 2:
        return float("nan")
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-mb", type=float, default=5.0)
    parser.add_argument("--kinds", default="poems,random,line")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--no-cli", action="store_true", help="analysis only")
    args = parser.parse_args()
    book = RhymeBook.load()
    sizes = [s for s in SIZES if s <= args.max_mb * 1_000_000]
    makers = {
        "poems": lambda n: _poems(book, n, args.corpus),
        "random": lambda n: _random_lines(book, n, True),
        "line": lambda n: _random_lines(book, n, False),
    }
    reference = min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load "
        f"{os.getloadavg()[0]:.1f}, reference loop sum(range(1000)) {reference * 1e6:.1f} µs"
    )
    for kind in args.kinds.split(","):
        checker = Checker(book)
        checker.analyze(makers[kind](16_000))  # fill the per-character caches once
        series: dict[str, list[tuple[int, float]]] = {"analyze": [], "check": [], "json": []}
        print(f"\n== {kind}")
        print(
            f"{'size':>9} {'chars':>9} {'findings':>9} {'analyze':>9} {'check':>9}"
            f" {'--json':>9} {'json out':>9} {'peak':>9} {'peak/out':>8}"
        )
        for size in sizes:
            text = makers[kind](size)
            start = time.perf_counter()
            analysis = checker.analyze(text)
            analyse_s = time.perf_counter() - start
            series["analyze"].append((size, analyse_s))
            row = (
                f"{size:>9,} {len(analysis.chars):>9,} {len(analysis.findings):>9,}"
                f" {analyse_s:>8.3f}s"
            )
            del analysis
            if not args.no_cli:
                with tempfile.TemporaryDirectory() as folder:
                    path = Path(folder) / "poem.txt"
                    path.write_text(text, encoding="utf-8")
                    check_s, _, _, _ = _run_check(path)
                    json_s, _, printed, peak = _run_check(path, "--json")
                series["check"].append((size, check_s))
                series["json"].append((size, json_s))
                row += (
                    f" {check_s:>8.2f}s {json_s:>8.2f}s {printed / 1e6:>7.1f}MB"
                    f" {peak / 1e6:>7.0f}MB {peak / max(printed, 1):>7.1f}×"
                )
            print(row, flush=True)
        for name in ("check", "json"):  # without the start-up time (the 1 KB run's)
            if series[name]:
                base = series[name][0][1]
                series[name] = [(size, t - base) for size, t in series[name]]
        slopes = ", ".join(
            f"{name} {_slope(points):.2f}" for name, points in series.items() if points
        )
        print(f"slope of log(time) over log(size), {SLOPE_FROM // 1000} KB and up: {slopes}")


if __name__ == "__main__":
    main()
