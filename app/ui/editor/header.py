"""The strip above the text: what the checker detected, and the pins for form and group.

Left: the detected form, 平起/仄起, 首句入韵 and rhyme group (the full summary in
the tooltip). Right: the rhyme book the poem is checked against (平水韵 / 中华新韵 /
中华通韵), a form picker (自动 / 五绝 … 七言排律), a rhyme-group picker over the book's
groups (平声 first) and the 简/繁 conversion buttons.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QMenu, QToolButton, QWidget

from app.prosody.analysis import PoemAnalysis
from app.prosody.books.kinds import BookKind
from app.prosody.books.tables import MODERN_GROUPS, group_by_id
from app.prosody.ci.analysis import CiAnalysis
from app.prosody.forms import Form
from app.prosody.groups import GROUPS, RhymeGroup
from app.ui.elided_label import ElidedLabel
from app.ui.i18n import Tr

TUNE_ITEM = "词牌"  # the form picker's item that opens the 词牌 picker


def contents_length(combo: QComboBox, text: str) -> int:
    """The combo's minimum contents length (Qt counts it in widths of 'x') that shows
    ``text`` whole: 「诗体：自动」 is five characters twice as wide as an 'x' each."""
    metrics = combo.fontMetrics()
    return max(
        4, math.ceil(metrics.horizontalAdvance(text) / max(1, metrics.horizontalAdvance("x")))
    )


def book_groups(kind: BookKind) -> tuple[RhymeGroup, ...]:
    """The groups of a book, 平声 first (the group picker's order)."""
    groups: tuple[RhymeGroup, ...] = GROUPS if kind is BookKind.PINGSHUI else MODERN_GROUPS[kind]
    return tuple(g for g in groups if g.is_ping) + tuple(g for g in groups if not g.is_ping)


class HeaderStrip(QWidget):
    form_chosen = Signal(object)  # Form | None (auto)
    group_chosen = Signal(object)  # RhymeGroup | None (auto)
    book_chosen = Signal(object)  # BookKind
    script_chosen = Signal(str)  # "simplified" / "traditional"
    tune_requested = Signal()  # the poet asked for the 词牌 picker

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("poemHeader")
        self._tr = tr
        self._quiet = False
        self._form_index = 0
        self._book = BookKind.PINGSHUI
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(6)

        # when the window is narrow (the English texts are long) the details are elided
        # first — whole in their tooltips — the form and the verdict last
        self.form_label = ElidedLabel(self, min_chars=18)
        self.qi_label = ElidedLabel(self)
        self.first_label = ElidedLabel(self)
        self.group_label = ElidedLabel(self)
        self.verdict_label = ElidedLabel(self, min_chars=8)
        for label in (
            self.form_label,
            self.qi_label,
            self.first_label,
            self.group_label,
            self.verdict_label,
        ):
            layout.addWidget(label)
        layout.addStretch(1)

        # the rhyme book: its short name on a button (平水 / 新韵 / 通韵), the three books in
        # its menu — a button, not a combo, so the strip stays as narrow as before
        self.book_button = QToolButton(self)
        self.book_button.setObjectName("bookPick")
        self.book_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.book_button.setAccessibleName(tr("韵书", "Rhyme book"))
        self.book_menu = QMenu(self.book_button)
        self.book_actions: dict[BookKind, QAction] = {}
        group = QActionGroup(self.book_menu)
        for kind in BookKind:
            action = self.book_menu.addAction(tr(kind.zh, f"{kind.zh} · {kind.en}"))
            action.setCheckable(True)
            action.setData(kind.value)
            group.addAction(action)
            action.triggered.connect(lambda _on=False, k=kind: self._on_book(k))
            self.book_actions[kind] = action
        self.book_button.setMenu(self.book_menu)
        layout.addWidget(self.book_button)

        self.form_combo = QComboBox(self)
        self.form_combo.setObjectName("formPin")
        self.form_combo.setToolTip(tr("诗体：自动识别或指定", "Form: detect, or pin one"))
        self.form_combo.addItem(tr("诗体：自动", "Form: auto"), None)
        for form in Form:
            self.form_combo.addItem(tr(form.value, f"{form.value} {form.en}"), form.value)
        # 词: the last item opens the 词牌 picker (an item, not a button: the strip is as
        # wide as the window's narrowest size allows)
        self.form_combo.addItem(tr("词牌…", "Ci tune…"), TUNE_ITEM)
        self.form_combo.setItemData(
            self.form_combo.count() - 1,
            tr("按词牌填词：选择词牌与体", "Write a ci: choose a tune and its form"),
            Qt.ItemDataRole.ToolTipRole,
        )
        self.form_combo.setAccessibleName(tr("指定诗体", "Pin the form"))
        self.form_combo.currentIndexChanged.connect(self._on_form)
        layout.addWidget(self.form_combo)

        self.group_combo = QComboBox(self)
        self.group_combo.setObjectName("groupPin")
        self.group_combo.setToolTip(tr("韵部：自动识别或指定", "Rhyme group: detect, or pin one"))
        self.group_combo.setMaxVisibleItems(20)
        self._fill_groups(BookKind.PINGSHUI)
        self.group_combo.setAccessibleName(tr("指定韵部", "Pin the rhyme group"))
        self.group_combo.currentIndexChanged.connect(self._on_group)
        layout.addWidget(self.group_combo)
        for combo in (self.form_combo, self.group_combo):
            # as wide as a short entry; the list that drops down is as wide as the longest
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(contents_length(combo, combo.itemText(0)))
            combo.view().setMinimumWidth(combo.view().sizeHintForColumn(0) + 24)

        self.simplified_button = QToolButton(self)
        self.simplified_button.setText("简")
        self.simplified_button.setToolTip(
            tr("转为简体（可撤销）", "Convert to simplified (undoable)")
        )
        self.simplified_button.clicked.connect(lambda: self.script_chosen.emit("simplified"))
        self.traditional_button = QToolButton(self)
        self.traditional_button.setText("繁")
        self.traditional_button.setToolTip(
            tr("转为繁体（可撤销）", "Convert to traditional (undoable)")
        )
        self.traditional_button.clicked.connect(lambda: self.script_chosen.emit("traditional"))
        layout.addWidget(self.simplified_button)
        layout.addWidget(self.traditional_button)
        self.show_analysis(None)

    def _fill_groups(self, kind: BookKind) -> None:
        tr = self._tr
        combo = self.group_combo
        combo.clear()
        combo.addItem(tr("韵部：自动", "Rhyme: auto"), None)
        groups = book_groups(kind)
        for g in groups:
            if g.is_ping:
                combo.addItem(tr(g.name, f"{g.name} {g.name_en}"), g.id)
        combo.insertSeparator(combo.count())
        for g in groups:
            if not g.is_ping:
                combo.addItem(tr(g.name, f"{g.name} {g.name_en}"), g.id)
        combo.view().setMinimumWidth(combo.view().sizeHintForColumn(0) + 24)

    # ------------------------------------------------------------------ pins
    def set_book(self, kind: BookKind) -> None:
        """Show ``kind`` as the poem's book (its groups in the picker, auto selected),
        without emitting ``book_chosen``."""
        self._quiet = True
        try:
            self.book_actions[kind].setChecked(True)
            self.book_button.setText(self._tr(kind.short_zh, kind.value.capitalize()))
            self.book_button.setToolTip(
                self._tr(
                    f"韵书：{kind.zh}（点击改选；平水韵为古音，有入声；新韵、通韵为今音）"
                    "，随诗保存",
                    f"Rhyme book: {kind.en} (click to choose; 平水韵 is classical, with the "
                    "entering tone, 新韵 and 通韵 today's pronunciation); kept with the poem",
                )
            )
            if kind is not self._book:
                self._book = kind
                self._fill_groups(kind)
                self.group_combo.setCurrentIndex(0)
        finally:
            self._quiet = False

    def book(self) -> BookKind:
        return self._book

    def set_form(self, form: Form | None) -> None:
        """Show ``form`` as pinned (None: auto) without emitting ``form_chosen``."""
        index = max(0, self.form_combo.findData(form.value)) if form is not None else 0
        self._form_index = index
        self._quiet = True
        try:
            self.form_combo.setCurrentIndex(index)
        finally:
            self._quiet = False

    def set_group(self, group: RhymeGroup | None) -> None:
        index = max(0, self.group_combo.findData(group.id)) if group is not None else 0
        self._quiet = True
        try:
            self.group_combo.setCurrentIndex(index)
        finally:
            self._quiet = False

    def set_locked(self, locked: bool) -> None:
        why = self._tr("按题目要求锁定", "locked by the assignment") if locked else ""
        for widget in (self.book_button, self.form_combo, self.group_combo):
            widget.setEnabled(not locked)
            widget.setStatusTip(why)

    def _on_form(self, index: int) -> None:
        if not self._quiet:
            data = self.form_combo.itemData(index)
            if data == TUNE_ITEM:  # back to what was shown; the pane opens the picker
                self._quiet = True
                try:
                    self.form_combo.setCurrentIndex(self._form_index)
                finally:
                    self._quiet = False
                self.tune_requested.emit()
                return
            self._form_index = index
            self.form_chosen.emit(Form(data) if isinstance(data, str) and data else None)

    def _on_group(self, index: int) -> None:
        if not self._quiet:
            data = self.group_combo.itemData(index)
            self.group_chosen.emit(group_by_id(data) if isinstance(data, int) else None)

    def _on_book(self, kind: BookKind) -> None:
        if not self._quiet:
            self.set_book(kind)
            self.book_chosen.emit(kind)

    def choose_book(self, kind: BookKind) -> None:
        """What picking ``kind`` in the button's menu does (tests, the keyboard)."""
        self.book_actions[kind].trigger()

    # ------------------------------------------------------------------ detected
    def show_analysis(self, a: PoemAnalysis | None) -> None:
        tr = self._tr
        if a is None or not a.chars:
            self.form_label.setText(tr("未输入诗句", "No verse yet"))
            for label in (self.qi_label, self.first_label, self.group_label, self.verdict_label):
                label.setText("")
            self.setToolTip("")
            return
        if isinstance(a, CiAnalysis):
            self._show_ci(a)
            return
        pin = tr("（指定）", " (pinned)")
        self.form_label.setText(
            (tr(a.form.value, a.form.en) if a.form else tr("未定体", "form undetermined"))
            + (pin if a.form_pinned else "")
        )
        if a.ze_yun:
            self.qi_label.setText(tr("仄韵", "oblique rhyme"))
            self.first_label.setText("")
        else:
            qi = a.qi
            self.qi_label.setText(
                tr(qi, "level start" if qi == "平起" else "oblique start") if qi else ""
            )
            first = a.first_line_rhymes
            self.first_label.setText(
                ""
                if first is None
                else tr("首句入韵", "first line rhymes")
                if first
                else tr("首句不入韵", "first line unrhymed")
            )
        group = a.rhyme_group
        self.group_label.setText(
            tr(f"押{group.name}", f"rhymes in {group.name}") + (pin if a.group_pinned else "")
            if group is not None
            else ""
        )
        n_err = len(a.errors)
        self.verdict_label.setText(
            tr(f"{n_err}处错误", f"{n_err} error(s)") if n_err else tr("合律", "keeps the rules")
        )
        self.setToolTip(a.summary_en if tr.is_en else a.summary_zh)

    def _show_ci(self, a: CiAnalysis) -> None:
        tr = self._tr
        choice = a.choice
        self.form_label.setText(
            tr(choice.form.label_zh, choice.form.label_en)
            if choice is not None
            else tr("未能确定词牌", "tune undetermined")
        )
        self.qi_label.setText(
            "" if choice is None or choice.exact else tr("句式不全合", "shape differs")
        )
        self.first_label.setText("")
        rhymes = "、".join(f"{g.letter}{g.bu_name}" for g in a.groups if g.bu is not None)
        self.group_label.setText(tr(f"押{rhymes}", f"rhymes {rhymes}") if rhymes else "")
        n_err = len(a.errors)
        self.verdict_label.setText(
            tr(f"{n_err}处错误", f"{n_err} error(s)") if n_err else tr("合谱", "keeps the pattern")
        )
        why = "" if choice is None else "\n" + tr(choice.why_zh, choice.why_en)
        self.setToolTip((a.summary_en if tr.is_en else a.summary_zh) + why)
