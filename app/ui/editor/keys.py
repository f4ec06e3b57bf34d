"""What the editor paints on one character, as a small hashable key (no Qt).

A :data:`StyleKey` is ``(tone, guessed, severity, rhyme, pinned)``:

* ``tone`` — one of :class:`ToneClass` (平 / 仄 / 入 / 两读 / 未知);
* ``guessed`` — the reading is only a guess (or there is none): hatched;
* ``severity`` — the worst finding on the character (``Severity`` value), -1 when clean;
* ``rhyme`` — a :class:`~app.prosody.analysis.RhymeMark` value ('' off the rhyme);
* ``pinned`` — a polyphone whose reading the poet chose.

Keys are compared per block to decide which blocks to re-highlight, and turned
into ``QTextCharFormat`` objects once per key (see :mod:`app.ui.editor.formats`).
"""

from __future__ import annotations

from enum import StrEnum

from app.prosody.analysis import CharResult
from app.prosody.chars import CharInfo
from app.prosody.forms import EITHER, PING, UNKNOWN, ZE
from app.prosody.tones import PING_BIT, RU_BIT, UNCERTAIN_BIT, ZE_BIT, Source


class ToneClass(StrEnum):
    PING = "ping"
    ZE = "ze"
    RU = "ru"
    POLY = "poly"
    UNKNOWN = "unknown"


StyleKey = tuple[str, bool, int, str, bool]
NO_SEVERITY = -1


def tone_class(code: int, info: CharInfo | None) -> ToneClass:
    """The class a tone code paints as (``code`` after pins, as the checker reports it)."""
    if code == PING:
        return ToneClass.PING
    if code == ZE:
        return ToneClass.RU if info is not None and info.is_ru else ToneClass.ZE
    if code == EITHER:
        return ToneClass.POLY
    return ToneClass.UNKNOWN


def is_guessed(code: int, info: CharInfo | None) -> bool:
    """No reading at all, or only a guessed one (a 广韵-derived reading is not a guess)."""
    return code == UNKNOWN or info is None or info.source is Source.GUESSED


_TONE_OF_CODE = {PING: "ping", ZE: "ze", EITHER: "poly", UNKNOWN: "unknown"}


def key_for(c: CharResult) -> StyleKey:
    """The key of a checked character (the editor builds one per character per analysis,
    so this avoids enum lookups and property calls on the common path)."""
    code, info = c.code, c.info
    if info is None:
        tone, guessed = _TONE_OF_CODE.get(code, "unknown"), True
    else:
        mask = info.mask
        if code == ZE:
            tone = "ru" if mask & RU_BIT else "ze"
        else:
            tone = _TONE_OF_CODE.get(code, "unknown")
        guessed = code == UNKNOWN or bool(mask & UNCERTAIN_BIT and info.source is Source.GUESSED)
    sev = c.severity
    return (tone, guessed, NO_SEVERITY if sev is None else int(sev), str(c.rhyme), c.pinned)


def tone_only_key(info: CharInfo | None, pin: int | None = None) -> StyleKey:
    """The key of a character typed since the last analysis: its tone from the book only."""
    if info is None:
        return (ToneClass.UNKNOWN.value, True, NO_SEVERITY, "", False)
    if pin is not None:
        code = pin
    else:
        mask = info.mask
        code = (UNKNOWN, PING, ZE, EITHER)[mask & (PING_BIT | ZE_BIT)]
    return (tone_class(code, info).value, is_guessed(code, info), NO_SEVERITY, "",
            pin is not None)  # fmt: skip


def key_severity(key: StyleKey) -> int:
    return key[2]


def key_rhyme(key: StyleKey) -> str:
    return key[3]


def key_pinned(key: StyleKey) -> bool:
    return key[4]


def key_tone(key: StyleKey) -> ToneClass:
    return ToneClass(key[0])
