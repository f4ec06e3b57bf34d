"""Checker settings: the places where the tradition itself is divided (meter-spec §4–5)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CheckSettings:
    """How strict the checker is. Defaults follow meter-spec.md (搜韵-style checkers)."""

    warn_san_ze_wei: bool = False  # 三仄尾: tolerated; warn only when asked
    zheyao_as_note: bool = False  # 失粘: an error, or a note naming 折腰体
    mao_yun: bool = False  # 冒韵: advisory, off by default
    strict_135: bool = False  # strict 一三五: free positions must follow the standard line too
    accept_aojiu: bool = True  # recognised 拗救 forms are fine (notes); off: they are errors
    dui_zhang: bool = True  # 对仗 hints for 律诗 颔联/颈联
    repeated_chars: bool = True  # 重字 hints
    partial: bool = False  # text still being typed: a short last line and missing lines are fine
