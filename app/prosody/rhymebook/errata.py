"""The rhyme book's errata: readings added to or removed from the 平水韻 list, with the
evidence for each (resources/rhyme/errata.tsv, applied by tools/build_rhymebook.py).

One row per changed reading, tab-separated::

    先	+	下平一先	《廣韻》先韻平聲 蘇前切	韵脚 一先 42; 定位 平 206 仄 0	<reason>

``+`` adds the character to the group, ``-`` removes it. The source column cites the
《廣韻》 entry (反切) that supports the change; the evidence column gives the counts from
Tang regulated verse that decided it (see tools/audit_rhymebook.py). Lines starting
with ``#`` are comments. The app never reads this file: the build bakes it into
``chars.tsv`` and ``groups.tsv``; the tests read it to check that it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.prosody.groups import GROUPS, RhymeGroup, group_by_name

ADD = "+"
REMOVE = "-"


class ErrataError(ValueError):
    """A malformed erratum, or one that no longer fits the book it is applied to."""


@dataclass(frozen=True, slots=True)
class Erratum:
    char: str
    change: str  # ADD or REMOVE
    group: RhymeGroup
    source: str  # the 《廣韻》 entry cited
    evidence: str  # usage counts from Tang verse
    reason: str

    def row(self) -> str:
        return "\t".join(
            (self.char, self.change, self.group.name, self.source, self.evidence, self.reason)
        )


def parse_errata(text: str) -> list[Erratum]:
    """Parse the errata file; raises :class:`ErrataError` naming the bad line."""
    out: list[Erratum] = []
    seen: set[tuple[str, int]] = set()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) != 6:
            raise ErrataError(f"errata line {number}: 6 tab-separated cells expected")
        char, change, name, source, evidence, reason = cells
        group = group_by_name(name)
        if len(char) != 1 or change not in (ADD, REMOVE) or group is None or group.name != name:
            raise ErrataError(f"errata line {number}: bad character, change or group: {line!r}")
        if not source.strip() or not reason.strip():
            raise ErrataError(f"errata line {number}: a source and a reason are required")
        if (char, group.id) in seen:
            raise ErrataError(f"errata line {number}: {char} {name} is listed twice")
        seen.add((char, group.id))
        out.append(Erratum(char, change, group, source, evidence, reason))
    return out


def apply_errata(
    groups_of: dict[str, list[int]], members: list[list[str]], errata: Iterable[Erratum]
) -> None:
    """Apply ``errata`` to a book held as char → group ids and group id → members.

    Raises :class:`ErrataError` when a row no longer fits (the reading it adds is already
    there, or the one it removes is not): an input upgrade must be reviewed, not
    silently absorbed.
    """
    for e in errata:
        gids = groups_of.get(e.char, [])
        if e.change == ADD:
            if e.group.id in gids:
                raise ErrataError(f"erratum {e.char} + {e.group.name}: already in the book")
            groups_of[e.char] = sorted([*gids, e.group.id])
            members[e.group.id].append(e.char)
        else:
            if e.group.id not in gids:
                raise ErrataError(f"erratum {e.char} - {e.group.name}: not in the book")
            rest = [g for g in gids if g != e.group.id]
            if rest:
                groups_of[e.char] = rest
            else:
                del groups_of[e.char]
            members[e.group.id].remove(e.char)


def group_names(ids: Iterable[int]) -> str:
    return " ".join(GROUPS[g].name for g in sorted(ids))
