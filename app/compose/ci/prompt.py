"""Asking the model for a 词 by 词牌 and 体: the prompt.

The user message follows the shape of the 诗 prompt (:mod:`app.compose.prompt`: rhyme
retrieval first, then numbered requirements, then the poet's extras), with what a 词 needs
instead of the 诗 rules: the tune and its 体, the 体 as a template — each 句 with its marks
(平, 仄, ⊙ either) and where it rhymes —, the rhyme groups of a 换韵 tune, and for each group
characters of its 部 when the poet chose one, in the rhyme book the 词 keeps (the 词林正韵
unless the poet chose another, :mod:`app.prosody.ci.books`). The answer is checked with the
词 checker pinned to that 体 (:class:`~app.prosody.ci.CiTarget`). :func:`build_ci_prompt`
makes the :class:`~app.compose.prompt.PromptPlan` the engine runs, as
:func:`~app.compose.prompt.build_prompt` does for 诗.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.compose.prompt import (
    REASONING_SYSTEM_PROMPT,
    PromptPlan,
    PromptStyle,
    optional_items,
    plan_for,
)
from app.engine.requests import ChatMessage, Sampling
from app.prosody.ci.books import CiBookKind, CilinRhymes, CiRhymes
from app.prosody.ci.table import CiForm
from app.prosody.rhymebook.cilin import CilinBook

DEFAULT_RHYME_CHARS = 20
_MARK = {"平": "平", "仄": "仄", "中": "⊙", "？": "⊙"}


@dataclass(frozen=True, slots=True)
class CiRequest:
    """What the poet asks for: a theme (or title), the 体, the rhyme book, and optionally a
    部 per rhyme group (the 词林正韵's 1–19, or a group id of another book: its 平 half for
    the modern books, see :class:`~app.prosody.ci.books.BookRhymes`)."""

    theme: str
    form: CiForm
    bu: Mapping[str, int] | None = None  # rhyme group letter → 部
    title: str = ""
    imagery: tuple[str, ...] = ()
    instructions: str = ""
    book: CiBookKind = CiBookKind.CILIN
    candidates: int = 1
    thinking: bool = True  # think before answering (models that can switch it: Qwen3)
    think_budget: int | None = None  # most thinking tokens (None: no limit)

    def __post_init__(self) -> None:
        if not (self.theme.strip() or self.title.strip()):
            raise ValueError("a theme or a title is needed")
        letters = {s.rhyme_group for s in self.form.segments if s.rhyme}
        for letter, bu in (self.bu or {}).items():
            if letter not in letters:
                raise ValueError(f"the form has no rhyme group {letter}")
            if self.book is CiBookKind.CILIN and not 1 <= bu <= 19:
                raise ValueError(f"no 部 {bu} in the 词林正韵")
            if bu < 0:
                raise ValueError(f"no rhyme group {bu}")
        if not 1 <= self.candidates <= 16:
            raise ValueError("candidates must be between 1 and 16")
        if self.think_budget is not None and not 0 <= self.think_budget <= 32768:
            raise ValueError("the thinking budget must be between 0 and 32768 tokens")


def template_lines(form: CiForm) -> list[str]:
    """One line per 句: its marks, 、 after a 讀, and （韵A平） after a rhyme; 段 apart."""
    out: list[str] = []
    line = ""
    for i, seg in enumerate(form.segments):
        if i and seg.section != form.segments[i - 1].section:
            out.append("（换段）")
        marks = "".join(_MARK.get(m, "⊙") for m in seg.marks)
        if seg.rhyme:
            marks = marks[:-1] + seg.rhyme_kind
        line += marks
        if seg.pause:
            line += "、"
            continue
        if seg.rhyme:
            line += f"（韵{seg.rhyme_group}·{seg.rhyme_kind}）"
        out.append(line)
        line = ""
    if line:
        out.append(line)
    return out


def _groups(form: CiForm) -> list[tuple[str, str]]:
    """Each rhyme group and the tones its positions need (平, 仄 or 平仄), in order."""
    seen: dict[str, str] = {}
    for s in form.segments:
        if s.rhyme:
            kinds = seen.get(s.rhyme_group, "")
            if s.rhyme_kind not in kinds:
                seen[s.rhyme_group] = kinds + s.rhyme_kind
    return list(seen.items())


def _rhymes(book: CilinBook | CiRhymes) -> CiRhymes:
    return CilinRhymes(book) if isinstance(book, CilinBook) else book


def build_ci_user_prompt(
    request: CiRequest, book: CilinBook | CiRhymes, *, n_rhyme_chars: int = DEFAULT_RHYME_CHARS
) -> str:
    rhymes = _rhymes(book)
    form = request.form
    theme = request.theme.strip() or request.title.strip()
    groups = _groups(form)
    chosen = dict(request.bu or {})
    out: list[str] = []
    lead = "你是一位精通宋词的AI"
    if chosen:
        parts = []
        for letter, kinds in groups:
            if letter in chosen:
                bu = chosen[letter]
                chars = "".join(
                    rhymes.members(bu, "平" if k == "平" else "仄")[:n_rhyme_chars] for k in kinds
                )
                parts.append(f"{letter}韵（{rhymes.bu_name(bu)}）可用韵脚字：{chars}")
        out.append(f"{lead}，当前创作需要遵循以下押韵要求：" + "；".join(parts))
    else:
        out.append(f"{lead}。")
    out.append(f"请严格按照以下要求，依词牌《{form.tune}》填一首词：")
    out.append(f"1. 词的主题：{theme}")
    which = "正体" if form.index == 0 else f"又一体（第{form.index + 1}体）"
    per = "、".join(f"{n}句" for n in form.sentences_per_section())
    out.append(f"2. 体式：{which}，共{form.chars}字，{form.n_sections}段（{per}）。逐句格律如下：")
    out.extend(template_lines(form))
    rhyme_rules = []
    for letter, kinds in groups:
        where = rhymes.bu_name(chosen[letter]) if letter in chosen else "同一韵部"
        tone = "平声" if kinds == "平" else "仄声" if kinds == "仄" else "平仄通叶"
        rhyme_rules.append(f"{letter}韵押《{rhymes.kind.zh}》{where}（{tone}）")
    change = "，换韵处另押一部" if len(groups) > 1 else ""
    out.append("3. 押韵要求：" + "；".join(rhyme_rules) + change)
    out.append("4. 格式规范：")
    out.append("- 每句单独一行，句中读断处用顿号，不加其他标点")
    out.append(f"- 两段之间空一行；全词必须正好{form.chars}字")
    out.append("5. 输出限制：")
    out.append("- 仅输出词的正文")
    out.append("- 不要词牌名、标题、注释、解释等任何额外内容")
    out.extend(optional_items(request, "词题", 6))
    return "\n".join(out)


def ci_messages(
    request: CiRequest, book: CilinBook | CiRhymes, style: PromptStyle
) -> tuple[ChatMessage, ...]:
    """The chat messages for one request (the reasoning format prompt for models that
    think in <think>/<answer>, as for 诗)."""
    user = ChatMessage("user", build_ci_user_prompt(request, book))
    if style is PromptStyle.REASONING:
        return (ChatMessage("system", REASONING_SYSTEM_PROMPT), user)
    return (user,)


def build_ci_prompt(
    request: CiRequest,
    book: CilinBook | CiRhymes,
    *,
    style: PromptStyle | str = PromptStyle.REASONING,
    sampling: Sampling | None = None,
    n_rhyme_chars: int = DEFAULT_RHYME_CHARS,
) -> PromptPlan[CiRequest]:
    """Everything the engine needs to compose ``request`` with a model of ``style`` (the
    thinking switch, budget and sampling as :func:`~app.compose.prompt.build_prompt`)."""
    user = build_ci_user_prompt(request, book, n_rhyme_chars=n_rhyme_chars)
    return plan_for(request, user, PromptStyle(style), sampling)
