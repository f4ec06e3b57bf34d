"""The ``shijian`` command: the app by default, plus ``check``, ``score`` and ``rhyme``."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print("诗笺 Shijian — under construction", args)
    return 0
