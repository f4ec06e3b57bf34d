"""The 106 groups (韵部) of the 平水韵, their canonical names and neighbours."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from app.prosody.tones import Tone

_NUMERALS = [
    "一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
    "十一", "十二", "十三", "十四", "十五", "十六", "十七", "十八", "十九", "二十",
    "二十一", "二十二", "二十三", "二十四", "二十五", "二十六", "二十七", "二十八",
    "二十九", "三十",
]  # fmt: skip

# (section, tone, the representative characters in simplified and traditional form)
_SECTIONS: list[tuple[str, str, Tone, str, str]] = [
    ("上平", "上平", Tone.PING, "东冬江支微鱼虞齐佳灰真文元寒删", "東冬江支微魚虞齊佳灰真文元寒刪"),
    ("下平", "下平", Tone.PING, "先萧肴豪歌麻阳庚青蒸尤侵覃盐咸", "先蕭肴豪歌麻陽庚青蒸尤侵覃鹽咸"),
    (
        "上声",
        "上聲",
        Tone.SHANG,
        "董肿讲纸尾语麌荠蟹贿轸吻阮旱潸铣筱巧皓哿马养梗迥有寝感琰豏",
        "董腫講紙尾語麌薺蟹賄軫吻阮旱潸銑篠巧皓哿馬養梗迥有寢感琰豏",
    ),
    (
        "去声",
        "去聲",
        Tone.QU,
        "送宋绛寘未御遇霁泰卦队震问愿翰谏霰啸效号个祃漾敬径宥沁勘艳陷",
        "送宋絳寘未御遇霽泰卦隊震問願翰諫霰嘯效號箇禡漾敬徑宥沁勘豔陷",
    ),
    (
        "入声",
        "入聲",
        Tone.RU,
        "屋沃觉质物月曷黠屑药陌锡职缉合叶洽",
        "屋沃覺質物月曷黠屑藥陌錫職緝合葉洽",
    ),
]


@dataclass(frozen=True, slots=True)
class RhymeGroup:
    """One of the 106 groups. ``id`` is its index 0..105 in book order."""

    id: int
    section: str  # 上平 / 下平 / 上声 / 去声 / 入声
    number: int  # 1-based within the section
    rep: str  # representative character, simplified (东)
    rep_trad: str  # representative character, traditional (東)
    tone: Tone

    @property
    def name(self) -> str:
        """Canonical name, e.g. 上平一东."""
        return f"{self.section}{_NUMERALS[self.number - 1]}{self.rep}"

    @property
    def short(self) -> str:
        """Short name used in running text, e.g. 一东."""
        return f"{_NUMERALS[self.number - 1]}{self.rep}"

    @property
    def name_trad(self) -> str:
        section = {"上声": "上聲", "去声": "去聲", "入声": "入聲"}.get(self.section, self.section)
        return f"{section}{_NUMERALS[self.number - 1]}{self.rep_trad}"

    @property
    def is_ping(self) -> bool:
        return self.tone is Tone.PING

    @property
    def name_en(self) -> str:
        section = {
            "上平": "upper level",
            "下平": "lower level",
            "上声": "rising",
            "去声": "departing",
            "入声": "entering",
        }[self.section]
        return f"{self.rep} ({section} no. {self.number})"


def _build() -> tuple[RhymeGroup, ...]:
    groups: list[RhymeGroup] = []
    for section, _trad, tone, simp, trad in _SECTIONS:
        assert len(simp) == len(trad)
        for i, (s, t) in enumerate(zip(simp, trad, strict=True)):
            groups.append(RhymeGroup(len(groups), section, i + 1, s, t, tone))
    return tuple(groups)


GROUPS: tuple[RhymeGroup, ...] = _build()
PING_GROUPS: tuple[RhymeGroup, ...] = tuple(g for g in GROUPS if g.is_ping)
assert len(GROUPS) == 106 and len(PING_GROUPS) == 30

# 首句借邻韵: groups a first line may borrow from (meter-spec §5).
_NEIGHBOUR_SETS = (
    "东冬", "江阳", "支微齐", "鱼虞", "佳灰", "真文元", "寒删先", "萧肴豪", "庚青蒸", "覃盐咸",
)  # fmt: skip


@cache
def _by_name() -> dict[str, RhymeGroup]:
    index: dict[str, RhymeGroup] = {}
    for g in GROUPS:
        for key in (g.name, g.name_trad, f"{g.section}{g.rep}"):
            index[key] = g
    # Bare short names (一东, 东) resolve to the 平声 group when ambiguous.
    for g in reversed(GROUPS):
        index[g.short] = g
        index[g.rep] = g
        index[g.rep_trad] = g
    for g in PING_GROUPS:
        index[g.short] = g
        index[g.rep] = g
        index[g.rep_trad] = g
        index[f"{_NUMERALS[g.number - 1]}{g.rep_trad}"] = g
    return index


def group_by_name(name: str) -> RhymeGroup | None:
    """Resolve 上平一东 / 上平一東 / 一东 / 东 / 上平东 (平声 preferred when ambiguous)."""
    key = name.strip().replace("聲", "声").replace("平声", "平")
    g = _by_name().get(key) or _by_name().get(name.strip())
    return g


def neighbours(group: RhymeGroup) -> tuple[RhymeGroup, ...]:
    """The 平声 groups a first line may borrow from instead of ``group`` (not itself)."""
    if not group.is_ping:
        return ()
    for members in _NEIGHBOUR_SETS:
        if group.rep in members:
            return tuple(g for g in PING_GROUPS if g.rep in members and g.id != group.id)
    return ()
