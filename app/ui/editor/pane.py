"""The poem editor pane: header strip, text with template column, legend.

Data flow per keystroke: the document changes → pins follow their characters →
the highlighter re-paints the edited block from the rhyme book (tones at once)
→ the debounce timer restarts. When it fires, the checker analyses the whole
text (``partial=True``: a short last line is not an error yet), the records of
every block are compared with what is painted and only the blocks that differ
are re-highlighted. Texts longer than ``BACKGROUND_CHARS`` are analysed on a
worker thread (``GeneratorWorker``) so a 1,000-line paste never freezes typing;
a result that arrives after a newer edit is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Literal

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

from app.prosody.analysis import PoemAnalysis
from app.prosody.books.kinds import BookKind
from app.prosody.books.protocol import Book
from app.prosody.books.shelf import Shelf
from app.prosody.checker import Checker
from app.prosody.ci import CiChecker, CiTarget
from app.prosody.ci.books import CiBookKind
from app.prosody.findings import Finding
from app.prosody.forms import Form
from app.prosody.groups import RhymeGroup
from app.prosody.rhymebook import RhymeBook
from app.prosody.settings import CheckSettings
from app.prosody.suggest import Suggester
from app.ui.editor.char_actions import CharActions
from app.ui.editor.ci_mode import CiBookControl, CiModeMixin
from app.ui.editor.edits import convert_text, replace_char, replace_text, select_span
from app.ui.editor.formats import FormatFactory
from app.ui.editor.header import HeaderStrip
from app.ui.editor.highlighter import PoemHighlighter
from app.ui.editor.keys import StyleKey, tone_only_key
from app.ui.editor.legend import ToneLegend
from app.ui.editor.palette import palette_for
from app.ui.editor.pins import PinTracker
from app.ui.editor.popup import CharPopup
from app.ui.editor.positions import OffsetMap
from app.ui.editor.records import BlockRecords, build_records, finding_offsets, merge_findings
from app.ui.editor.text_edit import PoemTextEdit, normalize_newlines
from app.ui.i18n import Tr
from app.ui.workers import GeneratorWorker

log = logging.getLogger(__name__)

ExtraFindings = Callable[[str, PoemAnalysis], Sequence[Finding]]
BACKGROUND_CHARS = 3000  # longer texts are analysed off the GUI thread
_Result = tuple[int, str, PoemAnalysis, BlockRecords]


class PoemEditorPane(QWidget, CiModeMixin):
    text_edited = Signal()  # every user edit (not set_text)
    analysis_ready = Signal(object)  # PoemAnalysis
    pins_changed = Signal()  # the poet pinned or unpinned a reading
    pinned_changed = Signal()  # the poet picked a form or rhyme group in the header
    book_changed = Signal(object)  # BookKind: the poem's rhyme book changed
    dark_changed = Signal(bool)
    ci_changed = Signal()  # the poet chose a 词牌 / 体, or went back to 诗
    ci_unavailable = Signal(str)  # no 词谱 is installed: what to do, in the UI's language

    def __init__(
        self,
        checker: Checker,
        suggester: Suggester,
        book: RhymeBook,
        tr: Tr,
        *,
        analysis_delay_ms: int = 150,
        shelf: Shelf | None = None,
        checker_for: Callable[[BookKind], Checker] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("poemEditorPane")
        self._checker = checker
        self._suggester = suggester
        self._book: Book = book
        # the rhyme books a poem may switch to (the checker's own book is the default)
        self._shelf = shelf
        self._checker_for = checker_for
        self._by_book: dict[BookKind, tuple[Checker, Suggester]] = {book.kind: (checker, suggester)}
        self._tr = tr
        self._settings: CheckSettings = checker.settings
        self._form: Form | None = None
        self._group: RhymeGroup | None = None
        self._locked = False
        self._extra: ExtraFindings | None = None
        self._extra_findings: tuple[Finding, ...] = ()
        self._analysis: PoemAnalysis | None = None
        self._revision = 0
        self._analysis_revision = -1
        self._loading = False
        self._worker: GeneratorWorker | None = None
        self._rerun = False
        self._dark = False
        self._formats = FormatFactory(palette_for(False))
        self._pins = PinTracker(self._same_char)
        self._ci: CiTarget | None = None  # 词 mode: what the text is checked against
        self._ci_provider: Callable[[], CiChecker] | None = None
        self._ci_checkers: dict[CiBookKind, CiChecker] = {}  # the 词 checker per rhyme book
        self._classical = book

        self.header = HeaderStrip(tr, self)
        self.editor = PoemTextEdit(self)
        self.legend = ToneLegend(tr, self)
        self.editor.setAccessibleName(tr("诗稿", "Poem text"))
        self.editor.setAccessibleDescription(
            tr(
                "平仄着色；F2 替换与定音，F8 下一处问题",
                "Tones painted; F2 replace or pin a reading, F8 next finding",
            )
        )
        self.legend.setAccessibleName(tr("图例", "Legend"))
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.header)
        box.addWidget(self.editor, 1)
        # 词 mode: the 体's 填词 grid, filled as the poet writes (hidden for 诗)
        self.grid = QPlainTextEdit(self)
        self.grid.setObjectName("ciGrid")
        self.grid.setReadOnly(True)
        self.grid.setMaximumHeight(160)
        self.grid.setAccessibleName(tr("填词格", "Ci grid"))
        self.grid.hide()
        box.addWidget(self.grid)
        box.addWidget(self.legend)

        doc = self.editor.document()
        # Connected before the highlighter exists: pins move before blocks are re-painted.
        doc.contentsChange.connect(self._on_contents_change)
        self._tone_cache: dict[str, StyleKey | None] = {}
        self.highlighter = PoemHighlighter(
            doc, self._formats, self._tone_key, self.editor.near_blocks
        )

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max(0, analysis_delay_ms))
        self._timer.timeout.connect(self._analyze_scheduled)

        self.editor.record_source = self.highlighter.record
        self.editor.before_paint = self.highlighter.ensure_range
        self.char_actions = CharActions(self, book, suggester, tr, self._pins)
        self.editor.tooltip_source = self.char_actions.tooltip
        self.editor.menu_source = self.char_actions.extend_menu
        self.editor.popup_requested.connect(self.char_actions.open_popup)
        self.editor.finding_step.connect(self.next_finding)
        self.header.form_chosen.connect(self._on_form_chosen)
        self.header.group_chosen.connect(self._on_group_chosen)
        self.header.book_chosen.connect(self._on_book_chosen)
        self.header.script_chosen.connect(self._on_script_chosen)
        self.header.tune_requested.connect(self.choose_tune)
        self.header.set_book(book.kind)
        self._ci_book = CiBookControl(self.header, tr)  # 词林正韵 beside them for a 词
        self._ci_book.chosen.connect(self.set_ci_book)
        self.header.book_button.setEnabled(shelf is not None)

    # ================================================================== text
    def text(self) -> str:
        return self.editor.toPlainText()

    def set_text(self, text: str, *, undoable: bool = False) -> None:
        """Load a poem (not a user edit: ``text_edited`` stays quiet). Pins are cleared."""
        self._loading = True
        try:
            text = normalize_newlines(text)
            if undoable:
                replace_text(self.editor, text)
            else:
                self.editor.setPlainText(text)
            self._pins.clear()
        finally:
            self._loading = False
        self._refresh_now()

    def replace_all(self, text: str) -> None:
        """Replace the whole text as one undo step (a user edit)."""
        replace_text(self.editor, normalize_newlines(text))
        self._refresh_now()

    def replace_char(self, offset: int, char: str) -> None:
        """Replace the character at text ``offset`` with ``char`` (one undo step)."""
        text = self.text()
        if not 0 <= offset < len(text):
            return
        replace_char(self.editor, text, offset, char)
        self._refresh_now()

    def convert_script(self, script: Literal["simplified", "traditional"]) -> None:
        """Convert the text character by character (RhymeBook tables), as one undo step.
        Pins stay on their characters."""
        text = self.text()
        book = self._book
        new = book.to_traditional(text) if script == "traditional" else book.to_simplified(text)
        if new == text:
            return
        convert_text(self.editor, text, new)
        self._refresh_now()

    def _same_char(self, a: str, b: str) -> bool:
        return self._book.to_simplified(a) == self._book.to_simplified(b)

    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        self._revision += 1
        if self._pins:
            self._pins.on_change(position, removed, added, self.editor._char_at)
        if not self._loading:
            self.text_edited.emit()
        self._timer.start()

    # ================================================================== analysis
    def analysis(self) -> PoemAnalysis | None:
        """The latest analysis (it may trail the text by the debounce delay)."""
        return self._analysis

    def analysis_is_current(self) -> bool:
        return self._analysis is not None and self._analysis_revision == self._revision

    def analysis_pending(self) -> bool:
        """A debounce or a background analysis is under way."""
        return self._timer.isActive() or self._worker is not None

    def analyze_now(self) -> PoemAnalysis:
        """Flush the debounce: analyse now if the text changed, paint every block."""
        self._timer.stop()
        if not self.analysis_is_current():
            self._analyze_sync()
        self.highlighter.flush()
        assert self._analysis is not None
        return self._analysis

    def check_final(self) -> PoemAnalysis:
        """The verdict on the text as finished (``partial=False``: a short last line or a
        missing line is an error). Not painted."""
        text = self.text()
        return self._run(text, self._pins.offsets(text), partial=False)

    def findings(self) -> tuple[Finding, ...]:
        """The latest analysis's findings followed by the extra (hook) findings."""
        base = self._analysis.findings if self._analysis is not None else ()
        return base + self._extra_findings

    def extra_findings(self) -> tuple[Finding, ...]:
        return self._extra_findings

    def set_analysis_delay(self, ms: int) -> None:
        self._timer.setInterval(max(0, ms))

    def _live_settings(self) -> CheckSettings:
        return replace(self._settings, partial=True)

    def _analyze_scheduled(self) -> None:
        if self.editor.document().characterCount() > BACKGROUND_CHARS:
            self._start_background()
        else:
            self._analyze_sync()

    def _refresh_now(self) -> None:
        """Analyse without waiting for the debounce (explicit actions: pins, pickers)."""
        self._timer.stop()
        self._analyze_scheduled()

    def _run(self, text: str, pins: dict[int, int], *, partial: bool) -> PoemAnalysis:
        """One analysis: as a 词 against the chosen tune in 词 mode, else as a 诗."""
        if self._ci is not None:
            return self._ci.analyze(text, partial=partial, pins=pins)
        settings = self._live_settings() if partial else replace(self._settings, partial=False)
        return self._checker.analyze(
            text, form=self._form, group=self._group, pins=pins, settings=settings
        )

    def _analyze_sync(self) -> None:
        text = self.text()
        analysis = self._run(text, self._pins.offsets(text), partial=True)
        self._show(self._revision, text, analysis, build_records(analysis))

    def _start_background(self) -> None:
        if self._worker is not None:
            self._rerun = True
            return
        text = self.text()
        revision = self._revision
        pins = self._pins.offsets(text)
        ci, checker, form, group = self._ci, self._checker, self._form, self._group
        settings = self._live_settings()

        def job() -> Iterator[_Result]:
            if ci is not None:
                a: PoemAnalysis = ci.analyze(text, partial=True, pins=pins)
            else:
                a = checker.analyze(text, form=form, group=group, pins=pins, settings=settings)
            yield (revision, text, a, build_records(a))

        worker = GeneratorWorker(job, batch_ms=0, parent=self)
        worker.yielded_batch.connect(self._on_background_batch)
        worker.finished.connect(self._on_background_finished)
        self._worker = worker
        worker.start()

    def _on_background_batch(self, batch: list[_Result]) -> None:
        for revision, text, analysis, built in batch:
            if revision == self._revision:
                self._show(revision, text, analysis, built)

    def _on_background_finished(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.wait()
            worker.deleteLater()
        if self._rerun:
            self._rerun = False
            if not self.analysis_is_current() and not self._timer.isActive():
                self._start_background()

    def _show(self, revision: int, text: str, analysis: PoemAnalysis, built: BlockRecords) -> None:
        self._show_grid(analysis)
        extra: tuple[Finding, ...] = ()
        if self._extra is not None:
            try:
                extra = tuple(self._extra(text, analysis))
            except Exception:  # a broken hook must not break typing
                log.exception("extra findings provider failed")
        if extra:
            built = merge_findings(built, analysis, extra)
        self._analysis = analysis
        self._extra_findings = extra
        self._analysis_revision = revision
        first, last = self.editor.visible_blocks()
        self.highlighter.apply(built, first, last)
        self.editor.set_template_rows(built.templates)  # type: ignore[arg-type]
        self.header.show_analysis(analysis)
        self.editor.viewport().update()
        self.analysis_ready.emit(analysis)

    def _tone_key(self, char: str, position: int) -> StyleKey | None:
        if self._pins:
            pin = self._pins.get(position)
            if pin is not None:
                info = self._book.lookup(char)
                return None if info is None else tone_only_key(info, pin)
        try:
            return self._tone_cache[char]
        except KeyError:
            info = self._book.lookup(char)
            key = self._tone_cache[char] = None if info is None else tone_only_key(info)
            return key

    # ================================================================== pins, form, group
    def pins(self) -> dict[int, int]:
        """``{text offset: PING or ZE}`` — the pinned polyphone readings."""
        return self._pins.offsets(self.text())

    def set_pins(self, pins: dict[int, int]) -> None:
        self._pins.load(self.text(), pins)
        self._refresh_now()

    def pin_char(self, offset: int, code: int | None) -> None:
        """Pin the character at text ``offset`` to PING or ZE (None: automatic)."""
        text = self.text()
        if not 0 <= offset < len(text):
            return
        self._pins.set(OffsetMap(text).to_qt(offset), text[offset], code)
        self._revision += 1
        self._refresh_now()
        self.pins_changed.emit()

    def set_pinned_form(self, form: Form | None) -> None:
        self._form = form
        self.header.set_form(form)
        self._revision += 1
        self._refresh_now()

    def pinned_form(self) -> Form | None:
        return self._form

    def set_pinned_group(self, group: RhymeGroup | None) -> None:
        self._group = group
        self.header.set_group(group)
        self._revision += 1
        self._refresh_now()

    def pinned_group(self) -> RhymeGroup | None:
        return self._group

    # ================================================================== the rhyme book
    def book_kind(self) -> BookKind:
        """The rhyme book the poem is checked against."""
        return self._book.kind

    def set_book(self, kind: BookKind) -> None:
        """Check the poem against another rhyme book: tones, marks, groups and suggestions
        follow it. A pinned group of the old book is dropped."""
        if kind is self._book.kind:
            self.header.set_book(kind)
            self._ci_book.show(self.ci_book_kind())  # a 词 keeps showing its own book
            return
        got = self._by_book.get(kind)
        if got is None:
            if self._shelf is None:
                raise ValueError("this editor has only one rhyme book")
            checker = (
                self._checker_for(kind)
                if self._checker_for is not None
                else self._shelf.checker(kind, self._settings)
            )
            got = self._by_book[kind] = (checker, Suggester(checker.book))
        self._checker, self._suggester = got
        self._book = self._checker.book
        self.char_actions.set_book(self._book, self._suggester)
        self._tone_cache.clear()
        self._group = None
        self.header.set_book(kind)
        self._ci_book.show(self.ci_book_kind())
        self.highlighter.invalidate()
        self._revision += 1
        self._refresh_now()
        self.highlighter.ensure_range(*self.editor.visible_blocks())
        self.editor.viewport().update()
        self.book_changed.emit(kind)

    def _on_book_chosen(self, kind: object) -> None:
        if self._locked or not isinstance(kind, BookKind):
            return
        if self._ci is not None:  # 词 mode: the 词's book
            self.set_ci_book(CiBookKind(kind.value))
        else:
            self.set_book(kind)
            self.pinned_changed.emit()

    def set_locked(
        self, form: Form | None, group: RhymeGroup | None, book: BookKind | None = None
    ) -> None:
        """Pin form and group (None: detected), and the rhyme book when given, and disable
        the pickers (an assignment)."""
        if book is not None:
            self.set_book(book)
        self._locked = True
        self.header.set_locked(True)
        self._form, self._group = form, group
        self.header.set_form(form)
        self.header.set_group(group)
        self._revision += 1
        self._refresh_now()

    def unlock(self) -> None:
        """Enable the pickers again (the pins stay as they are)."""
        self._locked = False
        self.header.set_locked(False)

    def is_locked(self) -> bool:
        return self._locked

    def _on_form_chosen(self, form: object) -> None:
        if not self._locked:
            self._drop_ci()  # a form of 诗 chosen: back from 词
            self.set_pinned_form(form if isinstance(form, Form) else None)
            self.pinned_changed.emit()

    def _on_group_chosen(self, group: object) -> None:
        if not self._locked:
            self.set_pinned_group(group if isinstance(group, RhymeGroup) else None)
            self.pinned_changed.emit()

    def _on_script_chosen(self, script: str) -> None:
        self.convert_script("traditional" if script == "traditional" else "simplified")

    # ================================================================== settings, look
    def set_check_settings(self, settings: CheckSettings) -> None:
        self._settings = settings
        self._revision += 1
        self._refresh_now()

    def check_settings(self) -> CheckSettings:
        return self._settings

    def set_extra_findings(self, provider: ExtraFindings | None) -> None:
        self._extra = provider
        self._revision += 1
        self._refresh_now()

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        palette = palette_for(dark)
        self._formats.set_palette(palette)
        self.editor.set_palette(palette)
        self.legend.set_palette(palette)
        self.highlighter.invalidate()
        self.highlighter.ensure_range(*self.editor.visible_blocks())
        self.editor.viewport().update()
        self.dark_changed.emit(dark)

    def is_dark(self) -> bool:
        return self._dark

    def set_poem_font(self, font: QFont) -> None:
        self.editor.setFont(font)

    # ================================================================== navigation
    def go_to_finding(self, finding: object) -> None:
        """Select the finding's character (or its line's start) and focus the editor."""
        if not isinstance(finding, Finding):
            return
        a = self._analysis
        self.editor.setFocus()
        if a is None:
            return
        offsets = finding_offsets(a, finding)
        if offsets:
            start, length = offsets[0], 1
        elif 0 <= finding.line < len(a.lines):
            start, length = a.lines[finding.line].text.start, 0
        else:
            return
        select_span(self.editor, a.text, start, length)

    def next_finding(self, forward: bool = True) -> Finding | None:
        """Go to the next (or previous) finding after the cursor, wrapping around."""
        a = self.analyze_now()
        spots: list[tuple[int, Finding]] = []
        for f in self.findings():
            offsets = finding_offsets(a, f)
            if offsets:
                spots.append((offsets[0], f))
        if not spots:
            return None
        spots.sort(key=lambda s: s[0])
        here = OffsetMap(a.text).to_py(self.editor.textCursor().selectionStart())
        if forward:
            after = [s for s in spots if s[0] > here]
            target = after[0] if after else spots[0]
        else:
            before = [s for s in spots if s[0] < here]
            target = before[-1] if before else spots[-1]
        self.go_to_finding(target[1])
        return target[1]

    # ================================================================== hover, popup, menu
    def tooltip_at(self, offset: int) -> str:
        """The tooltip of the character at text ``offset`` ('' when there is none)."""
        return self.char_actions.tooltip(OffsetMap(self.text()).to_qt(offset)) or ""

    def open_char_popup(self, offset: int | None = None) -> CharPopup | None:
        """Open the popup for the character at text ``offset`` (default: at the caret)."""
        if offset is None:
            position = self.editor.caret_char_position()
        else:
            position = OffsetMap(self.text()).to_qt(offset)
        return None if position is None else self.char_actions.open_popup(position)

    # ================================================================== lifetime
    def shutdown(self) -> None:
        """Stop the timer and wait for a background analysis (call before deleting)."""
        self._timer.stop()
        worker = self._worker
        if worker is not None:
            worker.quit()
            worker.wait(10_000)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
