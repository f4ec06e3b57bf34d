"""文件 → 导出 PDF: the current poem, the poems selected in the library, or a whole tag.

:class:`ExportFeature` adds the submenu and opens the
:class:`~app.ui.export.dialog.PoemExportDialog` (layout, page, marks, the file) on

* 当前这首诗 (Ctrl+Shift+E) — the editor's text as it stands, saved or not, with
  the form and rhyme group of its final check (so the marks and the group line
  follow the poem's pins);
* 诗库中选中的诗 — the poems selected in the library panel (Ctrl/Shift-click);
* 按标签导出诗集 — every poem with a tag, oldest first, as an anthology with a
  contents page, titled with the tag.

The PDF code is imported the first time an export is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from app.storage.errors import StorageError
from app.storage.records import PoemQuery, PoemRecord, TagCount
from app.ui.dialogs import ChoiceDialog
from app.ui.library import ops

if TYPE_CHECKING:
    from app.export.options import PoemDoc
    from app.storage.repository import Library
    from app.ui.export.dialog import PoemExportDialog
    from app.ui.window.host import FeatureHost


def poems_by_id(library: Library, poem_ids: Sequence[int]) -> list[PoemRecord]:
    """The stored poems, in the order asked (on the library's thread)."""
    return [library.get(poem_id) for poem_id in poem_ids]


def poems_tagged(library: Library, tag: str) -> list[PoemRecord]:
    """Every poem with ``tag``, oldest first (outside the trash)."""
    return library.search(PoemQuery(tag=tag, sort="created", descending=False))


class ExportFeature(QObject):
    """The window's PDF export (see the module notes). ``dialog_opened(dialog)`` is
    emitted with each export dialog (and ``tag_picker_opened`` with the tag list)."""

    dialog_opened = Signal(object)
    tag_picker_opened = Signal(object)

    def __init__(self, window: FeatureHost) -> None:
        super().__init__(window.widget())
        self.w = window
        tr = window.tr_
        file_menu = window.menu("file")
        submenu = QMenu(tr("导出 PDF", "Export PDF"), window.widget())
        submenu.setObjectName("menu-export")
        file_menu.insertMenu(window.action("settings"), submenu)
        file_menu.insertSeparator(window.action("settings"))
        self.menu = submenu
        self.current_action = QAction(tr("当前这首诗…", "This poem…"), window.widget())
        self.current_action.setObjectName("export_current")
        self.current_action.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.current_action.triggered.connect(lambda _on=False: self.export_current())
        self.selected_action = QAction(
            tr("诗库中选中的诗…", "Poems selected in the library…"), window.widget()
        )
        self.selected_action.setObjectName("export_selected")
        self.selected_action.triggered.connect(lambda _on=False: self.export_selected())
        self.tag_action = QAction(tr("按标签导出诗集…", "An anthology of a tag…"), window.widget())
        self.tag_action.setObjectName("export_tag")
        self.tag_action.triggered.connect(lambda _on=False: self.pick_tag())
        for action in (self.current_action, self.selected_action, self.tag_action):
            submenu.addAction(action)
        self.dialog: PoemExportDialog | None = None
        self.picker: ChoiceDialog | None = None

    # ------------------------------------------------------------------ what to export
    def export_current(self) -> PoemExportDialog | None:
        """The poem in the editor (None, with a notice, when it is empty)."""
        from app.export.options import PoemDoc

        w = self.w
        current = w.current_data()
        title, author, text = current.title, current.author, current.text
        if not text.strip():
            self._say(w.tr_("编辑器里还没有诗。", "There is no poem in the editor yet."))
            return None
        analysis = w.final_analysis()
        doc = PoemDoc(
            title.strip() or w.tr_("无题", "Untitled"),
            text,
            author.strip(),
            date.today().isoformat(),
            analysis.form if analysis.chars else None,
            analysis.rhyme_group if analysis.chars else None,
            analysis.book,
        )
        return self.open_dialog([doc])

    def export_selected(self) -> None:
        """The poems selected in the library panel (read on the library's thread)."""
        w = self.w
        ids = w.selected_poem_ids()
        if not ids:
            self._say(
                w.tr_(
                    "请先在诗库中选择要导出的诗（按住 Ctrl 或 Shift 可选多首）。",
                    "Select the poems in the library first (Ctrl or Shift selects several).",
                )
            )
            return
        w.library.call(poems_by_id, ids, on_result=self._records_ready, on_error=w.show_error)

    def pick_tag(self) -> None:
        """Choose a tag, then export all its poems as an anthology."""
        w = self.w
        w.library.call(ops.tags, on_result=self._show_tags, on_error=w.show_error)

    def _show_tags(self, tags: list[TagCount]) -> None:
        w = self.w
        tr = w.tr_
        dialog = ChoiceDialog(
            tr("按标签导出诗集", "Export a tag"),
            tr("导出哪个标签下的诗？", "Export the poems of which tag?"),
            [(f"{t.name}（{t.poems}）", t.name) for t in tags],
            tr,
            empty_text=tr("诗库里还没有标签。", "The library has no tags yet."),
            parent=w.widget(),
        )
        dialog.chosen.connect(lambda name: self.export_tag(str(name)))
        self.picker = dialog
        dialog.open()
        self.tag_picker_opened.emit(dialog)

    def export_tag(self, tag: str) -> None:
        w = self.w
        w.library.call(
            poems_tagged,
            tag,
            on_result=lambda records: self._records_ready(records, title=tag),
            on_error=w.show_error,
        )

    def _records_ready(self, records: list[PoemRecord], title: str = "") -> None:
        from app.export.options import PoemDoc

        if not records:
            self._say(self.w.tr_("没有可导出的诗。", "There is nothing to export."))
            return
        docs = [PoemDoc.from_record(r) for r in records]
        dialog = self.open_dialog(docs)
        if dialog is not None and title:
            dialog.title_edit.setText(title)

    # ------------------------------------------------------------------ the dialog
    def open_dialog(self, poems: Sequence[PoemDoc]) -> PoemExportDialog:
        from app.export.poem.pdf import PoemExporter
        from app.ui.export.dialog import PoemExportDialog

        w = self.w
        dialog = PoemExportDialog(
            poems,
            PoemExporter(w.services.checker, checker_for=w.services.checker_for),
            w.tr_,
            font_family=w.services.settings.fonts.poem_family,
            folders=w.services.folders,
            remembered=w.services.settings.pdf_export,
            parent=w.widget(),
        )
        count = len(poems)
        dialog.accepted.connect(lambda: self._exported(dialog, count))
        self.dialog = dialog
        dialog.open()
        self.dialog_opened.emit(dialog)
        return dialog

    def _exported(self, dialog: PoemExportDialog, count: int) -> None:
        result = dialog.result_value()
        if result is None:
            return
        w = self.w
        tr = w.tr_
        self._remember(dialog)
        w.log.event("pdf_exported", pages=result.pages, poems=count,
                    layout=dialog.choices().layout)  # fmt: skip
        w.notices.show_notice(
            "export",
            tr(f"PDF 已导出：{result.path}（{result.pages} 页）",
               f"PDF written: {result.path} ({result.pages} pages)"),
            timeout_ms=8000,
        )  # fmt: skip

    def _remember(self, dialog: PoemExportDialog) -> None:
        """Keep the dialog's choices in the settings: the next export opens with them."""
        w = self.w
        settings = w.services.settings
        chosen = dialog.choices()
        if chosen == settings.pdf_export:
            return
        try:
            w.services.save_settings(replace(settings, pdf_export=chosen))
        except StorageError as exc:
            w.log.failure("settings_save_failed", exc)

    def _say(self, text: str) -> None:
        self.w.notices.show_notice("export", text, level="warning", timeout_ms=8000)
