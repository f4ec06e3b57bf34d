"""What a strict-metre 词 request asks for, and the requests that cannot be met.

A request carries the spec as a plain JSON object (``GenerateRequest.constraint``)::

    {"kind": "ci", "form": {"tune": "菩薩蠻", "index": 0, "sections": [[…], […]]},
     "book": "cilin", "bu": {"A": 7}, "script": "simplified", "admit_derived": true,
     "think_budget": 1024}

``form`` is the 体 itself (the 词谱 table's form object with the tune's name and the 体's
index), so the engine needs no 词谱 of its own; ``book`` the rhyme book the 词 keeps
(``cilin`` — the 词林正韵, the default —, ``pingshui``, ``xinyun``, ``tongyun``); ``bu`` pins
the 部 of some rhyme groups (by the 体's letters; a 部 number of the 词林正韵, or a group id
or name of the other books); the groups left out are chosen by the model with its first
rhyme of each. Every rejection carries a Chinese and an English message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.compose.constraint.chars import CharPolicy
from app.compose.constraint.ci.automaton import CiAutomaton
from app.compose.constraint.ci.rules import CiRhymeTable, group_keys
from app.compose.constraint.spec import (
    DEFAULT_THINK_BUDGET,
    ConstraintError,
    common_fields,
    parse_cache_dir,
    parse_policy,
    parse_think_budget,
)
from app.prosody.ci.books import CiBookKind
from app.prosody.ci.table import CiForm, form_from_json, form_to_json

__all__ = ["CiSpec", "ci_spec", "is_ci_spec", "plan_rhymes"]


@dataclass(frozen=True, slots=True)
class CiSpec:
    form: CiForm
    book: CiBookKind = CiBookKind.CILIN
    bu: tuple[tuple[str, int | str], ...] = ()  # pinned 部 by group letter, as given
    policy: CharPolicy = field(default_factory=CharPolicy)
    think_budget: int = DEFAULT_THINK_BUDGET
    cache_dir: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any] | CiSpec) -> CiSpec:
        """Parse and check a spec; raise :class:`ConstraintError` with both messages."""
        if isinstance(data, CiSpec):
            return data
        if not isinstance(data, dict) or data.get("kind") != "ci":
            raise ConstraintError(
                "bad_spec", "词的格律约束格式有误", "the ci constraint is malformed"
            )
        form = _form(data.get("form"))
        book_name = data.get("book")
        book = CiBookKind.from_name(book_name) if book_name else CiBookKind.CILIN
        if book is None:
            raise ConstraintError(
                "bad_spec", f"不认识的韵书：{book_name}", f"unknown rhyme book: {book_name}"
            )
        raw_bu = data.get("bu") or {}
        if not isinstance(raw_bu, dict):
            raise ConstraintError("bad_spec", "「部」应为韵组到韵部的对照", "bu must be an object")
        letters = {s.rhyme_group for s in form.segments if s.rhyme}
        for letter, value in raw_bu.items():
            if letter not in letters:
                raise ConstraintError(
                    "bad_spec",
                    f"此体没有{letter}韵",
                    f"this form has no rhyme group {letter}",
                )
            if not isinstance(value, int | str) or isinstance(value, bool):
                raise ConstraintError("bad_spec", f"{letter}韵的韵部有误", f"bad bu for {letter}")
        return cls(
            form=form,
            book=book,
            bu=tuple(sorted(raw_bu.items())),
            policy=parse_policy(data),
            think_budget=parse_think_budget(data),
            cache_dir=parse_cache_dir(data),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "ci",
            "form": {"tune": self.form.tune, "index": self.form.index, **form_to_json(self.form)},
            "book": self.book.value,
            "bu": dict(self.bu),
            **common_fields(
                self.policy.script, self.policy.admit_derived, self.think_budget, self.cache_dir
            ),
        }


def is_ci_spec(spec: object) -> bool:
    return isinstance(spec, CiSpec) or (isinstance(spec, dict) and spec.get("kind") == "ci")


def ci_spec(
    form: CiForm,
    *,
    book: CiBookKind | str = CiBookKind.CILIN,
    bu: dict[str, int | str] | None = None,
    script: str = "simplified",
    admit_derived: bool = True,
    think_budget: int = DEFAULT_THINK_BUDGET,
    cache_dir: str | None = None,
) -> dict[str, Any]:
    """The JSON spec for ``GenerateRequest.constraint`` (checked as it is built)."""
    data: dict[str, Any] = {
        "kind": "ci",
        "form": {"tune": form.tune, "index": form.index, **form_to_json(form)},
        "book": book.value if isinstance(book, CiBookKind) else book,
        "bu": dict(bu or {}),
        **common_fields(script, admit_derived, think_budget, cache_dir),
    }
    return CiSpec.from_dict(data).to_dict()


def _form(value: object) -> CiForm:
    if not isinstance(value, dict):
        raise ConstraintError("bad_spec", "缺少词的体式", "the spec names no ci form")
    try:
        tune = str(value["tune"])
        index = int(value.get("index", 0))
        form = form_from_json(tune, index, value)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConstraintError("bad_spec", f"词的体式有误：{exc}", f"bad ci form: {exc}") from exc
    if not any(s.rhyme for s in form.segments):
        raise ConstraintError("bad_spec", "此体没有韵脚", "this form has no rhyme positions")
    return form


def _pinned_bu(spec: CiSpec, table: CiRhymeTable, value: int | str, letter: str) -> int:
    bu = table.rhymes.find_bu(value)
    if bu is None:
        raise ConstraintError(
            "unknown_group",
            f"{spec.book.zh}里没有这个韵部：{value}（{letter}韵）",
            f"no such rhyme group in the {spec.book.en}: {value} (rhyme {letter})",
        )
    return bu


def plan_rhymes(spec: CiSpec, table: CiRhymeTable) -> tuple[CiAutomaton, dict[str, frozenset[int]]]:
    """The automaton of the spec's 体 and the 部 each rhyme group may use; a
    :class:`ConstraintError` when a pinned 部 or every 部 has too few characters.

    A 部 is usable for a group when it has, for every tone the group needs, at least as many
    characters as the poem has rhyme positions in all (so no choice of the model's can run
    out of rhymes, whichever groups share a 部)."""
    automaton = CiAutomaton(spec.form)
    keys = group_keys(automaton, table.rhymes.joins_tones)
    need = len(keys)
    kinds_of: dict[str, set[str]] = {}
    letter_of: dict[str, str] = {}
    for key, pos in zip(keys, automaton.rhymes, strict=True):
        kinds_of.setdefault(key, set()).add(pos.kind)
        letter_of[key] = pos.letter
    pinned = {letter: _pinned_bu(spec, table, v, letter) for letter, v in spec.bu}
    allowed: dict[str, frozenset[int]] = {}
    for key, kinds in kinds_of.items():
        letter = letter_of[key]
        candidates = (
            [pinned[letter]]
            if letter in pinned
            else sorted(set.intersection(*(set(table.rhymes.all_bu(k)) for k in kinds)))  # type: ignore[arg-type]
        )
        usable = frozenset(b for b in candidates if all(table.count(k, b) >= need for k in kinds))
        if not usable:
            tone = "、".join(sorted(kinds))
            if letter in pinned:
                name = table.rhymes.bu_name(pinned[letter])
                have = min(table.count(k, pinned[letter]) for k in kinds)
                raise ConstraintError(
                    "too_few_rhymes",
                    f"{name}只有 {have} 个可用的{tone}声韵字，此体有 {need} 个韵脚，"
                    f"无法按严格格律生成；请换一个韵部（{letter}韵）",
                    f"{table.rhymes.bu_name_en(pinned[letter])} has only {have} usable rhyme "
                    f"characters; this form has {need} rhyme positions. Choose another "
                    f"rhyme group for rhyme {letter}.",
                )
            raise ConstraintError(
                "too_few_rhymes",
                f"{spec.book.zh}没有足够韵字的韵部可供{letter}韵（{tone}声）使用",
                f"no rhyme group of the {spec.book.en} has enough characters for rhyme {letter}",
            )
        allowed[key] = usable
    return automaton, allowed
