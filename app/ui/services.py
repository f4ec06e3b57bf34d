"""The services the window is built from, made once by the composition root.

Nothing in ``app/ui`` reaches for a global: :func:`app.ui.launch.launch` builds a
:class:`Services` and hands it to :class:`~app.ui.main_window.MainWindow`, and the
window passes the parts each widget needs down through constructors.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.paths import AppPaths
from app.prosody.checker import Checker
from app.prosody.rhymebook import RhymeBook
from app.prosody.settings import CheckSettings
from app.prosody.suggest import Suggester
from app.settings import CheckerSettings, Settings, SettingsStore
from app.ui.i18n import Language, Tr
from app.ui.logging_setup import EventLog

if TYPE_CHECKING:
    from app.storage.db import LibraryOptions
    from app.ui.library_client import LibraryClient


def check_settings_from(checker: CheckerSettings, *, partial: bool = False) -> CheckSettings:
    """The checker's :class:`CheckSettings` from the user's settings (same field names)."""
    return CheckSettings(**dataclasses.asdict(checker), partial=partial)


@dataclass
class Services:
    """Everything the window needs, built once. ``settings`` is the current settings."""

    paths: AppPaths
    settings_store: SettingsStore
    settings: Settings
    tr: Tr
    log: EventLog
    book: RhymeBook
    checker: Checker
    suggester: Suggester
    library: LibraryClient

    @property
    def lang(self) -> Language:
        return self.tr.language

    def save_settings(self, settings: Settings) -> None:
        """Persist ``settings`` and make them current (raises a StorageError on failure)."""
        self.settings_store.save(settings)
        self.settings = settings


def effective_paths(paths: AppPaths, settings: Settings) -> AppPaths:
    """``paths`` with the data folder the settings name (``data_dir``), if any."""
    if not settings.data_dir:
        return paths
    from pathlib import Path

    return dataclasses.replace(paths, data=Path(settings.data_dir).expanduser())


def build_services(
    paths: AppPaths,
    store: SettingsStore,
    settings: Settings,
    *,
    lang: Language,
    log: EventLog,
    book: RhymeBook | None = None,
    library_options: LibraryOptions | None = None,
) -> Services:
    """Build the services (the library starts opening only when ``library.start()`` is called)."""
    from app.ui.library_client import LibraryClient

    book = book if book is not None else RhymeBook.load()
    checker = Checker(book, check_settings_from(settings.checker))
    return Services(
        paths=paths,
        settings_store=store,
        settings=settings,
        tr=Tr(lang),
        log=log,
        book=book,
        checker=checker,
        suggester=Suggester(book),
        library=LibraryClient(paths, library_options),
    )
