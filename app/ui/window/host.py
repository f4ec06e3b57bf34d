"""What a feature may ask of the window it plugs into.

The features (compose, the model pipeline, assignments, export) are built by the main
window and handed the window as a :class:`FeatureHost`. They depend on this protocol
only, never on :class:`~app.ui.window.main_window.MainWindow` itself, so the window
imports the features and no feature imports the window (an import-linter contract in
pyproject.toml holds that line; this module is the one exception it allows).

A host offers:

* the services (settings, checker, rhyme book, library, models, log) and the
  translator ``tr_``;
* the editor pane and the current document, and the document operations a feature
  needs (open, new, load, leave, store a generated poem, tag the current poem);
* the window's furniture: its menus and actions, the right-hand side area, notices,
  the status bar's message line and its engine label, the settings dialog;
* ``on_document_loaded`` — a callback after each poem, draft or new poem is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QWidget

    from app.prosody.analysis import PoemAnalysis
    from app.storage.records import PoemData
    from app.ui.document import PoemDocument
    from app.ui.editor import PoemEditorPane
    from app.ui.i18n import Tr
    from app.ui.library.client import LibraryClient
    from app.ui.logging_setup import EventLog
    from app.ui.services import Services
    from app.ui.settings_dialog import SettingsDialog

Level = Literal["info", "warning", "error"]
NoticeActions = Sequence[tuple[str, Callable[[], None]]]


class Notices(Protocol):
    """The banners below the editor (keyed: a notice with the same key replaces it).

    ``document``: the document a notice is about; it goes away when another is shown."""

    def show_notice(
        self,
        key: str,
        text: str,
        *,
        level: Level = "info",
        actions: NoticeActions = (),
        timeout_ms: int = 0,
        document: object | None = None,
    ) -> object: ...

    def dismiss(self, key: str) -> None: ...


class FeatureHost(Protocol):
    """The window as its features see it (see the module notes)."""

    @property
    def services(self) -> Services: ...
    @property
    def tr_(self) -> Tr: ...
    @property
    def log(self) -> EventLog: ...
    @property
    def library(self) -> LibraryClient: ...
    @property
    def pane(self) -> PoemEditorPane:
        """The editor."""
        ...

    @property
    def notices(self) -> Notices: ...

    # ---------------------------------------------------------------- furniture
    def widget(self) -> QMainWindow:
        """The window as a Qt parent for the feature's dialogs, menus and actions."""
        ...

    def menu(self, key: str) -> QMenu:
        """A top-level menu by key: file, edit, view, poem, model, help (and added ones)."""
        ...

    def add_menu(self, key: str, title: str, *, before: str) -> QMenu:
        """A new top-level menu, placed before the menu ``before``."""
        ...

    def action(self, key: str) -> QAction:
        """One of the window's own actions by name (e.g. ``settings``)."""
        ...

    def add_side_panel(
        self, key: str, widget: QWidget, title: str, *, menu: bool = True
    ) -> None: ...

    def remove_side_panel(self, key: str) -> QWidget | None: ...

    def side_panel(self, key: str) -> QWidget | None: ...

    def show_side_panel(self, key: str) -> None: ...

    def show_error(self, exc: BaseException, prefix: str = "") -> None: ...

    def show_status(self, text: str, timeout_ms: int = 0) -> None:
        """A passing message in the status bar."""
        ...

    def engine_label(self) -> QLabel:
        """The status bar's permanent model line."""
        ...

    def open_settings(self) -> SettingsDialog: ...

    # ---------------------------------------------------------------- the document
    def on_document_loaded(self, slot: Callable[[PoemDocument], None]) -> None: ...

    def current_document(self) -> PoemDocument: ...

    def current_data(self) -> PoemData: ...

    def final_analysis(self) -> PoemAnalysis: ...

    def selected_poem_ids(self) -> list[int]:
        """The poems selected in the library panel, in its order."""
        ...

    def add_tag(self, tag: str) -> bool:
        """Tag the poem in the editor (an edit, autosaved); False if it already has it."""
        ...

    def sync_pinned_form(self) -> None:
        """Make the 诗体 menu show the form the editor has pinned now."""
        ...

    def new_document(self, data: PoemData | None = None) -> None: ...

    def load_document(self, doc: PoemDocument, content: PoemData | None = None) -> None: ...

    def leave_document(self) -> None: ...

    def open_poem(self, poem_id: int) -> None: ...

    def store_poem(self, data: PoemData) -> Any: ...
