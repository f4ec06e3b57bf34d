"""Autosave under typing that never pauses: SIGKILL at a random moment, measure the loss.

Each cycle starts the real app (``python -m app --basedir TMP``, offscreen, the
default settings: ``editor.autosave_seconds`` = 2) on a fresh folder. Its test
drive types a long stream of verse — four poems, no pause anywhere — as real
key events (``SHIJIAN_DRIVE_TYPE``, a key every ``--interval`` ms), logging
each key (``SHIJIAN_DRIVE_TRACE=1``). At a random moment while it types (or
just after the last key) the process is killed with SIGKILL; the next start
shows what survived (``SHIJIAN_DRIVE_REPORT=1``).

Per kill:

* **lost keys** — keys the app had logged as typed before the kill, minus the
  characters the restarted editor holds;
* **lost seconds** — how long before the kill the oldest lost key was typed
  (0 when nothing was lost): the age of the oldest work a crash takes away.

The restarted text must be a prefix of what was typed (violations: the figure
that must be 0). Reported: the median and worst of both losses.

    .venv/bin/python bench/autosave_sigkill.py [--cycles 20] [--interval 60] [--seed N]
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

from tests.support.app_process import AppProcess  # noqa: E402

STREAM = (
    "床前明月光疑是地上霜举头望明月低头思故乡"
    "白日依山尽黄河入海流欲穷千里目更上一层楼"
    "风急天高猿啸哀渚清沙白鸟飞回无边落木萧萧下不尽长江滚滚来"
    "万里悲秋常作客百年多病独登台艰难苦恨繁霜鬓潦倒新停浊酒杯"
)


def one_cycle(base: Path, rng: random.Random, interval_ms: int) -> dict[str, float | int]:
    env = {
        "SHIJIAN_DRIVE_TYPE": STREAM,
        "SHIJIAN_DRIVE_INTERVAL_MS": str(interval_ms),
        "SHIJIAN_DRIVE_TRACE": "1",
    }
    with AppProcess(base, env=env) as app:
        app.wait_for("drive_started", timeout=180)
        typing_s = len(STREAM) * interval_ms / 1000
        time.sleep(rng.uniform(1.0, typing_s + 0.5))
        killed_at = time.monotonic() - app.started_at
        keys = {e["n"]: e["_arrived_s"] for e in app.named("drive_key")}
        app.kill()
    with AppProcess(base, env={"SHIJIAN_DRIVE_REPORT": "1"}) as again:
        shown = again.wait_for("editor_text", timeout=180)["text"]
        again.close()
    typed = max(keys, default=0)
    first_lost = keys.get(len(shown) + 1)
    return {
        "typed": typed,
        "restored": len(shown),
        "prefix": int(STREAM.startswith(shown)),
        "lost_keys": max(0, typed - len(shown)),
        "lost_s": round(killed_at - first_lost, 3) if first_lost is not None else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--interval", type=int, default=60, help="ms between keys")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else time.time_ns() % 1_000_000
    rng = random.Random(seed)
    started = time.monotonic()
    cycles = []
    for index in range(args.cycles):
        with tempfile.TemporaryDirectory(prefix="shijian-bench-autosave-") as tmp:
            cycles.append(one_cycle(Path(tmp), rng, args.interval))
        print(f"… {index + 1}: {cycles[-1]}", flush=True)
    lost_s = [float(c["lost_s"]) for c in cycles]
    lost_keys = [int(c["lost_keys"]) for c in cycles]
    result = {
        "seed": seed,
        "cycles": len(cycles),
        "key_interval_ms": args.interval,
        "autosave_seconds": 2.0,
        "violations": sum(1 for c in cycles if not c["prefix"]),
        "lost_seconds": {"median": statistics.median(lost_s), "max": max(lost_s)},
        "lost_keys": {"median": statistics.median(lost_keys), "max": max(lost_keys)},
        "nothing_restored": sum(1 for c in cycles if c["restored"] == 0),
        "minutes": round((time.monotonic() - started) / 60, 1),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if result["violations"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
