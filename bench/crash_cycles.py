"""Crash cycles: type, SIGKILL at a random moment, restart — hundreds of times.

Each cycle starts the real app (``python -m app --basedir TMP``, offscreen) on
the same folder. Start-up restores the draft of the previous run; the app logs
what its editor shows (``SHIJIAN_DRIVE_REPORT=1``), then its test drive types
one more line of verse (``SHIJIAN_DRIVE_TYPE``, real key events, 25 ms apart),
and at a random moment — during start-up, while typing, just after, or while
a draft is being written — the process is killed with SIGKILL.

Checked at the start of the next cycle:

* the editor holds a prefix of everything ever typed (never garbage, never a
  mixture, never text from nowhere), and
* nothing acknowledged is lost: the text is at least as long as the last draft
  the killed run had logged as written (``draft_saved``).

One cycle in ten kills the app during start-up instead (a random moment in
its first 1.5 s: while the library opens, recovers or backs up); the next
start must still show the same text.

Reported: cycles, violations of either rule (the figure that matters: 0), how
often the restored text was exactly the last acknowledged draft or newer (a
draft committed in the instant before the kill), how many kills came before
the library was open, and the typed-but-unacknowledged characters lost per kill
(the window the autosave delay leaves open).

    .venv/bin/python bench/crash_cycles.py [--cycles 200] [--autosave 0.5] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.app_process import AppProcess, write_settings  # noqa: E402

LINES = (
    "床前明月光\n", "疑是地上霜\n", "举头望明月\n", "低头思故乡\n",
    "白日依山尽\n", "黄河入海流\n", "欲穷千里目\n", "更上一层楼\n",
    "春眠不觉晓\n", "处处闻啼鸟\n", "夜来风雨声\n", "花落知多少\n",
)  # fmt: skip
INTERVAL_MS = 25


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--autosave", type=float, default=0.5, help="editor.autosave_seconds")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else time.time_ns() % 1_000_000
    rng = random.Random(seed)
    stats = {
        "checks": 0,
        "violations": 0,
        "killed_during_startup": 0,
        "restored_exactly_last_ack": 0,
        "restored_newer_than_ack": 0,
        "killed_before_library_open": 0,
        "killed_before_any_ack": 0,
    }
    lost: list[int] = []
    problems: list[str] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="shijian-bench-crash-") as tmp:
        base = Path(tmp)
        write_settings(base, {"editor": {"autosave_seconds": args.autosave}})
        expected = ""  # what the editor should show at the next start (a prefix of `typed`)
        typed = ""
        acked = 0
        for cycle in range(args.cycles + 1):
            chunk = LINES[cycle % len(LINES)]
            env = {
                "SHIJIAN_DRIVE_TYPE": chunk,
                "SHIJIAN_DRIVE_INTERVAL_MS": str(INTERVAL_MS),
                "SHIJIAN_DRIVE_REPORT": "1",
            }
            with AppProcess(base, env=env) as app:
                if cycle < args.cycles and rng.random() < 0.1:
                    time.sleep(rng.uniform(0, 1.5))  # a kill during start-up itself
                    if not app.named("editor_text"):
                        stats["killed_during_startup"] += 1
                        if not app.named("library_ready"):
                            stats["killed_before_library_open"] += 1
                        app.kill()
                        continue  # the next start must still show `expected`
                shown = app.wait_for("editor_text", timeout=180)["text"]
                if cycle > 0:
                    stats["checks"] += 1
                    ok = typed.startswith(shown) and len(shown) >= acked
                    if not ok:
                        stats["violations"] += 1
                        problems.append(f"cycle {cycle}: {shown!r} (acked {acked})")
                    if len(shown) == acked:
                        stats["restored_exactly_last_ack"] += 1
                    elif len(shown) > acked:
                        stats["restored_newer_than_ack"] += 1
                    lost.append(max(0, len(expected) - len(shown)))
                if cycle == args.cycles:
                    app.close()
                    break
                # this run types after whatever it restored
                typed = shown + chunk
                expected = typed
                app.wait_for("drive_started", timeout=60)
                time.sleep(rng.uniform(0, len(chunk) * INTERVAL_MS / 1000 + args.autosave + 1))
                saved = app.named("draft_saved")
                acked = saved[-1]["chars"] if saved else len(shown)
                if not saved:
                    stats["killed_before_any_ack"] += 1
                app.kill()
            if cycle % 20 == 19:
                print(f"… {cycle + 1} cycles, {stats['violations']} violations", flush=True)
    stats["cycles"] = args.cycles
    result = {
        "seed": seed,
        "autosave_seconds": args.autosave,
        **stats,
        "lost_unacknowledged_chars": {
            "median": statistics.median(lost) if lost else 0,
            "max": max(lost) if lost else 0,
        },
        "minutes": round((time.monotonic() - started) / 60, 1),
        "problems": problems[:20],
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if stats["violations"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
