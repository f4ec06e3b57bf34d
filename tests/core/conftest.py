"""Fixtures for the Qt-free suites."""

from __future__ import annotations

import pytest

from app.prosody.books.shelf import Shelf
from app.prosody.checker import Checker
from app.prosody.rhymebook import RhymeBook


@pytest.fixture(scope="session")
def checker(book: RhymeBook) -> Checker:
    return Checker(book)


@pytest.fixture(scope="session")
def shelf(book: RhymeBook) -> Shelf:
    """Every rhyme book (the modern ones built on first use), one per test session."""
    return Shelf(book)
