"""Guessed readings, for characters that neither the 平水韵 nor 《廣韻》 records.

Two methods, both labelled ``Source.GUESSED`` with no rhyme group (``group_id == -1``):

- **Cantonese** (``GuessMethod.CANTONESE``, computed at build time from Jyutping):
  Cantonese tones are the regular reflexes of the Middle Chinese ones, so 陰平/陽平
  (tones 1, 4) → 平, 陰上/陽上 (2, 5) → 上, 陰去/陽去 (3, 6) → 去, and a syllable
  ending in -p/-t/-k → 入 whatever its tone number.
- **Mandarin** (``GuessMethod.MANDARIN``, the last resort, with pypinyin): 1st/2nd tone
  → 平, 3rd → 上, 4th → 去; Mandarin has lost 入声, so an entering-tone character may
  come out 平. pypinyin is imported on the first guess only, so importing the rhyme
  book stays cheap.
"""

from __future__ import annotations

import re

from app.prosody.chars import Reading
from app.prosody.tones import GuessMethod, Source, Tone

# Mandarin tone digit → the rhyme-book tone used for the guess. 3 and 4 are both 仄;
# calling them 上 and 去 keeps the reading honest about where it came from.
_TONES = {"1": Tone.PING, "2": Tone.PING, "3": Tone.SHANG, "4": Tone.QU}

# Jyutping tone number → tone, for syllables without a stop ending.
_CANTONESE_TONES = {
    "1": Tone.PING,
    "4": Tone.PING,
    "2": Tone.SHANG,
    "5": Tone.SHANG,
    "3": Tone.QU,
    "6": Tone.QU,
}
_JYUTPING = re.compile(r"([a-z]+)([1-6])")


def cantonese_tone(syllable: str) -> Tone | None:
    """The rhyme-book tone of one Jyutping syllable (``"joeng5"`` → 上, ``"fat1"`` → 入);
    None for anything that is not one syllable with a tone number."""
    m = _JYUTPING.fullmatch(syllable.strip().lower())
    if m is None:
        return None
    if m.group(1)[-1] in "ptk":  # an entering (checked) syllable: 入, tones 1/3/6 alike
        return Tone.RU
    return _CANTONESE_TONES[m.group(2)]


def cantonese_readings(
    syllables: list[str] | tuple[str, ...], via: str = ""
) -> tuple[Reading, ...]:
    """Guessed readings from Jyutping syllables: one per distinct tone, 平 first."""
    tones = sorted({t for s in syllables if (t := cantonese_tone(s)) is not None})
    return tuple(Reading(t, -1, Source.GUESSED, via, GuessMethod.CANTONESE) for t in tones)


def mandarin_tones(ch: str) -> tuple[Tone, ...]:
    """The distinct guessed tones of ``ch`` (all its pypinyin heteronyms), 平 first."""
    from pypinyin import Style, pinyin

    found: set[Tone] = set()
    for options in pinyin(ch, style=Style.TONE3, heteronym=True, errors="ignore"):
        for syllable in options:
            tone = _TONES.get(syllable[-1:]) if syllable else None
            if tone is not None:
                found.add(tone)
    return tuple(sorted(found))


def guess_readings(ch: str) -> tuple[Reading, ...]:
    """Mandarin-guessed readings for ``ch``; empty when pypinyin knows no tone for it."""
    return tuple(
        Reading(tone, -1, Source.GUESSED, "", GuessMethod.MANDARIN) for tone in mandarin_tones(ch)
    )
