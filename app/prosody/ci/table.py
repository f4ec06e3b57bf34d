"""The 词谱 table: tunes (调), their forms (体) and each form's segments.

The table is built from the text of 《御定詞譜》 (1715) by ``tools/build_cipu.py`` and kept as
two files in one folder (``resources/cipu/`` when installed with the app, or the user's data
folder): ``tunes.jsonl``, one tune per line, and ``meta.json`` (source, counts, coverage).

A tune line::

    {"name": "菩薩蠻", "simplified": "菩萨蛮", "aliases": ["子夜歌", …],
     "aliases_simplified": ["子夜歌", …], "pinyin": "pu sa man", "written": 598,
     "forms": [FORM, …]}

A form (体): ``{"author": "李白", "chars": 44, "heading": "雙調四十四字…",
"sections": [[SEGMENT, …], [SEGMENT, …]], "note": "…"}``; the first form is the 正体, the
others are the 又一体 in the book's order. A segment is one piece of the 例词 between two
marks, written as ``text|marks|end|rhyme|repeat``:

- ``text``: the 例词's characters;
- ``marks``: one per character: ``平``, ``仄``, ``中`` (either tone: the notes cite poems
  that differ here, or the position is free), ``？`` (unsure: the rhyme book could not say
  which tone the 例词's character has; treated as either);
- ``end``: the source's mark after the piece: ``讀`` (a pause inside a 句), ``句``, ``韻``,
  ``叶``, ``疊``, ``重``, ``換韻`` …;
- ``rhyme``: empty, or a rhyme group letter and the tone it needs (``A平``, ``B仄``): the
  positions of one letter rhyme in one 部 of the 词林正韵 (a 换韵 tune has several letters);
- ``repeat``: empty, or the index (in the form, counted over all sections) of the earlier
  segment this one repeats (疊句).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.bundled import resource

if TYPE_CHECKING:
    from importlib.abc import Traversable

TABLE_FILE = "tunes.jsonl"
META_FILE = "meta.json"
FORMAT_VERSION = 1
MARKS = frozenset("平仄中？")
PAUSE_ENDS = frozenset({"讀"})
FAMILY_SUFFIXES = ("令", "慢", "近", "引", "子")


class CipuError(RuntimeError):
    """No 词谱 is installed, or the one found cannot be read. ``zh``/``en`` say what to do."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en


def missing_error(where: str = "") -> CipuError:
    place = f"（{where}）" if where else ""
    return CipuError(
        f"没有安装词谱{place}。词谱由《御定词谱》原文生成：把原文放在一个文件夹里，运行 "
        "`shijian build-cipu 文件夹`（或 `python tools/build_cipu.py 文件夹`）。",
        f"No 词谱 (ci pattern table) is installed{' (' + where + ')' if where else ''}. It is "
        "built from the text of 《御定詞譜》: put the text in a folder and run "
        "`shijian build-cipu FOLDER` (or `python tools/build_cipu.py FOLDER`).",
    )


@dataclass(frozen=True, slots=True)
class Segment:
    """One piece of a form's 例词 between two marks (see the module docstring)."""

    text: str
    marks: str
    end: str = "句"
    rhyme: str = ""  # "" or group letter + 平/仄
    repeat: int = -1
    section: int = 0

    @property
    def length(self) -> int:
        return len(self.marks)

    @property
    def pause(self) -> bool:
        """A 讀: the 句 goes on after it."""
        return self.end in PAUSE_ENDS and not self.rhyme

    @property
    def rhyme_group(self) -> str:
        return self.rhyme[:1]

    @property
    def rhyme_kind(self) -> str:
        """平 or 仄 ('' when this segment does not end on a rhyme)."""
        return self.rhyme[1:2]

    def encode(self) -> str:
        repeat = "" if self.repeat < 0 else str(self.repeat)
        return f"{self.text}|{self.marks}|{self.end}|{self.rhyme}|{repeat}"

    @classmethod
    def decode(cls, text: str, section: int) -> Segment:
        parts = text.split("|")
        if len(parts) != 5:
            raise ValueError(f"a segment has five fields: {text!r}")
        chars, marks, end, rhyme, repeat = parts
        if not marks or set(marks) - MARKS:
            raise ValueError(f"bad marks in segment {text!r}")
        if chars and len(chars) != len(marks):
            raise ValueError(f"text and marks differ in length: {text!r}")
        if rhyme and (len(rhyme) != 2 or rhyme[1] not in "平仄"):
            raise ValueError(f"bad rhyme in segment {text!r}")
        return cls(chars, marks, end, rhyme, int(repeat) if repeat else -1, section)


@dataclass(frozen=True, slots=True)
class CiForm:
    """One 体 of a tune: the 正体 (``index == 0``) or a 又一体."""

    tune: str
    index: int
    author: str
    chars: int
    heading: str
    segments: tuple[Segment, ...]
    note: str = ""

    @property
    def key(self) -> str:
        """A stable name for storage: ``菩薩蠻#0``."""
        return f"{self.tune}#{self.index}"

    @property
    def n_sections(self) -> int:
        return self.segments[-1].section + 1 if self.segments else 0

    @property
    def lengths(self) -> tuple[int, ...]:
        return tuple(s.length for s in self.segments)

    @property
    def label_zh(self) -> str:
        which = "正体" if self.index == 0 else f"又一体（第{self.index + 1}体）"
        by = f"，{self.author}词" if self.author else ""
        return f"{self.tune}·{which}，{self.chars}字{by}"

    @property
    def label_en(self) -> str:
        which = "main form" if self.index == 0 else f"variant {self.index + 1}"
        by = f", after {self.author}" if self.author else ""
        return f"{self.tune}, {which}, {self.chars} characters{by}"

    def sentences_per_section(self) -> tuple[int, ...]:
        """句 per 段 (a 讀 does not end a 句)."""
        counts = [0] * self.n_sections
        for s in self.segments:
            if not s.pause:
                counts[s.section] += 1
        return tuple(counts)

    def template(self) -> str:
        """The form as marks with punctuation: 中仄中平，中仄仄平平。 (段 apart by a blank line)."""
        out: list[str] = []
        for i, s in enumerate(self.segments):
            if i and s.section != self.segments[i - 1].section:
                out.append("\n")
            out.append(s.marks)
            out.append("、" if s.pause else "。" if s.rhyme else "，")
        return "".join(out)


@dataclass(frozen=True, slots=True)
class Tune:
    """A tune (调, 词牌) with its forms."""

    name: str  # as the book writes it (traditional)
    simplified: str
    aliases: tuple[str, ...] = ()
    aliases_simplified: tuple[str, ...] = ()
    pinyin: str = ""  # "pu sa man"
    written: int = 0  # how many Song ci use it (a corpus count, for sorting)
    forms: tuple[CiForm, ...] = ()

    @property
    def initials(self) -> str:
        return "".join(p[0] for p in self.pinyin.split() if p)

    def names(self) -> tuple[str, ...]:
        return (self.name, self.simplified, *self.aliases, *self.aliases_simplified)

    def form(self, index: int) -> CiForm | None:
        return self.forms[index] if 0 <= index < len(self.forms) else None


@dataclass(frozen=True)
class CipuTable:
    """Every tune of the table, with lookups by name, alias and pinyin."""

    tunes: tuple[Tune, ...]
    meta: dict[str, object] = field(default_factory=dict)
    source: str = ""  # where it was loaded from (for messages)

    def __post_init__(self) -> None:
        index: dict[str, Tune] = {}
        for tune in self.tunes:
            for name in (tune.name, tune.simplified):  # own names first
                index.setdefault(_norm(name), tune)
        for tune in self.tunes:
            for name in (*tune.aliases, *tune.aliases_simplified):
                index.setdefault(_norm(name), tune)
        object.__setattr__(self, "_index", index)

    def __len__(self) -> int:
        return len(self.tunes)

    def __iter__(self) -> Iterator[Tune]:
        return iter(self.tunes)

    @property
    def n_forms(self) -> int:
        return sum(len(t.forms) for t in self.tunes)

    def find(self, name: str) -> Tune | None:
        """A tune by its name or an alias, simplified or traditional; a subtitle after
        ``·``/``・`` and a trailing ``词``/``令``-less spelling are tolerated."""
        index: dict[str, Tune] = self._index  # type: ignore[attr-defined]
        key = _norm(name)
        if not key:
            return None
        found = index.get(key)
        if found is None:  # 木兰花 → 木蘭花令: the book files some tunes under the longer name
            found = next((t for s in FAMILY_SUFFIXES if (t := index.get(key + s))), None)
        return found

    def related(self, tune: Tune) -> list[Tune]:
        """Tunes of the same family: the name with 令, 慢, 近, 引 or 子 after it (浪淘沙 →
        浪淘沙令, 浪淘沙慢), or without one (訴衷情令 → 訴衷情)."""
        index: dict[str, Tune] = self._index  # type: ignore[attr-defined]
        names = {tune.name, tune.simplified}
        bases = {n[:-1] for n in names if n[-1:] in FAMILY_SUFFIXES and len(n) > 2}
        out: list[Tune] = []
        for base in names | bases:
            for key in [base, *(base + s for s in FAMILY_SUFFIXES)]:
                other = index.get(key)
                if other is not None and other is not tune and other not in out:
                    out.append(other)
        return out

    def form(self, key: str) -> CiForm | None:
        """A form by its key (``菩薩蠻#0``)."""
        name, _, number = key.rpartition("#")
        tune = self.find(name)
        if tune is None or not number.isdigit():
            return None
        return tune.form(int(number))

    def search(self, query: str, sort: str = "written") -> list[Tune]:
        """Tunes whose name, alias, pinyin or pinyin initials contain ``query``.

        ``sort``: ``written`` (most written first), ``name`` (by pinyin), ``length``
        (by the 正体's length)."""
        q = _norm(query).replace(" ", "").lower()
        found = [t for t in self.tunes if not q or _matches(t, q)]
        if sort == "name":
            found.sort(key=lambda t: (t.pinyin, t.name))
        elif sort == "length":
            found.sort(key=lambda t: (t.forms[0].chars if t.forms else 0, t.pinyin))
        else:
            found.sort(key=lambda t: (-t.written, t.pinyin))
        return found

    # ------------------------------------------------------------------ files
    @classmethod
    def load(cls, folder: Traversable | Path) -> CipuTable:
        """Read a table folder; :class:`CipuError` when there is none or it is damaged."""
        path = folder / TABLE_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise missing_error(str(folder)) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise _damaged(folder, exc) from exc
        meta: dict[str, object] = {}
        try:
            meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            raise _damaged(folder, exc) from exc
        if meta and meta.get("format") != FORMAT_VERSION:
            raise _damaged(folder, ValueError(f"format {meta.get('format')!r}"))
        tunes: list[Tune] = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                tunes.append(tune_from_json(json.loads(line)))
            except (ValueError, KeyError, TypeError) as exc:
                raise _damaged(folder, ValueError(f"line {number}: {exc}")) from exc
        if not tunes:
            raise missing_error(str(folder))
        return cls(tuple(tunes), meta, str(folder))

    def dump(self, folder: Path) -> None:
        write_table(folder, self.tunes, self.meta)


def _damaged(folder: object, exc: Exception) -> CipuError:
    return CipuError(
        f"词谱文件损坏或格式不对（{folder}）：{exc}。请重新生成：`shijian build-cipu 文件夹`。",
        f"The 词谱 table in {folder} is damaged or of another format ({exc}). Rebuild it "
        "with `shijian build-cipu FOLDER`.",
    )


def _norm(name: str) -> str:
    name = unicodedata.normalize("NFKC", name).strip()
    for sep in ("·", "・", "•", "‧", "．"):
        name = name.split(sep, 1)[0]
    return name.strip().strip("《》〈〉「」")


def _matches(tune: Tune, q: str) -> bool:
    if any(q in name for name in tune.names()):
        return True
    flat = tune.pinyin.replace(" ", "")
    return flat.startswith(q) or q in flat or tune.initials.startswith(q)


def form_from_json(name: str, index: int, raw: dict[str, Any]) -> CiForm:
    """One 体 from its JSON object (the table's ``forms`` entries); ValueError if malformed."""
    segments: list[Segment] = []
    sections = raw["sections"]
    if not isinstance(sections, list):
        raise ValueError(f"{name} form {index + 1}: sections must be a list")
    for section, seg_list in enumerate(sections):
        if not isinstance(seg_list, list):
            raise ValueError(f"{name} form {index + 1}: a section must be a list")
        segments.extend(Segment.decode(str(s), section) for s in seg_list)
    if not segments:
        raise ValueError(f"{name} form {index + 1} has no segments")
    for i, s in enumerate(segments):
        if s.repeat >= i:
            raise ValueError(f"{name} form {index + 1}: segment {i} repeats a later one")
    return CiForm(
        name,
        index,
        str(raw.get("author", "")),
        int(raw.get("chars") or sum(s.length for s in segments)),
        str(raw.get("heading", "")),
        tuple(segments),
        str(raw.get("note", "")),
    )


def form_to_json(form: CiForm) -> dict[str, object]:
    sections: list[list[str]] = [[] for _ in range(form.n_sections)]
    for s in form.segments:
        sections[s.section].append(s.encode())
    return {
        "author": form.author,
        "chars": form.chars,
        "heading": form.heading,
        "sections": sections,
        "note": form.note,
    }


def tune_from_json(data: dict[str, object]) -> Tune:
    name = str(data["name"])
    raw_forms = data.get("forms") or []
    assert isinstance(raw_forms, list)
    forms = [form_from_json(name, index, raw) for index, raw in enumerate(raw_forms)]
    return Tune(
        name,
        str(data.get("simplified") or name),
        tuple(_strings(data.get("aliases"))),
        tuple(_strings(data.get("aliases_simplified"))),
        str(data.get("pinyin", "")),
        int(data.get("written") or 0),  # type: ignore[call-overload]
        tuple(forms),
    )


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def tune_to_json(tune: Tune) -> dict[str, object]:
    forms = [form_to_json(form) for form in tune.forms]
    return {
        "name": tune.name,
        "simplified": tune.simplified,
        "aliases": list(tune.aliases),
        "aliases_simplified": list(tune.aliases_simplified),
        "pinyin": tune.pinyin,
        "written": tune.written,
        "forms": forms,
    }


def write_table(folder: Path, tunes: Iterable[Tune], meta: dict[str, object]) -> None:
    """Write a table folder (``tunes.jsonl`` and ``meta.json``), replacing what was there."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(tune_to_json(t), ensure_ascii=False) for t in tunes]
    tmp = folder / (TABLE_FILE + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    tmp.replace(folder / TABLE_FILE)
    full = {"format": FORMAT_VERSION, **{k: v for k, v in meta.items() if k != "format"}}
    (folder / META_FILE).write_text(
        json.dumps(full, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def default_folders(data_dir: Path | None = None) -> list[Traversable | Path]:
    """Where the app looks for a table, in order: the user's data folder (where
    ``shijian build-cipu`` writes by default), then the bundled ``resources/cipu``."""
    folders: list[Traversable | Path] = []
    if data_dir is not None:
        folders.append(data_dir / "cipu")
    folders.append(resource("cipu"))
    return folders


def load_installed(data_dir: Path | None = None) -> CipuTable:
    """The first table found in :func:`default_folders`; :class:`CipuError` when none."""
    for folder in default_folders(data_dir):
        if (folder / TABLE_FILE).is_file():
            return CipuTable.load(folder)
    raise missing_error()
