"""Start-up time: from launching the real app to an interactive window.

Launches ``python -m app --basedir TMP`` as a subprocess (offscreen Qt,
structured log on stderr) and times, from the moment the process is spawned,
the arrival of the log events:

* ``window_shown`` — the main window is built, shown and can take keys;
* ``first_idle`` — the event loop has run once after showing (the first frame);
* ``library_ready`` — the poem library is open (on a background thread).

Two situations: a first start (an empty folder: the library is created) and
later starts (the library exists; a start-up backup runs). Each is repeated;
the median, best and worst are printed. Timings are machine-dependent figures
for docs/app.md, never pass/fail tests.

    .venv/bin/python bench/startup.py [--runs 7] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.app_process import AppProcess  # noqa: E402

EVENTS = ("window_shown", "first_idle", "library_ready")


def one_run(basedir: Path) -> dict[str, float]:
    with AppProcess(basedir) as app:
        times = {}
        for name in EVENTS:
            event = app.wait_for(name, timeout=120)
            times[name] = event["_arrived_s"]
            times[f"{name}_in_app"] = event["t_ms"] / 1000
        app.close()
    return times


def summarise(label: str, runs: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    print(f"\n{label} ({len(runs)} runs) — seconds from spawning the process")
    print(f"  {'event':<16}{'median':>8}{'best':>8}{'worst':>8}   (in-app median)")
    for name in EVENTS:
        values = [r[name] for r in runs]
        inside = statistics.median(r[f"{name}_in_app"] for r in runs)
        out[name] = {
            "median": round(statistics.median(values), 3),
            "best": round(min(values), 3),
            "worst": round(max(values), 3),
            "in_app_median": round(inside, 3),
        }
        row = out[name]
        print(
            f"  {name:<16}{row['median']:>8.3f}{row['best']:>8.3f}{row['worst']:>8.3f}"
            f"   ({inside:.3f})"
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    first: list[dict[str, float]] = []
    later: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="shijian-bench-startup-") as tmp:
        for index in range(args.runs):
            first.append(one_run(Path(tmp) / f"fresh-{index}"))
        warm = Path(tmp) / "warm"
        one_run(warm)  # create the library once
        for _ in range(args.runs):
            later.append(one_run(warm))
    result = {
        "first_start": summarise("First start (new library)", first),
        "later_starts": summarise("Later starts (existing library)", later),
    }
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
