"""How long the checker takes for one 七律 in each rhyme book (issue target: 中华通韵 no
slower than 1.2× the 平水韵).

The same poems, the same measurement, one core: every 七律 of 唐诗三百首 re-analysed round
after round (as the editor does per keystroke, per-character results included), the
books interleaved round by round so a shared machine's noise falls on all of them alike;
then every 七律 of 全唐诗 analysed once each (poems never seen before, after a warm-up on
300 others), book after book and again with the books interleaved poem by poem. Reports
medians, the quietest round's median, and each book's ratio to the 平水韵. A plain Checker
per book (no other books tried); the cost of the cross-book note (a poem with errors is
also checked in the other books) is reported apart.

    PYTHONPATH=. python bench/book_speed.py [--corpus PATH] [--all PATH] [--rounds 30]
"""

from __future__ import annotations

import statistics
import time

from checker_speed import load_poems, one_core, parse_args  # a sibling bench script

from app.prosody.books.kinds import BookKind
from app.prosody.books.shelf import Shelf
from app.prosody.checker import Checker
from app.prosody.rhymebook import RhymeBook


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    one_core()
    shelf = Shelf(RhymeBook.load())
    kinds = list(BookKind)
    poems = load_poems(args.corpus)

    # re-analysis, books interleaved round by round
    checkers = {k: Checker(shelf.book(k)) for k in kinds}
    for c in checkers.values():
        for p in poems:
            c.analyze(p)
    samples: dict[BookKind, list[float]] = {k: [] for k in kinds}
    quiet: dict[BookKind, list[float]] = {k: [] for k in kinds}
    for _ in range(args.rounds):
        for k in kinds:
            c = checkers[k]
            this_round = []
            for p in poems:
                t = time.perf_counter()
                c.analyze(p)
                this_round.append(time.perf_counter() - t)
            samples[k].extend(this_round)
            quiet[k].append(statistics.median(this_round))
    print(f"\nre-analysis, 唐诗三百首 七律 × {len(poems)}, {args.rounds} rounds, per-character")
    base = statistics.median(samples[BookKind.PINGSHUI])
    base_q = min(quiet[BookKind.PINGSHUI])
    for k in kinds:
        med = statistics.median(samples[k])
        q = min(quiet[k])
        print(
            f"  {k.zh}: median {med * 1e6:.0f} µs ({med / base:.2f}×), "
            f"quietest round {q * 1e6:.0f} µs ({q / base_q:.2f}×)"
        )

    # unseen poems
    if args.all.exists():
        everything = load_poems(args.all)
        print(f"\nunseen 全唐诗 七律 × {len(everything) - 300}, per-character")
        unseen: dict[BookKind, float] = {}
        for k in kinds:
            c = Checker(shelf.book(k))
            for p in everything[:300]:
                c.analyze(p)
            times = []
            for p in everything[300:]:
                t = time.perf_counter()
                c.analyze(p)
                times.append(time.perf_counter() - t)
            unseen[k] = statistics.median(times)
        for k in kinds:
            print(
                f"  {k.zh}: median {unseen[k] * 1e6:.0f} µs "
                f"({unseen[k] / unseen[BookKind.PINGSHUI]:.2f}×)"
            )
        # the same, each poem analysed by each book in turn (the order rotated poem by
        # poem): the books one after the other above take minutes each, long enough for a
        # shared machine's load to change between them
        print("  the same, books interleaved poem by poem")
        fresh = {k: Checker(shelf.book(k)) for k in kinds}
        for k in kinds:
            for p in everything[:300]:
                fresh[k].analyze(p)
        interleaved: dict[BookKind, list[float]] = {k: [] for k in kinds}
        for i, p in enumerate(everything[300:]):
            for j in range(len(kinds)):
                k = kinds[(i + j) % len(kinds)]
                c = fresh[k]
                t = time.perf_counter()
                c.analyze(p)
                interleaved[k].append(time.perf_counter() - t)
        mid = {k: statistics.median(interleaved[k]) for k in kinds}
        for k in kinds:
            print(
                f"  {k.zh}: median {mid[k] * 1e6:.0f} µs ({mid[k] / mid[BookKind.PINGSHUI]:.2f}×)"
            )

    # the cross-book note: a checker that also tries the other books on a poem with errors
    print("\nwith the other books tried on a poem with errors (Shelf.checker)")
    for k in kinds:
        c = shelf.checker(k)
        for p in poems:
            c.analyze(p)
        times = []
        for _ in range(max(3, args.rounds // 5)):
            for p in poems:
                t = time.perf_counter()
                c.analyze(p)
                times.append(time.perf_counter() - t)
        print(f"  {k.zh}: median {statistics.median(times) * 1e6:.0f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
