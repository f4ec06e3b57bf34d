"""A 词 assignment: a 词牌 and one of its 体, in a rhyme book — and what follows from it.

:class:`CiAssignment` is what an :class:`~app.assign.model.Assignment` holds when it sets a
词 (``Assignment.ci``): the 体 itself (its segments, so grading and the sheet need no 词谱
of their own), the rhyme book (the 词林正韵 unless the teacher chose another), and
optionally a 部 per rhyme group. This module also says when a submission is another
shape altogether (:func:`ci_wrong_form`), checks the requirements
(:func:`ci_requirements`) and lays out the sheet's template rows (:func:`ci_sheet_lines`).
Grading itself is :func:`app.assign.grading.grade_submission`, which reads a 词 with the
词 checker pinned to the 体.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.prosody.ci.books import CiBookKind
from app.prosody.ci.table import CiForm, form_from_json, form_to_json
from app.storage.messages import Message

if TYPE_CHECKING:
    from app.prosody.ci.books import CiRhymes
    from app.prosody.ci.checker import CiChecker

__all__ = ["CiAssignment", "CiSheetLine", "ci_sheet_lines", "ci_wrong_form"]

_MARK = {"平": "平", "仄": "仄", "中": "⊙", "？": "⊙"}


@dataclass(frozen=True, slots=True)
class CiAssignment:
    """The 词 an assignment sets (see the module docstring)."""

    form: CiForm
    book: CiBookKind = CiBookKind.CILIN
    bu: tuple[tuple[str, int], ...] = ()  # a 部 per rhyme group letter, in the book's ids

    @property
    def letters(self) -> tuple[str, ...]:
        """The rhyme groups of the 体 in order (A, B … ; several for a 换韵 tune)."""
        out: list[str] = []
        for s in self.form.segments:
            if s.rhyme and s.rhyme_group not in out:
                out.append(s.rhyme_group)
        return tuple(out)

    def name(self, lang: str = "zh") -> str:
        """菩薩蠻·正体（44字） / 菩薩蠻, main form (44 characters)."""
        f = self.form
        if lang == "en":
            which = "main form" if f.index == 0 else f"variant {f.index + 1}"
            return f"{f.tune}, {which} ({f.chars} characters)"
        which = "正体" if f.index == 0 else f"又一体（第{f.index + 1}体）"
        return f"{f.tune}·{which}（{f.chars}字）"

    def rhyme_label(self, rhymes: CiRhymes | None = None, lang: str = "zh") -> str:
        """押词林正韵；A韵第七部 … (the pinned 部 by name when the book is at hand)."""
        en = lang == "en"
        pinned = dict(self.bu)
        parts = []
        for letter in self.letters:
            if letter in pinned:
                bu = pinned[letter]
                name = (rhymes.bu_name_en(bu) if en else rhymes.bu_name(bu)) if rhymes else str(bu)
                parts.append(f"rhyme {letter} in {name}" if en else f"{letter}韵押{name}")
        book = self.book.en if en else self.book.zh
        head = f"rhymes by the {book}" if en else f"押{book}"
        if not parts:
            return head
        return head + ("; " if en else "；") + ("; " if en else "，").join(parts)

    def problems(self, rhymes: CiRhymes | None = None) -> list[Message]:
        """Why the 词 part of an assignment cannot be saved (empty when it can)."""
        out: list[Message] = []
        letters = set(self.letters)
        for letter, bu in self.bu:
            if letter not in letters:
                out.append(
                    Message(f"此体没有{letter}韵。", f"This form has no rhyme group {letter}.")
                )
            elif rhymes is not None and rhymes.find_bu(bu) is None:
                out.append(
                    Message(
                        f"{self.book.zh}里没有这个韵部：{bu}。",
                        f"No such rhyme group in the {self.book.en}: {bu}.",
                    )
                )
        return out

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        return {
            "form": {"tune": self.form.tune, "index": self.form.index, **form_to_json(self.form)},
            "book": self.book.value,
            "bu": dict(self.bu),
        }

    @classmethod
    def from_dict(cls, raw: object) -> CiAssignment:
        """ValueError with the reason when ``raw`` is not a 词 assignment's JSON."""
        if not isinstance(raw, dict):
            raise ValueError("ci must be an object")
        form_raw = raw.get("form")
        if not isinstance(form_raw, dict):
            raise ValueError("ci.form must be an object")
        try:
            form = form_from_json(str(form_raw["tune"]), int(form_raw.get("index", 0)), form_raw)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"ci.form: {exc}") from exc
        book = CiBookKind.from_name(str(raw.get("book") or CiBookKind.CILIN.value))
        if book is None:
            raise ValueError(f"unknown rhyme book {raw.get('book')!r}")
        bu_raw = raw.get("bu") or {}
        if not isinstance(bu_raw, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in bu_raw.values()
        ):
            raise ValueError("ci.bu must map group letters to numbers")
        return cls(form, book, tuple(sorted((str(k), int(v)) for k, v in bu_raw.items())))


# ---------------------------------------------------------------- reading a submission
def ci_wrong_form(ci: CiAssignment, text: str, checker: CiChecker) -> Message | None:
    """Why a finished text is not this 词 at all, or None.

    A 词 with characters missing or extra, or a 句 broken elsewhere, is this 词 with
    faults (graded, with the checker's length findings). It is the wrong form when its
    length is far from the 体's (more than a quarter, and more than four characters,
    apart), or when it keeps another tune's 体 exactly and not this one."""
    pinned = checker.analyze(text, form=ci.form)
    if pinned.choice is not None and pinned.choice.exact:
        return None
    n = len(pinned.chars)
    want = ci.form.chars
    if abs(n - want) > max(4, want // 4):
        return Message(
            f"本题为《{ci.form.tune}》（{ci.name()}），共{want}字；此稿{n}字。",
            f"The assignment is {ci.name('en')}, {want} characters; this text has {n}.",
        )
    found = checker.analyze(text)
    choice = found.choice
    if choice is not None and choice.exact and choice.form.tune != ci.form.tune:
        return Message(
            f"本题为《{ci.form.tune}》；此稿合《{choice.form.tune}》的体式。",
            f"The assignment is {ci.form.tune}; this text keeps the shape of {choice.form.tune}.",
        )
    return None


# ---------------------------------------------------------------- the sheet
@dataclass(frozen=True, slots=True)
class CiSheetLine:
    """One segment of the 体 on the sheet: its marks (⊙ either), and how it ends."""

    template: str  # 平平仄仄平
    rhymes: bool
    pause: bool  # a 讀: the 句 goes on in the next row
    section: int  # 0: 上片, 1: 下片 …
    letter: str = ""  # the rhyme group, when it rhymes


def ci_sheet_lines(form: CiForm) -> tuple[CiSheetLine, ...]:
    """A row per segment (each 句 and 讀) with the marks a student fills in: 平, 仄, ⊙ for
    either; a rhyme position shows the tone its rhyme needs."""
    out: list[CiSheetLine] = []
    for s in form.segments:
        marks = "".join(_MARK.get(m, "⊙") for m in s.marks)
        if s.rhyme:
            marks = marks[:-1] + s.rhyme_kind
        out.append(CiSheetLine(marks, bool(s.rhyme), s.pause, s.section, s.rhyme_group))
    return tuple(out)
