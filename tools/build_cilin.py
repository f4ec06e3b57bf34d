"""Build the 词林正韵 table (戈載, 19 部) under resources/cilin/.

    .venv/bin/pip install -e '.[data]'      # qieyun 0.13.3 (《廣韻》, CC0)
    .venv/bin/python tools/build_cilin.py

The 词林正韵 groups the 206 rhymes of the 《廣韻》/《集韻》 into 19 部: 平上去 of one 部 rhyme
together in 词, 入声 has five 部 of its own. Its 部 are named by those rhymes, so a
character's 部 follows from where the 《廣韻》 puts it (the standard grouping, ``BU_OF_RHYME``
below). Every character of the project's rhyme book (resources/rhyme/chars.tsv, which already
unites simplified and traditional forms) gets the 部 of each of its readings:

1. A reading of a 平水 group that lies inside one 部 (一东 → 第一部, 七阳 → 第二部, …) takes that
   部 directly.
2. A reading of a 平水 group that the 词林正韵 divides — 十三元 (元 → 第七部, 魂痕 → 第六部),
   十灰 (灰 → 第三部, 咍 → 第五部), 九泰 (合口 and 唇音 → 第三部, 開口 → 第五部), 九佳 / 九蟹 /
   十卦 (the 佳半 蟹半 卦半 of 第五部 and 第十部) — takes the 部 of the character's own 《廣韻》
   entries in that group (by the rhyme, and for 泰 by 開合, from qieyun's 音韻地位). 佳蟹卦夬
   are divided by the later reading the 词林正韵 follows, which the 《廣韻》 does not record:
   a character read with final -a/-ia/-ua in Mandarin (佳 涯 崖 娃 蛙 罷 灑 挂 畫 話) goes to
   第十部 with 麻馬禡, the rest (街 柴 鞋 牌 買 解 賣 債 快) to 第五部. A character with no
   《廣韻》 entry in a divided group is placed by the same Mandarin rule for its group.
3. Guessed readings (no group) get no 部.

Output: ``chars.tsv`` (char, its 部 readings as ``<部><tone>`` tokens, tone p 平 s 上 q 去 r 入),
``bu.tsv`` (per 部: number, name, the 平水 groups it spans, members by tone class, most
used first) and ``meta.json`` (inputs, counts).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(ROOT / "tools") not in sys.path:
    sys.path.insert(0, str(ROOT / "tools"))

from rhymebook_sources import package_dir, package_version  # noqa: E402

from app.prosody.groups import GROUPS  # noqa: E402
from app.prosody.rhymebook import RhymeBook  # noqa: E402
from app.prosody.rhymebook.cilin import BU_NAMES, TONE_LETTERS, encode_parts  # noqa: E402
from app.prosody.tones import Tone  # noqa: E402

DEFAULT_OUT = ROOT / "resources" / "cilin"

# The standard grouping (戈載《詞林正韻》 發凡 and its 部 headings), by 《廣韻》 rhyme as the
# qieyun data names them (韻部原貌). Rhymes the 词林正韵 divides map to a tuple; ``split``
# decides between its members.
BU_OF_RHYME: dict[str, int | tuple[int, ...]] = {
    # 第一部
    "東": 1, "冬": 1, "鍾": 1, "董": 1, "腫": 1, "送": 1, "宋": 1, "用": 1,
    # 第二部
    "江": 2, "陽": 2, "唐": 2, "講": 2, "養": 2, "蕩": 2, "絳": 2, "漾": 2, "宕": 2,
    # 第三部
    "支": 3, "脂": 3, "之": 3, "微": 3, "齊": 3, "灰": 3,
    "紙": 3, "旨": 3, "止": 3, "尾": 3, "薺": 3, "賄": 3,
    "寘": 3, "至": 3, "志": 3, "未": 3, "霽": 3, "祭": 3, "隊": 3, "廢": 3,
    "泰": (3, 5),
    # 第四部
    "魚": 4, "虞": 4, "模": 4, "語": 4, "麌": 4, "姥": 4, "御": 4, "遇": 4, "暮": 4,
    # 第五部 (佳蟹卦夬 shared with 第十部)
    "佳": (5, 10), "皆": 5, "咍": 5, "蟹": (5, 10), "駭": 5, "海": 5,
    "卦": (5, 10), "怪": 5, "夬": (5, 10), "代": 5,
    # 第六部
    "真": 6, "諄": 6, "臻": 6, "文": 6, "欣": 6, "魂": 6, "痕": 6,
    "軫": 6, "準": 6, "吻": 6, "隱": 6, "混": 6, "很": 6,
    "震": 6, "稕": 6, "問": 6, "焮": 6, "慁": 6, "恨": 6,
    # 第七部
    "元": 7, "寒": 7, "桓": 7, "刪": 7, "山": 7, "先": 7, "仙": 7,
    "阮": 7, "旱": 7, "緩": 7, "潸": 7, "產": 7, "銑": 7, "獮": 7,
    "願": 7, "翰": 7, "換": 7, "諫": 7, "襇": 7, "霰": 7, "線": 7,
    # 第八部
    "蕭": 8, "宵": 8, "肴": 8, "豪": 8, "篠": 8, "小": 8, "巧": 8, "晧": 8,
    "嘯": 8, "笑": 8, "效": 8, "号": 8,
    # 第九部
    "歌": 9, "戈": 9, "哿": 9, "果": 9, "箇": 9, "過": 9,
    # 第十部
    "麻": 10, "馬": 10, "禡": 10,
    # 第十一部
    "庚": 11, "耕": 11, "清": 11, "青": 11, "蒸": 11, "登": 11,
    "梗": 11, "耿": 11, "靜": 11, "迥": 11, "拯": 11, "等": 11,
    "映": 11, "諍": 11, "勁": 11, "徑": 11, "證": 11, "嶝": 11,
    # 第十二部
    "尤": 12, "侯": 12, "幽": 12, "有": 12, "厚": 12, "黝": 12, "宥": 12, "候": 12, "幼": 12,
    # 第十三部
    "侵": 13, "寑": 13, "沁": 13,
    # 第十四部
    "覃": 14, "談": 14, "鹽": 14, "添": 14, "嚴": 14, "咸": 14, "銜": 14, "凡": 14,
    "感": 14, "敢": 14, "琰": 14, "忝": 14, "儼": 14, "豏": 14, "檻": 14, "范": 14,
    "勘": 14, "闞": 14, "豔": 14, "㮇": 14, "釅": 14, "陷": 14, "鑑": 14, "梵": 14,
    # 入声: 第十五部 … 第十九部
    "屋": 15, "沃": 15, "燭": 15,
    "覺": 16, "藥": 16, "鐸": 16,
    "質": 17, "術": 17, "櫛": 17, "陌": 17, "麥": 17, "昔": 17, "錫": 17, "職": 17,
    "德": 17, "緝": 17,
    "物": 18, "迄": 18, "月": 18, "沒": 18, "曷": 18, "末": 18, "黠": 18, "鎋": 18,
    "屑": 18, "薛": 18, "葉": 18, "怗": 18,
    "合": 19, "盍": 19, "業": 19, "洽": 19, "狎": 19, "乏": 19,
}  # fmt: skip
# other spellings of rhyme names in the qieyun data
_RHYME_ALIASES = {"寢": "寑", "敬": "映", "帖": "怗", "眞": "真", "霄": "宵", "麧": "沒",
                  "䰟": "魂", "𥬇": "笑"}  # fmt: skip
_TONE_OF = {"平": Tone.PING, "上": Tone.SHANG, "去": Tone.QU, "入": Tone.RU}
# The 平水 groups (by traditional representative and tone) the 词林正韵 divides, and the
# 《廣韻》 rhymes each contains.
_DIVIDED = {
    ("元", Tone.PING): ("元", "魂", "痕"),
    ("阮", Tone.SHANG): ("阮", "混", "很"),
    ("願", Tone.QU): ("願", "慁", "恨"),
    ("灰", Tone.PING): ("灰", "咍"),
    ("賄", Tone.SHANG): ("賄", "海"),
    ("隊", Tone.QU): ("隊", "代", "廢"),
    ("泰", Tone.QU): ("泰",),
    ("佳", Tone.PING): ("佳", "皆"),
    ("蟹", Tone.SHANG): ("蟹", "駭"),
    ("卦", Tone.QU): ("卦", "怪", "夬"),
}
# Mandarin finals of the 第十部 side of 佳蟹卦夬
_MA_FINALS = ("a", "ia", "ua")


def bu_of_group(gid: int) -> int | None:
    """The 部 of a 平水 group that lies inside one 部; None for a divided group."""
    group = GROUPS[gid]
    if (group.rep_trad, group.tone) in _DIVIDED:
        return None
    from rhymebook_sources import _MERGES

    for rhyme, rep in _MERGES.items():
        if rep == group.rep_trad:
            bu = BU_OF_RHYME.get(rhyme)
            if isinstance(bu, int) and _rhyme_tone(rhyme) == group.tone:
                return bu
    raise SystemExit(f"no 部 for {group.name}")


_RHYME_TONES: dict[str, Tone] = {}


def _rhyme_tone(rhyme: str) -> Tone:
    return _RHYME_TONES[rhyme]


def read_guangyun() -> dict[str, list[tuple[str, Tone, str]]]:
    """Per 《廣韻》 head character: (rhyme, tone, 開合 '開' / '合' / '' for 唇音)."""
    folder = package_dir("Qieyun")
    lines = (folder / "rhyme_book.csv").read_text(encoding="utf-8").splitlines()
    col = {name: i for i, name in enumerate(lines[0].split(","))}
    out: dict[str, list[tuple[str, Tone, str]]] = defaultdict(list)
    for line in lines[1:]:
        row = line.split(",")
        if row[col["資料名稱"]] != "廣韻":
            continue
        head = row[col["字頭"]] or row[col["字頭覈校前"]]
        desc = row[col["最簡描述"]]
        rhyme = _RHYME_ALIASES.get(row[col["韻部原貌"]], row[col["韻部原貌"]])
        tone = _TONE_OF[desc[-1]]
        _RHYME_TONES.setdefault(rhyme, tone)
        kaihe = "開" if "開" in desc else "合" if "合" in desc else ""
        if len(head) == 1:
            entry = (rhyme, tone, kaihe)
            if entry not in out[head]:
                out[head].append(entry)
    return out


def mandarin_finals(ch: str) -> list[str]:
    from pypinyin import Style, pinyin

    return [p for p in pinyin(ch, style=Style.FINALS, strict=False)[0] if p]


def split_bu(rhyme: str, kaihe: str, ch: str, tone: Tone) -> int:
    """The 部 of a character in a rhyme the 词林正韵 divides."""
    bu = BU_OF_RHYME[rhyme]
    if isinstance(bu, int):
        return bu
    if rhyme == "泰":
        return 5 if kaihe == "開" else 3
    # 佳蟹卦夬: by the later reading
    return 10 if any(f in _MA_FINALS for f in mandarin_finals(ch)) else 5


def fallback_bu(group_rep: str, ch: str) -> int:
    """A character in a divided 平水 group with no 《廣韻》 entry there: the Mandarin rule."""
    finals = mandarin_finals(ch)
    if group_rep in ("元", "阮", "願"):
        return 7 if any(f.endswith("an") for f in finals) else 6
    if group_rep in ("灰", "賄", "隊", "泰"):
        return 5 if any(f in ("ai", "uai") for f in finals) else 3
    return 10 if any(f in _MA_FINALS for f in finals) else 5


def build(out: Path) -> dict[str, object]:
    guangyun = read_guangyun()
    for rhyme in _RHYME_TONES:
        if rhyme not in BU_OF_RHYME:
            raise SystemExit(f"《廣韻》 rhyme {rhyme} has no 部 in BU_OF_RHYME")
    book = RhymeBook.load()
    chars_tsv = (ROOT / "resources" / "rhyme" / "chars.tsv").read_text(encoding="utf-8")
    direct = {g.id: bu_of_group(g.id) for g in GROUPS}
    rows: dict[str, list[tuple[int, Tone]]] = {}
    how: Counter[str] = Counter()
    for line in chars_tsv.splitlines()[1:]:
        ch = line.split("\t", 1)[0]
        info = book.lookup(ch)
        if info is None:
            continue
        parts: list[tuple[int, Tone]] = []
        for reading in info.readings:
            if reading.group_id < 0:
                continue
            group = GROUPS[reading.group_id]
            bu = direct[reading.group_id]
            if bu is not None:
                found = [bu]
                how["direct"] += 1
            else:
                rhymes = _DIVIDED[group.rep_trad, group.tone]
                forms = [reading.via] if reading.via else [ch, *info.traditional]
                entries = [
                    (r, k, form)
                    for form in forms
                    for r, t, k in guangyun.get(form, ())
                    if r in rhymes and t == group.tone
                ]
                if entries:
                    found = [split_bu(r, k, form, group.tone) for r, k, form in entries]
                    how["divided, by 《廣韻》"] += 1
                else:
                    found = [fallback_bu(group.rep_trad, ch)]
                    how["divided, by the Mandarin rule"] += 1
            for bu in found:
                if (bu, group.tone) not in parts:
                    parts.append((bu, group.tone))
        if parts:
            rows[ch] = sorted(parts)

    # members per 部 and tone class, most used first (the rhyme book's Tang counts)
    members: dict[tuple[int, str], list[str]] = defaultdict(list)
    for ch, parts in rows.items():
        for bu, tone in parts:
            cls = "平" if tone is Tone.PING else "入" if tone is Tone.RU else "仄"
            if ch not in members[bu, cls]:
                members[bu, cls].append(ch)
    for chars in members.values():
        chars.sort(key=lambda c: (-book.frequency(c), c))

    out.mkdir(parents=True, exist_ok=True)
    with (out / "chars.tsv").open("w", encoding="utf-8", newline="\n") as f:
        f.write("#shijian-cilin\t1\tchar\tparts\n")
        for ch in sorted(rows):
            f.write(f"{ch}\t{encode_parts(rows[ch])}\n")
    with (out / "bu.tsv").open("w", encoding="utf-8", newline="\n") as f:
        f.write("#bu\tname\tping\tze\tru\n")
        for bu in range(1, 20):
            f.write(
                f"{bu}\t{BU_NAMES[bu]}\t{''.join(members[bu, '平'])}\t"
                f"{''.join(members[bu, '仄'])}\t{''.join(members[bu, '入'])}\n"
            )
    per_bu = {
        BU_NAMES[bu]: {cls: len(members[bu, cls]) for cls in ("平", "仄", "入") if members[bu, cls]}
        for bu in range(1, 20)
    }
    meta: dict[str, object] = {
        "format": "1",
        "inputs": {
            "qieyun": package_version("qieyun"),
            "pypinyin": package_version("pypinyin"),
            "rhymebook_chars": json.loads(
                (ROOT / "resources" / "rhyme" / "meta.json").read_text(encoding="utf-8")
            )["chars"],
        },
        "chars": len(rows),
        "readings_placed": dict(how),
        "polybu": sum(1 for ps in rows.values() if len({b for b, _ in ps}) > 1),
        "per_bu": per_bu,
        "tone_letters": TONE_LETTERS,
    }
    (out / "meta.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    meta = build(args.out)
    print(json.dumps(meta, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
