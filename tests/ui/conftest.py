"""Fixtures shared by the widget suites (registered here so test modules need not import them)."""

from tests.support.editor_pane import editor_services, make_pane, pane

__all__ = ["editor_services", "make_pane", "pane"]
