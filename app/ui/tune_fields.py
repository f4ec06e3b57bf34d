"""词 fields shared by the compose form and the assignment wizard: the 词牌 and its 体, the
rhyme book, and a 部 per rhyme group.

:class:`CiFields` stands where the 诗 rhyme group stands when a 词 is asked for: a button
opens the 词牌 picker (:class:`~app.ui.editor.tune_picker.TunePickerDialog`; a 体 left to
the shape means the 正体), a combo chooses the rhyme book (词林正韵 by default, or a book of
诗), and one combo per rhyme group of the 体 (A, B … ; a 换韵 tune has several) pins its 部
or leaves it open ("the model's choice" in the compose form, "any" in an assignment).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.prosody.books.shelf import Shelf
from app.prosody.ci.books import CiBook, CiBookKind, ci_book
from app.prosody.ci.checker import CiChecker
from app.prosody.ci.table import CiForm
from app.prosody.rhymebook.cilin import ToneClass
from app.ui.editor.tune_picker import TunePickerDialog
from app.ui.i18n import Tr

__all__ = ["CiFields"]

EXAMPLE_CHARS = 6


class CiFields(QWidget):
    """The 词 part of the compose form (see the module docstring). ``changed()`` when the
    tune, the 体, the book or a 部 changes."""

    changed = Signal()

    def __init__(
        self,
        tr: Tr,
        checker: Callable[[], CiChecker | None],
        shelf: Shelf,
        parent: QWidget | None = None,
        *,
        open_label: tuple[str, str] = ("由模型选择", "the model's choice"),
    ) -> None:
        super().__init__(parent)
        self._tr = tr
        self._checker = checker
        self._shelf = shelf
        self._form: CiForm | None = None
        self._open_label = open_label
        self._books: dict[CiBookKind, CiBook] = {}
        self.tune_button = QPushButton(tr("选择词牌…", "Choose a tune…"), self)
        self.tune_button.setObjectName("compose-tune")
        self.tune_button.clicked.connect(self.choose)
        self.book = QComboBox(self)
        self.book.setObjectName("compose-ci-book")
        for kind in CiBookKind:
            self.book.addItem(tr(kind.zh, f"{kind.zh} {kind.en}"), kind.value)
        self.book.setToolTip(
            tr(
                "词的平仄与押韵按哪部韵书（默认词林正韵）",
                "The rhyme book the ci keeps (the 词林正韵 by default)",
            )
        )
        self.book.currentIndexChanged.connect(self._on_book)
        self.groups = QFormLayout()
        self.groups.setContentsMargins(0, 0, 0, 0)
        self.combos: dict[str, QComboBox] = {}
        self.note = QLabel(tr("先选一个词牌。", "Choose a tune first."), self)
        self.note.setObjectName("compose-ci-note")
        self.note.setWordWrap(True)
        fields = QFormLayout()
        fields.setContentsMargins(0, 0, 0, 0)
        fields.addRow(tr("词牌", "Tune"), self.tune_button)
        fields.addRow(tr("韵书", "Rhyme book"), self.book)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(fields)
        box.addLayout(self.groups)
        box.addWidget(self.note)

    # ------------------------------------------------------------------ what is asked
    def checker(self) -> CiChecker | None:
        """The 词 checker (None when no 词谱 is installed: the window says how to build one)."""
        return self._checker()

    def form(self) -> CiForm | None:
        return self._form

    def book_kind(self) -> CiBookKind:
        return CiBookKind.from_name(self.book.currentData()) or CiBookKind.CILIN

    def bu(self) -> dict[str, int]:
        """The 部 pinned per rhyme group (the groups left to the model are not listed)."""
        return {
            letter: int(combo.currentData())
            for letter, combo in self.combos.items()
            if combo.currentData() is not None
        }

    def set_bu(self, bu: Mapping[str, int]) -> None:
        """Pin these 部 (groups not named are left open)."""
        for letter, combo in self.combos.items():
            combo.setCurrentIndex(max(0, combo.findData(bu.get(letter))))

    def ci_book(self) -> CiBook | None:
        """The chosen book (tones and rhymes), or None when no 词谱 is installed."""
        kind = self.book_kind()
        got = self._books.get(kind)
        if got is None:
            checker = self._checker()
            if checker is None:
                return None
            got = self._books[kind] = ci_book(kind, self._shelf, checker.cilin)
        return got

    # ------------------------------------------------------------------ choosing
    def choose(self) -> bool:
        """Open the 词牌 picker; True when a tune was chosen."""
        checker = self._checker()
        if checker is None:
            return False
        current = checker.table.find(self._form.tune) if self._form is not None else None
        dialog = TunePickerDialog(checker.table, self._tr, self, current=current)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.chosen_tune() is None:
            return False
        tune = dialog.chosen_tune()
        form = dialog.chosen_form() or (tune.forms[0] if tune is not None and tune.forms else None)
        if form is None:
            return False
        self.set_form(form)
        return True

    def set_form(self, form: CiForm | None, book: CiBookKind | None = None) -> None:
        """Ask for ``form`` (None: no tune yet), in ``book`` when given."""
        self._form = form
        if book is not None:
            self.book.blockSignals(True)
            self.book.setCurrentIndex(max(0, self.book.findData(book.value)))
            self.book.blockSignals(False)
        tr = self._tr
        if form is None:
            self.tune_button.setText(tr("选择词牌…", "Choose a tune…"))
            self.note.setText(tr("先选一个词牌。", "Choose a tune first."))
        else:
            self.tune_button.setText(tr(form.label_zh, form.label_en))
            self.tune_button.setToolTip(form.template())
            self.note.setText("")
        self._fill_groups()
        self.changed.emit()

    def _on_book(self, _index: int) -> None:
        self._fill_groups()
        self.changed.emit()

    def _fill_groups(self) -> None:
        tr = self._tr
        while self.groups.rowCount():
            self.groups.removeRow(0)
        self.combos = {}
        form = self._form
        book = self.ci_book() if form is not None else None
        if form is None or book is None:
            return
        rhymes = book.rhymes
        kinds: dict[str, str] = {}
        for s in form.segments:
            if s.rhyme and s.rhyme_kind not in kinds.get(s.rhyme_group, ""):
                kinds[s.rhyme_group] = kinds.get(s.rhyme_group, "") + s.rhyme_kind
        for letter, tones in kinds.items():
            combo = QComboBox(self)
            combo.setObjectName(f"compose-bu-{letter}")
            combo.addItem(tr(*self._open_label), None)
            kind: ToneClass = "平" if tones[0] == "平" else "仄"
            for bu in rhymes.all_bu(kind):
                if len(tones) > 1 and bu not in rhymes.all_bu("仄" if kind == "平" else "平"):
                    continue  # 平仄通叶: a 部 holding both tones
                sample = "".join(rhymes.members(bu, kind)[:EXAMPLE_CHARS])
                if not sample:
                    continue
                combo.addItem(f"{rhymes.bu_name(bu)}　{sample}", bu)
            combo.currentIndexChanged.connect(self.changed)
            tone = {"平": "平声", "仄": "仄声"}.get(tones, "平仄通叶")
            label = tr(f"{letter}韵（{tone}）", f"Rhyme {letter} ({tones})")
            self.groups.addRow(label, combo)
            self.combos[letter] = combo
