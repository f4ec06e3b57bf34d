"""Kill start-ups while they copy the library; measure the half-written copies left over.

    PYTHONPATH=. .venv/bin/python bench/startup_kills.py [--kills 40] [--poems 20000]

Builds a library of ``--poems`` poems, then over and over starts a process that opens it
(diagnosis, then the start-up backup: a full copy of the file) and SIGKILLs it at a random
moment of that copy. After each kill it counts the bytes of partial copies in the backups
folder (``.library-*.sqlite3.partial-*``) — what the kills leave — and every tenth cycle
opens the library here, as the next start of the app would, and counts again. Without the
clean-up at start those bytes only grow (517 MB after 84 kills in an outside test).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.paths import AppPaths  # noqa: E402
from app.storage.db import LibraryOptions, open_library  # noqa: E402
from app.storage.records import PoemData  # noqa: E402

_OPEN = """
import sys
from pathlib import Path
from app.paths import AppPaths
from app.storage.db import LibraryOptions, open_library
print("go", flush=True)
library, _ = open_library(AppPaths.under(Path(sys.argv[1])),
                          LibraryOptions(spool_folders=(Path(sys.argv[1]) / "spool",)))
library.close()
"""


def _partial_bytes(folder: Path) -> tuple[int, int]:
    files = list(folder.glob(".library-*.sqlite3.partial-*")) if folder.is_dir() else []
    return len(files), sum(f.stat().st_size for f in files if f.exists())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=40)
    parser.add_argument("--poems", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="shijian-startup-kills-") as tmp:
        base = Path(tmp)
        paths = AppPaths.under(base)
        options = LibraryOptions(spool_folders=(base / "spool",))
        library, _ = open_library(paths, options)
        text = "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。" * 8
        for i in range(args.poems):
            library.save_poem(PoemData(title=f"诗{i}", text=text))
        library.close()
        size = paths.database.stat().st_size
        # how long a whole start-up takes here, to kill inside it
        started = time.perf_counter()
        library, _ = open_library(paths, options)
        library.close()
        whole = time.perf_counter() - started
        print(f"library {size / 1e6:.1f} MB, a start-up {whole:.2f} s", flush=True)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        worst = 0
        for cycle in range(1, args.kills + 1):
            child = subprocess.Popen(
                [sys.executable, "-c", _OPEN, str(base)], stdout=subprocess.PIPE, env=env
            )
            assert child.stdout is not None
            child.stdout.readline()  # imports done: the start-up itself begins
            time.sleep(rng.uniform(0.0, whole))
            child.send_signal(signal.SIGKILL)
            child.wait()
            count, left = _partial_bytes(paths.backups)
            worst = max(worst, left)
            if cycle % 10 == 0:
                library, report = open_library(paths, options)
                library.close()
                after = _partial_bytes(paths.backups)
                print(
                    f"after {cycle} kills: {count} partial copies, {left / 1e6:.1f} MB; the next "
                    f"start removed {len(report.cleaned)}, leaving {after[0]} "
                    f"({after[1] / 1e6:.1f} MB)",
                    flush=True,
                )
        print(f"most left over at once: {worst / 1e6:.1f} MB (library {size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
