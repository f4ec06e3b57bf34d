"""A message for the user, in Chinese and English.

Everything the storage layer tells the user (errors, what start-up recovery did,
why a settings file was set aside) is a :class:`Message`, so the UI can show it
in the user's language without knowing where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Message:
    """One user-facing sentence or paragraph in both languages."""

    zh: str
    en: str

    def text(self, lang: str = "zh") -> str:
        """The message in ``lang`` (``"en"`` for English; anything else gives Chinese)."""
        return self.en if lang == "en" else self.zh

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"
