"""How to build a catalog entry on this computer when nobody has published its GGUF.

A ``[[model]]`` entry of ``models.toml`` may carry a ``build`` table::

    build.repo = "ricardozhy/QPM-1K-32B-R1"   # optional: the original weights' repository
                                              # (default: original, then also_known_as)
    build.architecture = "qwen2"              # what the converter must find in config.json
    build.download_bytes = 65_535_000_000     # the original weights (safetensors + JSON)
    build.peak_disk_bytes = 150_000_000_000   # original + intermediate + result at once
    build.ram_bytes = 24_400_000_000          # the most any stage needs
    build.time_s = 7_200                      # whole build, at the reference rates

The quantization made is the entry's ``quant`` (Q4_K_M for the recommended entry).
The figures come from :mod:`app.models.build.estimate` (a test keeps them in line);
resolution still looks for a published GGUF first (docs/models.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.models.errors import CatalogError

BUILD_ARCHITECTURES = ("qwen2", "qwen3", "llama")
_REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
_KEYS = {"repo", "architecture", "download_bytes", "peak_disk_bytes", "ram_bytes", "time_s"}


@dataclass(frozen=True)
class BuildRecipe:
    architecture: str
    download_bytes: int
    peak_disk_bytes: int
    ram_bytes: int
    time_s: int
    repo: str | None = None


def parse_recipe(raw: Any, bad: Callable[[str, str, str], CatalogError]) -> BuildRecipe:
    """``bad(key, zh, en)`` makes the error naming the line of ``build``."""
    if not isinstance(raw, dict):
        raise bad("build", "build 必须是表", "build must be a table")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise bad("build", f"build 中有未知的键 {unknown[0]!r}", f"unknown key build.{unknown[0]}")
    arch = raw.get("architecture")
    if arch not in BUILD_ARCHITECTURES:
        raise bad(
            "build",
            f"build.architecture 必须是 {BUILD_ARCHITECTURES} 之一",
            f"build.architecture must be one of {BUILD_ARCHITECTURES}",
        )
    repo = raw.get("repo")
    if repo is not None and (not isinstance(repo, str) or not _REPO_RE.match(repo)):
        raise bad(
            "build", "build.repo 不是“用户/仓库”形式", "build.repo is not of the form owner/name"
        )
    numbers: dict[str, int] = {}
    for key in ("download_bytes", "peak_disk_bytes", "ram_bytes", "time_s"):
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise bad(
                "build", f"build.{key} 必须是正整数", f"build.{key} must be a positive integer"
            )
        numbers[key] = value
    return BuildRecipe(architecture=str(arch), repo=repo, **numbers)
