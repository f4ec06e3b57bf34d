"""What the 词 checker says about a text: a :class:`PoemAnalysis` with the 体 it chose.

The per-character, per-line and finding structures are those of the 诗 checker, so the
editor paints, lists and scores a 词 the way it does a 诗; the 词-only facts (the tune,
the 体, why it was chosen, the rhyme groups) sit beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.prosody.analysis import PoemAnalysis
from app.prosody.ci.table import CiForm


@dataclass(frozen=True, slots=True)
class FormChoice:
    """The 体 the text was read against, and why."""

    form: CiForm
    exact: bool  # the text's shape (句 lengths, 段) fits this 体 exactly
    pinned: bool  # the caller named this 体
    tune_given: bool  # the caller named the tune
    cost: float  # shape cost plus tone cost (lower is better)
    tone_faults: int  # definite 平仄 faults against this 体
    candidates: int  # how many 体 were weighed
    why_zh: str
    why_en: str
    runner_up: CiForm | None = None


@dataclass(frozen=True, slots=True)
class RhymeGroupResult:
    """One rhyme group of the 体 (A, B … in a 换韵 tune) as the text fills it."""

    letter: str
    bu: int | None  # the 部 of the 词林正韵 most of its rhymes share
    kinds: str  # the tones its positions need: 平, 仄 or 平仄 (叶)
    slots: tuple[tuple[int, int], ...]  # (line, pos) of its rhyme positions in the text
    bu_name: str = ""  # the 部 as its book names it (第七部, 下平七阳, 通韵十三昂)


@dataclass(frozen=True, slots=True)
class CiAnalysis(PoemAnalysis):
    """A 词's analysis; ``form`` (a 诗 form) is None, ``choice`` names the 体."""

    choice: FormChoice | None = None
    groups: tuple[RhymeGroupResult, ...] = field(default=())
    # per line of the text: the 体's segment it was matched to (-1: none, an extra line)
    segment_of_line: tuple[int, ...] = field(default=())

    @property
    def ci_form(self) -> CiForm | None:
        return None if self.choice is None else self.choice.form

    @property
    def summary_zh(self) -> str:
        if not self.chars:
            return ""
        if self.choice is None:
            return "未能确定词牌"
        parts = [self.choice.form.label_zh]
        for g in self.groups:
            if g.bu is not None:
                parts.append(f"{g.letter}韵押{g.bu_name}{_kind_zh(g.kinds)}")
        n_err = len(self.errors)
        parts.append(f"{n_err}处错误" if n_err else "合谱")
        return "，".join(parts)

    @property
    def summary_en(self) -> str:
        if not self.chars:
            return ""
        if self.choice is None:
            return "tune undetermined"
        parts = [self.choice.form.label_en]
        for g in self.groups:
            if g.bu is not None:
                parts.append(f"rhyme {g.letter} in {g.bu_name}")
        n_err = len(self.errors)
        parts.append(f"{n_err} error(s)" if n_err else "keeps the pattern")
        return ", ".join(parts)


def _kind_zh(kinds: str) -> str:
    if kinds == "平":
        return "平声"
    if kinds == "仄":
        return "仄声"
    return "平仄通叶"
