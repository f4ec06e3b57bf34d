"""Assignments to and from JSON (the library stores one JSON object per assignment).

The object carries ``"v": 2``; an unknown field is ignored and a missing one
takes its default, so an older or newer file still loads. A value that cannot
be understood raises :class:`AssignmentFormatError` with a bilingual message.

Version 1 graded an error a flat ``error_points`` with no cap; a version-1
policy keeps that (``scale_errors`` false, ``error_cap`` none) so an assignment
set before version 2 grades as it did when it was set.
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

from app.assign.ci import CiAssignment
from app.assign.model import (
    DEFAULT_COUNTED_RULES,
    Assignment,
    FirstLine,
    GradingPolicy,
    Qi,
    RhymeRequirement,
)
from app.prosody.books.kinds import BookKind
from app.prosody.books.tables import find_group
from app.prosody.findings import Rule
from app.prosody.forms import Form
from app.prosody.scorer import ERROR_CAP, ERROR_POINTS
from app.storage.messages import Message

CODEC_VERSION = 2


class AssignmentFormatError(ValueError):
    def __init__(self, detail: str) -> None:
        self.message = Message(
            f"作业数据无法读取：{detail}", f"The assignment data cannot be read: {detail}"
        )
        super().__init__(str(self.message))


def to_dict(a: Assignment) -> dict[str, Any]:
    p = a.policy
    g = a.rhyme.group
    return {
        "v": CODEC_VERSION,
        "title": a.title,
        "form": a.form_name,
        "instructions": a.instructions,
        "rhyme_group": g.name if g is not None else None,
        "book": a.book.value,
        "couplet_first": a.couplet_first,
        "couplet_length": a.couplet_length,
        "first_line": a.rhyme.first_line.value,
        "qi": a.qi.value if a.qi is not None else None,
        "theme": a.theme,
        "imagery": list(a.imagery),
        "imagery_min": a.imagery_min,
        "required_chars": a.required_chars,
        "forbidden_chars": a.forbidden_chars,
        "due": a.due.isoformat() if a.due is not None else None,
        "tag": a.tag,
        **({"ci": a.ci.to_dict()} if a.ci is not None else {}),
        "policy": {
            "strict_135": p.strict_135,
            "warn_san_ze_wei": p.warn_san_ze_wei,
            "zheyao_as_note": p.zheyao_as_note,
            "accept_aojiu": p.accept_aojiu,
            "mao_yun": p.mao_yun,
            "dui_zhang": p.dui_zhang,
            "repeated_chars": p.repeated_chars,
            "weights": list(p.weights),
            "error_points": p.error_points,
            "warning_points": p.warning_points,
            "requirement_points": p.requirement_points,
            "counted_rules": sorted(r.value for r in p.counted_rules),
            "scale_errors": p.scale_errors,
            "error_cap": p.error_cap,
        },
    }


def to_json(a: Assignment) -> str:
    return json.dumps(to_dict(a), ensure_ascii=False, sort_keys=True)


def _str(raw: dict[str, Any], key: str, default: str = "") -> str:
    value = raw.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise AssignmentFormatError(f"{key} must be text")
    return value


def _bool(raw: dict[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise AssignmentFormatError(f"{key} must be true or false")
    return value


def _num(raw: dict[str, Any], key: str, default: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise AssignmentFormatError(f"{key} must be a number")
    if value < 0:
        raise AssignmentFormatError(f"{key} must not be negative")
    return float(value)


def _whole(raw: dict[str, Any], key: str, default: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise AssignmentFormatError(f"{key} must be a whole number")
    return value


def _cap(raw: dict[str, Any], default: float | None) -> float | None:
    if "error_cap" not in raw:
        return default
    if raw["error_cap"] is None:
        return None
    value = _num(raw, "error_cap", 0.0)
    if value > 100:
        raise AssignmentFormatError("error_cap must be at most 100")
    return value


def _policy(raw: Any, version: int = CODEC_VERSION) -> GradingPolicy:
    if raw is None:
        return GradingPolicy()
    if not isinstance(raw, dict):
        raise AssignmentFormatError("policy must be an object")
    weights_raw = raw.get("weights", [0.4, 0.3, 0.2, 0.1])
    if not isinstance(weights_raw, list) or len(weights_raw) != 4:
        raise AssignmentFormatError("weights must be four numbers")
    weights = tuple(_num({"w": w}, "w", 0.0) for w in weights_raw)
    if sum(weights) <= 0:
        raise AssignmentFormatError("weights must not all be zero")
    rules_raw = raw.get("counted_rules")
    if rules_raw is None:
        counted = DEFAULT_COUNTED_RULES
    else:
        if not isinstance(rules_raw, list):
            raise AssignmentFormatError("counted_rules must be a list")
        known = {r.value: r for r in Rule}
        counted = frozenset(known[name] for name in rules_raw if name in known)
    return GradingPolicy(
        strict_135=_bool(raw, "strict_135", False),
        warn_san_ze_wei=_bool(raw, "warn_san_ze_wei", False),
        zheyao_as_note=_bool(raw, "zheyao_as_note", False),
        accept_aojiu=_bool(raw, "accept_aojiu", True),
        mao_yun=_bool(raw, "mao_yun", False),
        dui_zhang=_bool(raw, "dui_zhang", True),
        repeated_chars=_bool(raw, "repeated_chars", True),
        weights=(weights[0], weights[1], weights[2], weights[3]),
        error_points=_num(raw, "error_points", 2.0 if version < 2 else ERROR_POINTS),
        warning_points=_num(raw, "warning_points", 0.0),
        requirement_points=_num(raw, "requirement_points", 10.0),
        counted_rules=counted,
        scale_errors=_bool(raw, "scale_errors", version >= 2),
        error_cap=_cap(raw, ERROR_CAP if version >= 2 else None),
    )


def _version(raw: dict[str, Any]) -> int:
    v = raw.get("v", CODEC_VERSION)
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise AssignmentFormatError("v must be a whole number")
    return v


def from_dict(raw: Any) -> Assignment:
    if not isinstance(raw, dict):
        raise AssignmentFormatError("not an object")
    ci = None
    if raw.get("ci") is not None:
        try:
            ci = CiAssignment.from_dict(raw["ci"])
        except ValueError as exc:
            raise AssignmentFormatError(str(exc)) from exc
    form = Form.QIJUE if ci is not None else Form.from_name(_str(raw, "form"))
    if form is None:
        raise AssignmentFormatError(f"unknown form {raw.get('form')!r}")
    book_raw = raw.get("book", BookKind.PINGSHUI.value)  # older files: the 平水韵
    book = BookKind.from_name(book_raw) if isinstance(book_raw, str) else None
    if book is None:
        raise AssignmentFormatError(f"unknown rhyme book {book_raw!r}")
    group_name = raw.get("rhyme_group")
    group_id = None
    if group_name is not None:
        if not isinstance(group_name, str):
            raise AssignmentFormatError("rhyme_group must be text")
        g = find_group(group_name, book)
        if g is None:
            raise AssignmentFormatError(f"unknown rhyme group {group_name!r}")
        group_id = g.id
    try:
        first = FirstLine(_str(raw, "first_line", FirstLine.OPTIONAL.value))
        qi_raw = raw.get("qi")
        qi = None if qi_raw is None else Qi(qi_raw)
    except ValueError as exc:
        raise AssignmentFormatError(str(exc)) from exc
    imagery = raw.get("imagery", [])
    if not isinstance(imagery, list) or not all(isinstance(w, str) for w in imagery):
        raise AssignmentFormatError("imagery must be a list of words")
    due_raw = raw.get("due")
    due = None
    if due_raw is not None:
        try:
            due = date.fromisoformat(str(due_raw))
        except ValueError as exc:
            raise AssignmentFormatError(f"due date {due_raw!r}") from exc
    imagery_min = raw.get("imagery_min", 0)
    if isinstance(imagery_min, bool) or not isinstance(imagery_min, int) or imagery_min < 0:
        raise AssignmentFormatError("imagery_min must be a whole number")
    return Assignment(
        title=_str(raw, "title"),
        form=form,
        instructions=_str(raw, "instructions"),
        rhyme=RhymeRequirement(group_id, first),
        qi=qi,
        theme=_str(raw, "theme"),
        imagery=tuple(imagery),
        imagery_min=imagery_min,
        required_chars=_str(raw, "required_chars"),
        forbidden_chars=_str(raw, "forbidden_chars"),
        policy=_policy(raw.get("policy"), _version(raw)),
        due=due,
        tag=_str(raw, "tag"),
        ci=ci,
        book=book,
        couplet_first=_str(raw, "couplet_first"),
        couplet_length=_whole(raw, "couplet_length", 7),
    )


def from_json(text: str) -> Assignment:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AssignmentFormatError(f"not JSON ({exc.msg})") from exc
    return from_dict(raw)


__all__ = [
    "CODEC_VERSION",
    "AssignmentFormatError",
    "from_dict",
    "from_json",
    "to_dict",
    "to_json",
]
