"""Build resources/prosody/bigrams.tsv: how often two characters stand side by side in Tang verse.

The suggestion ranker uses it to prefer replacements that make a real word with the
neighbouring characters (故国 → 故乡 故园 故人 …). Input: the 全唐诗 regulated-shape JSON
Lines (traditional ``lines`` and OpenCC-simplified ``simplified``), MIT-licensed data from
the chinese-poetry project. Output: derived counts only (no verse text), bigrams seen at
least ``--min-count`` times, one ``AB<TAB>count`` per line, most frequent first.

    python tools/build_bigrams.py --corpus ../shared/corpus/quantangshi_regulated.jsonl
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections import Counter
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "resources" / "prosody" / "bigrams.tsv"


def count_bigrams(corpus: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    with corpus.open(encoding="utf-8") as fh:
        for raw in fh:
            poem = json.loads(raw)
            texts = {*poem.get("lines", []), *poem.get("simplified", [])}
            for line in texts:
                counts.update(a + b for a, b in itertools.pairwise(line) if "□" not in a + b)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=Path("../shared/corpus/quantangshi_regulated.jsonl")
    )
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    counts = count_bigrams(args.corpus)
    kept = [(bigram, n) for bigram, n in counts.most_common() if n >= args.min_count]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"#shijian-bigrams\t1\tsource=chinese-poetry 全唐诗 (MIT)\tmin_count={args.min_count}\n"
    )
    args.out.write_text(header + "".join(f"{b}\t{n}\n" for b, n in kept), encoding="utf-8")
    print(f"{len(kept)} bigrams (of {len(counts)}) → {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
