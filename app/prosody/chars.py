"""What the rhyme book knows about one character."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.prosody.books.tables import group_by_id
from app.prosody.groups import RhymeGroup
from app.prosody.tones import PING_BIT, RU_BIT, UNCERTAIN_BIT, ZE_BIT, GuessMethod, Source, Tone


@dataclass(frozen=True, slots=True)
class Reading:
    """One reading: a tone, the group it rhymes in, and where it came from."""

    tone: Tone
    group_id: int  # a group id of any book (books.tables.group_by_id); -1 when unknown
    source: Source
    via: str = ""  # the traditional form this reading belongs to, when it differs from the char
    guess: GuessMethod | None = None  # how a Source.GUESSED reading was guessed; else None

    @property
    def group(self) -> RhymeGroup | None:
        return group_by_id(self.group_id) if self.group_id >= 0 else None


@dataclass(frozen=True, slots=True)
class CharInfo:
    """Every reading of one character (simplified and traditional forms resolve alike).

    ``mask`` packs PING_BIT / ZE_BIT / RU_BIT / UNCERTAIN_BIT so the checker's inner
    loop tests integers. ``traditional`` lists the traditional forms whose readings
    were united (听 → 聽; 发 → 發, 髮).
    """

    char: str
    readings: tuple[Reading, ...]
    traditional: tuple[str, ...] = ()
    mask: int = field(default=0)
    # derived once: the 平声 groups of the readings (the rhyme checks ask for them often)
    ping_groups: frozenset[int] = field(default=frozenset(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.mask == 0 and self.readings:
            object.__setattr__(self, "mask", compute_mask(self.readings))
        if not self.ping_groups:
            object.__setattr__(
                self,
                "ping_groups",
                frozenset(
                    r.group_id for r in self.readings if r.tone is Tone.PING and r.group_id >= 0
                ),
            )

    @property
    def can_be_ping(self) -> bool:
        return bool(self.mask & PING_BIT)

    @property
    def can_be_ze(self) -> bool:
        return bool(self.mask & ZE_BIT)

    @property
    def is_ru(self) -> bool:
        return bool(self.mask & RU_BIT)

    @property
    def is_polyphone(self) -> bool:
        """Both 平 and 仄 readings: satisfies either tone."""
        return (self.mask & (PING_BIT | ZE_BIT)) == (PING_BIT | ZE_BIT)

    @property
    def source(self) -> Source:
        """The best provenance among the readings."""
        return min((r.source for r in self.readings), default=Source.GUESSED)

    @property
    def guess(self) -> GuessMethod | None:
        """For a character whose best source is a guess: the best method among its
        readings (Cantonese before Mandarin); None when some reading is not a guess."""
        if not self.readings or self.source is not Source.GUESSED:
            return None
        methods = {r.guess for r in self.readings}
        if GuessMethod.CANTONESE in methods:
            return GuessMethod.CANTONESE
        return GuessMethod.MANDARIN

    @property
    def uncertain(self) -> bool:
        return bool(self.mask & UNCERTAIN_BIT)

    @property
    def group_ids(self) -> frozenset[int]:
        return frozenset(r.group_id for r in self.readings if r.group_id >= 0)


def compute_mask(readings: tuple[Reading, ...]) -> int:
    mask = 0
    for r in readings:
        if r.tone is Tone.PING:
            mask |= PING_BIT
        else:
            mask |= ZE_BIT
            if r.tone is Tone.RU:
                mask |= RU_BIT
    if readings and all(r.source is not Source.BOOK for r in readings):
        mask |= UNCERTAIN_BIT
    return mask
