"""The services the window is built from, made once by the composition root.

Nothing in ``app/ui`` reaches for a global: :func:`app.ui.launch.launch` builds a
:class:`Services` and hands it to :class:`~app.ui.window.main_window.MainWindow`, and the
window passes the parts each widget needs down through constructors.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.paths import AppPaths
from app.prosody.books.kinds import BookKind
from app.prosody.books.shelf import Shelf
from app.prosody.checker import Checker
from app.prosody.rhymebook import RhymeBook
from app.prosody.settings import CheckSettings
from app.prosody.suggest import Suggester
from app.settings import CheckerSettings, Settings, SettingsStore
from app.ui.folders import FILE_NAME as RECENT_FOLDERS_FILE
from app.ui.folders import RecentFolders
from app.ui.i18n import Language, Tr
from app.ui.logging_setup import EventLog

if TYPE_CHECKING:
    from app.engine.client import EngineClient
    from app.models.catalog import Catalog
    from app.models.download import Downloader
    from app.models.hub import HubConfig
    from app.models.machine import MachineInfo
    from app.models.registry import ModelRegistry
    from app.models.resolve import Resolver
    from app.prosody.ci import CiChecker
    from app.storage.db import LibraryOptions
    from app.ui.library.client import LibraryClient


def check_settings_from(checker: CheckerSettings, *, partial: bool = False) -> CheckSettings:
    """The checker's :class:`CheckSettings` from the user's settings (same field names)."""
    return CheckSettings(**dataclasses.asdict(checker), partial=partial)


class ModelServices:
    """The model pipeline's services, each built the first time it is asked for.

    Nothing here is imported or built at start-up: the catalog, the registry of
    installed models (``paths.models``), the hub resolver and downloaders (endpoint
    and token from the settings, else ``HF_ENDPOINT`` / ``HF_TOKEN``), the machine
    probe, and the one :class:`~app.engine.client.EngineClient` of the window. The
    client is created on first use but its process is started only by a load or a
    generation; :meth:`shutdown` stops it (the window's close, the launcher's teardown).
    """

    def __init__(
        self,
        paths: AppPaths,
        settings: Callable[[], Settings],
        *,
        engine_command: Sequence[str] | None = None,
        engine_env: Mapping[str, str] | None = None,
        cancel_grace_s: float = 2.0,
    ) -> None:
        self.paths = paths
        self._settings = settings
        self._engine_command = list(engine_command) if engine_command is not None else None
        self._engine_env = dict(engine_env) if engine_env is not None else None
        self._cancel_grace_s = cancel_grace_s
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._registry: ModelRegistry | None = None
        self._machine: MachineInfo | None = None
        self._client: EngineClient | None = None
        self._closed = False

    def catalog(self) -> Catalog:
        """The model catalog (``models.toml``), loaded once."""
        with self._lock:
            if self._catalog is None:
                from app.models.catalog import load_catalog

                self._catalog = load_catalog()
            return self._catalog

    def registry(self) -> ModelRegistry:
        """The installed models (``registry.json`` in the models folder)."""
        with self._lock:
            if self._registry is None:
                from app.models.registry import ModelRegistry

                self._registry = ModelRegistry(self.paths.models)
            return self._registry

    def hub_config(self) -> HubConfig:
        """The hub endpoint and token from the settings (empty: the environment's)."""
        from app.models.hub import HubConfig

        hub = self._settings().hub
        return HubConfig(endpoint=hub.endpoint.strip() or None, token=hub.token.strip() or None)

    def resolver(self) -> Resolver:
        """A resolver for the current hub settings."""
        from app.models.resolve import Resolver

        return Resolver(self.hub_config())

    def downloader(self) -> Downloader:
        """A new downloader with the current token (the model manager's factory)."""
        from app.models.download import Downloader

        return Downloader(token=self.hub_config().token)

    def machine(self) -> MachineInfo:
        """Total RAM and an NVIDIA GPU's memory (probed once; ``nvidia-smi`` may take a
        moment, so the window asks only when the model manager opens)."""
        with self._lock:
            if self._machine is None:
                from app.models.machine import probe_machine

                self._machine = probe_machine()
            return self._machine

    @property
    def has_engine(self) -> bool:
        return self._client is not None

    def engine(self) -> EngineClient:
        """The window's one engine client (created now if needed; its process starts on
        the first load or generation)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the model services were shut down")
            if self._client is None:
                from app.engine.client import EngineClient

                self._client = EngineClient(
                    command=self._engine_command,
                    env=self._engine_env,
                    cancel_grace_s=self._cancel_grace_s,
                )
            return self._client

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop the engine process, if one was started (safe to call more than once)."""
        with self._lock:
            self._closed = True
            client = self._client
        if client is not None:
            client.stop(timeout)


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
    models: ModelServices
    default_data_dir: Path | None = None  # the data folder when the settings name none
    folders: RecentFolders | None = None  # where each kind of file dialog opens
    _ci: CiChecker | None = None
    shelf: Shelf | None = None  # every rhyme book (the modern ones built on first use)
    _checkers: dict[BookKind, Checker] = dataclasses.field(default_factory=dict, repr=False)

    @property
    def lang(self) -> Language:
        return self.tr.language

    def ci_checker(self) -> CiChecker:
        """The 词 checker, loading the 词谱 on first use (the user's data folder, then the
        bundled resources); raises :class:`~app.prosody.ci.CipuError` when none is built."""
        if self._ci is None:
            from app.prosody.ci import CiChecker, load_installed
            from app.prosody.rhymebook.cilin import CilinBook

            table = load_installed(self.paths.data)
            self._ci = CiChecker(self.book, CilinBook.load(), table)
        return self._ci

    def books(self) -> Shelf:
        """The rhyme books: ``book`` (平水韵) and the modern ones, each built once."""
        if self.shelf is None:
            self.shelf = Shelf(self.book)
        return self.shelf

    def checker_for(self, kind: BookKind) -> Checker:
        """The checker of a rhyme book, with the current checker settings (one per book;
        ``checker`` is the 平水韵's)."""
        if kind is BookKind.PINGSHUI:
            return self.checker
        got = self._checkers.get(kind)
        if got is None:
            shelf = self.books()
            got = self._checkers[kind] = Checker(
                shelf.book(kind), self.checker.settings, others=lambda: shelf.others(kind)
            )
        got.settings = self.checker.settings
        return got

    def save_settings(self, settings: Settings) -> None:
        """Persist ``settings`` and make them current (raises a StorageError on failure)."""
        self.settings_store.save(settings)
        self.settings = settings


def effective_paths(paths: AppPaths, settings: Settings) -> AppPaths:
    """``paths`` with the data folder the settings name (``data_dir``), if any.

    The library, its backups and the drafts' fallback folder live in the data folder;
    settings, logs, caches and models stay where ``paths`` puts them. ``~`` is expanded;
    a relative name is taken beside the default data folder (``<basedir>/诗库`` with a
    base folder), never relative to whatever folder the app was started from.
    """
    chosen = settings.data_dir.strip()
    if not chosen:
        return paths
    folder = Path(chosen).expanduser()
    if not folder.is_absolute():
        folder = paths.data.parent / folder
    return dataclasses.replace(paths, data=folder)


def build_services(
    paths: AppPaths,
    store: SettingsStore,
    settings: Settings,
    *,
    lang: Language,
    log: EventLog,
    book: RhymeBook | None = None,
    library_options: LibraryOptions | None = None,
    default_data_dir: Path | None = None,
    engine_command: Sequence[str] | None = None,
    engine_env: Mapping[str, str] | None = None,
    cancel_grace_s: float = 2.0,
) -> Services:
    """Build the services (the library starts opening only when ``library.start()`` is
    called; the model services are built on first use)."""
    from app.ui.library.client import LibraryClient

    book = book if book is not None else RhymeBook.load()
    shelf = Shelf(book)
    checker = Checker(
        book,
        check_settings_from(settings.checker),
        others=lambda: shelf.others(BookKind.PINGSHUI),  # built when a poem first asks
    )
    built: list[Services] = []  # the model services read the settings current at the time
    models = ModelServices(
        paths,
        lambda: built[0].settings if built else settings,
        engine_command=engine_command,
        engine_env=engine_env,
        cancel_grace_s=cancel_grace_s,
    )
    built.append(
        Services(
            paths=paths,
            settings_store=store,
            settings=settings,
            tr=Tr(lang),
            log=log,
            book=book,
            checker=checker,
            suggester=Suggester(book),
            # a search in either script finds both: 長江 finds 长江, 汉阳 finds 漢陽
            library=LibraryClient(paths, library_options, script_forms=book.script_forms),
            models=models,
            default_data_dir=default_data_dir,
            folders=RecentFolders(paths.config / RECENT_FOLDERS_FILE),
            shelf=shelf,
        )
    )
    return built[0]
