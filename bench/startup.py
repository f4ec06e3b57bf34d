"""Start-up time: from launching the real app to an interactive window.

Launches ``python -m app --basedir TMP`` as a subprocess (offscreen Qt,
structured log on stderr) and times, from the moment the process is spawned,
the arrival of the log events:

* ``window_shown`` — the main window is built, shown and can take keys;
* ``first_idle`` — the event loop has run once after showing (the first frame);
* ``library_ready`` — the poem library is open (on a background thread).

Beside the wall-clock figures it prints the time inside the app (from the top of
``launch()``) and the process's CPU time (all threads, from process start) at each
event: on a shared machine the wall clock swings with other load, the CPU time
much less — it is what the start-up costs on an idle machine.

Python bytecode: an installed app (pip, PyInstaller) has its modules compiled
to ``.pyc``; a checkout run with ``PYTHONDONTWRITEBYTECODE=1`` recompiles
about 70 modules on every start (~0.25 s of CPU here). By default the
benchmark gives the app a private bytecode cache (``PYTHONPYCACHEPREFIX`` in
the temporary folder, filled by one warm-up run), as installed; with
``--no-bytecode`` it measures the recompiling case.

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


def one_run(basedir: Path, env: dict[str, str]) -> dict[str, float]:
    with AppProcess(basedir, env=env) as app:
        times = {}
        for name in EVENTS:
            event = app.wait_for(name, timeout=120)
            times[name] = event["_arrived_s"]
            times[f"{name}_in_app"] = event["t_ms"] / 1000
            times[f"{name}_cpu"] = event["cpu_ms"] / 1000
        app.close()
    return times


def summarise(label: str, runs: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    print(f"\n{label} ({len(runs)} runs) — seconds from spawning the process")
    print(f"  {'event':<16}{'median':>8}{'best':>8}{'worst':>8}{'in-app':>8}{'CPU':>8}")
    for name in EVENTS:
        values = [r[name] for r in runs]
        inside = statistics.median(r[f"{name}_in_app"] for r in runs)
        cpu = statistics.median(r[f"{name}_cpu"] for r in runs)
        out[name] = {
            "median": round(statistics.median(values), 3),
            "best": round(min(values), 3),
            "worst": round(max(values), 3),
            "in_app_median": round(inside, 3),
            "cpu_median": round(cpu, 3),
        }
        row = out[name]
        print(
            f"  {name:<16}{row['median']:>8.3f}{row['best']:>8.3f}{row['worst']:>8.3f}"
            f"{inside:>8.3f}{cpu:>8.3f}"
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--no-bytecode", action="store_true", help="no .pyc cache: every start recompiles"
    )
    args = parser.parse_args()
    first: list[dict[str, float]] = []
    later: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="shijian-bench-startup-") as tmp:
        if args.no_bytecode:
            env = {"PYTHONDONTWRITEBYTECODE": "1"}
        else:
            env = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": f"{tmp}/pycache"}
            one_run(Path(tmp) / "bytecode-warm-up", env)
        for index in range(args.runs):
            first.append(one_run(Path(tmp) / f"fresh-{index}", env))
        warm = Path(tmp) / "warm"
        one_run(warm, env)  # create the library once
        for _ in range(args.runs):
            later.append(one_run(warm, env))
    result = {
        "bytecode": not args.no_bytecode,
        "first_start": summarise("First start (new library)", first),
        "later_starts": summarise("Later starts (existing library)", later),
    }
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
