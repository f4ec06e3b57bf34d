"""The library panel: search, filter, sort, open, delete to the trash, restore.

The selection follows the poem open in the editor (``set_current_poem``): a new
poem clears it, and a refresh selects the open poem again, so 删除 never acts on
a row left highlighted from an earlier poem. Deleting anything else than the
poem on screen asks first, naming the poems; every delete ends with
``trashed(list[PoemRecord])`` so the window can say what went, with 撤销.

Every query goes through the :class:`~app.ui.library.client.LibraryClient`
(the library's own thread), debounced while the user types; a query that comes
back after a newer one was sent is dropped, so the list always shows the latest
question's answer and the window never waits on the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.storage.records import FORMS, PoemQuery, PoemRecord, SortKey, TagCount
from app.ui.i18n import Tr
from app.ui.library import ops
from app.ui.library.client import LibraryClient
from app.ui.library.table_model import PoemTableModel, poem_title

SEARCH_DELAY_MS = 150


class LibraryPanel(QWidget):
    """The poem list with its search and filters (the left dock)."""

    open_requested = Signal(int)  # poem id
    new_requested = Signal()
    poem_deleted = Signal(int)  # moved to the trash
    trashed = Signal(list)  # the PoemRecords one delete moved to the trash
    poem_restored = Signal(int)  # taken out of the trash
    trash_emptied = Signal(int)  # how many poems went for good
    tag_renamed = Signal(str, str)  # old, new
    refreshed = Signal(list)  # the records now listed
    failed = Signal(object)  # a StorageError (the window shows it)

    def __init__(self, library: LibraryClient, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._tr = tr
        self._generation = 0
        self._current_poem: int | None = None
        self.confirm: Callable[[str], bool] = self._ask  # replaceable (tests, scripted use)
        # called with the poems about to go to the trash (the window saves the open one first)
        self.before_delete: Callable[[list[int]], None] = lambda _ids: None
        self.ask_text: Callable[[str, str], str | None] = self._ask_text  # (question, default)

        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("library-search")
        self.search_edit.setPlaceholderText(
            tr("搜索题目、诗句、作者、标签", "Search title, text, author, tag")
        )
        self.search_edit.setClearButtonEnabled(True)
        self.new_button = QPushButton(tr("新建", "New"))
        self.new_button.setToolTip(tr("新建一首诗 (Ctrl+N)", "Write a new poem (Ctrl+N)"))

        self.form_combo = QComboBox()
        self.form_combo.addItem(tr("全部诗体", "All forms"), None)
        for form in FORMS:
            self.form_combo.addItem(tr("其他", "other") if form == "other" else form, form)
        self.group_combo = QComboBox()
        self.group_combo.addItem(tr("全部韵部", "All rhymes"), None)
        self.tag_combo = QComboBox()
        self.tag_combo.addItem(tr("全部标签", "All tags"), None)
        self.rename_tag_button = QToolButton()
        self.rename_tag_button.setText("✎")
        self.rename_tag_button.setToolTip(
            tr(
                "重命名所选标签（合并到同名标签）",
                "Rename the chosen tag (merges into one of that name)",
            )
        )
        self.rename_tag_button.setEnabled(False)
        for combo in (self.form_combo, self.group_combo, self.tag_combo):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(4)

        self.sort_combo = QComboBox()
        sorts: tuple[tuple[str, SortKey], ...] = (
            (tr("按修改时间", "By modified"), "updated"),
            (tr("按创建时间", "By created"), "created"),
            (tr("按题目", "By title"), "title"),
            (tr("按评分", "By score"), "score"),
        )
        for label, key in sorts:
            self.sort_combo.addItem(label, key)
        self.order_button = QToolButton()
        self.order_button.setCheckable(True)
        self.order_button.setChecked(True)  # descending
        self.order_button.toggled.connect(self._show_order)
        self._show_order(True)
        self.trash_button = QToolButton()
        self.trash_button.setCheckable(True)
        self.trash_button.setText(tr("回收站", "Trash"))
        self.trash_button.setToolTip(tr("查看回收站", "Show the trash"))

        self.model = PoemTableModel(tr, self)
        self.table = QTableView()
        self.table.setObjectName("library-table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, self.model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

        self.open_button = QPushButton(tr("打开", "Open"))
        self.delete_button = QPushButton(tr("删除", "Delete"))
        self.delete_button.setToolTip(tr("移到回收站", "Move to the trash"))
        self.restore_button = QPushButton(tr("恢复", "Restore"))
        self.empty_button = QPushButton(tr("清空回收站", "Empty trash"))
        self.count_label = QLabel()
        self.count_label.setObjectName("library-count")

        top = QHBoxLayout()
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.new_button)
        filters = QHBoxLayout()
        for combo in (self.form_combo, self.group_combo, self.tag_combo):
            filters.addWidget(combo, 1)
        filters.addWidget(self.rename_tag_button)
        order = QHBoxLayout()
        order.addWidget(self.sort_combo, 1)
        order.addWidget(self.order_button)
        order.addWidget(self.trash_button)
        buttons = QHBoxLayout()
        for button in (
            self.open_button,
            self.delete_button,
            self.restore_button,
            self.empty_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addLayout(order)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._timer_fired)
        self._choices_stale = True  # the tag and rhyme-group filters need re-reading
        self.search_edit.textChanged.connect(lambda _text: self._timer.start())
        for combo in (self.form_combo, self.group_combo, self.tag_combo, self.sort_combo):
            combo.currentIndexChanged.connect(lambda _i: self.refresh_now(choices=False))
        self.order_button.toggled.connect(lambda _on: self.refresh_now(choices=False))
        self.trash_button.toggled.connect(self._trash_toggled)
        self.tag_combo.currentIndexChanged.connect(
            lambda _i: self.rename_tag_button.setEnabled(self.tag_combo.currentData() is not None)
        )
        self.rename_tag_button.clicked.connect(self.rename_tag)
        self.new_button.clicked.connect(self.new_requested)
        self.open_button.clicked.connect(self.open_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.restore_button.clicked.connect(self.restore_selected)
        self.empty_button.clicked.connect(self.empty_trash)
        self.table.activated.connect(self._activated)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        delete = QAction(self.table)
        delete.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete.triggered.connect(self.delete_selected)
        self.table.addAction(delete)
        self._trash_toggled(False)

    # ------------------------------------------------------------------ query
    def _show_order(self, descending: bool) -> None:
        self.order_button.setText("↓" if descending else "↑")
        self.order_button.setToolTip(
            self._tr("降序（点击改为升序）", "Descending (click for ascending)")
            if descending
            else self._tr("升序（点击改为降序）", "Ascending (click for descending)")
        )

    def query(self) -> PoemQuery:
        """The question the panel's controls ask now."""
        sort: SortKey = self.sort_combo.currentData() or "updated"
        return PoemQuery(
            text=self.search_edit.text().strip(),
            form=self.form_combo.currentData(),
            rhyme_group=self.group_combo.currentData(),
            tag=self.tag_combo.currentData(),
            state="trash" if self.in_trash_view else "active",
            sort=sort,
            descending=self.order_button.isChecked(),
        )

    @property
    def in_trash_view(self) -> bool:
        return self.trash_button.isChecked()

    def refresh(self) -> None:
        """The library changed: re-run the query soon (coalesces bursts of changes)."""
        self._choices_stale = True
        self._timer.start()

    def _timer_fired(self) -> None:
        self.refresh_now(choices=self._choices_stale)

    def refresh_now(self, *, choices: bool = True) -> None:
        """Run the query now; ``choices`` also re-reads the tag and rhyme-group filters
        (needed after the library changed, not while the user types a search)."""
        self._timer.stop()
        self._generation += 1
        generation = self._generation
        self._library.call(
            ops.search,
            self.query(),
            on_result=lambda records: self._show(generation, records),
            on_error=self.failed.emit,
        )
        if choices or self._choices_stale:
            self._choices_stale = False
            self._library.call(ops.tags, on_result=self._show_tags, on_error=lambda _e: None)
            self._library.call(
                ops.used_rhyme_groups, on_result=self._show_groups, on_error=lambda _e: None
            )

    def _show(self, generation: int, records: list[PoemRecord]) -> None:
        if generation != self._generation:
            return  # an older answer; a newer question is on its way
        chosen = self.selected_ids()
        self.model.set_records(records)
        if len(chosen) > 1:  # a selection of several (for export, delete) is the user's
            self._select_ids(chosen)
        elif self._current_poem is not None and not self.in_trash_view:
            if not self.select_poem(self._current_poem):
                self.table.clearSelection()
        elif chosen:
            self._select_ids(chosen)
        count = len(records)
        self.count_label.setText(
            self._tr(f"回收站 {count} 首", f"{count} in trash")
            if self.in_trash_view
            else self._tr(f"{count} 首", f"{count} poem(s)")
        )
        self._update_buttons()
        self.refreshed.emit(records)

    @staticmethod
    def _refill(combo: QComboBox, items: list[tuple[str, Any]]) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        try:
            while combo.count() > 1:
                combo.removeItem(1)
            for label, data in items:
                combo.addItem(label, data)
            if current is not None and combo.findData(current) < 0:
                combo.addItem(str(current), current)  # keep the active filter visible
            combo.setCurrentIndex(max(0, combo.findData(current)))
        finally:
            combo.blockSignals(False)

    def _show_tags(self, tags: list[TagCount]) -> None:
        self._refill(self.tag_combo, [(f"{t.name} ({t.poems})", t.name) for t in tags])

    def _show_groups(self, groups: list[str]) -> None:
        self._refill(self.group_combo, [(name, name) for name in groups])

    # ------------------------------------------------------------------ selection
    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        record = self.model.record(rows[0].row())
        return None if record is None else record.id

    def selected_ids(self) -> list[int]:
        """The selected poems, in list order (Ctrl/Shift-click selects several)."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        records = (self.model.record(row) for row in rows)
        return [record.id for record in records if record is not None]

    def select_poem(self, poem_id: int) -> bool:
        row = self.model.row_of(poem_id)
        if row < 0:
            return False
        self.table.selectionModel().select(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def _select_ids(self, poem_ids: list[int]) -> None:
        selection = self.table.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for poem_id in poem_ids:
            row = self.model.row_of(poem_id)
            if row >= 0:
                selection.select(self.model.index(row, 0), flags)

    def set_current_poem(self, poem_id: int | None) -> None:
        """The poem open in the editor: selected now and after every refresh (none for a
        new poem, so no row stays highlighted from the poem before)."""
        self._current_poem = poem_id
        if self.in_trash_view:
            return
        if poem_id is None or not self.select_poem(poem_id):
            self.table.clearSelection()
            self.table.setCurrentIndex(QModelIndex())

    @property
    def current_poem(self) -> int | None:
        return self._current_poem

    def focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def _update_buttons(self) -> None:
        has = self.selected_id() is not None
        trash = self.in_trash_view
        self.open_button.setVisible(not trash)
        self.delete_button.setVisible(not trash)
        self.restore_button.setVisible(trash)
        self.empty_button.setVisible(trash)
        self.open_button.setEnabled(has)
        self.delete_button.setEnabled(has)
        self.restore_button.setEnabled(has)
        self.empty_button.setEnabled(self.model.rowCount() > 0)

    def _trash_toggled(self, on: bool) -> None:
        self.table.setStyleSheet("QTableView { color: palette(mid); }" if on else "")
        self._update_buttons()
        self.refresh_now()

    # ------------------------------------------------------------------ actions
    def _activated(self, index: QModelIndex) -> None:
        record = self.model.record(index.row())
        if record is None:
            return
        if self.in_trash_view:
            self.restore_selected()
        else:
            self.open_requested.emit(record.id)

    def open_selected(self) -> None:
        poem_id = self.selected_id()
        if poem_id is not None and not self.in_trash_view:
            self.open_requested.emit(poem_id)

    def delete_selected(self) -> None:
        """Move the selected poems to the trash; asks first when that is not just the poem
        open in the editor (naming them), since the open poem is what the poet looks at."""
        if self.in_trash_view:
            return
        ids = self.selected_ids()
        if not ids:
            return
        if self._current_poem is not None and ids != [self._current_poem]:
            names = "".join(f"《{self._name(poem_id)}》" for poem_id in ids[:5])
            more = len(ids) - 5
            question = self._tr(
                f"把{names}{f'等 {len(ids)} 首' if more > 0 else ''}移到回收站？"
                "（编辑器里打开的是另一首诗。）",
                f"Move {names}{f' and {more} more' if more > 0 else ''} to the trash? "
                "(The editor shows another poem.)",
            )
            if not self.confirm(question):
                return
        self.delete_poems(ids)

    def _name(self, poem_id: int) -> str:
        record = self.model.record(self.model.row_of(poem_id))
        return poem_title(record, self._tr) if record is not None else str(poem_id)

    def delete_poems(self, poem_ids: list[int]) -> None:
        """Move poems to the trash (the trash gives them back); ``trashed`` says which."""
        if not poem_ids:
            return
        self.before_delete(list(poem_ids))
        gone: list[PoemRecord] = []
        left = [len(poem_ids)]

        def one_done(record: PoemRecord | None) -> None:
            if record is not None:
                gone.append(record)
            left[0] -= 1
            if left[0] == 0:
                self.refresh_now()
                if gone:
                    self.trashed.emit(list(gone))

        for poem_id in poem_ids:
            self.delete_poem(poem_id, then=one_done)

    def delete_poem(
        self, poem_id: int, *, then: Callable[[PoemRecord | None], None] | None = None
    ) -> None:
        """Move one poem to the trash (no question asked: the trash gives it back)."""

        def done(record: PoemRecord) -> None:
            self.poem_deleted.emit(poem_id)
            if then is not None:
                then(record)
            else:
                self.refresh_now()
                self.trashed.emit([record])

        def failed(exc: BaseException) -> None:
            self.failed.emit(exc)
            if then is not None:
                then(None)

        self._library.call(ops.delete, poem_id, on_result=done, on_error=failed)

    def undelete_poems(self, poem_ids: list[int], then: Callable[[], None] | None = None) -> None:
        """Take poems out of the trash again (the 撤销 of a delete)."""
        left = [len(poem_ids)]

        def one_done() -> None:
            left[0] -= 1
            if left[0] == 0:
                self.refresh_now()
                if then is not None:
                    then()

        def restored(poem_id: int) -> Callable[[object], None]:
            def done(_record: object) -> None:
                self.poem_restored.emit(poem_id)
                one_done()

            return done

        def failed(exc: BaseException) -> None:
            self.failed.emit(exc)
            one_done()

        for poem_id in poem_ids:
            self._library.call(
                ops.undelete,
                poem_id,
                on_result=restored(poem_id),
                on_error=failed,
            )

    def restore_selected(self) -> None:
        if not self.in_trash_view:
            return
        for poem_id in self.selected_ids():
            self._restore(poem_id)

    def _restore(self, poem_id: int) -> None:
        def done(_record: object) -> None:
            self.poem_restored.emit(poem_id)
            self.refresh_now()

        self._library.call(ops.undelete, poem_id, on_result=done, on_error=self.failed.emit)

    def empty_trash(self) -> None:
        count = self.model.rowCount() if self.in_trash_view else None
        what = self._tr(f"{count} 首诗", f"{count} poem(s)") if count else ""
        question = self._tr(
            f"永久删除回收站里的{what}？删除前会先自动备份诗库，但此操作无法在诗笺里撤销。",
            f"Delete the {what} in the trash for good? The library is backed up first, "
            "but this cannot be undone inside 诗笺.",
        )
        if not self.confirm(question):
            return

        def done(n: int) -> None:
            self.trash_emptied.emit(n)
            self.refresh_now()

        self._library.call(ops.empty_trash, on_result=done, on_error=self.failed.emit)

    def rename_tag(self) -> None:
        """Rename the tag chosen in the filter, everywhere (no revisions: tags are labels)."""
        old = self.tag_combo.currentData()
        if old is None:
            return
        new = self.ask_text(self._tr(f"把标签“{old}”改为：", f"Rename the tag “{old}” to:"), old)
        if new is None or not new.strip() or new.strip() == old:
            return
        name = new.strip()

        def done(_count: int) -> None:
            self.tag_combo.blockSignals(True)
            self.tag_combo.addItem(name, name)
            self.tag_combo.setCurrentIndex(self.tag_combo.count() - 1)
            self.tag_combo.blockSignals(False)
            self.tag_renamed.emit(old, name)
            self.refresh_now()

        self._library.call(ops.rename_tag, old, name, on_result=done, on_error=self.failed.emit)

    def _ask_text(self, question: str, default: str) -> str | None:
        text, ok = QInputDialog.getText(
            self, self._tr("重命名标签", "Rename tag"), question, text=default
        )
        return text if ok else None

    def _ask(self, question: str) -> bool:
        answer = QMessageBox.question(
            self,
            self._tr("诗库", "Library"),
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _context_menu(self, point: Any) -> None:
        index = self.table.indexAt(point)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        menu = QMenu(self)
        if self.in_trash_view:
            menu.addAction(self._tr("恢复", "Restore"), self.restore_selected)
        else:
            menu.addAction(self._tr("打开", "Open"), self.open_selected)
            menu.addAction(self._tr("移到回收站", "Move to trash"), self.delete_selected)
        menu.exec(self.table.viewport().mapToGlobal(point))
