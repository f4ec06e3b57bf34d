"""Reading the plain text of 《御定詞譜》 into tunes and forms (before any interpretation).

The text expected is the 四庫全書 (文淵閣) transcription as plain text in the markup of its
digital edition: one file per 卷 (``…_001.txt`` … ``…_040.txt``), a line per printed line
ending in ``¶``, page marks ``<pb:…>``, header lines starting with ``#``, and small
double-column notes written ``(right column/left column)``. In a 卷:

- a tune heading: its name and a note, ``調名(調見某書…/…)``, the note going on in lines
  of parentheses;
- a form heading: ``調名(單調十六字/四句兩平韻)　　作者`` or ``又一體(雙調…)　author``
  (the author may be missing or stand on the next line);
- the example (例词): Han characters with marks in parentheses, ``(句/)`` ``(讀/)``
  ``(韻/)`` ``(平/韻)`` ``(換仄/韻)`` ``(叶/)`` ``(疊/)`` …; a full-width space inside it
  starts the next 段;
- the form's notes: lines that start with a parenthesis of prose.

The 目録 at the head of each 卷 lists the tunes with their other names (又名 …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

HEADING = re.compile(
    r"^(?P<name>[^\s(（)]{1,12})\((?P<kind>(?:單|雙|䨇)[調詞]|[三四][段疊叠叚])(?P<rest>[^)]*)\)"
    r"(?P<after>.*)$"
)
TUNE = re.compile(r"^(?P<name>[^\s(（)/]{1,12})\((?P<note>[^)]*)\)\s*$")
TOC = re.compile(r"^(?P<name>[^\s(（)]{1,14}?)(?P<n>[一二三四五六七八九十]+)體(?P<rest>.*)$")
MARK_WORDS = re.compile(r"(換[平仄]?[韻叶]|[平仄][韻叶]|重韻|疊韻|韻|叶|句|讀|豆|疊|叠|疉|重)$")
SPACE = "\u3000"
# 卷四十 is the 附編 of the Tang and Song 大曲 (清平調, 水調歌 … in numbered 徧), outside the
# book's count of 826 调 and 2,306 体: it is left out.
LAST_JUAN = 39


@dataclass
class RawForm:
    """One 体 as written: heading, author, the example's lines, its notes."""

    tune: str
    heading: str
    author: str
    example: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    juan: int = 0


@dataclass
class RawTune:
    name: str
    note: str
    juan: int
    forms: list[RawForm] = field(default_factory=list)


@dataclass
class RawBook:
    tunes: list[RawTune]
    toc: dict[str, list[str]]  # tune name → the 目録's alias field (raw note groups)
    anomalies: list[str]
    files: list[str]


def clean_line(line: str) -> str:
    return line.rstrip("\n").rstrip("¶").rstrip()


def note_text(text: str) -> str:
    """The prose of a run of double-column notes: ``(a/b)(c/d)`` → ``abcd``."""
    return re.sub(r"[()/\s\u3000]", "", text)


MARK_START = re.compile(r"^(換[平仄]?[韻叶]|[平仄][韻叶]|韻|叶|句|讀|疊)")


def is_marker(content: str) -> bool:
    """Whether a parenthesis of the example is a mark (句, 韻, 換平韻 …), perhaps after a
    refrain (和声: ``(女兒/韻)``) or before a refrain the layout moved into it."""
    text = note_text(content)
    return len(text) <= 4 and bool(MARK_WORDS.search(text) or MARK_START.match(text))


def _paren_groups(text: str) -> list[str]:
    return re.findall(r"\(([^)]*)\)", text)


def _juan_of(path: Path) -> int:
    m = re.search(r"(\d+)\.txt$", path.name)
    return int(m.group(1)) if m else 0


def source_files(folder: Path) -> list[Path]:
    """The 卷 files of the book in order (卷一 … 卷四十); front and back matter left out."""
    files = sorted(p for p in folder.glob("*.txt") if 1 <= _juan_of(p) <= LAST_JUAN)
    return files


def read_book(folder: Path) -> RawBook:
    files = source_files(folder)
    tunes: list[RawTune] = []
    toc: dict[str, list[str]] = {}
    anomalies: list[str] = []
    for path in files:
        juan = _juan_of(path)
        section = ""
        tune: RawTune | None = None
        form: RawForm | None = None
        state = "none"  # tune-note, example, notes
        lines = [clean_line(raw) for raw in path.read_text(encoding="utf-8").splitlines()]
        for i, line in enumerate(lines):
            if line.startswith("#+PROPERTY: JUAN"):
                section = "toc" if ("目録" in line or "目錄" in line) else "main"
                continue
            if not line or line.startswith(("#", "<pb:")) or "四庫全書" in line:
                continue
            body = line.lstrip(" " + SPACE)
            if body.startswith(("御定詞譜", "詞譜巻")):
                continue
            if section == "toc":
                m = TOC.match(body)
                if m:
                    toc.setdefault(m.group("name"), []).extend(_paren_groups(m.group("rest")))
                elif body.startswith("(") and toc:
                    last = next(reversed(toc))
                    toc[last].extend(_paren_groups(body))
                continue
            if section != "main":
                continue
            heading = HEADING.match(body)
            if heading:
                name = heading.group("name")
                author = _author(heading.group("after"), lines, i)
                text = note_text(heading.group("kind") + heading.group("rest"))
                if name != "又一體" and (tune is None or tune.forms):
                    tune = RawTune(name, "", juan)
                    tunes.append(tune)
                elif tune is None:
                    anomalies.append(f"{path.name}:{i + 1}: a 又一體 before any tune")
                    tune = RawTune("?", "", juan)
                    tunes.append(tune)
                form = RawForm(tune.name, text, author, juan=juan)
                tune.forms.append(form)
                state = "example"
                continue
            tune_head = TUNE.match(body)
            if tune_head and not is_marker(tune_head.group("note")):
                tune = RawTune(tune_head.group("name"), note_text(tune_head.group("note")), juan)
                tunes.append(tune)
                form = None
                state = "tune-note"
                continue
            first = state == "example" and form is not None and not form.example
            if first and form is not None and _is_author_line(body):
                if not form.author:  # the author, on its own line
                    form.author = re.sub(r"\([^)]*\)", "", body).replace(SPACE, "").strip()
                continue
            if body.startswith("("):
                groups = _paren_groups(body)
                if state == "example" and groups and len(note_text(groups[0])) <= 4:
                    assert form is not None
                    form.example.append(line)
                elif state == "tune-note" and tune is not None:
                    tune.note += note_text(body)
                elif _is_author_line(body) and state == "example" and form and not form.example:
                    continue  # the author, on its own line (read with the heading)
                elif form is not None:
                    form.notes.append(body)
                    state = "notes"
                else:
                    anomalies.append(f"{path.name}:{i + 1}: a note outside any form: {body[:20]}")
                continue
            if state == "example" and form is not None:
                if _is_author_line(body) and not form.example:
                    continue
                form.example.append(line)
            else:
                anomalies.append(f"{path.name}:{i + 1}: text outside an example: {body[:20]}")
    return RawBook(tunes, toc, anomalies, [p.name for p in files])


def _is_author_line(body: str) -> bool:
    """A line holding only an author, perhaps after a note: ``(花草粹編/)無名氏``."""
    if any(is_marker(g) for g in _paren_groups(body)):
        return False
    rest = re.sub(r"\([^)]*\)", "", body).replace(SPACE, "").strip()
    return 0 < len(rest) <= 6 and "(" not in rest and ")" not in rest


def _author(after: str, lines: list[str], i: int) -> str:
    """The author after a form heading, or on the next line when the heading has none."""
    text = re.sub(r"\([^)]*\)", "", after).replace(SPACE, "").strip()
    if text:
        return text
    for nxt in lines[i + 1 : i + 3]:
        if not nxt or nxt.startswith("<pb:"):
            continue
        body = nxt.lstrip(" " + SPACE)
        if _is_author_line(body) and len(nxt) - len(body) >= 8:
            return re.sub(r"\([^)]*\)", "", body).replace(SPACE, "").strip()
        break
    return ""
