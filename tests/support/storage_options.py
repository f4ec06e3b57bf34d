"""How storage tests open libraries: a stepping clock, and folders inside the test's own."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from app.storage.db import LibraryOptions
from tests.support.storage_clock import StepClock


def library_options(tmp_path: Path, **changes: Any) -> LibraryOptions:
    """Options whose draft spool stays under ``tmp_path``, with a fresh :class:`StepClock`."""
    base = LibraryOptions(clock=StepClock(), spool_folders=(tmp_path / "spool",))
    return dataclasses.replace(base, **changes)
