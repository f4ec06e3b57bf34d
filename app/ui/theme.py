"""Light and dark themes: the Fusion style with a palette of our own.

``theme`` is the setting (``system`` / ``light`` / ``dark``); ``system`` follows
the platform's colour scheme where Qt can tell it (Qt 6.5+), else light.
:func:`apply_theme` returns whether the result is dark, so the editor pane can
switch its tone palette to the dark variant (``PoemEditorPane.set_dark``).
:func:`error_label` is the red, selectable line a window shows an error in.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QLabel

Theme = Literal["system", "light", "dark"]

# A warm paper light theme and an ink dark theme (Fusion roles).
_LIGHT = {
    QPalette.ColorRole.Window: "#f4f1ea",
    QPalette.ColorRole.WindowText: "#1f1d1a",
    QPalette.ColorRole.Base: "#fffdf8",
    QPalette.ColorRole.AlternateBase: "#f0ebe0",
    QPalette.ColorRole.ToolTipBase: "#fffbe6",
    QPalette.ColorRole.ToolTipText: "#1f1d1a",
    QPalette.ColorRole.PlaceholderText: "#8a8478",
    QPalette.ColorRole.Text: "#1f1d1a",
    QPalette.ColorRole.Button: "#ece7dc",
    QPalette.ColorRole.ButtonText: "#1f1d1a",
    QPalette.ColorRole.BrightText: "#b3261e",
    QPalette.ColorRole.Highlight: "#9c3d2e",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#1f5f99",
    QPalette.ColorRole.Light: "#ffffff",
    QPalette.ColorRole.Midlight: "#e6e0d3",
    QPalette.ColorRole.Mid: "#bdb5a6",
    QPalette.ColorRole.Dark: "#8f887b",
    QPalette.ColorRole.Shadow: "#4a463f",
}
_DARK = {
    QPalette.ColorRole.Window: "#23211f",
    QPalette.ColorRole.WindowText: "#e8e3d9",
    QPalette.ColorRole.Base: "#1a1917",
    QPalette.ColorRole.AlternateBase: "#2b2926",
    QPalette.ColorRole.ToolTipBase: "#34312c",
    QPalette.ColorRole.ToolTipText: "#e8e3d9",
    QPalette.ColorRole.PlaceholderText: "#8d877c",
    QPalette.ColorRole.Text: "#e8e3d9",
    QPalette.ColorRole.Button: "#2f2c28",
    QPalette.ColorRole.ButtonText: "#e8e3d9",
    QPalette.ColorRole.BrightText: "#ff8a80",
    QPalette.ColorRole.Highlight: "#c8705c",
    QPalette.ColorRole.HighlightedText: "#1a1917",
    QPalette.ColorRole.Link: "#8cc4f0",
    QPalette.ColorRole.Light: "#45413b",
    QPalette.ColorRole.Midlight: "#3a3733",
    QPalette.ColorRole.Mid: "#55504a",
    QPalette.ColorRole.Dark: "#141311",
    QPalette.ColorRole.Shadow: "#000000",
}
_DISABLED_TEXT = {"light": "#9d978b", "dark": "#6f6a62"}


def error_label() -> QLabel:
    """A label for an error message in a window: red, wrapped, selectable (so it can be
    copied into a report)."""
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet("color: #b3261e;")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def as_theme(value: str) -> Theme:
    """A theme setting from text (anything unknown is ``system``)."""
    if value == "light":
        return "light"
    if value == "dark":
        return "dark"
    return "system"


def system_prefers_dark() -> bool:
    """The platform's colour scheme, where Qt can tell (else False)."""
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is None:
        return False
    return bool(scheme() == Qt.ColorScheme.Dark)


def resolve_dark(theme: str) -> bool:
    if theme == "dark":
        return True
    if theme == "light":
        return False
    return system_prefers_dark()


def make_palette(dark: bool) -> QPalette:
    palette = QPalette()
    for role, colour in (_DARK if dark else _LIGHT).items():
        palette.setColor(role, QColor(colour))
    disabled = QColor(_DISABLED_TEXT["dark" if dark else "light"])
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def apply_theme(app: QApplication, theme: str) -> bool:
    """Fusion with the light or dark palette; returns True for dark."""
    dark = resolve_dark(theme)
    if app.property("shijian-fusion") is not True:  # not app.style(): building the
        app.setStyle("Fusion")  # platform's default style first costs ~0.1 s
        app.setProperty("shijian-fusion", True)
    app.setPalette(make_palette(dark))
    return dark


def is_dark_palette(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def apply_ui_font(app: QApplication, family: str, size: int, fallback_family: str | None) -> None:
    """The interface font: the user's choice, else a Han-capable face if the default lacks one."""
    font = QFont(app.font())
    chosen = family or fallback_family
    if chosen:
        font.setFamily(chosen)
    if size > 0:
        font.setPointSize(size)
    app.setFont(font)
