"""Widgets only: windows, panels, dialogs, highlighter. Composes the Qt-free layers."""

from app.ui import qt_refcount as _qt_refcount  # PySide6 6.12 refcount workaround, see there

del _qt_refcount
