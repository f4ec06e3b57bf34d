"""Writing against an assignment: the editor locked to its form and rhyme, its
requirements checked live, and a panel that ticks them off.

.. code-block:: python

    session = write_against(pane, assignment, book)   # pins, locks, installs the checks
    panel = RequirementsPanel(tr); panel.follow(session)
    ...
    session.detach()                                    # the editor as it was
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.assign.model import Assignment
from app.assign.requirements import RequirementChecker, RequirementResult
from app.prosody.analysis import PoemAnalysis
from app.prosody.books.kinds import BookKind
from app.prosody.books.protocol import Book
from app.prosody.ci.checker import CiChecker, CiTarget
from app.prosody.forms import Form
from app.prosody.groups import RhymeGroup
from app.prosody.settings import CheckSettings
from app.ui.editor import PoemEditorPane
from app.ui.i18n import Tr


class AssignmentSession(QObject):
    """The link between one editor pane and one assignment, until :meth:`detach`.

    ``results_changed(tuple[RequirementResult, ...])`` follows every analysis.
    """

    results_changed = Signal(object)

    def __init__(
        self,
        pane: PoemEditorPane,
        assignment: Assignment,
        book: Book | None = None,
        ci: CiChecker | None = None,
    ) -> None:
        super().__init__(pane)
        self.pane = pane
        self.assignment = assignment
        self.checker = RequirementChecker(assignment, ci.book if ci is not None else book)
        self._ci = ci  # a 词 assignment: the 词 checker in its book
        self._before: tuple[Form | None, RhymeGroup | None, CheckSettings, BookKind] = (
            pane.pinned_form(),
            pane.pinned_group(),
            pane.check_settings(),
            pane.book_kind(),
        )
        self._before_ci: CiTarget | None = pane.ci_target()
        self._results: tuple[RequirementResult, ...] = ()
        self._attached = False

    def attach(self) -> None:
        if self._attached:
            return
        self._attached = True
        pane = self.pane
        pane.analysis_ready.connect(self._on_analysis)
        pane.set_check_settings(self.assignment.policy.check_settings())
        pane.set_extra_findings(self.checker)
        ci = self.assignment.ci
        if ci is not None and self._ci is not None:  # 词 mode against the assignment's 体
            tune = self._ci.table.find(ci.form.tune)
            pane.set_locked(None, None)  # the pickers (book, form) follow the assignment
            pane.set_ci_target(CiTarget(self._ci, tune, ci.form, ci.bu))
        else:
            pane.set_locked(self.assignment.form, self.assignment.rhyme.group, self.assignment.book)

    def detach(self) -> None:
        """Unlock the editor and restore its form, group, checker settings and rhyme book."""
        if not self._attached:
            return
        self._attached = False
        pane = self.pane
        pane.analysis_ready.disconnect(self._on_analysis)
        pane.set_extra_findings(None)
        pane.unlock()
        form, group, settings, book = self._before
        if pane.book_kind() is not book:
            pane.set_book(book)
        pane.set_pinned_form(form)
        pane.set_pinned_group(group)
        pane.set_check_settings(settings)
        if self.assignment.ci is not None:
            pane.set_ci_target(self._before_ci)

    @property
    def attached(self) -> bool:
        return self._attached

    def results(self) -> tuple[RequirementResult, ...]:
        """The requirements against the latest analysis (live: missing things are hints)."""
        return self._results

    def final_results(self) -> tuple[RequirementResult, ...]:
        """The requirements as if the poem were handed in now."""
        analysis = self.pane.check_final()
        return self.checker.results_final(analysis)

    def _on_analysis(self, analysis: object) -> None:
        if isinstance(analysis, PoemAnalysis):
            self._results = self.checker.results(analysis)
            self.results_changed.emit(self._results)


def write_against(
    pane: PoemEditorPane,
    assignment: Assignment,
    book: Book | None = None,
    ci: CiChecker | None = None,
) -> AssignmentSession:
    """Lock ``pane`` to ``assignment`` (form, rhyme group, checker settings; a 词: its 体 in
    its book, through ``ci``) and check its requirements live through the pane's
    extra-findings hook."""
    session = AssignmentSession(pane, assignment, book, ci)
    session.attach()
    pane.analyze_now()
    return session


class RequirementsPanel(QWidget):
    """The assignment's requirements, each ticked (✓) or not (✗/…) as the poem grows."""

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("assignmentRequirements")
        self._tr = tr
        self.heading = QLabel(self)
        self.heading.setWordWrap(True)
        self.list = QListWidget(self)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.heading)
        box.addWidget(self.list, 1)

    def follow(self, session: AssignmentSession) -> None:
        a = session.assignment
        tr = self._tr
        self.heading.setText(tr(f"作业：{a.title}（{a.form_label}）", f"Assignment: {a.title} "
                                f"({a.form_label})"))  # fmt: skip
        session.results_changed.connect(self.show_results)
        self.show_results(session.results())

    def show_results(self, results: object) -> None:
        self.list.clear()
        if not isinstance(results, tuple):
            return
        lang = "en" if self._tr.is_en else "zh"
        for r in results:
            if not isinstance(r, RequirementResult):
                continue
            pending = bool(r.findings) and not any(f.is_error for f in r.findings)
            mark = "✓" if r.passed else ("…" if pending else "✗")  # …: not there yet
            text = f"{mark} {r.kind.label(lang)}：{r.wanted.text(lang)} — {r.found.text(lang)}"
            item = QListWidgetItem(text)
            item.setData(256, r.passed)
            self.list.addItem(item)

    def marks(self) -> list[str]:
        """The tick of each row (for tests and screen readers)."""
        return [self.list.item(i).text()[0] for i in range(self.list.count())]
