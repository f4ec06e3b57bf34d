"""The last-resort reading: a Mandarin-tone guess with pypinyin (1/2 → 平, 3/4 → 仄).

pypinyin is imported on the first guess only, so importing the rhyme book stays cheap.
A guessed reading has no rhyme group (``group_id == -1``) and ``Source.GUESSED``.
"""

from __future__ import annotations

from app.prosody.chars import Reading
from app.prosody.tones import Source, Tone

# Mandarin tone digit → the rhyme-book tone used for the guess. 3 and 4 are both 仄;
# calling them 上 and 去 keeps the reading honest about where it came from.
_TONES = {"1": Tone.PING, "2": Tone.PING, "3": Tone.SHANG, "4": Tone.QU}


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
    """Guessed readings for ``ch``; empty when pypinyin knows no tone for it."""
    return tuple(Reading(tone, -1, Source.GUESSED) for tone in mandarin_tones(ch))
