"""How fast the library saves, searches and opens at the size of the whole 全唐诗 corpus.

    .venv/bin/python bench/storage_ops.py [--corpus ../shared/corpus/quantangshi_regulated.jsonl]
                                          [--limit 0]

Saves every poem of the corpus (simplified text, one save = one durable
transaction with its revision and tags), then times searches, counts, a
revision listing, closing, and opening again (diagnosis with integrity_check,
the start-up backup, rotation). Figures go into docs/storage.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.paths import AppPaths  # noqa: E402
from app.storage.backup import make_backup  # noqa: E402
from app.storage.db import LibraryOptions, open_library  # noqa: E402
from app.storage.files import utc_now  # noqa: E402
from app.storage.migrations import LATEST_VERSION  # noqa: E402
from app.storage.records import PoemData, PoemQuery  # noqa: E402
from app.storage.recovery import diagnose  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "quantangshi_regulated.jsonl"


def read_corpus(path: Path, limit: int) -> list[PoemData]:
    poems: list[PoemData] = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            raw = json.loads(line)
            poems.append(
                PoemData(
                    title=raw["title"],
                    author=raw["author"],
                    text="\n".join(raw.get("simplified") or raw["lines"]),
                    form=raw.get("form"),
                    tags=(raw["author"],),
                )
            )
            if limit and len(poems) >= limit:
                break
    return poems


def since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def timed(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median milliseconds of ``repeat`` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=0, help="0 = every poem")
    parser.add_argument(
        "--scripts",
        action="store_true",
        help="search across scripts as the app does (every word in all its spellings)",
    )
    args = parser.parse_args()
    if not args.corpus.exists():
        print(f"corpus not found: {args.corpus}")
        return 2
    poems = read_corpus(args.corpus, args.limit)
    with tempfile.TemporaryDirectory(prefix="shijian-ops-") as tmp:
        paths = AppPaths.under(Path(tmp))
        forms = None
        if args.scripts:
            from app.prosody.rhymebook import RhymeBook

            forms = RhymeBook.load().script_forms
        options = LibraryOptions(spool_folders=(Path(tmp) / "spool",), script_forms=forms)
        library, _ = open_library(paths, options)
        per_save: list[float] = []
        start = time.perf_counter()
        for poem in poems:
            t = time.perf_counter()
            library.save_poem(poem)
            per_save.append((time.perf_counter() - t) * 1000)
        total = time.perf_counter() - start
        print(f"poems saved: {len(poems)} in {total:.1f} s")
        print(
            f"save_poem: median {statistics.median(per_save):.2f} ms, "
            f"p95 {sorted(per_save)[int(len(per_save) * 0.95)]:.2f} ms"
        )
        first = library.search(PoemQuery(limit=1))[0]
        edits = iter(range(1_000_000))

        def edit() -> None:
            change = PoemData(title=first.title, text=f"{first.text}\n{next(edits)}")
            library.save_poem(change, poem_id=first.id)

        print(f"save_poem (an edit, keeping a revision): {timed(edit, 9):.2f} ms")
        queries = {
            "list newest 100": PoemQuery(limit=100),
            "search 明月, first 100": PoemQuery(text="明月", limit=100),
            "search 明月 (all hits)": PoemQuery(text="明月"),
            "search 两词 白日 黄河": PoemQuery(text="白日 黄河"),
            "search 長江 (traditional)": PoemQuery(text="長江"),
            "search 黃鶴樓 (traditional, 8 spellings)": PoemQuery(text="黃鶴樓"),
            "filter 七律 + sort title, 100": PoemQuery(form="七律", sort="title", limit=100),
            "tag 李白 (exact)": PoemQuery(tag="李白"),
        }
        for label, query in queries.items():
            hits = len(library.search(query))
            print(f"{label}: {timed(partial(library.search, query)):.1f} ms ({hits} rows)")
        print(f"count(): {timed(library.count):.1f} ms")
        print(f"count(search 明月): {timed(lambda: library.count(PoemQuery(text='明月'))):.1f} ms")
        print(f"tags(): {timed(library.tags):.1f} ms")
        print(f"stats(): {timed(library.stats):.1f} ms")
        print(f"revisions(one poem): {timed(lambda: library.revisions(first.id)):.2f} ms")
        start = time.perf_counter()
        library.close()
        print(f"close (checkpoint): {(time.perf_counter() - start) * 1000:.0f} ms")
        size = paths.database.stat().st_size
        print(f"database size: {size / 1e6:.1f} MB")
        start = time.perf_counter()
        diagnose(paths.database, LATEST_VERSION)
        print(f"  integrity_check diagnosis alone: {since(start):.0f} ms")
        start = time.perf_counter()
        make_backup(paths.database, Path(tmp) / "bench-backups", now=utc_now())
        print(f"  one verified backup copy alone: {since(start):.0f} ms")
        for label in ("open with first start-up backup", "open, database unchanged"):
            start = time.perf_counter()
            library, report = open_library(paths, options)
            elapsed = (time.perf_counter() - start) * 1000
            library.close()
            unchanged = report.backup is not None and report.backup.unchanged
            print(f"{label}: {elapsed:.0f} ms (backup unchanged={unchanged})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
