"""What a strict-metre request asks for, and the requests that cannot be met.

A request carries the spec as a plain JSON object (``GenerateRequest.constraint``)::

    {"kind": "metre", "form": "七绝", "group": "上平一东",
     "first_rhymes": null, "qi": null, "aojiu": true, "san_ze_wei": true,
     "script": "simplified", "admit_derived": true, "think_budget": 1024}

``group`` is a group id of any rhyme book (0–105 the 平水韵, then 中华新韵 and 中华通韵:
app.prosody.books.tables) or a name (``上平一东``, ``一东``, ``东``; ``通韵十三昂``; with
``"book": "tongyun"`` also ``十三昂``, ``昂``); the group names its book, whose tones and
rhymes the poem then keeps;
``first_rhymes`` (首句入韵) and ``qi`` (``平起``/``仄起``) may be left to the model
(``null``); ``think_budget`` is the most tokens of ``<think>`` before the answer is
forced (0: answer at once, no thinking). Optional: ``cache_dir``, where the
vocabulary index is kept; ``grammar_chars``, for remote grammars, the most used
characters kept per tone class (smaller grammars run faster on a server). Every
rejection carries a Chinese and an English message.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from app.compose.constraint.automaton import MetreAutomaton, MetreSettings, Qi
from app.compose.constraint.chars import CharPolicy, CharTable, Script
from app.prosody.books.kinds import BookKind
from app.prosody.books.tables import ALL_GROUPS, book_of_group, find_group
from app.prosody.forms import SCHEMES, Form
from app.prosody.groups import RhymeGroup

__all__ = [
    "COMPOSE_FORMS",
    "DEFAULT_THINK_BUDGET",
    "ConstraintError",
    "ConstraintSpec",
    "metre_spec",
    "plan_automaton",
]

DEFAULT_THINK_BUDGET = 1024
COMPOSE_FORMS = (Form.WUJUE, Form.QIJUE, Form.WULV, Form.QILV)


class ConstraintError(ValueError):
    """A strict-metre request that cannot be met; ``zh`` and ``en`` say why."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.code = code
        self.zh = zh
        self.en = en


@dataclass(frozen=True, slots=True)
class ConstraintSpec:
    form: Form
    group: RhymeGroup
    metre: MetreSettings = field(default_factory=MetreSettings)
    policy: CharPolicy = field(default_factory=CharPolicy)
    think_budget: int = DEFAULT_THINK_BUDGET
    cache_dir: str | None = None
    grammar_chars: int | None = None  # remote grammars: most used characters per tone class

    @classmethod
    def from_dict(cls, data: dict[str, Any] | ConstraintSpec) -> ConstraintSpec:
        """Parse and check a spec; raise :class:`ConstraintError` with both messages."""
        if isinstance(data, ConstraintSpec):
            return data
        if not isinstance(data, dict):
            raise ConstraintError(
                "bad_spec", "格律约束的格式有误", "the metre constraint is malformed"
            )
        kind = data.get("kind", "metre")
        if kind != "metre":
            raise ConstraintError(
                "bad_spec", f"不认识的约束类型：{kind}", f"unknown constraint kind: {kind}"
            )
        form = _form(data.get("form"))
        book = data.get("book")
        kind = BookKind.from_name(book) if isinstance(book, str) else None
        if book is not None and kind is None:
            raise ConstraintError(
                "bad_spec", f"不认识的韵书：{book}", f"unknown rhyme book: {book}"
            )
        group = _group(data.get("group"), kind)
        first = data.get("first_rhymes")
        qi = data.get("qi")
        if first is not None and not isinstance(first, bool):
            raise ConstraintError(
                "bad_spec",
                "「首句入韵」应为是、否或不限",
                "first_rhymes must be true, false or null",
            )
        if qi not in (None, "平起", "仄起"):
            raise ConstraintError(
                "bad_spec",
                f"「起」应为平起或仄起，而不是 {qi}",
                f"qi must be 平起 or 仄起, not {qi}",
            )
        policy = parse_policy(data)
        budget = parse_think_budget(data)
        grammar_chars = data.get("grammar_chars")
        if grammar_chars is not None and (
            not isinstance(grammar_chars, int)
            or isinstance(grammar_chars, bool)
            or grammar_chars < 1
        ):
            raise ConstraintError(
                "bad_spec",
                f"语法字数上限应为正整数：{grammar_chars}",
                f"grammar_chars must be a positive integer: {grammar_chars}",
            )
        return cls(
            form=form,
            group=group,
            metre=MetreSettings(
                aojiu=bool(data.get("aojiu", True)),
                san_ze_wei=bool(data.get("san_ze_wei", True)),
                first_rhymes=first,
                qi=qi,
            ),
            policy=policy,
            think_budget=budget,
            cache_dir=parse_cache_dir(data),
            grammar_chars=grammar_chars,
        )

    @property
    def book(self) -> BookKind:
        """The rhyme book the poem keeps: the group's."""
        return book_of_group(self.group)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "metre",
            "form": self.form.value,
            "group": self.group.id,
            "book": self.book.value,
            **asdict(self.metre),
            **common_fields(
                self.policy.script, self.policy.admit_derived, self.think_budget, self.cache_dir
            ),
        }
        if self.grammar_chars is not None:
            out["grammar_chars"] = self.grammar_chars
        return out


def parse_policy(data: dict[str, Any]) -> CharPolicy:
    """The spec's characters: ``script`` (checked) and ``admit_derived``."""
    script = data.get("script", "simplified")
    if script not in ("simplified", "traditional", "any"):
        raise ConstraintError("bad_spec", f"不认识的字形：{script}", f"unknown script: {script}")
    return CharPolicy(script=script, admit_derived=bool(data.get("admit_derived", True)))


def parse_think_budget(data: dict[str, Any]) -> int:
    """The spec's ``think_budget`` (checked: a non-negative integer)."""
    budget = data.get("think_budget", DEFAULT_THINK_BUDGET)
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 0:
        raise ConstraintError(
            "bad_spec",
            f"思考预算应为非负整数：{budget}",
            f"think_budget must be a non-negative integer: {budget}",
        )
    return budget


def parse_cache_dir(data: dict[str, Any]) -> str | None:
    """The spec's ``cache_dir``, if it names one."""
    value = data.get("cache_dir")
    return str(value) if value else None


def common_fields(
    script: str, admit_derived: bool, think_budget: int, cache_dir: str | None
) -> dict[str, Any]:
    """The keys every kind of spec ends with: its characters, its thinking budget and
    (when it names one) its cache folder."""
    out: dict[str, Any] = {
        "script": script,
        "admit_derived": admit_derived,
        "think_budget": think_budget,
    }
    if cache_dir:
        out["cache_dir"] = cache_dir
    return out


def metre_spec(
    form: Form | str,
    group: int | str,
    *,
    first_rhymes: bool | None = None,
    qi: Qi | None = None,
    aojiu: bool = True,
    san_ze_wei: bool = True,
    script: Script = "simplified",
    admit_derived: bool = True,
    think_budget: int = DEFAULT_THINK_BUDGET,
    cache_dir: str | None = None,
    book: BookKind | str | None = None,
) -> dict[str, Any]:
    """The JSON spec for ``GenerateRequest.constraint`` (checked as it is built). ``book``
    says which rhyme book a group *name* is looked up in (a group id names its book)."""
    data: dict[str, Any] = {
        "kind": "metre",
        "form": form.value if isinstance(form, Form) else form,
        "group": group,
        "first_rhymes": first_rhymes,
        "qi": qi,
        "aojiu": aojiu,
        "san_ze_wei": san_ze_wei,
        **common_fields(script, admit_derived, think_budget, cache_dir),
    }
    if book is not None:
        data["book"] = book.value if isinstance(book, BookKind) else book
    return ConstraintSpec.from_dict(data).to_dict()


def _form(value: object) -> Form:
    form = Form.from_name(value) if isinstance(value, str) else None
    if form is None or form not in COMPOSE_FORMS:
        raise ConstraintError(
            "unsupported_form",
            f"严格格律只支持五绝、七绝、五律、七律，不支持「{value}」",
            f"strict metre supports 五绝/七绝/五律/七律 only, not {value!r}",
        )
    return form


def _group(value: object, kind: BookKind | None = None) -> RhymeGroup:
    if value is None or value == "":
        raise ConstraintError(
            "no_group",
            "严格格律需要先选定韵部",
            "strict metre needs a rhyme group",
        )
    group: RhymeGroup | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        group = ALL_GROUPS[value] if 0 <= value < len(ALL_GROUPS) else None
        if group is not None and kind is not None and book_of_group(group) is not kind:
            group = None
    elif isinstance(value, str):
        group = find_group(value, kind)
    if group is None:
        raise ConstraintError(
            "unknown_group",
            f"没有这个韵部：{value}",
            f"no such rhyme group: {value}",
        )
    if not group.is_ping:
        raise ConstraintError(
            "ze_group",
            f"{group.name}是仄声韵部；近体诗押平声韵，请选平声韵部",
            f"{group.name} ({group.name_en}) is an oblique-tone group; regulated verse rhymes "
            "in a level-tone group",
        )
    return group


def plan_automaton(spec: ConstraintSpec, chars: CharTable) -> MetreAutomaton:
    """The automaton for ``spec``, or :class:`ConstraintError` when the rhyme group has too
    few characters for the poem's rhyme positions (首句入韵 is dropped first when the
    model was free to choose it)."""
    automaton = MetreAutomaton(spec.form, spec.metre)
    if not automaton.schemes:
        raise ConstraintError("bad_spec", "没有符合设定的格式", "no template fits these settings")
    available = len(chars.group_members(spec.group.id))
    fits = 0
    for i, scheme in enumerate(SCHEMES):
        if automaton.schemes >> i & 1 and automaton.rhyme_slots(scheme) <= available:
            fits |= 1 << i
    if not fits:
        need = min(automaton.rhyme_slots(s) for s in automaton.candidate_schemes())
        g = spec.group
        raise ConstraintError(
            "too_few_rhymes",
            f"{g.name}只有 {available} 个可用的韵字，{spec.form.value}需要 {need} 个不同的韵字，"
            "无法按严格格律生成；请换一个韵部",
            f"{g.name} ({g.name_en}) has only {available} usable rhyme characters; a "
            f"{spec.form.en} needs {need} different ones. Choose another rhyme group.",
        )
    if fits != automaton.schemes:
        automaton = MetreAutomaton(spec.form, spec.metre, fits)
    return automaton
