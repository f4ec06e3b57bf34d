"""Split a reasoning model's streamed output into its <think> and <answer> parts.

The model is asked for ``<think>...</think><answer>...</answer>``; what comes back
is rarely that tidy. Qwen-family reasoning models often omit the ``<think>``
opener (the chat template already put it in the prompt), some skip ``<answer>``
and write the poem after ``</think>``, tags arrive cut across chunks
(``<th`` + ``ink>``), and a general model may use no tags at all.

:class:`ThinkAnswerParser` is incremental: :meth:`~ThinkAnswerParser.feed` takes
any chunk and returns the think/answer deltas it can already be sure of;
:meth:`~ThinkAnswerParser.finish` flushes and returns the :class:`ParseResult`
with the poem lines extracted. Its output depends only on the text, never on
how the text was chunked (property-tested). Rules:

* a tag is ``<think>``, ``</think>``, ``<answer>`` or ``</answer>`` in any
  letter case; anything else that starts with ``<`` is text;
* before any tag, text is thinking for a reasoning model (``assume_think=True``)
  and answer otherwise; ``<think>`` anywhere (re)opens thinking;
* ``</think>`` closes thinking; text after it and before any ``<answer>`` is
  answer text (R1 style without answer tags);
* ``<answer>`` opens a new answer block; ``</answer>`` closes it; text after it
  is kept in ``ParseResult.trailing`` and not shown;
* leading and trailing whitespace of each segment is dropped, so deltas never
  start an answer with blank lines;
* :meth:`~ThinkAnswerParser.open_think` starts the stream inside thinking, for a
  prompt that already opened ``<think>`` (the engine says so in ``Started.think_open``);
  a model that skips thinking, or never closes it, is told by the result's
  ``saw_think_close`` / ``ended_in_think``.

Qwen3's ``<think>`` and ``</think>`` are single tokens (151667/151668) that decode to
the tag's text, so a tag arrives whole in one chunk; other vocabularies spell it in
pieces (``<``, ``think``, ``>``). Both are the same text to the parser.

The final answer is the last non-empty ``<answer>`` block, else the text after
the last ``</think>``; for a general model that used no tags, all of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, StrEnum

__all__ = [
    "Delta",
    "ParseResult",
    "Part",
    "ThinkAnswerParser",
    "extract_poem_lines",
    "parse_text",
]


class Part(StrEnum):
    THINK = "think"
    ANSWER = "answer"


@dataclass(frozen=True, slots=True)
class Delta:
    """A piece of newly certain text: thinking or answer."""

    part: Part
    text: str


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Everything the parser learnt once the stream ended."""

    think: str
    answer: str
    lines: tuple[str, ...]
    saw_think_open: bool
    saw_think_close: bool
    saw_answer: bool
    answer_closed: bool
    trailing: str = ""
    ended_in_think: bool = False  # the stream stopped while the model was still thinking

    @property
    def poem(self) -> str:
        """The extracted verse lines joined by newlines."""
        return "\n".join(self.lines)


_TAGS = ("<think>", "</think>", "<answer>", "</answer>")
_MAX_TAG = max(len(t) for t in _TAGS)


class _State(Enum):
    START = 0
    THINK = 1
    AFTER_THINK = 2
    ANSWER = 3
    AFTER_ANSWER = 4


class _Segment:
    """One run of text of a part, with its surrounding whitespace held back."""

    __slots__ = ("held_ws", "part", "pieces", "started")

    def __init__(self, part: Part) -> None:
        self.part = part
        self.pieces: list[str] = []
        self.started = False  # non-whitespace seen
        self.held_ws = ""  # whitespace that only counts if more text follows

    def add(self, text: str, out: list[Delta]) -> None:
        if not text:
            return
        if not self.started:
            text = text.lstrip()
            if not text:
                return
            self.started = True
        stripped = text.rstrip()
        if not stripped:
            self.held_ws += text
            return
        emit = self.held_ws + stripped
        self.held_ws = text[len(stripped) :]
        self.pieces.append(emit)
        out.append(Delta(self.part, emit))

    @property
    def text(self) -> str:
        return "".join(self.pieces)


class ThinkAnswerParser:
    """Incremental <think>/<answer> splitter. Not thread-safe; one per stream."""

    def __init__(self, *, assume_think: bool = True) -> None:
        self._assume_think = assume_think
        self._state = _State.START
        self._buf = ""
        self._think_segments: list[_Segment] = []
        self._answer_blocks: list[_Segment] = []  # explicit <answer> blocks
        self._loose_answers: list[_Segment] = []  # text after </think> without <answer>
        self._trailing: list[str] = []
        self._current: _Segment | None = None
        self.saw_think_open = False
        self.saw_think_close = False
        self.saw_answer = False
        self.answer_closed = False
        self._finished = False

    # ------------------------------------------------------------------ feeding
    def open_think(self) -> None:
        """The prompt already opened ``<think>``: what comes first is thinking. Only
        before any text has been fed."""
        if self._state is _State.START and not self._buf:
            self._tag("<think>")

    def feed(self, chunk: str) -> list[Delta]:
        """Consume ``chunk``; return the deltas that are now certain."""
        if self._finished:
            raise RuntimeError("parser already finished")
        out: list[Delta] = []
        self._buf += chunk
        self._drain(out, final=False)
        return out

    def finish(self) -> tuple[list[Delta], ParseResult]:
        """Flush what was held back and return the last deltas and the result."""
        out: list[Delta] = []
        if not self._finished:
            self._drain(out, final=True)
            self._finished = True
        return out, self._result()

    def _drain(self, out: list[Delta], *, final: bool) -> None:
        buf = self._buf
        i = 0
        n = len(buf)
        while i < n:
            lt = buf.find("<", i)
            if lt < 0:
                self._text(buf[i:], out)
                i = n
                break
            if lt > i:
                self._text(buf[i:lt], out)
            rest = buf[lt : lt + _MAX_TAG].lower()
            tag = next((t for t in _TAGS if rest.startswith(t)), None)
            if tag is not None:
                self._tag(tag)
                i = lt + len(tag)
                continue
            if not final and len(rest) < _MAX_TAG and any(t.startswith(rest) for t in _TAGS):
                # Could still become a tag: wait for more text.
                i = lt
                break
            self._text("<", out)
            i = lt + 1
        self._buf = buf[i:]

    # ------------------------------------------------------------------ states
    def _open(self, part: Part, bucket: list[_Segment]) -> _Segment:
        seg = _Segment(part)
        bucket.append(seg)
        self._current = seg
        return seg

    def _text(self, text: str, out: list[Delta]) -> None:
        if not text:
            return
        state = self._state
        seg = self._current
        if state is _State.AFTER_ANSWER:
            self._trailing.append(text)
            return
        if seg is None:
            if state is _State.START:
                if self._assume_think:
                    seg = self._open(Part.THINK, self._think_segments)
                else:
                    seg = self._open(Part.ANSWER, self._loose_answers)
            elif state is _State.THINK:
                seg = self._open(Part.THINK, self._think_segments)
            elif state is _State.AFTER_THINK:
                seg = self._open(Part.ANSWER, self._loose_answers)
            else:  # ANSWER
                seg = self._open(Part.ANSWER, self._answer_blocks)
        seg.add(text, out)

    def _tag(self, tag: str) -> None:
        self._current = None
        if tag == "<think>":
            self.saw_think_open = True
            self._state = _State.THINK
        elif tag == "</think>":
            self.saw_think_close = True
            self._state = _State.AFTER_THINK
        elif tag == "<answer>":
            self.saw_answer = True
            self._state = _State.ANSWER
            self._open(Part.ANSWER, self._answer_blocks)
        elif self._state is _State.ANSWER:  # </answer>
            self.answer_closed = True
            self._state = _State.AFTER_ANSWER
        # a stray </answer> outside an answer is ignored

    # ------------------------------------------------------------------ result
    def _result(self) -> ParseResult:
        think = "\n\n".join(s.text for s in self._think_segments if s.text)
        answer = ""
        for block in reversed(self._answer_blocks):
            if block.text:
                answer = block.text
                break
        if not answer:
            for loose in reversed(self._loose_answers):
                if loose.text:
                    answer = loose.text
                    break
        return ParseResult(
            think=think,
            answer=answer,
            lines=extract_poem_lines(answer),
            saw_think_open=self.saw_think_open,
            saw_think_close=self.saw_think_close,
            saw_answer=self.saw_answer,
            answer_closed=self.answer_closed,
            trailing="".join(self._trailing).strip(),
            ended_in_think=self._state is _State.THINK,
        )


def parse_text(text: str, *, assume_think: bool = True) -> ParseResult:
    """Parse a complete output in one go (same result as any chunked feeding)."""
    parser = ThinkAnswerParser(assume_think=assume_think)
    parser.feed(text)
    return parser.finish()[1]


# ---------------------------------------------------------------- poem lines
# CJK ideographs: URO, extension A, compatibility ideographs, extensions B+ (astral).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_RE = re.compile(f"[{_HAN}]")
_NOT_HAN_RE = re.compile(f"[^{_HAN}〇□]")
# Sentence and clause punctuation (full and half width) and whitespace split verse lines.
_SPLIT_RE = re.compile(r"[，。！？；、,.!?;：:\s\u3000]+")
# Numbering at the start of a line: 1. 1、 (1) （一） 一、 第一句： ① 其一
_NUMBERING_RE = re.compile(
    r"^\s*(?:"
    r"[(（]?\s*[0-9０-９]+\s*[)）.．、:：]?"
    r"|[(（]\s*[一二三四五六七八九十]+\s*[)）]"
    r"|[一二三四五六七八九十]+\s*[、.．:：]"
    r"|第[一二三四五六七八九十0-9]+[句联首]\s*[:：]?"
    r"|[①②③④⑤⑥⑦⑧⑨⑩]"
    r")\s*"
)
# A line that starts a title or commentary: nothing after it is verse.
_COMMENTARY_RE = re.compile(
    r"^\s*[*#>\s]*(?:注释|注解|注|赏析|解析|说明|译文|释义|创作思路|解读|翻译|分析)\s*[:：]"
)
_TITLE_RE = re.compile(r"^\s*[*#>\s]*(?:标题|题目|诗题|题|诗名)\s*[:：]|^\s*[*#>\s]*《[^》]*》\s*$")


def extract_poem_lines(text: str) -> tuple[str, ...]:
    """The verse lines of an answer: one per line, no punctuation or numbering.

    Lines are split at newlines, at clause punctuation and at whitespace between
    Han runs (``白日依山尽 黄河入海流``). Titles (``《…》``, ``标题：``) are
    skipped; a commentary heading (``注释：``, ``赏析：`` …) ends the poem.
    Every character that is not a Han character (or ``□``) is dropped.
    """
    lines: list[str] = []
    for raw in text.splitlines():
        if _COMMENTARY_RE.match(raw):
            break
        if _TITLE_RE.match(raw):
            continue
        for part in _SPLIT_RE.split(_NUMBERING_RE.sub("", raw)):
            piece = _NUMBERING_RE.sub("", part)
            if not _HAN_RE.search(piece):
                continue
            clean = _NOT_HAN_RE.sub("", piece)
            if clean:
                lines.append(clean)
    return tuple(lines)
