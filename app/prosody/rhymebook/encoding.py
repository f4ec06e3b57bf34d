"""The text encoding of readings in resources/rhyme/chars.tsv.

One reading is one token, tokens are separated by spaces:

- ``55``      group 55 from the rhyme book (its tone is the group's tone)
- ``55d``     group 55 derived from 《廣韻》
- ``c3``      a Cantonese guess of tone 3 (入); no group
- ``g0``      a Mandarin guess of tone 0 (平); no group
- ``…@發``    suffix: the traditional form (or book spelling) the reading came from
"""

from __future__ import annotations

from collections.abc import Iterable

from app.prosody.chars import Reading
from app.prosody.groups import GROUPS
from app.prosody.tones import GuessMethod, Source, Tone

# 2: Cantonese guesses (``c`` tokens) and own readings kept for 并 and five others.
FORMAT_VERSION = "2"


def encode_reading(r: Reading) -> str:
    if r.source is Source.GUESSED or r.group_id < 0:
        kind = "c" if r.guess is GuessMethod.CANTONESE else "g"
        core = f"{kind}{int(r.tone)}"
    else:
        core = f"{r.group_id}{'d' if r.source is Source.DERIVED else ''}"
    return f"{core}@{r.via}" if r.via else core


def encode_readings(readings: Iterable[Reading]) -> str:
    return " ".join(encode_reading(r) for r in readings)


def decode_reading(token: str) -> Reading:
    core, _, via = token.partition("@")
    if core[0] == "g":
        return Reading(Tone(int(core[1:])), -1, Source.GUESSED, via, GuessMethod.MANDARIN)
    if core[0] == "c":
        return Reading(Tone(int(core[1:])), -1, Source.GUESSED, via, GuessMethod.CANTONESE)
    if core[-1] == "d":
        gid = int(core[:-1])
        return Reading(GROUPS[gid].tone, gid, Source.DERIVED, via)
    gid = int(core)
    return Reading(GROUPS[gid].tone, gid, Source.BOOK, via)


def decode_readings(text: str) -> tuple[Reading, ...]:
    return tuple(decode_reading(t) for t in text.split(" ") if t)
