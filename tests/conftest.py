"""Test configuration shared by every suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Qt runs offscreen in tests; set before anything imports PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never let a test touch the user's real folders or the real Hub.
os.environ.pop("SHIJIAN_BASEDIR", None)
os.environ.setdefault("HF_HUB_OFFLINE", "0")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

_GUI_DIRS = ("ui", "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests under tests/ui and tests/e2e are marked ``gui`` automatically."""
    root = Path(__file__).parent
    for item in items:
        try:
            rel = Path(str(item.fspath)).relative_to(root)
        except ValueError:
            continue
        if rel.parts and rel.parts[0] in _GUI_DIRS:
            item.add_marker(pytest.mark.gui)
