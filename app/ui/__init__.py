"""Widgets only: windows, panels, dialogs, highlighter. Composes the Qt-free layers."""
