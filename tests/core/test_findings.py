"""Finding: a frozen record, built by its own quick __init__ (findings.py)."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from typing import Any

import pytest

from app.prosody.findings import Finding, Need, Rule, Severity


def test_init_takes_every_field_in_order_and_sets_it() -> None:
    names = [f.name for f in dataclasses.fields(Finding)]
    assert list(inspect.signature(Finding.__init__).parameters)[1:] == names
    values: tuple[Any, ...] = (Rule.TONE, Severity.ERROR, 3, 4, "风", 17, "平", "仄", Need.PING,
              (("other", "2"),), ((3, 4),))  # fmt: skip
    for f in (Finding(*values), Finding(**dict(zip(names, values, strict=True)))):
        assert tuple(getattr(f, n) for n in names) == values
        assert f == Finding(*values) and hash(f) == hash(Finding(*values))


def test_defaults_and_the_frozen_dataclass_behaviour_stay() -> None:
    f = Finding(Rule.LENGTH, Severity.ERROR, 0, None, "", None, "8", "7")
    assert (f.need, f.detail, f.marks) == (Need.NONE, (), ())
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.line = 2  # type: ignore[misc]
    moved = dataclasses.replace(f, line=2, marks=((2, 0),))
    assert (moved.line, moved.marks, moved.expected) == (2, ((2, 0),), "8")
    assert pickle.loads(pickle.dumps(moved)) == moved
    assert repr(f).startswith("Finding(rule=<Rule.LENGTH")
