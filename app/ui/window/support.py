"""The main window's secondary duties: dialogs, settings, theme, folders, start-up reports.

Kept apart from :mod:`app.ui.window.main_window` so that module stays about the poem
being written; :class:`WindowSupport` reaches the window through its public
attributes only.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QFontDatabase
from PySide6.QtWidgets import QApplication, QMessageBox

from app import __version__
from app.prosody.settings import CheckSettings
from app.settings import Settings
from app.storage.errors import StorageError
from app.storage.records import DraftRecord, PoemData, PoemRecord, RevisionRecord
from app.ui.fonts import check_fonts, missing_fonts_text
from app.ui.library import ops
from app.ui.library.revisions import RevisionsDialog
from app.ui.library.table_model import local_time
from app.ui.services import check_settings_from
from app.ui.settings_dialog import SettingsDialog, restart_fields
from app.ui.theme import Theme, apply_theme, apply_ui_font, is_dark_palette

if TYPE_CHECKING:
    from app.ui.window.main_window import MainWindow


class WindowSupport:
    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self.revisions_dialog: RevisionsDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.recovery_box: QMessageBox | None = None

    @property
    def tr(self) -> Any:
        return self.w.tr_

    # ------------------------------------------------------------------ library
    def open_library(self) -> None:
        self.w.library_dock.show()
        self.w.library_dock.raise_()
        self.w.library_panel.table.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def find_in_library(self) -> None:
        self.w.library_dock.show()
        self.w.library_dock.raise_()
        self.w.library_panel.focus_search()

    def title_for(self, data: PoemData) -> str:
        title = data.title.strip() or self.tr("无题", "Untitled")
        return f"{title} — {self.tr('诗笺', '诗笺 Shijian')}"

    # ------------------------------------------------------------------ revisions
    def show_revisions(self) -> RevisionsDialog | None:
        w = self.w
        if w.doc.poem_id is None:
            w.notices.show_notice(
                "revisions",
                self.tr(
                    "这首诗还没有保存过，没有修订历史。按 Ctrl+S 保存。",
                    "This poem has not been saved yet, so it has no revisions. Press Ctrl+S.",
                ),
                timeout_ms=6000,
                document=w.doc,
            )
            return None
        font = w.pane.editor.font()
        dialog = RevisionsDialog(w.library, w.doc.poem_id, self.tr, poem_font=font, parent=w)
        dialog.restore_requested.connect(self.restore_revision)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.revisions_dialog = dialog
        dialog.open()
        return dialog

    def restore_revision(self, revision: RevisionRecord) -> None:
        """Make ``revision`` current: unsaved edits are saved first, so nothing is lost."""
        w = self.w
        if w.doc.poem_id != revision.poem_id:
            return
        if w.is_dirty():
            w.save()
        w.library.call(
            ops.restore_revision_with_undo,
            revision.poem_id,
            revision.id,
            on_result=lambda result: self._restored(revision, *result),
            on_error=w.show_error,
        )

    def _restored(self, revision: RevisionRecord, record: PoemRecord, undo_to: int | None) -> None:
        w = self.w
        if w.doc.poem_id != record.id:
            return
        w.autosaver.cancel()
        w._loading = True
        try:
            w.doc.record = record
            w.doc.saved = record.to_data()
            w.doc.restored_draft = False
            w.meta.load(record.to_data())
            if w.pane.text() != record.text:
                w.pane.replace_all(record.text)  # one undo step in the editor
        finally:
            w._loading = False
        w.pane.analyze_now()
        w.status.set_save_state("saved", record.updated_at)
        w.log.event("revision_restored", poem_id=record.id, revision=revision.id, undo_to=undo_to)
        actions = []
        if undo_to is not None:
            poem_id = record.id
            actions.append(
                (
                    self.tr("撤销恢复", "Undo the restore"),
                    lambda: self.undo_restore(undo_to, poem_id),
                )
            )
        w.notices.show_notice(
            "restored",
            self.tr(
                f"已恢复到 {local_time(revision.created_at)} 的版本（恢复本身也是一次保存）。",
                f"Restored the version of {local_time(revision.created_at)} (the restore is "
                "itself a save).",
            ),
            actions=actions,
            document=w.doc,
        )
        w.library_panel.refresh()

    def undo_restore(self, revision_id: int, poem_id: int) -> None:
        """Undo a restore of poem ``poem_id`` — only while that poem is the one on screen."""
        w = self.w
        if w.doc.poem_id != poem_id:
            w.notices.dismiss("restored")
            return
        w.library.call(
            ops.restore_revision_with_undo,
            poem_id,
            revision_id,
            on_result=lambda result: self._undone(*result),
            on_error=w.show_error,
        )

    def _undone(self, record: PoemRecord, _undo_to: int | None) -> None:
        w = self.w
        w.log.event("revision_restore_undone", poem_id=record.id)
        if w.doc.poem_id != record.id:
            return
        w._loading = True
        try:
            w.doc.record = record
            w.doc.saved = record.to_data()
            w.meta.load(record.to_data())
            if w.pane.text() != record.text:
                w.pane.replace_all(record.text)
        finally:
            w._loading = False
        w.status.set_save_state("saved", record.updated_at)
        w.notices.dismiss("restored")
        w.library_panel.refresh()

    # ------------------------------------------------------------------ drafts
    def list_drafts(self, drafts: list[tuple[DraftRecord, PoemRecord | None]]) -> None:
        menu = self.w.actions_.drafts_menu
        if menu is None:
            return
        menu.clear()
        for draft, record in drafts:
            first = next((ln for ln in draft.poem.text.splitlines() if ln.strip()), "")
            name = draft.poem.title or (record.title if record else "") or first[:10] or "…"
            label = f"{name} — {local_time(draft.updated_at)}"
            action = menu.addAction(label)
            action.triggered.connect(
                lambda _on=False, d=draft, r=record: self.w.restore_draft(d, r)
            )
        menu.setEnabled(bool(drafts))

    # ------------------------------------------------------------------ start-up report
    def report_open(self, report: Any) -> None:
        """Tell the user what opening the library did (recovery, upgrade, warnings)."""
        w = self.w
        lang = self.tr.language
        if report.recovery is not None:
            recovery = report.recovery
            text = "\n\n".join(report.messages(lang))
            w.log.warn_event(
                "db_recovered",
                moved_to=[str(p) for p in recovery.moved_to],
                restored_from=str(recovery.restored_from.path) if recovery.restored_from else None,
                damage=recovery.damage.detail,
                dialog_text=text,
            )
            box = QMessageBox(w)
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle(self.tr("诗库已恢复", "Library recovered"))
            box.setText(
                self.tr(
                    "诗库文件损坏，诗笺已自动处理：",
                    "The library file was damaged; 诗笺 repaired it:",
                )
            )
            box.setInformativeText(text)
            box.setStandardButtons(QMessageBox.StandardButton.Ok)
            box.setWindowModality(Qt.WindowModality.WindowModal)
            self.recovery_box = box
            box.open()
        elif report.needs_attention or (report.migration and report.migration.changed):
            for index, message in enumerate(report.messages(lang)):
                w.notices.show_notice(f"open-{index}", message, level="warning")

    # ------------------------------------------------------------------ settings
    def open_settings(self) -> SettingsDialog:
        w = self.w
        families = list(w.font_check.han_families) if w.font_check else []
        dialog = SettingsDialog(
            w.services.settings,
            self.tr,
            poem_families=families,
            ui_families=QFontDatabase.families(),
            default_data_dir=str(w.services.default_data_dir or w.services.paths.data),
            parent=w,
        )
        dialog.applied.connect(self.apply_settings)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    def apply_settings(self, new: Settings) -> None:
        """Save ``new`` and apply what can change while running."""
        w = self.w
        old = w.services.settings
        new = replace(new, window_geometry=old.window_geometry, window_state=old.window_state)
        try:
            w.services.save_settings(new)
        except StorageError as exc:
            w.show_error(exc, prefix=self.tr("设置没能保存：", "The settings were not saved: "))
            return
        w.log.event("settings_saved", restart=restart_fields(old, new))
        if new.ui.theme != old.ui.theme:
            self.set_theme(new.ui.theme, save=False)
        if new.fonts != old.fonts:
            app = QApplication.instance()
            if isinstance(app, QApplication) and (
                new.fonts.ui_family != old.fonts.ui_family or new.fonts.ui_size != old.fonts.ui_size
            ):
                fallback = w.font_check.ui_family if w.font_check else None
                apply_ui_font(app, new.fonts.ui_family, new.fonts.ui_size, fallback)
            w.apply_poem_font()
        if new.checker != old.checker:
            checks: CheckSettings = check_settings_from(new.checker)
            w.services.checker.settings = checks
            w.pane.set_check_settings(check_settings_from(new.checker, partial=True))
        if new.editor.autosave_seconds != old.editor.autosave_seconds:
            w.autosaver.set_interval(new.editor.autosave_seconds)
        if new.library.backup_minutes != old.library.backup_minutes:
            w.backups.set_minutes(new.library.backup_minutes)
        if new.editor.analysis_delay_ms != old.editor.analysis_delay_ms:
            w.pane.set_analysis_delay(new.editor.analysis_delay_ms)
        w.models_ui.settings_changed(old, new)
        if restart_fields(old, new):
            w.notices.show_notice(
                "restart",
                self.tr(
                    "界面语言和数据文件夹的改动将在重新启动诗笺后生效。",
                    "The language and data folder take effect after 诗笺 restarts.",
                ),
            )

    def set_theme(self, theme: Theme, *, save: bool = True) -> None:
        w = self.w
        app = QApplication.instance()
        if isinstance(app, QApplication):
            w.dark = apply_theme(app, theme)
        w.pane.set_dark(w.dark)
        action = w.actions_.themes.get(theme)
        if action is not None:
            action.setChecked(True)
        if save and theme != w.services.settings.ui.theme:
            settings = w.services.settings
            try:
                w.services.save_settings(replace(settings, ui=replace(settings.ui, theme=theme)))
            except StorageError as exc:
                w.show_error(exc)
        w.log.event("theme_changed", theme=theme, dark=w.dark)

    def palette_changed(self) -> None:
        dark = is_dark_palette(self.w.palette())
        if dark != self.w.dark:
            self.w.dark = dark
            self.w.pane.set_dark(dark)

    # ------------------------------------------------------------------ help
    def show_font_check(self) -> None:
        w = self.w
        check = check_fonts(w.services.settings.fonts.poem_family)
        if check.ok:
            text = self.tr(
                f"诗句使用字体：{check.poem_family}\n能显示汉字的字体：{'、'.join(check.han_families)}",
                f"Poems use: {check.poem_family}\nFonts that draw Chinese: "
                f"{', '.join(check.han_families)}",
            )
        else:
            text = missing_fonts_text(self.tr)
        QMessageBox.information(w, self.tr("字体检查", "Font check"), text)

    def open_data_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.w.services.paths.data)))

    def open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.w.services.paths.logs)))

    def show_about(self) -> None:
        QMessageBox.about(
            self.w,
            self.tr("关于诗笺", "About 诗笺"),
            self.tr(
                f"诗笺 {__version__}\n近体诗写作室：平水韵格律检查、诗库与本地推理模型。",
                f"诗笺 Shijian {__version__}\nA studio for regulated verse: 平水韵 checking, "
                "a poem library and a local reasoning model.",
            ),
        )
