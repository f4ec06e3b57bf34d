"""Strict metre for 词: the 体's segments, marks, rhyme groups and 叠句 as an automaton."""

from app.compose.constraint.ci.spec import CiSpec, ci_spec, is_ci_spec

__all__ = ["CiSpec", "ci_spec", "is_ci_spec"]
