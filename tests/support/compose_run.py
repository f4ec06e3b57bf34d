"""The compose panel in widget tests: press 生成 and wait until the run is over."""

from __future__ import annotations

from typing import Any

from pytestqt.qtbot import QtBot

from app.compose.session import ComposedPoem


def generate(qtbot: QtBot, panel: Any, timeout: int) -> None:
    """Press the panel's 生成 and wait (up to ``timeout`` ms) for the run to finish."""
    with qtbot.waitSignal(panel.run_finished, timeout=timeout):
        panel.form.generate_button.click()


def generate_poem(qtbot: QtBot, panel: Any, timeout: int) -> ComposedPoem:
    """:func:`generate`, then the poem the run gave (the panel's status when none)."""
    generate(qtbot, panel, timeout)
    poem = panel.result.poem()
    assert poem is not None, panel.result.status.text()
    assert isinstance(poem, ComposedPoem)
    return poem
