"""Score a whole corpus in one process (the issue's target: all 39,558 poems of
quantangshi_regulated.jsonl in ≤ 10 s) and print the table by form as Markdown.

    python bench/score_corpus.py [../shared/corpus/quantangshi_regulated.jsonl ...]

Each file is scored with its ``form`` field pinned, traditional ``lines`` as written,
through the same code as ``shijian score`` (app.cli.score).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from app.prosody.checker import Checker
from app.prosody.forms import Form
from app.prosody.rhymebook import RhymeBook
from app.prosody.scorer import PoemScore, aggregate_by, score
from app.prosody.settings import CheckSettings

DEFAULTS = [
    Path("../shared/corpus/tang300.jsonl"),
    Path("../shared/corpus/quantangshi_regulated.jsonl"),
]
ORDER = ["五绝", "七绝", "五律", "七律", "全部"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULTS)
    args = parser.parse_args()
    for path in args.files:
        if not path.exists():
            print(f"(skipped: {path} not found)")
            continue
        start = time.perf_counter()
        cpu = time.process_time()
        book = RhymeBook.load()
        checker = Checker(book, CheckSettings(dui_zhang=False, repeated_chars=False))
        pairs: list[tuple[str, PoemScore]] = []
        skipped = 0
        with path.open(encoding="utf-8") as fh:
            for raw in fh:
                row = json.loads(raw)
                form = Form.from_name(row["form"]) if row.get("form") else None
                if form is None:  # not a regulated shape (e.g. 古体 in 唐诗三百首)
                    skipped += 1
                    continue
                analysis = checker.analyze("\n".join(row["lines"]), form=form, per_char=False)
                pairs.append((form.value, score(analysis, checker.lexicon)))
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu
        table = aggregate_by(pairs)
        error_free: dict[str, int] = {}
        for key, s in pairs:
            if not s.errors:
                error_free[key] = error_free.get(key, 0) + 1
                error_free["全部"] = error_free.get("全部", 0) + 1
        print(
            f"\n{path.name}: {len(pairs)} poems ({skipped} of other shapes skipped), "
            f"{wall:.2f} s wall, {cpu:.2f} s CPU, one process\n"
        )
        print("| 诗体 | 首数 | 平仄 | 押韵 | 对仗 | 字数 | 加权 | 总分 | 无错误 |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for key in ORDER:
            if key in table:
                a = table[key]
                clean = 100.0 * error_free.get(key, 0) / a.n if a.n else 0.0
                figures = (a.tones, a.rhymes, a.antithesis, a.length, a.weighted, a.total)
                cells = " | ".join("—" if v is None else f"{v:.2f}" for v in figures)
                print(f"| {key} | {a.n} | {cells} | {clean:.1f}% |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
