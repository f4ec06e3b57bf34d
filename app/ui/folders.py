"""File dialogs that open where the user last was, per purpose.

A file dialog opened with no folder starts in the process's working folder — for an
app started from a menu, somewhere meaningless. :class:`RecentFolders` remembers the
last folder chosen for each purpose (the class's submissions, exports, model files,
the data folder …) in a small JSON file beside the settings, and the ``ask_*``
functions open Qt's file dialogs there (the home folder the first time) and remember
what was chosen. A file that cannot be read or written only means starting at home.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Literal

from PySide6.QtWidgets import QFileDialog, QWidget

from app.storage.errors import StorageError
from app.storage.files import atomic_write_bytes

log = logging.getLogger(__name__)

Purpose = Literal["class", "export", "models", "data"]
FILE_NAME = "recent-folders.json"


class RecentFolders:
    """The last folder per purpose, kept in ``path`` (JSON)."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._folders: dict[str, str] = {}
        if path is not None:
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raw = {}
            if isinstance(raw, dict):
                self._folders = {k: v for k, v in raw.items() if isinstance(v, str)}

    def get(self, purpose: Purpose) -> Path:
        """Where a dialog for ``purpose`` opens: the last folder chosen (if it still exists),
        else the home folder."""
        folder = self._folders.get(purpose)
        if folder and Path(folder).is_dir():
            return Path(folder)
        return Path.home()

    def remember(self, purpose: Purpose, folder: Path) -> None:
        """``folder`` was where the user chose something for ``purpose``."""
        self._folders[purpose] = str(folder)
        if self._path is None:
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(self._folders, ensure_ascii=False, indent=1)
            atomic_write_bytes(self._path, text.encode("utf-8"))
        except (OSError, StorageError) as exc:  # only the next dialog's starting place is lost
            log.warning("recent folders not saved: %s", exc)


def _start(folders: RecentFolders | None, purpose: Purpose) -> Path:
    return folders.get(purpose) if folders is not None else Path.home()


def _chosen(
    chosen: str, folders: RecentFolders | None, purpose: Purpose, *, folder: bool = False
) -> Path | None:
    """What a file dialog returned ('': cancelled, None); the folder it is in (or, for a
    chosen ``folder``, itself) is remembered as the next start for ``purpose``."""
    if not chosen:
        return None
    path = Path(chosen)
    if folders is not None:
        folders.remember(purpose, path if folder else path.parent)
    return path


def ask_folder(
    parent: QWidget | None, title: str, folders: RecentFolders | None, purpose: Purpose
) -> Path | None:
    chosen = QFileDialog.getExistingDirectory(parent, title, str(_start(folders, purpose)))
    return _chosen(chosen, folders, purpose, folder=True)


def ask_save_path(
    parent: QWidget | None,
    title: str,
    name: str,
    filters: str,
    folders: RecentFolders | None,
    purpose: Purpose,
) -> Path | None:
    """Where to save; ``name`` is the suggested file name (or a full path to start from)."""
    suggested = Path(name)
    if not suggested.is_absolute():
        suggested = _start(folders, purpose) / suggested
    chosen, _ = QFileDialog.getSaveFileName(parent, title, str(suggested), filters)
    return _chosen(chosen, folders, purpose)


def ask_open_file(
    parent: QWidget | None,
    title: str,
    filters: str,
    folders: RecentFolders | None,
    purpose: Purpose,
) -> Path | None:
    start = _start(folders, purpose)
    chosen, _ = QFileDialog.getOpenFileName(parent, title, str(start), filters)
    return _chosen(chosen, folders, purpose)
