"""What in a pasted text is the poem, and what is around it: a title, an author, notes.

A poem is usually copied with its frame — 「静夜思」 on the first line, 「李白」 or
「唐·李白」 on the next, 「（杜甫晚年作于夔州）」 after it, 「——李白」 at the end. Read as
verse, such lines turn a 五绝 into a 五律 full of errors, or 登高 into 七言排律. This
module finds them so that the checker reads only the verse (and the editor can offer to
move the rest into 题目 / 作者 / 附注).

How (by shape, never by a list of poems):

* The **verse block** runs from the first to the last *verse-like* physical line: a line
  whose pieces between punctuation and spaces all have the poem's line length (the
  majority length, 5 or 7). Lines inside the block are verse even when they are not
  verse-like (a line missing a character is an error to report, not a title).
* Text in brackets — （…） (…) 【…】 〔…〕 [...] — is a **note** wherever it stands; a
  physical line that starts with a note marker (注： 注释 译文 赏析 附注 …) after the
  block, and long prose after it, are notes too.
* Before the block: a line with 《…》, or the first line that is not a name, is the
  **title**; a name — 2 to 4 characters, or any line with a dynasty (唐·李白, 〔宋〕苏轼,
  作者：杜甫) — is the **author**; 「静夜思 李白」 on one line is both. After the block, a
  name or a signature (——李白) is the author.
* Never at the cost of the verse: a line next to the block that is one character off
  the line length stays verse when it completes the poem (4, 8 or an even number of ten
  or more lines) and the block alone does not; a first line of the full line length is
  taken as the title only when it stands alone without punctuation before a block of
  punctuated lines and the count then comes out right (「次北固山下」 before 王湾's 五律).
* With no verse-like line at all (a poem being typed, a fragment) nothing is set aside.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal

from app.prosody.text import TextLine, split_lines

Kind = Literal["title", "author", "note"]
MAX_LEADING = 3  # a title, an author, one note

_BRACKETS = {"（": "）", "(": ")", "【": "】", "〔": "〕", "[": "]", "［": "］", "〈": "〉"}
_TITLE_MARKS = ("《", "》")
_NEWLINES = re.compile(r"\r\n|[\n\r\u2028\u2029]")
_PUNCT_RE = re.compile("[，。？！；：、,.?!;:]")
_PIECES = re.compile(r"[\s，。？！；：、,.?!;:·・•．/—\-－～~]+")
_DYNASTIES = (
    "先秦|秦|西汉|东汉|汉|三国|魏|蜀|吴|西晋|东晋|晋|南北朝|南朝|北朝|刘宋|齐|梁|陈|北魏|北齐|北周|"
    "隋|初唐|盛唐|中唐|晚唐|唐|五代|南唐|后蜀|前蜀|北宋|南宋|宋|辽|金|元|明|清|近代|现代|当代"
)
_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef\U00030000-\U000323af"
_NAME = re.compile(
    rf"^(?:作者[:：]?\s*)?"
    rf"(?:[〔【（(\[［]?\s*(?:{_DYNASTIES})\s*[〕】）)\]］]?\s*[·・•．./、\s]*)?"
    rf"(?P<name>[{_HAN}]{{2,8}})"
    rf"(?:\s*[〔【（(\[［]\s*(?:{_DYNASTIES})\s*[〕】）)\]］])?$"
)
_DYNASTY_MARK = re.compile(
    rf"^(?:作者[:：]|[〔【（(\[［]\s*(?:{_DYNASTIES})\s*[〕】）)\]］]|(?:{_DYNASTIES})\s*[·・•．./、\s])"
    rf"|[〔【（(\[［]\s*(?:{_DYNASTIES})\s*[〕】）)\]］]$"
)
_NOT_CHAR = re.compile(f"[^{_HAN}□]")
_PLAIN_LINE = re.compile(f"[{_HAN}，。？！；：、,.?!;:]*")
_SPECIAL = re.compile(r"[^\n\r\u2028\u2029\S]|[《》（）()【】〔〕\[\]［］〈〉·・•．/—\-－～~：:□]")
_ANY_BRACKET = re.compile("[" + re.escape("".join(_BRACKETS)) + "]")
_DYNASTY_ONLY = re.compile(rf"^\s*(?:{_DYNASTIES})\s*$")
_SIGNATURE = re.compile(r"^\s*(?:——|—|－－|--|-)\s*")
_NOTE_MARK = re.compile(
    r"^\s*(?:注释?|注解|附注|自注|原注|译文|翻译|赏析|题解|简析|创作背景|作者简介)\s*[:：\d一二三四五六七八九十①-⑩]"
)


@dataclass(frozen=True, slots=True)
class FramePart:
    """A non-verse part of the text: its kind, where it is, and its text as a field
    would hold it (the title without 《》, the author without 作者： or ——)."""

    kind: Kind
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class PoemFrame:
    verse: tuple[TextLine, ...]  # the lines the checker reads, offsets into the text
    parts: tuple[FramePart, ...] = field(default=())  # in text order

    def of_kind(self, kind: Kind) -> tuple[FramePart, ...]:
        return tuple(p for p in self.parts if p.kind == kind)

    @property
    def title(self) -> str:
        return " ".join(p.text for p in self.of_kind("title"))

    @property
    def author(self) -> str:
        return " ".join(p.text for p in self.of_kind("author"))

    @property
    def notes(self) -> str:
        return "\n".join(p.text for p in self.of_kind("note"))


@dataclass(slots=True)
class _Line:
    """One physical line of the text (without its note spans)."""

    start: int
    end: int
    raw: str  # the line as written
    segments: list[TextLine]  # Han runs between punctuation (notes blanked out)
    pieces: list[int]  # lengths of the Han runs between punctuation *and* spaces
    has_punct: bool

    @property
    def han(self) -> int:
        return sum(self.pieces)


def _note_spans(text: str) -> list[tuple[int, int]]:
    """Bracketed spans (opening to closing bracket, inclusive), not nested, in order; a
    bracketed dynasty (〔唐〕柳宗元) belongs to the author, not to the notes."""
    spans: list[tuple[int, int]] = []
    if _ANY_BRACKET.search(text) is None:
        return spans  # the common case
    # The next closing bracket of each kind and the next line break, found once and kept
    # while still ahead: i only moves forward, so the text is searched once per kind
    # (searching afresh at every unclosed bracket took time growing with its square).
    ahead: dict[str, int] = {}  # closing bracket → its next position after i (-1: none)
    newline_at = -1  # the next line break after i (len(text): none)
    i = 0
    while i < len(text):
        close = _BRACKETS.get(text[i])
        if close is not None:
            j = ahead.get(close)
            if j is None or 0 <= j <= i:
                j = ahead[close] = text.find(close, i + 1)
            if newline_at <= i:
                found = _NEWLINES.search(text, i + 1)
                newline_at = found.start() if found is not None else len(text)
            if j > i and (j < newline_at or text[i] in "（(【〔"):
                if not _DYNASTY_ONLY.match(text[i + 1 : j]):
                    spans.append((i, j + 1))
                i = j + 1
                continue
        i += 1
    return spans


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    chars = list(text)
    for a, b in spans:
        for k in range(a, b):
            if chars[k] not in "\n\r\u2028\u2029":
                chars[k] = " "
    return "".join(chars)


def _physical_lines(text: str, blanked: str) -> list[_Line]:
    lines: list[_Line] = []
    start = 0
    ends = [(m.start(), m.end()) for m in _NEWLINES.finditer(text)] + [(len(text), len(text))]
    all_segments = split_lines(blanked)  # line breaks end segments: each is in one line
    k = 0
    for stop, after in ends:
        raw = blanked[start:stop]
        first = k
        while k < len(all_segments) and all_segments[k].start < stop:
            k += 1
        segments = all_segments[first:k]
        if _PLAIN_LINE.fullmatch(raw):  # Han and sentence punctuation only: pieces = segments
            pieces = [len(seg.chars) for seg in segments]
        else:  # (□ stands for a character lost from the source: it counts for the shape)
            pieces = [len(_NOT_CHAR.sub("", p)) for p in _PIECES.split(raw)]
        lines.append(
            _Line(
                start,
                stop,
                text[start:stop],
                segments,
                [n for n in pieces if n],
                _PUNCT_RE.search(raw) is not None,
            )
        )
        start = after
    return [ln for ln in lines if ln.segments or ln.raw.strip()]


_RUNS = {20: 5, 28: 7, 40: 5, 56: 7}  # a whole poem typed as one unpunctuated run


def _as_lines(n: int) -> int:
    return _RUNS.get(n, n)


def _line_length(lines: list[_Line]) -> int | None:
    pieces = [_as_lines(n) for ln in lines for n in ln.pieces]
    fives, sevens = pieces.count(5), pieces.count(7)
    if not fives and not sevens:
        return None
    return 7 if sevens > fives else 5


def _complete(n: int) -> bool:
    """A whole poem's line count: 绝句 4, 律诗 8, 排律 an even number of ten or more."""
    return n in (4, 8) or (n >= 10 and n % 2 == 0)


def _plain_verse(text: str) -> tuple[TextLine, ...] | None:
    """The common case, cheaply (the checker runs on every keystroke): Han characters and
    sentence punctuation only, every line of the poem's length but the last (being typed)
    — nothing can be a frame, the lines are the verse. None when that cannot be told so."""
    if _SPECIAL.search(text) is not None:
        return None
    segments = split_lines(text)
    if not segments:
        return ()
    lengths = [_as_lines(len(seg.chars)) for seg in segments]
    fives, sevens = lengths.count(5), lengths.count(7)
    if not fives and not sevens:
        return None
    length = 7 if sevens > fives else 5
    if any(n != length for n in lengths[:-1]) or lengths[-1] > length:
        return None  # a line of another length (but the one being typed): look closer
    n = len(segments)
    first_break = text.find("\n")
    lone_title = first_break >= 0 and _PUNCT_RE.search(text, 0, first_break) is None
    if lone_title and _complete(n - 1) and not _complete(n):
        return None  # 「次北固山下」 before a 五律: the slow path decides
    return tuple(segments)


def frame_lines(text: str) -> PoemFrame:
    """Split ``text`` into its verse lines and the title, author and notes around them."""
    plain = _plain_verse(text)
    if plain is not None:
        return PoemFrame(plain)
    notes = _note_spans(text)
    lines = _physical_lines(text, _blank(text, notes))
    length = _line_length(lines)
    verse_like = [
        length is not None and bool(ln.pieces) and all(_as_lines(n) == length for n in ln.pieces)
        for ln in lines
    ]
    if length is None or not any(verse_like):
        return _plain(text, notes)
    if not notes and all(ok or not ln.segments for ok, ln in zip(verse_like, lines, strict=True)):
        # every line is a verse line (the common case): only a title of the lines' own
        # length, alone before punctuated verse, can be the frame
        head = lines[0]
        if head.has_punct or len(lines) < 3 or not all(ln.has_punct for ln in lines[1:]):
            return PoemFrame(tuple(seg for ln in lines for seg in ln.segments))
    first = verse_like.index(True)
    last = len(lines) - 1 - verse_like[::-1].index(True)
    last = _verse_after(lines, last, length)
    first = _leading(lines, first, last, length)
    block = lines[first : last + 1]
    parts = [FramePart("note", a, b, text[a + 1 : b - 1].strip()) for a, b in notes]
    parts += _before(lines[:first])
    parts += _after(lines[last + 1 :], has_author=any(p.kind == "author" for p in parts))
    verse = tuple(seg for ln in block for seg in ln.segments)
    return PoemFrame(verse, tuple(sorted(parts, key=lambda p: p.start)))


def _plain(text: str, notes: list[tuple[int, int]]) -> PoemFrame:
    """No verse-like line: everything but bracketed notes is verse (a poem being typed)."""
    if not notes:
        return PoemFrame(tuple(split_lines(text)))
    blanked = _blank(text, notes)
    parts = tuple(FramePart("note", a, b, text[a + 1 : b - 1].strip()) for a, b in notes)
    return PoemFrame(tuple(split_lines(blanked)), parts)


def _count(lines: list[_Line]) -> int:
    return sum(len(ln.segments) for ln in lines)


def _marked(raw: str) -> bool:
    """A line that says what it is: 《title》, 作者：…, a dynasty, ——signature, 注：…"""
    text = raw.strip()
    return bool(
        "《" in text
        or _NOTE_MARK.match(text)
        or _SIGNATURE.match(text)
        or (_name(text) is not None and _DYNASTY_MARK.search(text))
    )


def _near_verse(line: _Line, length: int) -> bool:
    """Verse with a mistake rather than a frame: one run one or two characters off the
    line length, or punctuated like verse — never a line that says what it is."""
    if _marked(line.raw):
        return False
    if len(line.segments) >= 2 and line.has_punct:
        return all(abs(len(seg.chars) - length) <= 2 for seg in line.segments)
    return len(line.pieces) == 1 and 1 <= abs(line.pieces[0] - length) <= 2


def _misfit(line: _Line, length: int) -> int:
    """How far a line is from a verse line: 0 fits, 1 per piece one character off, 3 per
    piece further off (a title, a name, a note)."""
    cost = 0
    for n in line.pieces:
        off = abs(_as_lines(n) - length)
        cost += 0 if off == 0 else 1 if off == 1 else 3
    return cost


def _set_aside_cost(line: _Line, index: int, length: int) -> float:
    """The cost of reading a leading line as frame rather than verse."""
    if not line.segments or _marked(line.raw):
        return 0
    if len(line.segments) >= 2 and line.has_punct and _near_verse(line, length):
        return math.inf  # punctuated like verse: it is verse
    if _misfit(line, length) == 0:
        return 1 if index == 0 else math.inf  # a title may have the line's length, no more
    return 0


def _title_stands_out(lines: list[_Line], k: int, block: list[_Line], length: int) -> bool:
    """A first line of the verse's own length is a title only when something says so: it
    stands unpunctuated before punctuated verse, or a name follows it."""
    head = lines[0]
    if _misfit(head, length) or not head.segments or _marked(head.raw):
        return True
    if k >= 2 and _name(lines[1].raw.strip()) is not None:
        return True
    return not head.has_punct and all(ln.has_punct for ln in block if ln.segments)


def _leading(lines: list[_Line], first: int, last: int, length: int) -> int:
    """How many leading lines are the frame (title, author, notes) rather than verse.

    Every split is priced — the misfit of the verse it leaves, 2 when its line count is
    not a whole poem's, the cost of each line set aside, less 1 for a title followed by a
    name — and the cheapest wins; a tie keeps more verse. So 「静夜思 / 李白」 before a 五绝
    and a title before a block go, while a first line one character short stays when the
    poem is whole with it (a mistake to report, not a title)."""
    best_k, best = 0, math.inf
    for k in range(min(first + 2, last, MAX_LEADING) + 1):
        block = lines[k : last + 1]
        if not any(ln.segments for ln in block):
            break
        misfits = sum(1 for ln in block if ln.segments and _misfit(ln, length))
        if k and misfits > max(1, len(block) // 4):
            break  # not regulated verse after all (古体, 杂言): nothing is set aside
        cost = sum(_set_aside_cost(ln, i, length) for i, ln in enumerate(lines[:k]))
        if cost == math.inf or (k and not _title_stands_out(lines, k, block, length)):
            continue
        cost += sum(_misfit(ln, length) for ln in block)
        cost += 0 if _complete(_count(block)) else 2
        if k >= 2 and lines[0].segments and _name(lines[1].raw.strip()) is not None:
            cost -= 1  # a title, then its author
        if cost < best:
            best_k, best = k, cost
    return best_k


def _name(raw: str) -> str | None:
    """The author's name if ``raw`` reads as one (作者：杜甫, 唐·李白, 〔宋〕苏轼, 李白)."""
    text = _SIGNATURE.sub("", raw).strip()
    match = _NAME.match(text)
    if match is None:
        return None
    marked = _DYNASTY_MARK.search(text) or text != raw.strip()  # a dynasty, 作者：, ——
    if len(match["name"]) > (8 if marked else 4):  # a longer name only with a marker
        return None
    return re.sub(r"^作者[:：]?\s*", "", text)


def _title_text(raw: str) -> str:
    text = raw.strip()
    marked = re.search("《(.+?)》", text)
    if marked:
        return marked.group(1).strip()
    return text


def _before(lines: list[_Line]) -> list[FramePart]:
    """Lines before the verse: the title, the author, anything else as notes."""
    parts: list[FramePart] = []
    title = author = False
    for line in lines:
        if not line.segments:
            continue  # only a bracketed note, already taken
        raw = line.raw.strip()
        name = _name(raw)
        if "《" in raw and not title:
            inner = re.search("《(.+?)》", raw)
            title = True
            rest = (raw[: inner.start()] + raw[inner.end() :]).strip() if inner else ""
            parts.append(FramePart("title", line.start, line.end, _title_text(raw)))
            if rest and _name(rest) and not author:
                parts[-1] = FramePart("title", line.start, line.end, _title_text(raw))
                parts.append(FramePart("author", line.start, line.end, _name(rest) or rest))
                author = True
            continue
        if name is not None and not author and (title or _DYNASTY_MARK.search(raw)):
            parts.append(FramePart("author", line.start, line.end, name))
            author = True
            continue
        words = raw.split()
        if not title and len(words) >= 2 and not author and _name(words[-1]):
            # 「静夜思 李白」: the title, then the author after a space
            parts.append(FramePart("title", line.start, line.end, " ".join(words[:-1])))
            parts.append(FramePart("author", line.start, line.end, _name(words[-1]) or ""))
            title = author = True
            continue
        if not title:
            parts.append(FramePart("title", line.start, line.end, _title_text(raw)))
            title = True
        elif name is not None and not author:
            parts.append(FramePart("author", line.start, line.end, name))
            author = True
        else:
            parts.append(FramePart("note", line.start, line.end, raw))
    return parts


def _prose(line: _Line, length: int) -> bool:
    """Much longer than a verse line: a sentence about the poem."""
    return max(line.pieces, default=0) > 2 * length and _as_lines(max(line.pieces)) != length


def _verse_after(lines: list[_Line], last: int, length: int) -> int:
    """Lines after the block are verse (being typed, or with a mistake) until the first
    that says it is not: a signature, an author with a dynasty, a note, prose."""
    while last + 1 < len(lines):
        line = lines[last + 1]
        if line.segments and (_marked(line.raw) or _prose(line, length)):
            break
        last += 1
    return last


def _after(lines: list[_Line], *, has_author: bool) -> list[FramePart]:
    """Lines after the verse: a signature or an author line is the author, the rest notes."""
    parts: list[FramePart] = []
    for line in lines:
        if not line.segments:
            continue
        raw = line.raw.strip()
        name = _name(raw)
        if name is not None and not has_author and not _NOTE_MARK.match(raw):
            parts.append(FramePart("author", line.start, line.end, name))
            has_author = True
        else:
            parts.append(FramePart("note", line.start, line.end, _SIGNATURE.sub("", raw)))
    return parts
