"""Bundled files (rhyme database, icons, styles, translations) through importlib.resources.

Installed (wheel, editable, PyInstaller bundle) they live in the ``app.resources``
package, which setuptools maps onto the top-level ``resources/`` folder. Run
straight from a source checkout without installing, the folder is read directly.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

_SOURCE_TREE = Path(__file__).resolve().parent.parent / "resources"


def resource_root() -> Traversable:
    try:
        root = resources.files("app.resources")
        if root.is_dir():
            return root
    except ModuleNotFoundError:
        pass
    return _SOURCE_TREE


def resource(*parts: str) -> Traversable:
    """A bundled file, e.g. ``resource("rhyme", "pingshui.tsv")``."""
    node = resource_root()
    for part in parts:
        node = node / part
    return node
