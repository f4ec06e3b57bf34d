"""A process that saves poems in a loop, for durability tests that kill it with SIGKILL.

Run as ``python -m tests.support.storage_writer BASEDIR PREFIX [--count N]``.
It opens the library under BASEDIR the way the app does, prints ``ready``, then
for i = 0, 1, …: saves a poem titled ``PREFIX-i`` and prints ``ack PREFIX-i ID``
only after the save returned (so every acknowledged poem was committed), then
autosaves a draft whose text is ``PREFIX-i`` and prints ``draft PREFIX-i``.

:func:`run_and_kill` runs it once and kills it; the durability test and
``bench/storage_sigkill.py`` both use it.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.paths import AppPaths
from app.storage.db import open_library
from app.storage.records import DraftData, PoemData, new_poem_slot

DRAFT_SLOT = new_poem_slot("durability")
REPO = Path(__file__).resolve().parents[2]


def run_and_kill(
    basedir: Path, prefix: str, delay: float, *, wait_ready: bool = True
) -> tuple[list[str], list[str]]:
    """Start the writer, SIGKILL it ``delay`` seconds later; (acknowledged, drafted) names.

    With ``wait_ready`` the delay starts once the library is open; without it,
    the kill may land anywhere in start-up (diagnosis, migration, backup).
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.storage_writer", str(basedir), prefix],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    assert proc.stdout is not None
    if wait_ready:
        ready = proc.stdout.readline()
        if not ready.startswith("ready"):
            proc.kill()
            raise RuntimeError(f"the writer did not start: {ready!r}")
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    lines = proc.stdout.read().splitlines()
    proc.stdout.close()
    acked = [line.split()[1] for line in lines if line.startswith("ack ")]
    drafted = [line.split()[1] for line in lines if line.startswith("draft ")]
    return acked, drafted


def poem_text(prefix: str, index: int) -> str:
    line = f"{prefix}第{index}首"
    return "\n".join([line, "白日依山尽", "黄河入海流", "欲穷千里目"] * (1 + index % 5))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("basedir", type=Path)
    parser.add_argument("prefix")
    parser.add_argument("--count", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    library, report = open_library(AppPaths.under(args.basedir))
    status = "recovered" if report.recovery is not None else "ok"
    print(f"ready {status}", flush=True)
    for index in range(args.count):
        name = f"{args.prefix}-{index}"
        record = library.save_poem(
            PoemData(title=name, text=poem_text(args.prefix, index), tags=(args.prefix,))
        )
        print(f"ack {name} {record.id}", flush=True)
        library.save_draft(DraftData(slot=DRAFT_SLOT, poem=PoemData(title=name, text=name)))
        print(f"draft {name}", flush=True)
    library.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
