"""Start-up of the PyInstaller bundle: from double-click to an interactive window.

Starts ``dist/shijian/shijian`` (built by packaging/build-linux.sh, or by this
script through tests/support/pyinstaller_bundle.py when missing or stale) on a
temporary ``--basedir`` with offscreen Qt and its structured log on stderr, and
times from spawning the process to the log events ``window_shown`` (the window
is up and takes keys), ``first_idle`` and ``library_ready``. The same is done for
the source run (``python -m app``) for comparison, and ``--self-test`` is timed
as a whole.

``--cold`` drops the kernel's page cache before every run (Linux, as root), so
each start reads the bundle from disk as the first start after a reboot would;
without it the runs after the first are warm. Figures are for docs/packaging.md,
never pass/fail tests.

    .venv/bin/python bench/bundle_startup.py [--runs 5] [--cold] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import pyinstaller_bundle as pb  # noqa: E402
from tests.support.app_process import AppProcess  # noqa: E402

EVENTS = ("window_shown", "first_idle", "library_ready")


def drop_caches() -> bool:
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n", encoding="ascii")
    except OSError:
        return False
    return True


def one_start(python: str, basedir: Path, cold: bool) -> dict[str, float]:
    if cold:
        drop_caches()
    with AppProcess(basedir, python=python) as app:
        times = {name: float(app.wait_for(name, timeout=180)["_arrived_s"]) for name in EVENTS}
        app.close()
    return times


def self_test_seconds(command: list[str], cold: bool) -> float:
    if cold:
        drop_caches()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stdout.decode(errors="replace")[-2000:])
    return time.monotonic() - started


def summarise(label: str, runs: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    print(f"\n{label} ({len(runs)} runs) — seconds from spawning the process")
    print(f"  {'event':<16}{'median':>8}{'best':>8}{'worst':>8}")
    out = {}
    for name in EVENTS:
        values = [r[name] for r in runs]
        out[name] = {
            "median": round(statistics.median(values), 3),
            "best": round(min(values), 3),
            "worst": round(max(values), 3),
        }
        row = out[name]
        print(f"  {name:<16}{row['median']:>8.3f}{row['best']:>8.3f}{row['worst']:>8.3f}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cold", action="store_true", help="drop the page cache before each run")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.cold and not drop_caches():
        parser.error("--cold needs Linux and root (writes /proc/sys/vm/drop_caches)")

    folder, built = pb.ensure_bundle()
    if built is not None:
        print(f"built {folder} in {built:.0f} s")
    program = str(pb.program(folder))
    result: dict[str, object] = {"cold": args.cold, "runs": args.runs}
    with tempfile.TemporaryDirectory(prefix="shijian-bench-bundle-") as tmp:
        for label, python in (("bundle", program), ("source", sys.executable)):
            runs = [
                one_start(python, Path(tmp) / f"{label}-{i}", args.cold) for i in range(args.runs)
            ]
            result[label] = summarise(f"{label}: first start on a new folder", runs)
    tests = {
        "bundle": [program, "--self-test"],
        "source": [sys.executable, "-m", "app", "--self-test"],
    }
    self_tests: dict[str, float] = {}
    print("\n--self-test, whole run (seconds)")
    for label, command in tests.items():
        seconds = [self_test_seconds(command, args.cold) for _ in range(max(1, args.runs // 2))]
        self_tests[label] = round(statistics.median(seconds), 2)
        print(f"  {label:<8}{self_tests[label]:>8.2f}")
    result["self_test_s"] = self_tests
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
