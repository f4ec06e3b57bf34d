"""Build the 词谱 table (resources/cipu/) from the plain text of 《御定詞譜》 (1715).

    .venv/bin/python tools/build_cipu.py [SOURCE] [--out DIR] [--corpus songci.jsonl]

SOURCE (default ``../shared/cipu/``) is a folder holding the text of 《御定詞譜》, one file per
卷, in the markup of the Kanripo transcription (repository KR4j0086: the 文淵閣 四庫全書
text, files ``KR4j0086_001.txt`` … ``KR4j0086_039.txt``; see docs/ci.md for the markup).
The text is not part of this project and no table built from it is committed: place the
text there (with a ``source.json`` naming its source, commit and licence, which the build
copies into the table's ``meta.json``) and run this tool, or ``shijian build-cipu SOURCE``.

The parser lives in :mod:`app.prosody.ci.builder` (so the installed app can build too); this
tool writes into the source tree and prints the coverage report (``--markdown`` for docs).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.prosody.ci.builder.assemble import build  # noqa: E402
from app.prosody.rhymebook import RhymeBook  # noqa: E402

DEFAULT_SOURCE = ROOT.parent / "shared" / "cipu"
DEFAULT_OUT = ROOT / "resources" / "cipu"
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "songci.jsonl"


def markdown(meta: dict[str, object]) -> str:
    cov = meta["coverage"]
    assert isinstance(cov, dict)
    marks, notes = cov.pop("marks"), cov.pop("notes")
    lines = ["| figure | value |", "| --- | --- |"]
    lines.append(f"| tunes (调) / forms (体) parsed | {meta['tunes']} / {meta['forms']} |")
    for key, value in cov.items():
        lines.append(f"| {key} | {value} |")
    for key, value in {**marks, **notes}.items():
        lines.append(f"| {key} | {value} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--markdown", action="store_true", help="coverage as a markdown table")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        parser.error(
            f"no source text in {args.source}: place the text of 《御定詞譜》 there (see the "
            "docstring and docs/ci.md) or pass its folder"
        )
    started = time.perf_counter()
    corpus = args.corpus if args.corpus.exists() else None
    meta = build(args.source, args.out, RhymeBook.load(), corpus)
    if args.markdown:
        print(markdown(meta))
    else:
        print(json.dumps(meta, ensure_ascii=False, indent=1))
    print(f"built in {time.perf_counter() - started:.1f} s → {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
