"""How long the 词 checker takes on the editor's live path, beside one 七律.

Through one CiChecker (as the editor keeps one), pinned to one core:

* **re-analysis** of a 116-character 词 (辛弃疾《摸鱼儿》, its tune named), round after
  round: what the editor does after each keystroke once the text has been seen;
* **typing**: every prefix of it analysed once with ``partial=True`` (each keystroke of a
  poet writing it from the first character, tune named);
* **tune found from the shape**: the whole text without a tune name;
* **a 七律** through the 诗 Checker in the same process, for comparison.

It needs a built 词谱 (``--cipu``, default resources/cipu/, or the user's data folder):
without one it uses the small test 词谱 of tests/support and a 97-character 声声慢.

    python bench/ci_speed.py [--cipu DIR] [--rounds 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.prosody.checker import Checker  # noqa: E402
from app.prosody.ci import CiChecker, CipuError, CipuTable, load_installed  # noqa: E402
from app.prosody.ci.checker import CiSettings  # noqa: E402
from app.prosody.rhymebook import RhymeBook  # noqa: E402
from app.prosody.rhymebook.cilin import CilinBook  # noqa: E402

MOYUER = (
    "更能消、几番风雨，匆匆春又归去。惜春长怕花开早，何况落红无数。春且住，见说道、"
    "天涯芳草无归路。怨春不语。算只有殷勤，画檐蛛网，尽日惹飞絮。长门事，准拟佳期又误。"
    "蛾眉曾有人妒。千金纵买相如赋，脉脉此情谁诉？君莫舞，君不见、玉环飞燕皆尘土！"
    "闲愁最苦。休去倚危栏，斜阳正在，烟柳断肠处。"
)
SHENGSHENG = (
    "寻寻觅觅，冷冷清清，凄凄惨惨戚戚。乍暖还寒时候，最难将息。三杯两盏淡酒，怎敌他、晚来风急！"
    "雁过也，正伤心，却是旧时相识。满地黄花堆积。憔悴损，如今有谁堪摘？守着窗儿，独自怎生得黑！"
    "梧桐更兼细雨，到黄昏、点点滴滴。这次第，怎一个、愁字了得！"
)
QILV = (
    "风急天高猿啸哀，渚清沙白鸟飞回。无边落木萧萧下，不尽长江滚滚来。"
    "万里悲秋常作客，百年多病独登台。艰难苦恨繁霜鬓，潦倒新停浊酒杯。"
)


def table_and_text(cipu: Path | None) -> tuple[CipuTable, str, str, str]:
    try:
        table = CipuTable.load(cipu) if cipu else load_installed()
        return table, MOYUER, "摸鱼儿", "built 词谱"
    except CipuError:
        sys.path.insert(0, str(ROOT))
        from tests.support.cipu_fixture import fixture_table

        table = fixture_table(Path(tempfile.mkdtemp()))
        return table, SHENGSHENG, "声声慢", "test 词谱 (no built table found)"


def median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cipu", type=Path)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    book, cilin = RhymeBook.load(), CilinBook.load()
    table, text, tune_name, which = table_and_text(args.cipu)
    ci = CiChecker(book, cilin, table)
    tune = table.find(tune_name)
    n_chars = sum(1 for ch in text if book.is_han(ch))
    first = time.perf_counter()
    a = ci.analyze(text, tune=tune)
    cold = time.perf_counter() - first
    assert a.choice is not None
    print(f"{which}: {len(table)} tunes; text {tune_name}, {n_chars} characters, read as "
          f"{a.choice.form.label_zh} ({len(a.errors)} errors)")  # fmt: skip
    print(f"first analysis (cold caches): {cold * 1e3:.1f} ms")
    again: list[float] = []
    rounds: list[float] = []
    for _ in range(args.rounds):
        batch = []
        for _ in range(20):
            t0 = time.perf_counter()
            ci.analyze(text, tune=tune)
            batch.append(time.perf_counter() - t0)
        again += batch
        rounds.append(statistics.median(batch))
    print(f"re-analysis, tune named: median {median_us(again):.0f} µs, quietest round "
          f"{min(rounds) * 1e6:.0f} µs")  # fmt: skip
    typing: list[float] = []
    settings = CiSettings(partial=True)
    for end in range(1, len(text) + 1):
        t0 = time.perf_counter()
        ci.analyze(text[:end], tune=tune, settings=settings)
        typing.append(time.perf_counter() - t0)
    typing.sort()
    p90 = typing[int(len(typing) * 0.9)] * 1e6
    print(f"typing it (every prefix, partial): median {median_us(typing):.0f} µs, "
          f"p90 {p90:.0f} µs, max {typing[-1] * 1e3:.1f} ms")  # fmt: skip
    found: list[float] = []
    for _ in range(10):
        t0 = time.perf_counter()
        b = ci.analyze(text)
        found.append(time.perf_counter() - t0)
    assert b.choice is not None
    print(f"tune found from the shape ({b.choice.form.tune}): median {median_us(found):.0f} µs")
    shi = Checker(book)
    shi.analyze(QILV)
    qilv: list[float] = []
    for _ in range(args.rounds * 20):
        t0 = time.perf_counter()
        shi.analyze(QILV)
        qilv.append(time.perf_counter() - t0)
    print(f"a 七律 through the 诗 checker, same process: median {median_us(qilv):.0f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
