"""The editor in 词 mode: the target it checks a 词 against, the 词牌 picker, the 填词 grid,
and the rhyme book of the 词.

:class:`CiModeMixin` is the part of :class:`~app.ui.editor.pane.PoemEditorPane` that deals
with 词 (the pane owns the widgets and the analysis; this keeps the 词 calls together). The
rhyme book of a 词 is the 词林正韵 by default, or one of the books of 诗: in 词 mode the
header's book button shows it and its menu gains 词林正韵 (:class:`CiBookControl`); choosing
a book checks the 词 again with the 词 checker of that book.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QPlainTextEdit, QWidget

from app.prosody.analysis import PoemAnalysis
from app.prosody.books.kinds import BookKind
from app.prosody.books.shelf import Shelf
from app.prosody.ci import CiAnalysis, CiChecker, CipuError, CiTarget
from app.prosody.ci.books import CiBookKind, ci_book
from app.ui.editor.header import HeaderStrip
from app.ui.editor.tune_picker import TunePickerDialog, form_grid
from app.ui.i18n import Tr

if TYPE_CHECKING:
    from app.prosody.books.protocol import Book
    from app.prosody.rhymebook import RhymeBook

__all__ = ["CiBookControl", "CiModeMixin"]


class CiBookControl(QObject):
    """The header's rhyme-book button in 词 mode: 词林正韵 beside the books of 诗 in its menu
    (hidden in 诗 mode), the 词's book on the button. ``chosen(CiBookKind.CILIN)`` when the
    poet picks 词林正韵 (the other books come through the header's ``book_chosen``)."""

    chosen = Signal(object)

    def __init__(self, header: HeaderStrip, tr: Tr) -> None:
        super().__init__(header)
        self._header = header
        self._tr = tr
        menu = header.book_menu
        self.cilin_action = QAction(tr("词林正韵（词）", "词林正韵 · rhymes of ci"), menu)
        self.cilin_action.setObjectName("bookCilin")
        self.cilin_action.setCheckable(True)
        self.cilin_action.setVisible(False)
        first = header.book_actions[BookKind.PINGSHUI]
        group = first.actionGroup()
        if group is not None:
            group.addAction(self.cilin_action)
        menu.insertAction(first, self.cilin_action)
        self.cilin_action.triggered.connect(lambda _on=False: self.chosen.emit(CiBookKind.CILIN))

    def show(self, kind: CiBookKind | None) -> None:
        """Show the 词's book (None: 诗 mode, the header shows the poem's book itself)."""
        self.cilin_action.setVisible(kind is not None)
        if kind is None:
            return
        header, tr = self._header, self._tr
        if kind is CiBookKind.CILIN:
            self.cilin_action.setChecked(True)
        else:
            header.book_actions[BookKind(kind.value)].setChecked(True)
        header.book_button.setText(tr(kind.short_zh, kind.value.capitalize()))
        header.book_button.setToolTip(
            tr(
                f"词的韵书：{kind.zh}（点击改选；词默认按词林正韵押韵），随词保存",
                f"The ci's rhyme book: {kind.en} (click to choose; a ci rhymes by the "
                "词林正韵 unless you choose another); kept with the poem",
            )
        )


class CiModeMixin:
    """词 mode of the editor pane (see the module docstring)."""

    # the pane's own, used here
    _ci: CiTarget | None
    _ci_provider: Callable[[], CiChecker] | None
    _ci_checkers: dict[CiBookKind, CiChecker]
    _ci_book: CiBookControl
    _shelf: Shelf | None
    _book: Book
    _classical: RhymeBook
    _tr: Tr
    header: HeaderStrip
    grid: QPlainTextEdit
    ci_changed: Any
    ci_unavailable: Any
    book_changed: Any

    def _refresh_now(self) -> None: ...

    def _show_grid(self, analysis: PoemAnalysis) -> None:
        form = analysis.ci_form if isinstance(analysis, CiAnalysis) else None
        if form is None:
            self.grid.hide()
            return
        written = "".join(c.char for c in analysis.chars)
        shown = form_grid(form, written)
        if self.grid.toPlainText() != shown:
            self.grid.setPlainText(shown)
        self.grid.show()

    def set_ci_provider(self, provider: Callable[[], CiChecker] | None) -> None:
        """How to get the 词 checker (it loads the 词谱; raises CipuError when none)."""
        self._ci_provider = provider
        self._ci_checkers = {}

    def ci_target(self) -> CiTarget | None:
        return self._ci

    def set_ci_target(self, target: CiTarget | None) -> None:
        """Check the text as a 词 against ``target`` (None: back to 诗)."""
        self._ci = target
        self._show_ci_book()
        self.ci_changed.emit()
        self._refresh_now()

    def _drop_ci(self) -> None:
        """Back to 诗 (a form of 诗 was chosen), without analysing yet."""
        if self._ci is not None:
            self._ci = None
            self._show_ci_book()
            self.ci_changed.emit()

    def ci_checker(self) -> CiChecker | None:
        """The 词 checker, loading the 词谱 the first time; None (and ``ci_unavailable``
        with what to do) when no 词谱 is installed."""
        if self._ci_provider is None:
            return None
        try:
            return self._ci_provider()
        except CipuError as exc:
            self.ci_unavailable.emit(exc.en if self._tr.is_en else exc.zh)
            return None

    def ci_checker_in(self, kind: CiBookKind) -> CiChecker | None:
        """The 词 checker that judges by ``kind`` (built once per book)."""
        base = self.ci_checker()
        if base is None or kind is base.book_kind:
            return base
        got = self._ci_checkers.get(kind)
        if got is None:
            shelf = self._shelf or Shelf(self._classical)
            got = self._ci_checkers[kind] = base.with_book(ci_book(kind, shelf, base.cilin))
        return got

    def ci_book_kind(self) -> CiBookKind | None:
        """The 词's rhyme book in 词 mode; None in 诗 mode."""
        return self._ci.checker.book_kind if self._ci is not None else None

    def set_ci_book(self, kind: CiBookKind) -> None:
        """Check the 词 with another rhyme book (a no-op outside 词 mode)."""
        target = self._ci
        if target is None or kind is target.checker.book_kind:
            self._show_ci_book()
            return
        checker = self.ci_checker_in(kind)
        if checker is None:
            return
        self.set_ci_target(replace(target, checker=checker))
        self.book_changed.emit(kind)

    def _show_ci_book(self) -> None:
        kind = self.ci_book_kind()
        self._ci_book.show(kind)
        if kind is None:
            self.header.set_book(self._book.kind)  # 诗 again: the poem's own book

    def choose_tune(self) -> bool:
        """Open the 词牌 picker; True when a tune was chosen (in the 词's book so far)."""
        checker = self.ci_checker()
        if checker is None:
            return False
        current = self._ci.tune if self._ci is not None else None
        parent = self if isinstance(self, QWidget) else None
        dialog = TunePickerDialog(checker.table, self._tr, parent, current=current)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.chosen_tune() is None:
            return False
        if self._ci is not None:
            checker = self._ci.checker
        self.set_ci_target(CiTarget(checker, dialog.chosen_tune(), dialog.chosen_form()))
        return True
