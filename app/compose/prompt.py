"""Build the model's prompt from what the poet asked for.

QPM-1K-32B-R1 (Xunzi-Yayun-R1 lineage: Qwen2.5-32B, SFT on DeepSeek-R1
distillations, then GRPO with rewards for tones, rhyme, antithesis and length)
was trained with a retrieval step ("RAG"): the prompt lists the characters of
the chosen 平水韵 group, then the instruction template published with the model
(Heritage Science 2025, "Large language models learning to write rhyming Tang
poetry: a Xunzi Yayun R1 case study", tables 1, 13 and 14). We reproduce that
text exactly, item by item, and append the poet's extras (title, imagery, free
instructions) after it as items 6–8 so the trained prefix stays intact. See
docs/engine.md for the sources and the choices.

Reasoning models get the GRPO system prompt
``Respond in the following format:<think>...</think><answer>...</answer>``;
general models get the same user text without it. Qwen3 models (``PromptStyle.QWEN3``)
get the same user text too, with their own template's thinking switch on or off per
request (``ComposeRequest.thinking``) and Qwen's sampling advice for each mode; every
thinking request carries a thinking budget the engine enforces (``think_budget``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Generic, Literal, Protocol, TypeVar

from app.engine.requests import ChatMessage, GenerateRequest, Sampling
from app.prosody.books.kinds import BookKind
from app.prosody.books.tables import ALL_GROUPS, book_of_group
from app.prosody.forms import Form
from app.prosody.groups import RhymeGroup
from app.prosody.tones import Tone

if TYPE_CHECKING:
    from app.compose.ci.prompt import CiRequest

__all__ = [
    "COMPOSE_FORMS",
    "NO_THINK_SAMPLING",
    "REASONING_SYSTEM_PROMPT",
    "ComposeRequest",
    "PromptPlan",
    "PromptStyle",
    "RhymeChars",
    "build_prompt",
    "build_user_prompt",
    "couplet_user_prompt",
]

REASONING_SYSTEM_PROMPT = "Respond in the following format:<think>...</think><answer>...</answer>"
DEFAULT_RHYME_CHARS = 20  # the published examples list 20 characters
STOP = ("<|im_end|>",)
# Qwen3 with thinking switched off: Qwen's advice (temperature 0.7, top-p 0.8, top-k 20,
# min-p 0). Thinking mode uses Sampling's defaults (0.6, 0.95, 20, 0).
NO_THINK_SAMPLING = Sampling(temperature=0.7, top_p=0.8, top_k=20, min_p=0.0)

COMPOSE_FORMS: tuple[Form, ...] = (Form.WUJUE, Form.QIJUE, Form.WULV, Form.QILV)

_POEM_TYPE = {
    Form.WUJUE: "五言绝句",
    Form.QIJUE: "七言绝句",
    Form.WULV: "五言律诗",
    Form.QILV: "七言律诗",
}
_RHYME_LINES = {4: "第二句和第四句", 8: "第二、四、六、八句"}
_EXAMPLE = ("白日依山尽", "黄河入海流", "欲穷千里目", "更上一层楼")


class RhymeChars(Protocol):
    """What the builder needs from the rhyme book of the request's group (any
    ``app.prosody.books.Book``: the 平水韵 or a modern book)."""

    def group_chars(
        self, group_id: int, script: Literal["simplified", "traditional"] = "simplified"
    ) -> tuple[str, ...]: ...


class PromptStyle(StrEnum):
    REASONING = "reasoning"  # QPM-1K-32B-R1 and other <think>/<answer> models
    GENERAL = "general"  # any chat model: same rules and retrieval, no format prompt
    QWEN3 = "qwen3"  # Qwen3: thinks in <think>…</think>, switchable per request

    @classmethod
    def for_catalog(cls, prompt_style: str) -> PromptStyle:
        """The style for a catalog/registry ``prompt_style`` (``qpm-r1``, ``qwen3-think``,
        ``chatml-general``) or one of these values."""
        named = {"qpm-r1": cls.REASONING, "qwen3-think": cls.QWEN3, "chatml-general": cls.GENERAL}
        return named.get(prompt_style) or cls(prompt_style)

    @property
    def thinks(self) -> bool:
        return self is not PromptStyle.GENERAL


@dataclass(frozen=True, slots=True)
class ComposeRequest:
    """What the poet asks for in the compose form."""

    theme: str
    form: Form = Form.QIJUE
    rhyme_group: int | None = None  # a group id of any rhyme book (app.prosody.books)
    title: str = ""
    imagery: tuple[str, ...] = ()
    instructions: str = ""
    candidates: int = 1
    thinking: bool = True  # think before answering (models that can switch it: Qwen3)
    think_budget: int | None = None  # most thinking tokens (None: no limit)
    book: BookKind = BookKind.PINGSHUI  # the rhyme book (a chosen group's book wins)
    couplet_first: str = ""  # form 对联: the given 上联; the model writes the 下联

    def __post_init__(self) -> None:
        object.__setattr__(self, "form", Form(self.form))  # accept "七绝" as well as Form.QIJUE
        if self.form is Form.DUILIAN:
            if not any(ch.strip() for ch in self.couplet_first):
                raise ValueError("a couplet needs its first line (上联)")
            if not self.theme.strip() and not self.title.strip():
                object.__setattr__(self, "theme", self.couplet_first.strip())
        elif self.form not in COMPOSE_FORMS:
            raise ValueError(f"composing supports 五绝/七绝/五律/七律, not {self.form.value}")
        if self.rhyme_group is not None:
            if not 0 <= self.rhyme_group < len(ALL_GROUPS):
                raise ValueError(f"no rhyme group {self.rhyme_group}")
            object.__setattr__(self, "book", book_of_group(ALL_GROUPS[self.rhyme_group]))
        object.__setattr__(self, "book", BookKind(self.book))
        if not 1 <= self.candidates <= 16:
            raise ValueError("candidates must be between 1 and 16")
        if not (self.theme.strip() or self.title.strip()):
            raise ValueError("a theme or a title is needed")
        if self.think_budget is not None and not 0 <= self.think_budget <= 32768:
            raise ValueError("the thinking budget must be between 0 and 32768 tokens")

    @property
    def group(self) -> RhymeGroup | None:
        return ALL_GROUPS[self.rhyme_group] if self.rhyme_group is not None else None


def _tone_name(group: RhymeGroup) -> str:
    return "平声" if group.tone is Tone.PING else f"{group.tone.zh}声"


def couplet_user_prompt(first: str, book: BookKind = BookKind.PINGSHUI) -> str:
    """The user message asking for the 下联 of ``first`` (meter-spec §10); the answer is
    the 下联 alone, one clause a line, as the poem prompt asks for one line a line."""
    named = f"《{book.zh}》"
    return "\n".join(
        [
            "你是一位精通对联的AI。",
            f"上联：{first.strip()}",
            "请对出下联，要求：",
            "1. 字数与上联相同，分句与上联一一对应",
            f"2. 按{named}论平仄：上联仄收、下联平收，节奏点上与上联平仄相对，不犯三平尾",
            "3. 对仗工整：词性相当，结构相同，不与上联重字",
            "4. 输出限制：仅输出下联，每个分句单独一行，不加标点",
        ]
    )


def build_user_prompt(
    request: ComposeRequest, book: RhymeChars, *, n_rhyme_chars: int = DEFAULT_RHYME_CHARS
) -> str:
    """The user message: rhyme retrieval, the published template, then the extras."""
    form = request.form
    n_lines = form.n_lines or 4
    theme = request.theme.strip() or request.title.strip()
    out: list[str] = []
    group = request.group
    if group is not None:
        chars = "".join(book.group_chars(group.id, "simplified")[:n_rhyme_chars])
        out.append(f"你是一位精通唐诗的AI，当前创作需要遵循以下押韵要求：可用韵脚字：{chars}")
    else:
        out.append("你是一位精通唐诗的AI。")
    out.append(f"请严格按照以下要求创作一首{_POEM_TYPE[form]}：")
    out.append(f"1. 诗歌主题：{theme}")
    named = f"《{request.book.zh}》"  # the published template names 《平水韵》
    if group is not None:
        rhyme = f"「{group.rep}」韵（{_tone_name(group)}）"
        out.append(f"2. 押韵要求：{_RHYME_LINES[n_lines]}必须押{named}{rhyme}")
    else:
        out.append(f"2. 押韵要求：{_RHYME_LINES[n_lines]}必须押{named}同一平声韵部")
    out.append("3. 格式规范：")
    out.append("- 每句单独一行，不加任何标点")
    out.append("- 绝句必须4行，律诗必须8行")
    out.append("- 示例格式：")
    out.extend(_EXAMPLE)
    out.append("4. 律诗要求：")
    out.append("中间两联必须对仗工整")
    out.append("5. 输出限制：")
    out.append("- 仅输出诗句内容")
    out.append("- 不要标题、注释、解释等任何额外内容")
    out.append("- 禁止使用任何标点符号")
    out.extend(optional_items(request, "诗题", 6))
    return "\n".join(out)


def optional_items(request: ComposeRequest | CiRequest, title_word: str, first: int) -> list[str]:
    """The numbered items after the fixed ones, numbered from ``first``: the title
    (``title_word``: 诗题, 词题) when there is a theme beside it, the imagery, the
    poet's other instructions — each only when given."""
    out: list[str] = []
    item = first
    if request.title.strip() and request.theme.strip():
        out.append(f"{item}. {title_word}：{request.title.strip()}（仅供构思，不要输出）")
        item += 1
    imagery = [w.strip() for w in request.imagery if w.strip()]
    if imagery:
        out.append(f"{item}. 意象：请融入{'、'.join(imagery)}")
        item += 1
    if request.instructions.strip():
        out.append(f"{item}. 其他要求：{request.instructions.strip()}")
    return out


Asked = TypeVar("Asked", "ComposeRequest", "CiRequest")


@dataclass(frozen=True, slots=True)
class PromptPlan(Generic[Asked]):
    """Messages, sampling and stops for one compose request (a 诗's or a 词's)."""

    request: Asked
    style: PromptStyle
    messages: tuple[ChatMessage, ...]
    sampling: Sampling = field(default_factory=Sampling)
    stop: tuple[str, ...] = STOP
    thinking: bool | None = None  # the engine's switch (None: the template decides)
    think_budget: int | None = None

    @property
    def assume_think(self) -> bool:
        """For the stream parser: untagged leading text is reasoning. (Qwen3 writes its
        own ``<think>``, or the engine opens it and says so in ``Started.think_open``.)"""
        return self.style is PromptStyle.REASONING

    def generate_requests(self, base_seed: int | None = None) -> list[GenerateRequest]:
        """One engine request per candidate, seeded ``base + i`` where ``base`` is
        ``base_seed`` or else the sampling's own seed; random seeds when neither is set."""
        base = base_seed if base_seed is not None else self.sampling.seed
        return [
            GenerateRequest(
                messages=self.messages,
                sampling=replace(self.sampling, seed=None if base is None else base + i),
                stop=self.stop,
                thinking=self.thinking,
                think_budget=self.think_budget,
            )
            for i in range(self.request.candidates)
        ]


def build_prompt(
    request: ComposeRequest,
    book: RhymeChars,
    *,
    style: PromptStyle | str = PromptStyle.REASONING,
    sampling: Sampling | None = None,
    n_rhyme_chars: int = DEFAULT_RHYME_CHARS,
) -> PromptPlan[ComposeRequest]:
    """Everything the engine needs to compose ``request`` with a model of ``style``.

    ``sampling`` overrides the style's own (Qwen's advice for the mode)."""
    if request.form is Form.DUILIAN:
        user = couplet_user_prompt(request.couplet_first, request.book)
    else:
        user = build_user_prompt(request, book, n_rhyme_chars=n_rhyme_chars)
    return plan_for(request, user, PromptStyle(style), sampling)


def plan_for(
    request: Asked,
    user_text: str,
    style: PromptStyle,
    sampling: Sampling | None,
) -> PromptPlan[Asked]:
    """The plan for a request (a 诗's or a 词's) whose user message is ``user_text``: the
    system prompt, the thinking switch and budget, and the sampling of ``style``."""
    user = ChatMessage("user", user_text)
    thinking: bool | None = None
    budget = request.think_budget
    if style is PromptStyle.REASONING:
        messages: tuple[ChatMessage, ...] = (ChatMessage("system", REASONING_SYSTEM_PROMPT), user)
    elif style is PromptStyle.QWEN3:
        messages = (user,)
        thinking = request.thinking
        if not thinking:
            budget = None
            sampling = sampling or NO_THINK_SAMPLING
    else:
        messages = (user,)
        budget = None
    return PromptPlan(request, style, messages, sampling or Sampling(), STOP, thinking, budget)
