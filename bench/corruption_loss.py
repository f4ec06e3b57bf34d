"""What a library file damaged at a random moment loses: the age of the oldest lost work.

A poet's session is simulated on the real storage layer (real SQLite files, the
real backups, the real recovery), with a simulated clock so an hour takes
seconds: the library is opened (start-up backup), then the poet works — a draft
every ``--draft-s`` seconds of typing in bursts, a save every few minutes, a new
poem now and then — while the window's backup check runs every ``--check-s``
seconds (``Library.backup_if_due`` with the interval of the settings,
``--every-s``, as ``app/ui/window/backups.py`` does). At a random moment of the
session the library file is overwritten with random bytes; opening it again
sets it aside and restores the newest sound backup.

Every write carries a sequence number, so the restored library tells exactly
which writes survived. Per trial: **lost seconds** — how long before the damage
the oldest lost write was made (0 when nothing was lost).

``--every-s 0`` turns the periodic backups off (start-up backups only, as before):
the loss is then everything since the session began.

    .venv/bin/python bench/corruption_loss.py [--trials 40] [--minutes 60] [--every-s 300]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.paths import AppPaths  # noqa: E402
from app.storage.backup import BackupPolicy  # noqa: E402
from app.storage.db import LibraryOptions, open_library  # noqa: E402
from app.storage.records import DraftData, PoemData, PoemQuery, poem_slot  # noqa: E402
from tests.support.storage_damage import fill_with_garbage  # noqa: E402

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


class SimClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def session(rng: random.Random, minutes: float, draft_s: float) -> list[tuple[float, str]]:
    """The poet's writes: (seconds into the session, "draft" | "save" | "new")."""
    events: list[tuple[float, str]] = []
    t = 0.0
    end = minutes * 60
    while t < end:
        burst = rng.uniform(30, 240)  # typing …
        stop = min(end, t + burst)
        while t < stop:
            t += draft_s
            events.append((t, "draft"))
        t += rng.uniform(5, 60)  # … a pause, then a save (sometimes a new poem)
        events.append((t, "new" if rng.random() < 0.2 else "save"))
    return [(at, kind) for at, kind in events if at < end]


def one_trial(
    base: Path, rng: random.Random, minutes: float, every_s: float, check_s: float, draft_s: float
) -> dict[str, float | int]:
    clock = SimClock()
    policy = BackupPolicy(every_s=every_s if every_s > 0 else 1e12)
    options = LibraryOptions(clock=clock, backup_policy=policy, spool_folders=(base / "spool",))
    paths = AppPaths.under(base).ensure()
    library, _ = open_library(paths, options)  # yesterday's library
    library.save_poem(PoemData(title="旧作", text="seq:0"))
    library.close()
    clock.now += timedelta(hours=12)
    start = clock.now
    library, _ = open_library(paths, options)  # today's start-up (and its backup)
    writes = session(rng, minutes, draft_s)
    damage_at = rng.uniform(0, minutes * 60)
    poem_id = library.save_poem(PoemData(title="新作", text="seq:0")).id
    made: list[float] = []  # seconds into the session of write number i + 1
    next_check = check_s
    for at, kind in writes:
        if at > damage_at:
            break
        while next_check <= at:
            clock.now = start + timedelta(seconds=next_check)
            if every_s > 0:
                library.backup_if_due(every_s)
            next_check += check_s
        clock.now = start + timedelta(seconds=at)
        seq = len(made) + 1
        text = f"seq:{seq}"
        if kind == "draft":
            library.save_draft(DraftData(slot=poem_slot(poem_id), poem=PoemData(text=text)))
        elif kind == "new":
            poem_id = library.save_poem(PoemData(title=f"诗{seq}", text=text)).id
        else:
            library.save_poem(PoemData(title=f"诗{seq}", text=text), poem_id=poem_id)
        made.append(at)
    library.close()
    fill_with_garbage(paths.database)
    clock.now = start + timedelta(seconds=damage_at)
    library, report = open_library(paths, options)
    assert report.recovery is not None
    texts = [r.text for r in library.search(PoemQuery(state="all"))]
    texts += [d.poem.text for d in library.load_drafts(newer_only=False)]
    library.close()
    survived = max((int(t.split(":")[1]) for t in texts if t.startswith("seq:")), default=0)
    lost = len(made) - survived
    return {
        "writes": len(made),
        "lost_writes": lost,
        "lost_s": round(damage_at - made[survived], 1) if lost > 0 else 0.0,
        "damage_at_s": round(damage_at, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--minutes", type=float, default=60.0, help="length of a session")
    parser.add_argument("--every-s", type=float, default=300.0, help="backup interval; 0: off")
    parser.add_argument("--check-s", type=float, default=60.0, help="the window's check")
    parser.add_argument("--draft-s", type=float, default=2.0, help="a draft every … of typing")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else time.time_ns() % 1_000_000
    rng = random.Random(seed)
    started = time.monotonic()
    trials = []
    for index in range(args.trials):
        with tempfile.TemporaryDirectory(prefix="shijian-bench-corrupt-") as tmp:
            trial = one_trial(
                Path(tmp), rng, args.minutes, args.every_s, args.check_s, args.draft_s
            )
        trials.append(trial)
        print(f"… {index + 1}: {trial}", flush=True)
    lost = [float(t["lost_s"]) for t in trials]
    result = {
        "seed": seed,
        "trials": len(trials),
        "session_minutes": args.minutes,
        "backup_every_s": args.every_s,
        "check_every_s": args.check_s,
        "lost_minutes": {
            "median": round(statistics.median(lost) / 60, 2),
            "p90": round(sorted(lost)[int(0.9 * (len(lost) - 1))] / 60, 2),
            "max": round(max(lost) / 60, 2),
        },
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
