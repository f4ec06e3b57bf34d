"""The group tables of the two modern rhyme books: which pinyin finals form each group.

Both books group characters by the final (韵母) of their Mandarin reading and split every
group by tone into a 平 half (阴平, 阳平) and a 仄 half (上声, 去声); there is no 入声.
Each half is a :class:`ModernGroup`, a :class:`~app.prosody.groups.RhymeGroup` whose id
continues after the 106 平水 groups, so a group id names one group of one book anywhere in
the app (a stored id, a reading's ``group_id``, a constraint spec):

- 中华新韵: ids 106–119 the 平 halves of groups 1–14, 120–133 their 仄 halves;
- 中华通韵: ids 134–149 the 平 halves of groups 1–16, 150–165 their 仄 halves.

Sources (also in resources/rhyme/SOURCES.md and docs/prosody.md):

- 中华新韵: 《中华新韵（十四韵）简表》, 中华诗词学会, published in 《中华诗词》 2005 (the
  table of fourteen groups with their finals, and its principles: the reading of
  《新华字典》, 同身同韵 — the same rhyme body is one group — and 只分平仄，不辨入声).
- 中华通韵: 《中华通韵》 GF 0019—2019, a language standard of the 国家语言文字工作委员会,
  approved March 2019, in force since 1 November 2019 (its table of sixteen groups).

Finals are written as in 《汉语拼音方案》 with ü, the full forms iou, uei, uen (not the
abbreviated iu, ui, un), ``-i`` for the apical vowel of zhi chi shi ri zi ci si, and ê.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from app.prosody.books.kinds import BookKind
from app.prosody.groups import _NUMERALS, GROUPS, RhymeGroup
from app.prosody.tones import Tone

# (number, representative simplified, representative traditional, finals)
XINYUN_TABLE: tuple[tuple[int, str, str, tuple[str, ...]], ...] = (
    (1, "麻", "麻", ("a", "ia", "ua")),
    (2, "波", "波", ("o", "e", "uo")),
    (3, "皆", "皆", ("ie", "üe", "ê")),
    (4, "开", "開", ("ai", "uai")),
    (5, "微", "微", ("ei", "uei")),
    (6, "豪", "豪", ("ao", "iao")),
    (7, "尤", "尤", ("ou", "iou")),
    (8, "寒", "寒", ("an", "ian", "uan", "üan")),
    (9, "文", "文", ("en", "in", "uen", "ün")),
    (10, "唐", "唐", ("ang", "iang", "uang")),
    (11, "庚", "庚", ("eng", "ing", "ueng", "ong", "iong")),
    (12, "齐", "齊", ("i", "er", "ü")),
    (13, "支", "支", ("-i",)),
    (14, "姑", "姑", ("u",)),
)

TONGYUN_TABLE: tuple[tuple[int, str, str, tuple[str, ...]], ...] = (
    (1, "啊", "啊", ("a", "ia", "ua")),
    (2, "喔", "喔", ("o", "uo")),
    (3, "鹅", "鵝", ("e", "ie", "üe", "ê")),
    (4, "衣", "衣", ("i", "-i")),
    (5, "乌", "烏", ("u",)),
    (6, "迂", "迂", ("ü",)),
    (7, "哀", "哀", ("ai", "uai")),
    (8, "欸", "欸", ("ei", "uei")),
    (9, "熬", "熬", ("ao", "iao")),
    (10, "欧", "歐", ("ou", "iou")),
    (11, "安", "安", ("an", "ian", "uan", "üan")),
    (12, "恩", "恩", ("en", "in", "uen", "ün")),
    (13, "昂", "昂", ("ang", "iang", "uang")),
    (14, "英", "英", ("eng", "ing", "ueng")),
    (15, "雍", "雍", ("ong", "iong")),
    (16, "儿", "兒", ("er",)),
)

_TABLES = {BookKind.XINYUN: XINYUN_TABLE, BookKind.TONGYUN: TONGYUN_TABLE}
_SECTION = {BookKind.XINYUN: ("新韵", "新韻"), BookKind.TONGYUN: ("通韵", "通韻")}
_EN_NAME = {BookKind.XINYUN: "Xinyun", BookKind.TONGYUN: "Tongyun"}


@dataclass(frozen=True, slots=True)
class ModernGroup(RhymeGroup):
    """One half (平 or 仄) of a group of 中华新韵 or 中华通韵."""

    book: BookKind = BookKind.TONGYUN
    finals: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """通韵十三昂 (the 平 half: the one regulated verse rhymes in), 通韵十三昂（仄）."""
        return f"{self.section}{self.short}{'' if self.is_ping else '（仄）'}"

    @property
    def short(self) -> str:
        return f"{_NUMERALS[self.number - 1]}{self.rep}"

    @property
    def name_trad(self) -> str:
        trad = _SECTION[self.book][1]
        half = "" if self.is_ping else "（仄）"
        return f"{trad}{_NUMERALS[self.number - 1]}{self.rep_trad}{half}"

    @property
    def name_en(self) -> str:
        half = "level" if self.is_ping else "oblique"
        finals = " ".join(self.finals)
        return f"{self.rep} ({_EN_NAME[self.book]} no. {self.number}, {half}; {finals})"


def _build(kind: BookKind, base: int) -> tuple[ModernGroup, ...]:
    table = _TABLES[kind]
    section = _SECTION[kind][0]
    out: list[ModernGroup] = []
    for half, tone in ((0, Tone.PING), (1, Tone.SHANG)):
        for number, rep, rep_trad, finals in table:
            gid = base + half * len(table) + number - 1
            out.append(ModernGroup(gid, section, number, rep, rep_trad, tone, kind, finals))
    return tuple(out)


XINYUN_BASE = len(GROUPS)  # 106
XINYUN_GROUPS: tuple[ModernGroup, ...] = _build(BookKind.XINYUN, XINYUN_BASE)
TONGYUN_BASE = XINYUN_BASE + len(XINYUN_GROUPS)  # 134
TONGYUN_GROUPS: tuple[ModernGroup, ...] = _build(BookKind.TONGYUN, TONGYUN_BASE)
MODERN_GROUPS = {BookKind.XINYUN: XINYUN_GROUPS, BookKind.TONGYUN: TONGYUN_GROUPS}
ALL_GROUPS: tuple[RhymeGroup, ...] = (*GROUPS, *XINYUN_GROUPS, *TONGYUN_GROUPS)
assert all(g.id == i for i, g in enumerate(ALL_GROUPS))
assert len(XINYUN_GROUPS) == 28 and len(TONGYUN_GROUPS) == 32


def group_by_id(gid: int) -> RhymeGroup:
    """The group with this id, in whichever book it belongs to (IndexError if none)."""
    if gid < 0:
        raise IndexError(f"no rhyme group {gid}")
    return ALL_GROUPS[gid]


def book_of_group(group: RhymeGroup) -> BookKind:
    return group.book if isinstance(group, ModernGroup) else BookKind.PINGSHUI


@cache
def final_index(kind: BookKind) -> dict[str, int]:
    """final → group number (1-based) in a modern book."""
    return {final: number for number, _r, _t, finals in _TABLES[kind] for final in finals}


def group_for(kind: BookKind, final: str, ping: bool) -> ModernGroup | None:
    """The half-group of ``kind`` a reading with this final and tone class belongs to."""
    number = final_index(kind).get(final)
    if number is None:
        return None
    groups = MODERN_GROUPS[kind]
    half = len(groups) // 2
    return groups[number - 1 if ping else half + number - 1]


@cache
def _names(kind: BookKind) -> dict[str, ModernGroup]:
    index: dict[str, ModernGroup] = {}
    groups = MODERN_GROUPS[kind]
    for g in reversed(groups):  # the 平 half wins a bare name
        numeral = _NUMERALS[g.number - 1]
        keys = (g.name, g.name_trad, g.short, g.rep, g.rep_trad, f"{numeral}{g.rep_trad}",
                str(g.number), numeral, f"{g.section}{g.rep}",
                f"{g.section}{g.number}")  # fmt: skip
        for key in keys:
            index[key] = g
        for final in g.finals:
            index[final] = g
            index[final.replace("ü", "v")] = g
    return index


def modern_group_by_name(kind: BookKind, name: str) -> ModernGroup | None:
    """通韵十三昂 / 十三昂 / 昂 / 13 / ang (the 平 half unless the name says 仄)."""
    key = name.strip().replace("韻", "韵")
    found = _names(kind).get(key) or _names(kind).get(name.strip())
    if found is None:
        for section in _SECTION[kind]:
            if key.startswith(section):
                found = _names(kind).get(key[len(section) :])
                break
    return found


def find_group(name: str, kind: BookKind | None = None) -> RhymeGroup | None:
    """A group by name in ``kind``'s book; with no book, a 平水 name (下平七阳, 阳) or a
    modern name that says its book (新韵十一庚, 通韵十三昂)."""
    from app.prosody.groups import group_by_name

    if kind is BookKind.PINGSHUI:
        return group_by_name(name)
    if kind is not None:
        return modern_group_by_name(kind, name)
    key = name.strip().replace("韻", "韵")
    for modern, (section, _trad) in _SECTION.items():
        if key.startswith(section):
            return modern_group_by_name(modern, key)
    return group_by_name(name)
