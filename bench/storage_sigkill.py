"""Kill a saving process with SIGKILL at random moments; count what was lost.

    .venv/bin/python bench/storage_sigkill.py [--cycles 200] [--seed 1] [--max-delay 0.5]

Each cycle starts ``tests/support/storage_writer.py`` on the same library; the
writer saves poems in a loop (one transaction each, acknowledged on stdout
after the commit returned) and autosaves a draft after each. The cycle kills
it after a random delay — every tenth cycle before it has even finished
opening (during diagnosis, migration check or the start-up backup) — then
checks, on the files exactly as left:

- ``PRAGMA integrity_check`` is ok;
- every acknowledged poem is present;
- the next start-up needs no recovery, and the last acknowledged draft (or a
  later one) is offered back.

Prints one line per 20 cycles and a summary for docs/storage.md.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.paths import AppPaths  # noqa: E402
from app.storage.db import LibraryOptions, open_library  # noqa: E402
from app.storage.sqlite_tools import integrity_problems  # noqa: E402
from tests.support.storage_writer import DRAFT_SLOT, run_and_kill  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-delay", type=float, default=0.5)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.perf_counter()
    acked_total = lost = bad_integrity = recoveries = drafts_lost = 0
    with tempfile.TemporaryDirectory(prefix="shijian-sigkill-") as tmp:
        base = Path(tmp)
        paths = AppPaths.under(base)
        options = LibraryOptions(spool_folders=(base / "spool",))
        acked_all: set[str] = set()
        for cycle in range(args.cycles):
            early = cycle % 10 == 9
            delay = rng.uniform(0.0, 0.6 if early else args.max_delay)
            acked, drafted = run_and_kill(base, f"c{cycle}", delay, wait_ready=not early)
            acked_total += len(acked)
            acked_all.update(acked)
            if paths.database.exists():
                uri = f"{paths.database.resolve().as_uri()}?mode=ro"
                conn = sqlite3.connect(uri, uri=True)
                try:
                    bad_integrity += bool(integrity_problems(conn))
                    titles = {r[0] for r in conn.execute("SELECT title FROM poems")}
                finally:
                    conn.close()
                lost += len(set(acked) - titles)
            else:
                lost += len(acked)
            library, report = open_library(paths, options)
            try:
                recoveries += report.recovery is not None
                lost_now = acked_all - {p.title for p in library.search()}
                if lost_now:
                    print(f"cycle {cycle}: lost {sorted(lost_now)[:5]}")
                if drafted:
                    offered = [d for d in library.load_drafts() if d.slot == DRAFT_SLOT]
                    ok = bool(offered) and offered[0].poem.text.startswith(f"c{cycle}-")
                    if ok:
                        ok = int(offered[0].poem.text.split("-")[1]) >= int(
                            drafted[-1].split("-")[1]
                        )
                    drafts_lost += not ok
                rows = library.count()
            finally:
                library.close()
            if (cycle + 1) % 20 == 0:
                print(
                    f"{cycle + 1:4d} cycles: {acked_total} acknowledged, {rows} poems, "
                    f"lost {lost}, integrity failures {bad_integrity}, recoveries {recoveries}",
                    flush=True,
                )
    elapsed = time.perf_counter() - started
    print(
        f"SUMMARY cycles={args.cycles} acknowledged={acked_total} lost={lost} "
        f"integrity_failures={bad_integrity} recoveries={recoveries} "
        f"drafts_lost={drafts_lost} seconds={elapsed:.0f}"
    )
    return 0 if lost == bad_integrity == recoveries == drafts_lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
