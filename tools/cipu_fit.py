"""How well the 词谱 table fits the Song ci: a report by tune (docs/ci.md).

    .venv/bin/python tools/cipu_fit.py [--cipu resources/cipu] [--corpus songci.jsonl] [--top 50]

For the most written tunes of the corpus (its ``tune`` field, before a ``・`` subtitle): whether
the table has the tune (by name or alias), the share of its ci whose shape (句 lengths and
段, as punctuated) fits some 体 of the tune exactly, and, over the ci that fit, how often a
character agrees with its 体's mark where both are definite (the 体 says 平 or 仄 and the
character has only readings of one tone class). The corpus is evidence against the table,
never a source of its marks.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.prosody.ci import CiChecker, CipuTable  # noqa: E402
from app.prosody.findings import Rule  # noqa: E402
from app.prosody.forms import PING, ZE  # noqa: E402
from app.prosody.rhymebook import RhymeBook  # noqa: E402
from app.prosody.rhymebook.cilin import CilinBook  # noqa: E402
from app.prosody.tones import Level  # noqa: E402

DEFAULT_CIPU = ROOT / "resources" / "cipu"
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "songci.jsonl"


def tune_of(name: str) -> str:
    return re.split("[・·]", name, maxsplit=1)[0].strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cipu", type=Path, default=DEFAULT_CIPU)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--top", type=int, default=50)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    table = CipuTable.load(args.cipu)
    checker = CiChecker(RhymeBook.load(), CilinBook.load(), table)
    poems: dict[str, list[str]] = {}
    with args.corpus.open(encoding="utf-8") as f:
        for line in f:
            entry = json.loads(line)
            poems.setdefault(tune_of(entry["tune"]), []).append("".join(entry["lines"]))
    ranked = sorted(poems, key=lambda t: -len(poems[t]))
    ranked = [t for t in ranked if t != "失调名"][: args.top]
    started = time.perf_counter()
    rows = []
    totals: Counter[str] = Counter()
    for name in ranked:
        tune = table.find(name)
        texts = poems[name]
        row: dict[str, object] = {"tune": name, "ci": len(texts), "in_table": tune is not None}
        if tune is None:
            rows.append(row)
            continue
        fit = agree = definite = counted = 0
        chosen: Counter[int] = Counter()
        for text in texts:
            a = checker.analyze(text, tune=tune)
            if a.choice is not None and not any(f.rule is Rule.LENGTH for f in a.findings):
                counted += 1  # every 句 has its characters, however it is punctuated
            if a.choice is None or not a.choice.exact:
                continue
            fit += 1
            chosen[a.choice.form.index] += 1
            for c in a.chars:
                if c.expected is Level.FREE or c.code not in (PING, ZE):
                    continue
                definite += 1
                agree += (c.expected is Level.PING) == (c.code == PING)
        row.update(
            forms=len(tune.forms),
            table_name=tune.name,
            fit=fit,
            fit_share=round(fit / len(texts), 4),
            length_share=round(counted / len(texts), 4),
            tone_agreement=round(agree / definite, 4) if definite else None,
            forms_used=len(chosen),
            main_form_share=round(chosen[0] / fit, 3) if fit else None,
        )
        totals["ci"] += len(texts)
        totals["fit"] += fit
        totals["counted"] += counted
        totals["agree"] += agree
        totals["definite"] += definite
        rows.append(row)
    elapsed = time.perf_counter() - started
    print(
        "| tune | ci | in the table as (体) | shape fits a 体 | lengths fit a 体 "
        "| tone agreement | 体 used |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        if not r["in_table"]:
            print(f"| {r['tune']} | {r['ci']} | **missing** | | | | |")
            continue
        share = float(str(r["fit_share"]))
        mark = "" if share >= 0.9 else " ▼"
        agreement = r["tone_agreement"]
        shown = f"{float(str(agreement)):.1%}" if agreement is not None else "—"
        print(
            f"| {r['tune']} | {r['ci']} | {r['table_name']} ({r['forms']}) | "
            f"{share:.1%}{mark} | {float(str(r['length_share'])):.1%} | {shown} | "
            f"{r['forms_used']} |"
        )
    present = sum(1 for r in rows if r["in_table"])
    print(
        f"\n{present} of the {len(rows)} most written tunes are in the table; their "
        f"{totals['ci']} ci: {totals['fit'] / max(totals['ci'], 1):.1%} fit a 体 exactly, "
        f"{totals['counted'] / max(totals['ci'], 1):.1%} have every 句's characters; "
        f"tone agreement {totals['agree'] / max(totals['definite'], 1):.1%} over "
        f"{totals['definite']} definite positions ({elapsed:.0f} s)"
    )
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
