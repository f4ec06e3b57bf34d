"""Build the 词谱 table from the text of 《御定詞譜》: tunes, forms, marks, coverage.

    shijian build-cipu FOLDER [--out DIR] [--corpus songci.jsonl]
    python tools/build_cipu.py FOLDER …

FOLDER holds the plain text, one file per 卷 (see :mod:`app.prosody.ci.builder.source`), and
may hold a ``source.json`` saying where the text came from (copied into the table's
``meta.json``). The table goes to ``--out`` (default: the app's data folder, ``cipu/``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from app.prosody.ci.builder.example import Example, parse_example
from app.prosody.ci.builder.marks import Marker, read_unihan_variants
from app.prosody.ci.builder.notes import NoteStats, chinese_number, either_positions
from app.prosody.ci.builder.source import RawForm, RawTune, note_text, read_book
from app.prosody.ci.table import CiForm, Segment, Tune, write_table

if TYPE_CHECKING:
    from app.prosody.rhymebook import RhymeBook

_SECTIONS = {"單": 1, "雙": 2, "䨇": 2, "三": 3, "四": 4}
_CHARS = re.compile(r"([一二三四五六七八九十百零]+)字")
_ALIAS_AFTER = re.compile(r"(?:又名|一名|亦名|更名|改名|别名|名)")


def heading_chars(heading: str) -> int:
    """雙調一百二字 → 102; 單調十四字 → 14 (0 when the heading names none)."""
    m = _CHARS.search(heading)
    if not m:
        return 0
    text = m.group(1)
    if "百" in text:
        hundreds, _, rest = text.partition("百")
        total = chinese_number(hundreds or "一") * 100
        rest = rest.lstrip("零")
        if rest:
            # 一百二字 = 102, 一百十三字 = 113, 一百二十字 = 120
            total += chinese_number(rest)
        return total
    return chinese_number(text)


def heading_sections(heading: str) -> int:
    return _SECTIONS.get(heading[:1], 1)


class Builder:
    """Turns the raw text into :class:`Tune` objects and counts what it could not do."""

    def __init__(self, book: RhymeBook, variants: dict[str, tuple[str, ...]] | None = None):
        self.book = book
        self.variants = read_unihan_variants() if variants is None else variants
        self.marker = Marker(book, self.variants)
        self.notes = NoteStats()
        self.counts: Counter[str] = Counter()

    # ------------------------------------------------------------------ names
    def normal(self, text: str) -> str:
        """Old variant forms the rhyme book knows only by a guess → a form it knows."""
        out = []
        for ch in text:
            info = self.book.lookup(ch)
            if info is None or not info.readings or info.source.name == "GUESSED":
                known = [
                    v
                    for v in self.variants.get(ch, ())
                    if (i := self.book.lookup(v)) is not None and i.source.name != "GUESSED"
                ]
                out.append(known[0] if known else ch)
                continue
            out.append(ch)
        return "".join(out)

    def same_form(self, text: str) -> str:
        """Spellings unified for comparing a quote with a cited character (說 説, 鳳 鳯)."""
        return self.book.to_simplified(self.normal(text))

    def simplified(self, name: str) -> str:
        return self.book.to_simplified(self.normal(name))

    @staticmethod
    def pinyin(simplified: str) -> str:
        from pypinyin import lazy_pinyin

        return " ".join(lazy_pinyin(simplified))

    def aliases(self, tune: RawTune, groups: list[str]) -> list[str]:
        out: list[str] = []
        started = False
        bag: Counter[str] = Counter()
        for group in groups:
            right, _, left = group.partition("/")
            right, left = right.strip(), left.strip()
            if right.startswith("又名"):
                started = True
                right = right[2:]
            if not started:
                continue
            if not left and 2 <= len(right) <= 7 and " " not in right:
                out.append(right)
            else:
                bag.update(note_text(right + left))
        if bag:  # a grid of names the layout interleaved: read them off the tune's note
            for m in _ALIAS_AFTER.finditer(tune.note):
                start = m.end()
                best = ""
                for length in range(7, 1, -1):
                    cand = tune.note[start : start + length]
                    if len(cand) == length and not Counter(cand) - bag:
                        best = cand
                        break
                if best and best not in out:
                    out.append(best)
                    bag -= Counter(best)
            self.counts["alias grids"] += 1
            self.counts["alias grid characters left"] += sum(bag.values())
        return [a for a in out if a != tune.name]

    # ------------------------------------------------------------------ forms
    def form(self, tune: str, index: int, raw: RawForm) -> CiForm | None:
        n_sections = heading_sections(raw.heading)
        example: Example = parse_example(raw.example, raw.heading, n_sections)
        self.counts["forms read"] += 1
        if not example.segments:
            self.counts["forms without an example"] += 1
            return None
        if example.trailing:
            self.counts["examples with characters after the last mark"] += 1
        if example.unknown_groups:
            self.counts["examples with unread parentheses"] += 1
        marks: list[list[str]] = []
        for seg in example.segments:
            row = [self.marker.mark(ch) for ch in seg.text]
            if seg.rhyme:
                want = seg.rhyme[1]
                have = self.marker.definite(seg.text[-1])
                self.counts["rhyme positions"] += 1
                if have and have != want:
                    self.counts["rhyme positions whose character has the other tone"] += 1
                row[-1] = want
            marks.append(row)
        note = note_text("".join(raw.notes))
        for j, k, tone in either_positions(note, example.segments, self.notes, self.same_form):
            seg = example.segments[j]
            if seg.rhyme and k == len(seg.text) - 1:
                continue  # a rhyme keeps its tone
            if marks[j][k] == tone:
                self.notes.agreeing += 1
            marks[j][k] = "中"
        segments = tuple(
            Segment(s.text, "".join(m), s.end, s.rhyme, s.repeat, s.section)
            for s, m in zip(example.segments, marks, strict=True)
        )
        chars = sum(len(s.text) for s in example.segments)
        declared = heading_chars(raw.heading)
        if declared == chars:
            self.counts["forms whose length matches the heading"] += 1
        else:
            self.counts["forms whose length differs from the heading"] += 1
        if segments[-1].section + 1 == n_sections:
            self.counts["forms whose 段 match the heading"] += 1
        return CiForm(tune, index, raw.author, chars, raw.heading, segments, note)

    def tune(self, raw: RawTune, toc_groups: list[str]) -> Tune | None:
        forms: list[CiForm] = []
        for raw_form in raw.forms:
            form = self.form(raw.name, len(forms), raw_form)
            if form is not None:
                forms.append(form)
        if not forms:
            self.counts["tunes without a usable form"] += 1
            return None
        aliases = self.aliases(raw, toc_groups)
        simplified = self.simplified(raw.name)
        return Tune(
            raw.name,
            simplified,
            tuple(aliases),
            tuple(self.simplified(a) for a in aliases),
            self.pinyin(simplified),
            0,
            tuple(forms),
        )


def count_written(tunes: list[Tune], corpus: Path) -> dict[str, int]:
    """How many ci of a JSON Lines corpus (field ``tune``) use each tune, by its names."""
    by_name: dict[str, str] = {}
    for t in tunes:
        for name in (t.name, t.simplified):
            by_name.setdefault(name, t.name)
    for t in tunes:
        for name in (*t.aliases, *t.aliases_simplified):
            by_name.setdefault(name, t.name)
    counts: Counter[str] = Counter()
    with corpus.open(encoding="utf-8") as f:
        for line in f:
            name = json.loads(line).get("tune", "")
            name = re.split("[・·]", name, maxsplit=1)[0].strip()
            if name in by_name:
                counts[by_name[name]] += 1
    return dict(counts)


def _fingerprint(folder: Path, files: list[str]) -> str:
    h = hashlib.sha256()
    for name in files:
        h.update((folder / name).read_bytes())
    return h.hexdigest()


def build(
    folder: Path, out: Path, book: RhymeBook, corpus: Path | None = None
) -> dict[str, object]:
    """Parse ``folder``, write the table to ``out``; return the meta (with coverage)."""
    raw = read_book(folder)
    if not raw.tunes:
        raise ValueError(f"no tunes found in {folder}: is this the text of 《御定詞譜》?")
    builder = Builder(book)
    tunes: list[Tune] = []
    for raw_tune in raw.tunes:
        tune = builder.tune(raw_tune, raw.toc.get(raw_tune.name, []))
        if tune is not None:
            tunes.append(tune)
    written = count_written(tunes, corpus) if corpus is not None and corpus.exists() else {}
    if written:
        tunes = [
            Tune(t.name, t.simplified, t.aliases, t.aliases_simplified, t.pinyin,
                 written.get(t.name, 0), t.forms)
            for t in tunes
        ]  # fmt: skip
    source: dict[str, object] = {}
    if (folder / "source.json").is_file():
        source = json.loads((folder / "source.json").read_text(encoding="utf-8"))
    stats = builder.marker.stats
    unsure = stats.polyphone + stats.guessed + stats.unknown
    meta: dict[str, object] = {
        "source": source,
        "input": {
            "files": len(raw.files),
            "sha256": _fingerprint(folder, raw.files),
            "unihan_variants": len(builder.variants),
        },
        "tunes": len(tunes),
        "forms": sum(len(t.forms) for t in tunes),
        "toc": {
            "tunes": len(raw.toc),
        },
        "coverage": {
            **dict(sorted(builder.counts.items())),
            "anomalies": len(raw.anomalies),
            "marks": {
                "characters": stats.chars,
                "from the rhyme book": stats.from_book,
                "through a variant form": stats.via_variant,
                "unsure": unsure,
                "unsure: polyphone": stats.polyphone,
                "unsure: guessed reading": stats.guessed,
                "unsure: no reading": stats.unknown,
                "most frequent unsure": "".join(
                    c for c, _ in Counter(stats.unsure_chars).most_common(40)
                ),
            },
            "notes": {k: v for k, v in asdict(builder.notes).items() if k != "unplaced_samples"},
        },
        "written_from_corpus": bool(written),
    }
    write_table(out, tunes, meta)
    (out / "anomalies.txt").write_text(
        "\n".join([*raw.anomalies, *builder.notes.unplaced_samples]) + "\n", encoding="utf-8"
    )
    return meta
