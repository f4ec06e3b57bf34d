"""The bundled rhyme book: its rows, their encoding, guessed readings and Han detection."""

from app.prosody.rhymebook.book import (
    RhymeBook,
    RhymeBookError,
    Script,
)

__all__ = [
    "RhymeBook",
    "RhymeBookError",
    "Script",
]
