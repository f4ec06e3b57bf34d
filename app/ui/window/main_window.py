"""The main window: the editor in the centre, findings beside it, the library on the left,
a right-hand area for the model pipeline's panels, menus, shortcuts and a status bar.

The window owns one :class:`PoemDocument` at a time and keeps it safe: every
edit restarts the autosave countdown (a draft in the library), every explicit
save keeps a revision, switching poems writes the draft first, closing writes
it and waits. Drafts newer than their poem come back at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QFont
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.prosody.analysis import PoemAnalysis
from app.prosody.books.kinds import BookKind
from app.prosody.forms import Form
from app.settings import Settings, decode_blob, encode_blob
from app.storage.errors import StorageError
from app.storage.records import DraftData, DraftRecord, PoemData, PoemRecord
from app.ui.document import PoemDocument, format_tags
from app.ui.editor import FindingsPanel, PoemEditorPane, connect_findings
from app.ui.fonts import FontCheck, missing_fonts_text, poem_font
from app.ui.library import ops
from app.ui.library.panel import LibraryPanel
from app.ui.window.autosave import Autosaver
from app.ui.window.backups import BackupKeeper
from app.ui.window.ci_poems import ci_target_of, saved_ci_book
from app.ui.window.frame_offer import FrameOffer
from app.ui.window.menus import build_menus
from app.ui.window.meta_bar import PoemMetaBar
from app.ui.window.rescore import LibraryRescore
from app.ui.window.saving import SaveFlow
from app.ui.window.startup import StartupRecovery, error_text
from app.ui.window.status import SaveState, StatusView
from app.ui.window.support import WindowSupport
from app.ui.window.trash import TrashFlow

if TYPE_CHECKING:
    from app.ui.settings_dialog import SettingsDialog
from app.ui.assignments.feature import AssignmentFeature
from app.ui.compose.feature import ComposeFeature
from app.ui.export.feature import ExportFeature
from app.ui.models.controller import ModelController
from app.ui.services import Services
from app.ui.theme import as_theme
from app.ui.window.notices import NoticeBar


class MainWindow(QMainWindow):
    """The poet's window. Build it with :class:`Services`; call ``services.library.start()``."""

    document_loaded = Signal(object)  # PoemDocument, after a poem, draft or new poem is shown
    poem_saved = Signal(object)  # PoemRecord
    drafts_checked = Signal(list)  # the drafts found at start-up (after restoring the newest)

    def __init__(
        self,
        services: Services,
        *,
        font_check: FontCheck | None = None,
        dark: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.tr_ = tr = services.tr
        self.log = services.log
        self.library = services.library
        self.font_check = font_check
        self.dark = dark
        self._loading = False
        self.setObjectName("main-window")
        self.setWindowTitle(tr("诗笺", "诗笺 Shijian"))
        self.resize(1280, 800)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
        )

        settings = services.settings
        self.pane = PoemEditorPane(
            services.checker,
            services.suggester,
            services.book,
            tr,
            analysis_delay_ms=settings.editor.analysis_delay_ms,
            shelf=services.books(),
            checker_for=services.checker_for,
        )
        # (the pane takes the checker's settings, built from these, as its own)
        self.pane.set_ci_provider(services.ci_checker)
        if dark:  # the pane starts light; repainting it costs ~40 ms, so only when needed
            self.pane.set_dark(dark)
        self.findings = FindingsPanel(tr)
        connect_findings(self.pane, self.findings)
        self.meta = PoemMetaBar(tr)
        self.notices = NoticeBar(tr)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        # the notices come and go *below* the editor: the title row and the text the poet is
        # working in never move under the mouse when one appears or is closed
        layout.addWidget(self.meta)
        layout.addWidget(self.pane, 1)
        layout.addWidget(self.notices)
        self.setCentralWidget(central)

        self.library_panel = LibraryPanel(self.library, tr)
        self.library_dock = self._dock("library", tr("诗库", "Library"), self.library_panel)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.library_dock)
        self.findings_dock = self._dock("findings", tr("检查结果", "Findings"), self.findings)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.findings_dock)
        self.side_tabs = QTabWidget()
        self.side_tabs.setObjectName("side-tabs")
        self.side_tabs.setDocumentMode(True)
        self.side_dock = self._dock("side", tr("助手", "Assistant"), self.side_tabs)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.side_dock)
        self.side_dock.hide()
        self._side_panels: dict[str, QWidget] = {}
        self.resizeDocks(
            [self.library_dock, self.findings_dock], [340, 360], Qt.Orientation.Horizontal
        )

        self.status = StatusView(self.statusBar(), tr)
        self.actions_ = build_menus(
            self,
            tr,
            toggle_library=self.library_dock.toggleViewAction(),
            toggle_findings=self.findings_dock.toggleViewAction(),
            toggle_side=self.side_dock.toggleViewAction(),
        )
        self.support = WindowSupport(self)
        # the model pipeline and the teachers' features (nothing heavy is imported here)
        self.models_ui = ModelController(self)
        self.compose = ComposeFeature(self, self.models_ui)
        self.assignments = AssignmentFeature(self)
        self.exports = ExportFeature(self)

        self.autosaver = Autosaver(
            self.library,
            self.draft_snapshot,
            seconds=settings.editor.autosave_seconds,
            log=self.log,
            parent=self,
        )
        self.autosaver.saved.connect(self._draft_saved)
        self.autosaver.failed.connect(self._draft_failed)
        self.doc = PoemDocument.new()
        self.saving = SaveFlow(self)  # Ctrl+S, 另存为新诗, a poem kept unopened
        self._closed = False

        self.pane.text_edited.connect(self._edited)
        self.meta.edited.connect(self._edited)
        self.pane.analysis_ready.connect(self._analysed)
        self.pane.pinned_changed.connect(self.sync_pinned_form)
        self.pane.book_changed.connect(lambda _kind: self._edited())
        self.startup = StartupRecovery(self)
        self.library.opened.connect(self.startup.library_opened)
        self.library.waiting.connect(self.startup.library_waiting)
        self.library.open_failed.connect(self.startup.library_failed)
        self.library_panel.open_requested.connect(self.open_poem)
        self.library_panel.new_requested.connect(self.new_document)
        self.trash = TrashFlow(self)
        self.backups = BackupKeeper(self)
        self.rescore = LibraryRescore(self)  # scores made under an older rule, made again
        self.frame_offer = FrameOffer(self)  # title/author/note lines → their fields
        self.library_panel.failed.connect(self.show_error)
        self._connect_actions()

        self.apply_poem_font()
        if font_check is not None and not font_check.ok:
            self.log.warn_event("fonts_missing")
            self.notices.show_notice("fonts", missing_fonts_text(tr), level="error")
        self.pane.ci_unavailable.connect(
            lambda text: self.notices.show_notice("cipu", text, level="warning")
        )
        self.restore_window_state(settings)

    # ------------------------------------------------------------------ layout
    def _dock(self, key: str, title: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{key}")
        dock.setWidget(widget)
        dock.toggleViewAction().setText(title)
        return dock

    def add_side_panel(self, key: str, widget: QWidget, title: str, *, menu: bool = True) -> None:
        """Host a panel (reasoning, compose, model status …) in the right-hand area;
        ``menu``: also add an entry showing it to the 模型 menu (once per key)."""
        if key in self._side_panels:
            index = self.side_tabs.indexOf(self._side_panels[key])
            self.side_tabs.removeTab(index)
        widget.setObjectName(widget.objectName() or f"side-{key}")
        self._side_panels[key] = widget
        self.side_tabs.addTab(widget, title)
        name = f"show-side-{key}"
        if menu and self.findChild(QAction, name) is None:
            action = QAction(title, self)
            action.setObjectName(name)
            action.triggered.connect(lambda: self.show_side_panel(key))
            self.menu("model").addAction(action)
        self.side_dock.show()

    def remove_side_panel(self, key: str) -> QWidget | None:
        """Take a panel out of the right-hand area (not deleted); the area hides when empty."""
        widget = self._side_panels.pop(key, None)
        if widget is not None:
            self.side_tabs.removeTab(self.side_tabs.indexOf(widget))
            if not self._side_panels:
                self.side_dock.hide()
        return widget

    def side_panel(self, key: str) -> QWidget | None:
        return self._side_panels.get(key)

    def show_side_panel(self, key: str) -> None:
        widget = self._side_panels.get(key)
        if widget is not None:
            self.side_dock.show()
            self.side_dock.raise_()
            self.side_tabs.setCurrentWidget(widget)
            self._share_right_column()

    def _share_right_column(self) -> None:
        """A panel brought forward in the assistant dock gets most of the right-hand column
        (the findings keep a third) when the two docks are stacked there."""
        area = Qt.DockWidgetArea.RightDockWidgetArea
        docks = (self.findings_dock, self.side_dock)
        if any(self.dockWidgetArea(d) != area or d.isFloating() or d.isHidden() for d in docks):
            return
        total = self.findings_dock.height() + self.side_dock.height()
        if total > 0:
            self.resizeDocks(list(docks), [total // 3, total - total // 3], Qt.Orientation.Vertical)

    def menu(self, key: str) -> QMenu:
        """A top-level menu by key: file, edit, view, poem, model, help (and added ones)."""
        return self.actions_.menus[key]

    # ------------------------------------------------------------------ the host protocol
    # (what features may ask of the window: app.ui.window.host.FeatureHost)
    def widget(self) -> QMainWindow:
        return self

    def add_menu(self, key: str, title: str, *, before: str) -> QMenu:
        menu = QMenu(title, self)
        menu.setObjectName(f"menu-{key}")
        self.menuBar().insertMenu(self.menu(before).menuAction(), menu)
        self.actions_.menus[key] = menu
        return menu

    def action(self, key: str) -> QAction:
        action = getattr(self.actions_, key)
        assert isinstance(action, QAction), key
        return action

    def show_status(self, text: str, timeout_ms: int = 0) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def engine_label(self) -> QLabel:
        return self.status.engine

    def open_settings(self) -> SettingsDialog:
        return self.support.open_settings()

    def on_document_loaded(self, slot: Callable[[PoemDocument], None]) -> None:
        self.document_loaded.connect(slot)

    def current_document(self) -> PoemDocument:
        return self.doc

    def selected_poem_ids(self) -> list[int]:
        return self.library_panel.selected_ids()

    def add_tag(self, tag: str) -> bool:
        _title, _author, tags, _notes = self.meta.values()
        if tag in tags:
            return False
        self.meta.tags_edit.setText(format_tags((*tags, tag)))
        self.meta.edited.emit()
        return True

    def apply_poem_font(self) -> None:
        fonts = self.services.settings.fonts
        check = self.font_check
        if check is not None:
            chosen = replace(check, poem_family=fonts.poem_family or check.poem_family)
            font = poem_font(chosen, fonts.poem_size)
        else:
            font = QFont(fonts.poem_family) if fonts.poem_family else QFont()
            font.setPointSize(fonts.poem_size)
        self.pane.set_poem_font(font)

    # ------------------------------------------------------------------ actions
    def _connect_actions(self) -> None:
        a = self.actions_
        a.new.triggered.connect(lambda _on=False: self.new_document())
        a.open_library.triggered.connect(self.support.open_library)
        a.find.triggered.connect(self.support.find_in_library)
        a.save.triggered.connect(lambda _on=False: self.save())
        a.save_as_new.triggered.connect(lambda: self.save(as_new=True))
        a.revisions.triggered.connect(self.support.show_revisions)
        a.revert.triggered.connect(self.revert_to_saved)
        a.delete_poem.triggered.connect(lambda _on=False: self.trash.delete_current())
        a.backup_now.triggered.connect(lambda _on=False: self.backups.backup_now())
        a.settings.triggered.connect(self.support.open_settings)
        a.quit.triggered.connect(self.close)
        editor = self.pane.editor
        a.undo.triggered.connect(editor.undo)
        a.redo.triggered.connect(editor.redo)
        a.cut.triggered.connect(editor.cut)
        a.copy.triggered.connect(editor.copy)
        a.paste.triggered.connect(editor.paste)
        a.select_all.triggered.connect(editor.selectAll)
        a.check_now.triggered.connect(self.pane.analyze_now)
        a.to_traditional.triggered.connect(lambda: self.pane.convert_script("traditional"))
        a.to_simplified.triggered.connect(lambda: self.pane.convert_script("simplified"))
        a.edit_info.triggered.connect(lambda _on=False: self.meta.title_edit.setFocus())
        for key, action in a.forms.items():
            action.triggered.connect(lambda _on=False, k=key: self.pin_form(k))
        theme = self.services.settings.ui.theme
        for key, action in a.themes.items():
            action.setChecked(key == theme)
            action.triggered.connect(lambda _on=False, k=key: self.support.set_theme(as_theme(k)))
        a.fonts_help.triggered.connect(self.support.show_font_check)
        a.open_data_folder.triggered.connect(self.support.open_data_folder)
        a.open_log.triggered.connect(self.support.open_log_folder)
        a.about.triggered.connect(self.support.show_about)

    def pin_form(self, value: str) -> None:
        if self.pane.is_locked():  # writing against an assignment: its form stays
            self.sync_pinned_form()
            return
        form = Form(value) if value else None
        self.pane.set_pinned_form(form)
        self.actions_.forms[value].setChecked(True)

    def sync_pinned_form(self) -> None:
        form = self.pane.pinned_form()
        self.actions_.forms["" if form is None else form.value].setChecked(True)

    # ------------------------------------------------------------------ content
    def current_data(self) -> PoemData:
        """The editor's content as poem data (the stored poem's other fields kept)."""
        title, author, tags, notes = self.meta.values()
        base = self.doc.record.to_data() if self.doc.record is not None else self.doc.saved
        kind = self.pane.book_kind()
        ci_kind = self.pane.ci_book_kind()  # a 词 keeps its own book (词林正韵 by default)
        return replace(
            base,
            title=title,
            text=self.pane.text(),
            author=author,
            notes=notes,
            tags=tags,
            rhyme_book=(
                saved_ci_book(ci_kind)
                if ci_kind is not None
                else None
                if kind is BookKind.PINGSHUI
                else kind.value
            ),
        )

    def is_dirty(self) -> bool:
        return self.doc.is_dirty(self.current_data())

    def draft_snapshot(self) -> DraftData | None:
        """What autosave writes now: None when the poem has nothing unsaved."""
        current = self.current_data()
        if self.doc.poem_id is not None and not self.doc.is_dirty(current):
            return None
        return DraftData(slot=self.doc.slot, poem=current, poem_id=self.doc.poem_id)

    def _edited(self) -> None:
        if self._loading:
            return
        dirty = self.is_dirty()
        if self.status.state not in ("saving", "restored") or not dirty:
            self.status.set_save_state("modified" if dirty else self._clean_state())
        self.autosaver.poke()

    def _clean_state(self) -> SaveState:
        return "saved" if self.doc.poem_id is not None else "new"

    def _analysed(self, analysis: PoemAnalysis) -> None:
        self.status.show_analysis(analysis)

    def _draft_saved(self, record: DraftRecord | None) -> None:
        if record is not None and not self.saving.busy and self.is_dirty():
            self.status.set_save_state("draft", record.updated_at)
        if record is not None and record.spooled:
            self.notices.show_notice(
                "spooled",
                self.tr_(
                    "诗库暂时无法写入，草稿已另存到备用文件夹；诗库恢复后会自动转回。",
                    "The library cannot be written just now; the draft went to a fallback "
                    "folder and moves back once the library can take it.",
                ),
                level="warning",
            )

    def _draft_failed(self, exc: BaseException) -> None:
        self.show_error(exc, prefix=self.tr_("草稿没能自动保存：", "The draft was not autosaved: "))

    def show_error(self, exc: BaseException, prefix: str = "") -> None:
        """Tell the user in a notice; the log keeps the error with its traceback."""
        self.log.failure("error_shown", exc)
        self.notices.show_notice(
            "error", prefix + error_text(exc, self.tr_.language), level="error"
        )

    # ------------------------------------------------------------------ documents
    def load_document(self, doc: PoemDocument, content: PoemData | None = None) -> None:
        """Show ``doc``; ``content`` (a draft) instead of its saved content when given."""
        shown = content if content is not None else doc.saved
        self.autosaver.cancel()
        self._loading = True
        try:
            self.doc = doc
            self.notices.document_shown(doc)  # notices about the poem left go with it
            self.meta.load(shown)
            self.pane.set_pins({})
            self.pin_form("")
            self.restore_ci(shown)
            self.pane.set_book(BookKind.from_name(shown.rhyme_book) or BookKind.PINGSHUI)
            self.pane.set_text(shown.text)
        finally:
            self._loading = False
        self.pane.analyze_now()
        if doc.restored_draft:
            self.status.set_save_state("restored")
        elif doc.poem_id is not None:
            self.status.set_save_state("saved", doc.record.updated_at if doc.record else None)
        else:
            self.status.set_save_state("new" if not shown.text else "modified")
        self.library_panel.set_current_poem(doc.poem_id)
        self.setWindowTitle(self.support.title_for(shown))
        self.document_loaded.emit(doc)
        if content is not None and doc.is_dirty(content):
            self.autosaver.poke()

    def restore_ci(self, data: PoemData) -> None:
        """词 mode for a stored 词 (its 词牌 and 体, in its rhyme book), 诗 for anything else
        (no 词谱 installed: a notice says how to build one)."""
        target = ci_target_of(self.pane, data)
        if target is not None or self.pane.ci_target() is not None:
            self.pane.set_ci_target(target)

    def leave_document(self) -> None:
        """Before showing another poem: write the current one's draft now if it has edits
        (after a save still in flight has landed, so the draft goes to the right slot)."""
        self.finish_pending_save()
        if self.draft_snapshot() is not None and (self.is_dirty() or self.autosaver.pending):
            self.autosaver.save_now()

    def new_document(self, data: PoemData | None = None) -> None:
        """A fresh poem; ``data`` prefills it (e.g. a generated poem), unsaved."""
        self.leave_document()
        doc = PoemDocument.new(data)
        self.load_document(doc, data)
        self.pane.editor.setFocus()

    def open_poem(self, poem_id: int) -> None:
        """Show a stored poem (with its unsaved draft, if one is newer than the last save)."""
        if self.doc.poem_id == poem_id:
            self.pane.editor.setFocus()
            return
        self.leave_document()
        self.library.call(
            ops.open_poem, poem_id, on_result=self._open_result, on_error=self.show_error
        )

    def _open_result(self, result: tuple[PoemRecord, DraftRecord | None]) -> None:
        record, draft = result
        self.show_poem(record, draft)

    def show_poem(self, record: PoemRecord, draft: DraftRecord | None = None) -> None:
        doc = PoemDocument.of(record)
        if draft is not None:
            doc.restored_draft = True
            self.load_document(doc, draft.poem)
            self.notices.show_notice(
                "draft",
                self.tr_(
                    f"《{record.title or '无题'}》有上次未保存的改动，已恢复（草稿保存于 "
                    f"{draft.updated_at.astimezone():%Y-%m-%d %H:%M}）。",
                    f"Unsaved changes to “{record.title or 'untitled'}” were restored (draft of "
                    f"{draft.updated_at.astimezone():%Y-%m-%d %H:%M}).",
                ),
                actions=[(self.tr_("放弃这些改动", "Discard them"), self.revert_to_saved)],
                document=doc,
            )
        else:
            self.load_document(doc)
        self.pane.editor.setFocus()

    def revert_to_saved(self) -> None:
        """Drop unsaved edits: the draft is cleared and the last save shown."""
        doc = self.doc
        self.autosaver.cancel()
        self.library.call(ops.clear_draft, doc.slot)
        doc.restored_draft = False
        if doc.poem_id is None:
            self.load_document(PoemDocument.new())
        else:
            self.load_document(doc)
        self.notices.dismiss("draft")

    # ------------------------------------------------------------------ saving
    def final_analysis(self) -> PoemAnalysis:
        """The verdict on the finished text (not the while-typing one) that a save scores:
        the pane's pinned form, group and readings, the user's checker settings."""
        return self.pane.check_final()

    def save(self, *, as_new: bool = False) -> Any:
        """Save the poem (a revision is kept); returns the Future, or None when refused."""
        return self.saving.save(as_new=as_new)

    def finish_pending_save(self) -> None:
        """Let a save still in flight land first (closing or switching right after Ctrl+S)."""
        self.saving.finish_pending()

    def store_poem(self, data: PoemData) -> Any:
        """Keep a poem in the library without opening it (a generated candidate's 保存);
        returns the Future of the stored record."""
        return self.saving.store(data)

    # ------------------------------------------------------------------ start-up
    def restore_draft(self, draft: DraftRecord, record: PoemRecord | None) -> None:
        """Show a draft found at start-up (or chosen from the recovered drafts menu)."""
        self.startup.restore(draft, record)

    # ------------------------------------------------------------------ settings & state
    def apply_settings(self, new: Settings) -> None:
        self.support.apply_settings(new)

    def restore_window_state(self, settings: Settings) -> None:
        geometry = decode_blob(settings.window_geometry)
        state = decode_blob(settings.window_state)
        if geometry:
            self.restoreGeometry(geometry)
        if state:
            self.restoreState(state)
        self.side_dock.setVisible(bool(self._side_panels) and self.side_dock.isVisible())

    def window_settings(self) -> Settings:
        """The current settings with this window's geometry and dock layout."""
        return replace(
            self.services.settings,
            window_geometry=encode_blob(bytes(self.saveGeometry().data())),
            window_state=encode_blob(bytes(self.saveState().data())),
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closed:
            super().closeEvent(event)
            return
        self._closed = True
        self.pane.shutdown()
        self.rescore.stop()
        self.compose.shutdown()  # stops a run and the engine process (waits for both)
        self.models_ui.shutdown()
        self.assignments.shutdown()
        self.finish_pending_save()
        flushed = self.autosaver.flush()
        self.log.event("window_closing", draft_flushed=flushed, dirty=self.is_dirty())
        self.backups.on_quit()  # what changed since the last backup (the draft included)
        try:
            self.services.save_settings(self.window_settings())
        except StorageError as exc:
            self.log.failure("settings_save_failed", exc)
        super().closeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.support.palette_changed()
        super().changeEvent(event)
