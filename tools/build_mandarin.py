"""Build the Mandarin readings the modern rhyme books (中华新韵, 中华通韵) read.

    .venv/bin/python tools/build_mandarin.py

Input: pypinyin (a run-time dependency; MIT), whose character table comes from
pinyin-data and whose phrase table from phrase-pinyin-data (both MIT, by the same author).
Output, under resources/rhyme/modern/ (read by app/prosody/books/modern.py):

- readings.tsv  one row per character: its Mandarin readings in use, in tone-mark pinyin,
                pypinyin's default first. A reading other than the default is kept when
                pypinyin's phrase table gives the character that reading in at least
                ``MIN_PHRASES`` phrases: the character table also lists readings found only
                in historical dictionaries (毛 mào, 过 guō), which would make most
                characters 平仄两读 if they counted.
- phrases.tsv   the phrases (2–4 characters) of the phrase table that settle a character:
                one whose kept readings differ in tone class or in a modern group (还:
                hái / huán; 看: kàn / kān). One row per phrase: the reading of each
                character it settles, "-" for the others.
- meta.json     pypinyin's version and the counts.

The group tables themselves (which finals form each group) are code:
app/prosody/books/tables.py, with their sources. The build checks the project's pinyin
parser (app/prosody/books/pinyin.py) against pypinyin's own on every reading and stops on a
disagreement. Deterministic: two runs give identical files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.prosody.books.kinds import BookKind  # noqa: E402
from app.prosody.books.pinyin import parse  # noqa: E402
from app.prosody.books.tables import final_index  # noqa: E402
from app.prosody.rhymebook.han import is_han  # noqa: E402

DEFAULT_OUT = ROOT / "resources" / "rhyme" / "modern"
MIN_PHRASES = 2
# Tone sandhi (变调) is not a reading: the phrase table writes 一 and 不 as they are said
# before another syllable (一样 yíyàng, 不对 búduì), and the old sandhi of 七 and 八 appears
# too. The books take the citation tone (本调), as dictionaries list it and as 中华新韵 and
# 中华通韵 file these characters.
CITATION = {"一": "yī", "不": "bù", "七": "qī", "八": "bā"}
MAX_PHRASE = 4
FORMAT = "1"


def _key(reading: str) -> tuple[int, int, int]:
    """What a reading means to the books: tone class, 新韵 group, 通韵 group."""
    s = parse(reading)
    tone_class = 0 if s.tone in (1, 2) else 1 if s.tone in (3, 4) else 2
    return (
        tone_class,
        final_index(BookKind.XINYUN).get(s.final, 0),
        final_index(BookKind.TONGYUN).get(s.final, 0),
    )


def _meanings(readings: list[str]) -> set[tuple[int, int, int]]:
    """The distinct meanings of the toned readings (the neutral tone 轻声 is no reading of
    its own where the character has a toned one: the books ignore it there)."""
    toned = [r for r in readings if parse(r).tone != 5]
    return {_key(r) for r in (toned or readings)}


def _settles(reading: str, kept: list[str]) -> bool:
    """Whether a phrase's reading of a character tells the books something: the character
    has readings in use of several meanings (tone class or group) and the phrase gives it
    a toned one. A reading only historical dictionaries list (南无 nā, 万俟 mò) is not
    brought back by a phrase: the books read characters as they are read today."""
    if parse(reading).tone == 5:
        return False
    return len(_meanings(kept)) > 1


def _check_parser(readings: set[str]) -> None:
    from pypinyin.contrib.tone_convert import to_finals

    bad: list[str] = []
    for r in sorted(readings):
        ours = parse(r).final
        theirs = to_finals(r, strict=True).replace("v", "ü")
        if ours == "-i" and theirs == "i":
            continue
        if ours == theirs or (ours == "" and theirs in ("", "m", "n", "ng")):
            continue
        if r.startswith(("ê", "ế", "ề")) and ours == "ê":
            continue
        bad.append(f"{r}: ours {ours!r}, pypinyin {theirs!r}")
    if bad:
        raise SystemExit("pinyin parser disagrees with pypinyin:\n" + "\n".join(bad[:40]))


def build(out: Path) -> dict[str, object]:
    import pypinyin
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict

    use: Counter[tuple[str, str]] = Counter()
    for phrase, readings in phrases_dict.items():
        for ch, options in zip(phrase, readings, strict=False):
            use[ch, options[0]] += 1

    rows: list[str] = []
    kept: dict[str, list[str]] = {}
    seen_readings: set[str] = set()
    for cp in sorted(pinyin_dict):
        ch = chr(cp)
        if not is_han(ch):
            continue
        listed = [r.strip() for r in pinyin_dict[cp].split(",") if r.strip()]
        if not listed:
            continue
        chosen: list[str] = []
        if ch in CITATION:
            listed = [CITATION[ch]]
        for k, r in enumerate(listed):
            if (k == 0 or use[ch, r] >= MIN_PHRASES) and r not in chosen:
                chosen.append(r)
        kept[ch] = chosen
        seen_readings.update(listed)
        rows.append(f"{ch}\t{' '.join(chosen)}")

    phrase_rows: list[str] = []
    for phrase, readings in phrases_dict.items():
        if not 2 <= len(phrase) <= MAX_PHRASE or len(readings) != len(phrase):
            continue
        if not all(is_han(ch) for ch in phrase):
            continue
        said = [CITATION.get(ch, options[0]) for ch, options in zip(phrase, readings, strict=True)]
        seen_readings.update(said)
        # only the characters a phrase settles carry their reading; "-" for the rest
        shown = [
            r if _settles(r, kept.get(c, [])) else "-" for c, r in zip(phrase, said, strict=True)
        ]
        if any(r != "-" for r in shown):
            phrase_rows.append(f"{phrase}\t{' '.join(shown)}")
    _check_parser(seen_readings)

    out.mkdir(parents=True, exist_ok=True)
    rows.sort()
    phrase_rows.sort()
    with (out / "readings.tsv").open("w", encoding="utf-8", newline="\n") as f:
        f.write(f"#shijian-mandarin\t{FORMAT}\tchar\treadings\n")
        f.write("\n".join(rows) + "\n")
    with (out / "phrases.tsv").open("w", encoding="utf-8", newline="\n") as f:
        f.write(f"#shijian-mandarin-phrases\t{FORMAT}\tphrase\treadings\n")
        f.write("\n".join(phrase_rows) + "\n")
    several = sum(1 for r in kept.values() if len(_meanings(r)) > 1)
    both = sum(1 for r in kept.values() if {m[0] for m in _meanings(r)} >= {0, 1})
    meta: dict[str, object] = {
        "format": FORMAT,
        "inputs": {"pypinyin": pypinyin.__version__},
        "min_phrases": MIN_PHRASES,
        "chars": len(rows),
        "readings_listed": sum(len(pinyin_dict[ord(c)].split(",")) for c in kept),
        "readings_kept": sum(len(r) for r in kept.values()),
        "chars_several_meanings": several,
        "chars_ping_and_ze": both,
        "phrases": len(phrase_rows),
    }
    (out / "meta.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return meta


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    meta = build(args.out)
    print(json.dumps(meta, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
