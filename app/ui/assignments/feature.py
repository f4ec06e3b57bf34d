"""The 作业 (Assignments) menu: set an assignment, write against it, grade, print the sheet.

:class:`AssignmentFeature` belongs to the main window and adds the menu:

* 新建作业… — the :class:`~app.ui.assignments.AssignmentWizard`; Finish stores the
  assignment in the library (``store_assignment``, on the library's thread);
* 编辑作业… — the wizard on a stored assignment (its library tag is kept);
* 按作业写诗… — pick a stored assignment: the editor is locked to its form and rhyme
  group and checks its requirements live (``write_against``), and its
  :class:`~app.ui.assignments.RequirementsPanel` ticks them off in the right-hand
  area. It starts a new poem (the one that was open is left alone, its edits kept
  as a draft); that poem, and every new poem started meanwhile, gets the
  assignment's library tag (so grading by tag finds it); 结束作业 detaches;
* 批改… — the :class:`~app.ui.assignments.GradingDialog` for a stored assignment (a
  folder of .txt files or the poems tagged for it; CSV and PDFs from there);
* 导出作业纸 PDF… — the assignment sheet (田字格) through ``SheetExporter``.

Library work runs on the library's thread through small functions defined here,
which import the storage layer there (never on the GUI thread); the wizard, the
grading dialog and the PDF code are imported the first time they are used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction

from app.ui.dialogs import ChoiceDialog, FileQuestions
from app.ui.document import PoemDocument

if TYPE_CHECKING:
    from app.assign.model import Assignment
    from app.export.canvas import ExportResult
    from app.prosody.checker import Checker
    from app.prosody.ci.books import CiBookKind, CiRhymes
    from app.prosody.ci.checker import CiChecker
    from app.storage.assignments import AssignmentRecord
    from app.storage.repository import Library
    from app.ui.assignments.grading_dialog import GradingDialog
    from app.ui.assignments.wizard import AssignmentWizard
    from app.ui.assignments.writing import AssignmentSession, RequirementsPanel
    from app.ui.window.host import FeatureHost

# (record id, list label, the assignment or None when its stored form cannot be read)
Listed = tuple[int, str, "Assignment | None"]


# ---------------------------------------------------------------- on the library's thread
def list_assignments(library: Library) -> list[Listed]:
    """Stored assignments, newest first, each decoded (or None when unreadable)."""
    from app.assign.codec import AssignmentFormatError
    from app.assign.persist import assignment_of
    from app.storage.assignments import list_assignments as stored

    out: list[Listed] = []
    for record in stored(library):
        try:
            a: Assignment | None = assignment_of(record)
        except AssignmentFormatError:
            a = None
        due = f" · {record.due}" if record.due else ""
        out.append((record.id, f"{record.title}（{record.form}）{due} · {record.tag}", a))
    return out


def store_assignment(
    library: Library, a: Assignment, assignment_id: int | None = None
) -> AssignmentRecord:
    from app.assign.persist import store_assignment as store

    return store(library, a, assignment_id)


# ---------------------------------------------------------------- the feature
class AssignmentFeature(QObject):
    """The 作业 menu of a window (see the module notes).

    Signals: ``stored(AssignmentRecord)`` after the wizard's assignment was saved,
    ``picker_opened(ChoiceDialog)`` when a stored assignment is to be chosen,
    ``session_changed(object)`` (the :class:`AssignmentSession`, or None when ended).
    """

    stored = Signal(object)
    picker_opened = Signal(object)
    session_changed = Signal(object)

    def __init__(self, window: FeatureHost) -> None:
        super().__init__(window.widget())
        self.w = window
        tr = window.tr_
        self.files = FileQuestions(window.services.folders)
        menu = window.add_menu("assign", tr("作业(&A)", "&Assignments"), before="help")
        self.menu = menu

        def action(zh: str, en: str, name: str, slot: Callable[[], object]) -> QAction:
            act = QAction(tr(zh, en), window.widget())
            act.setObjectName(name)
            act.triggered.connect(lambda _on=False: slot())
            menu.addAction(act)
            return act

        self.new_action = action("新建作业…", "New assignment…", "assign_new", self.new_assignment)
        self.edit_action = action("编辑作业…", "Edit an assignment…", "assign_edit",
                                  lambda: self.pick(self.edit))  # fmt: skip
        menu.addSeparator()
        self.write_action = action("按作业写诗…", "Write against an assignment…", "assign_write",
                                   lambda: self.pick(self.write_against))  # fmt: skip
        self.end_action = action("结束作业", "Stop writing against it", "assign_end",
                                 self.end_session)  # fmt: skip
        self.end_action.setEnabled(False)
        menu.addSeparator()
        self.grade_action = action("批改…", "Grade…", "assign_grade", lambda: self.pick(self.grade))
        self.sheet_action = action(
            "导出作业纸 PDF…",
            "Export the assignment sheet (PDF)…",
            "assign_sheet",
            lambda: self.pick(self.export_sheet),
        )

        self.wizard: AssignmentWizard | None = None
        self.picker: ChoiceDialog | None = None
        self.grading: GradingDialog | None = None
        self.session: AssignmentSession | None = None
        self.requirements: RequirementsPanel | None = None
        self.assignment: Assignment | None = None
        self.assignment_id: int | None = None
        window.on_document_loaded(self._document_loaded)

    # ------------------------------------------------------------------ setting
    def new_assignment(
        self, assignment: Assignment | None = None, assignment_id: int | None = None
    ) -> AssignmentWizard:
        """Open the wizard (on ``assignment`` to edit it); Finish stores it."""
        from app.ui.assignments.wizard import AssignmentWizard

        w = self.w
        wizard = AssignmentWizard(
            w.services.book,
            w.tr_,
            assignment=assignment,
            shelf=w.services.books(),
            parent=w.widget(),
            ci_checker=w.pane.ci_checker,
        )
        wizard.accepted.connect(lambda: self._store(wizard.assignment(), assignment_id))
        self.wizard = wizard
        wizard.open()
        return wizard

    def edit(self, assignment_id: int, assignment: Assignment) -> AssignmentWizard:
        return self.new_assignment(assignment, assignment_id)

    def _store(self, a: Assignment, assignment_id: int | None) -> None:
        self.w.library.call(
            store_assignment,
            a,
            assignment_id,
            on_result=lambda record: self._stored(record, a),
            on_error=lambda exc: self.w.show_error(
                exc, prefix=self.w.tr_("作业没能保存：", "The assignment was not saved: ")
            ),
        )

    def _stored(self, record: AssignmentRecord, a: Assignment) -> None:
        w = self.w
        tr = w.tr_
        w.log.event("assignment_saved", assignment_id=record.id, form=record.form, tag=record.tag)
        from dataclasses import replace

        stored = replace(a, tag=record.tag)
        w.notices.show_notice(
            "assignment",
            tr(
                f"作业《{record.title}》已保存；学生的诗标上「{record.tag}」即可按标签批改。",
                f"The assignment “{record.title}” was saved; poems tagged 「{record.tag}」 "
                "can be graded by tag.",
            ),
            actions=[
                (
                    tr("按此作业写诗", "Write against it"),
                    lambda: self._write_stored(record.id, stored),
                ),
                (
                    tr("导出作业纸", "Export the sheet"),
                    lambda: self._sheet_stored(record.id, stored),
                ),
            ],
        )
        self.stored.emit(record)

    def _write_stored(self, assignment_id: int, a: Assignment) -> None:
        self.write_against(assignment_id, a)

    def _sheet_stored(self, assignment_id: int, a: Assignment) -> None:
        self.export_sheet(assignment_id, a)

    # ------------------------------------------------------------------ choosing one
    def pick(self, then: Callable[[int, Assignment], object]) -> None:
        """List the stored assignments; ``then(id, assignment)`` with the one chosen."""
        w = self.w
        w.library.call(
            list_assignments,
            on_result=lambda rows: self._show_picker(rows, then),
            on_error=w.show_error,
        )

    def _show_picker(self, rows: list[Listed], then: Callable[[int, Assignment], object]) -> None:
        w = self.w
        tr = w.tr_
        readable = {i: a for i, _label, a in rows if a is not None}
        dialog = ChoiceDialog(
            tr("选择作业", "Choose an assignment"),
            tr("选择一份作业：", "Choose an assignment:"),
            [(label, i) for i, label, a in rows if a is not None],
            tr,
            empty_text=tr(
                "诗库里还没有作业。先用“作业 → 新建作业…”布置一份。",
                "There are no assignments yet. Set one with Assignments → New assignment….",
            ),
            parent=w.widget(),
        )

        def chosen(value: object) -> None:
            if isinstance(value, int) and value in readable:
                then(value, readable[value])

        dialog.chosen.connect(chosen)
        self.picker = dialog
        dialog.open()
        self.picker_opened.emit(dialog)

    # ------------------------------------------------------------------ writing against one
    def write_against(self, assignment_id: int, a: Assignment) -> AssignmentSession:
        """Start a new poem for ``a``: the editor locked to it, its requirements checked
        live and shown beside it, the poem tagged for grading. Whatever poem was open is
        left as it was (its unsaved edits kept as a draft) — never tagged, never locked."""
        from app.ui.assignments.writing import RequirementsPanel, write_against

        self.end_session(quiet=True)
        w = self.w
        tr = w.tr_
        ci = self.ci_checker(a.ci.book) if a.ci is not None else None
        w.new_document()
        session = write_against(w.pane, a, w.services.books().book(a.book), ci)
        panel = RequirementsPanel(tr)
        panel.follow(session)
        self.session, self.requirements = session, panel
        self.assignment, self.assignment_id = a, assignment_id
        w.add_side_panel("assignment", panel, tr("作业要求", "Requirements"), menu=False)
        w.show_side_panel("assignment")
        w.sync_pinned_form()
        self.tag_current_poem()
        self.end_action.setEnabled(True)
        w.log.event("assignment_writing", assignment_id=assignment_id, tag=a.library_tag)
        w.notices.show_notice(
            "assignment",
            tr(
                f"正在按作业《{a.title}》写{'词' if a.ci else '诗'}："
                + (f"按{a.form_label}检查" if a.ci else f"韵书（{a.book.zh}）、诗体与韵部已锁定")
                + "，"
                f"要求逐条检查；保存时标上「{a.library_tag}」。",
                f"Writing against “{a.title}”: "
                + (
                    f"checked against {a.form_label}"
                    if a.ci
                    else f"rhyme book ({a.book.en}), form and rhyme are locked"
                )
                + f", the requirements are checked as you type; saved poems are tagged "
                f"「{a.library_tag}」.",
            ),
            actions=[(tr("结束作业", "Stop"), self.end_session)],
        )
        self.session_changed.emit(session)
        return session

    def tag_current_poem(self) -> bool:
        """Give the poem in the editor the assignment's tag (an edit: autosaved, saved)."""
        a = self.assignment
        if a is None:
            return False
        return self.w.add_tag(a.library_tag)

    def _document_loaded(self, doc: PoemDocument) -> None:
        if self.session is not None and doc.poem_id is None:
            self.tag_current_poem()  # a new poem started while writing against it

    def end_session(self, *, quiet: bool = False) -> None:
        """Stop writing against the assignment: the editor is unlocked as it was."""
        session = self.session
        if session is None:
            return
        w = self.w
        session.detach()
        self.session = None
        self.requirements = None
        self.assignment, self.assignment_id = None, None
        w.remove_side_panel("assignment")
        w.sync_pinned_form()
        self.end_action.setEnabled(False)
        if not quiet:
            w.notices.dismiss("assignment")
        w.log.event("assignment_writing_ended")
        self.session_changed.emit(None)

    # ------------------------------------------------------------------ grading, the sheet
    def ci_checker(self, kind: CiBookKind) -> CiChecker | None:
        """The 词 checker in the book ``kind`` (None, with the window's notice on how to
        build one, when no 词谱 is installed)."""
        base = self.w.pane.ci_checker()
        if base is None:
            return None
        from app.prosody.ci.books import ci_book

        shelf = self.w.services.books()
        return base.with_book(ci_book(kind, shelf, base.cilin))

    def _ci_rhymes(self, kind: CiBookKind) -> CiRhymes | None:
        checker = self.ci_checker(kind)
        return checker.rhymes if checker is not None else None

    def grade(self, assignment_id: int, a: Assignment) -> GradingDialog | None:
        from app.ui.assignments.grading_dialog import GradingDialog

        w = self.w
        old = self.grading
        if old is not None and old.is_running():
            old.cancel()
        checker: Checker | CiChecker = w.services.checker_for(a.book)
        if a.ci is not None:  # a 词: its 体 in its book (no 词谱 installed: a notice says so)
            ci = self.ci_checker(a.ci.book)
            if ci is None:
                return None
            checker = ci
        dialog = GradingDialog(
            a,
            checker,
            w.tr_,
            library=w.services.library,
            assignment_id=assignment_id,
            folders=w.services.folders,
            log=w.log,
            parent=w.widget(),
        )
        self.grading = dialog
        dialog.open()
        return dialog

    def export_sheet(self, assignment_id: int, a: Assignment) -> ExportResult | None:
        """Ask where, then write the assignment sheet (田字格); None when not written."""
        w = self.w
        tr = w.tr_
        path = self.files.save_path(
            w.widget(),
            tr("导出作业纸", "Export the assignment sheet"),
            f"{a.title}.pdf",
            "PDF (*.pdf)",
        )
        if path is None:
            return None
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        from app.export.fonts import NoCjkFontError
        from app.export.sheet_pdf import SheetExporter, SheetOptions

        try:
            exporter = SheetExporter(w.services.books().book(a.book), ci_rhymes=self._ci_rhymes)
            result = exporter.export(a, path, SheetOptions(lang=w.tr_.language))
        except NoCjkFontError as exc:
            w.notices.show_notice("export", exc.message.text(w.tr_.language), level="error")
            return None
        except OSError as exc:
            w.notices.show_notice(
                "export",
                tr(f"无法写入 {path}：{exc}", f"Cannot write {path}: {exc}"),
                level="error",
            )
            return None
        w.log.event("sheet_exported", assignment_id=assignment_id, pages=result.pages)
        w.notices.show_notice(
            "export",
            tr(f"作业纸已导出：{result.path}", f"Assignment sheet written: {result.path}"),
            timeout_ms=8000,
        )
        return result

    # ------------------------------------------------------------------ closing
    def shutdown(self) -> None:
        """Stop a grading run in progress (its thread must not outlive the window)."""
        grading = self.grading
        if grading is not None and grading.is_running():
            grading.cancel()
