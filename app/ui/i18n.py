"""User-facing text: Chinese first, English available.

Widgets receive a :class:`Tr` through their constructors (from the app's services)
and write every string as a pair: ``tr("保存", "Save")``. The language is chosen
at start-up from the settings (``ui.language``); switching it takes effect on the
next start, which the settings dialog says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Language = Literal["zh", "en"]


@dataclass(frozen=True, slots=True)
class Tr:
    """Pick the Chinese or English form of a string."""

    language: Language = "zh"

    def __call__(self, zh: str, en: str) -> str:
        return en if self.language == "en" else zh

    @property
    def is_en(self) -> bool:
        return self.language == "en"
