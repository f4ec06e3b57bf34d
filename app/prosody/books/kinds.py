"""Which rhyme book a poem is checked against: 平水韵 (the default), 中华新韵 or 中华通韵."""

from __future__ import annotations

from enum import StrEnum


class BookKind(StrEnum):
    """A rhyme book, by a stable key (stored with poems and assignments, used on the CLI)."""

    PINGSHUI = "pingshui"  # 平水韵: 106 groups, the classical standard (meter-spec §1)
    XINYUN = "xinyun"  # 中华新韵 (中华诗词学会, 2005): 14 groups of today's pronunciation
    TONGYUN = "tongyun"  # 中华通韵 (GF 0019—2019): 16 groups, the national standard

    @property
    def zh(self) -> str:
        return _ZH[self]

    @property
    def zh_trad(self) -> str:
        return _ZH_TRAD[self]

    @property
    def en(self) -> str:
        return _EN[self]

    @property
    def short_zh(self) -> str:
        """平水 / 新韵 / 通韵: the word a header or a sheet prints."""
        return _SHORT[self]

    @property
    def is_modern(self) -> bool:
        """Today's pronunciation: 阴平/阳平 are 平, 上/去 仄, no 入声."""
        return self is not BookKind.PINGSHUI

    @classmethod
    def from_name(cls, name: str | None) -> BookKind | None:
        """pingshui / xinyun / tongyun, 平水韵 / 平水 / 新韵 / 中华新韵 / 通韵 / 中华通韵 … (None
        when the name is none of these; an empty name means nothing either)."""
        if not name:
            return None
        key = name.strip()
        return _BY_NAME.get(key) or _BY_NAME.get(key.lower())


_ZH = {
    BookKind.PINGSHUI: "平水韵",
    BookKind.XINYUN: "中华新韵",
    BookKind.TONGYUN: "中华通韵",
}
_ZH_TRAD = {
    BookKind.PINGSHUI: "平水韻",
    BookKind.XINYUN: "中華新韻",
    BookKind.TONGYUN: "中華通韻",
}
_EN = {
    BookKind.PINGSHUI: "Pingshui rhymes (classical)",
    BookKind.XINYUN: "Zhonghua Xinyun (modern, 14 groups)",
    BookKind.TONGYUN: "Zhonghua Tongyun (modern standard, 16 groups)",
}
_SHORT = {BookKind.PINGSHUI: "平水", BookKind.XINYUN: "新韵", BookKind.TONGYUN: "通韵"}
_BY_NAME: dict[str, BookKind] = {}
for _kind in BookKind:
    for _name in (_kind.value, _ZH[_kind], _ZH_TRAD[_kind], _SHORT[_kind]):
        _BY_NAME[_name] = _kind
_BY_NAME.update(
    {
        "平水韻": BookKind.PINGSHUI,
        "新韻": BookKind.XINYUN,
        "通韻": BookKind.TONGYUN,
        "psy": BookKind.PINGSHUI,
        "classical": BookKind.PINGSHUI,
        "xin": BookKind.XINYUN,
        "tong": BookKind.TONGYUN,
        "gf0019": BookKind.TONGYUN,
    }
)
