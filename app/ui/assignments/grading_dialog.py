"""Grade a class: a folder of .txt files or the library's poems tagged with the assignment.

Grading runs on a worker thread (:class:`~app.ui.workers.GeneratorWorker`), one
report per submission, so the table fills in as it goes; the library is read
through its own worker. The dialog shows the class table, the distribution of
grades, the commonest faults, every submission that was not graded with its
reason, and exports the gradebook (CSV) and the PDFs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QEventLoop, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.assign.explain import grade_steps
from app.assign.gradebook import write_gradebook
from app.assign.grading import Status, StudentReport, grade_submission
from app.assign.intake import Submission, read_submission_file
from app.assign.model import Assignment
from app.assign.persist import library_submissions, store_grading
from app.assign.summary import ClassSummary, summarize
from app.export.canvas import ExportResult
from app.export.fonts import FontLookup, NoCjkFontError, find_cjk_family
from app.export.report_pdf import ReportExporter, ReportOptions
from app.prosody.checker import Checker
from app.prosody.ci.checker import CiChecker
from app.ui.folders import RecentFolders, ask_folder, ask_save_path
from app.ui.i18n import Tr
from app.ui.workers import GeneratorWorker

if TYPE_CHECKING:
    from app.ui.logging_setup import EventLog


class LibraryAccess(Protocol):
    """What the dialog needs of the library: ``submit(fn, *args)`` running ``fn(library,
    *args)`` on the library's thread (LibraryClient and LibraryWorker both do)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]: ...


class _Relay(QObject):
    """Delivers Futures' outcomes on the GUI thread. Owned by the dialog for its whole life
    (a bridge per call that deletes itself, like ``watch_future``'s, crashed PySide6 when a
    signal emitted from its callback was awaited in a nested event loop)."""

    _done = Signal(object)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._waiting: dict[int, tuple[Callable[[Any], None], Callable[[BaseException], None]]] = {}
        self._done.connect(self._deliver)

    def watch(
        self,
        future: Future[Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        self._waiting[id(future)] = (on_result, on_error)
        future.add_done_callback(self._emit)

    def _emit(self, future: Future[Any]) -> None:
        with contextlib.suppress(RuntimeError):  # the dialog is gone
            self._done.emit(future)

    def _deliver(self, future: object) -> None:
        assert isinstance(future, Future)
        callbacks = self._waiting.pop(id(future), None)
        if callbacks is None:
            return
        exc = future.exception()
        if exc is not None:
            callbacks[1](exc)
        else:
            callbacks[0](future.result())


class DistributionChart(QWidget):
    """Bars of the grade distribution (one per band), with counts; drawn, not a chart library."""

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tr = tr
        self._summary: ClassSummary | None = None
        self.setMinimumHeight(140)

    def set_summary(self, summary: ClassSummary | None) -> None:
        self._summary = summary
        self.update()

    def bars(self) -> list[tuple[str, int]]:
        if self._summary is None:
            return []
        lang = "en" if self._tr.is_en else "zh"
        return [(b.label(lang), b.count) for b in self._summary.distribution]

    def paintEvent(self, event: QPaintEvent) -> None:
        bars = self.bars()
        painter = QPainter(self)
        try:
            painter.fillRect(self.rect(), self.palette().base())
            if not bars:
                return
            peak = max(c for _, c in bars) or 1
            w, h = self.width(), self.height()
            label_h = painter.fontMetrics().height() * 2 + 4
            slot = w / len(bars)
            for i, (label, count) in enumerate(bars):
                bar_h = (h - label_h - 16) * count / peak
                x = i * slot + slot * 0.15
                rect = QRectF(x, h - label_h - bar_h, slot * 0.7, bar_h)
                painter.fillRect(rect, QColor("#3a6ea5"))
                painter.setPen(self.palette().text().color())
                painter.drawText(QRectF(i * slot, h - label_h - bar_h - 16, slot, 16),
                                 int(Qt.AlignmentFlag.AlignCenter), str(count))  # fmt: skip
                painter.drawText(QRectF(i * slot, h - label_h, slot, label_h),
                                 int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap),
                                 label)  # fmt: skip
        finally:
            painter.end()


_COLUMNS = (("学生", "Student"), ("文件", "Source"), ("状态", "Status"), ("平仄", "Tones"),
            ("押韵", "Rhymes"), ("对仗", "Antithesis"), ("字数", "Length"), ("总分", "Total"),
            ("成绩", "Grade"), ("等第", "Band"), ("说明", "Note"))  # fmt: skip


class GradingDialog(QDialog):
    """Grade submissions for ``assignment``; ``library``/``assignment_id`` enable grading
    tagged library poems and keeping the results in the library."""

    grading_finished = Signal(object)  # list[StudentReport]
    saved = Signal(object)  # list[SubmissionRecord]

    def __init__(
        self,
        assignment: Assignment,
        checker: Checker | CiChecker,
        tr: Tr,
        *,
        library: LibraryAccess | None = None,
        assignment_id: int | None = None,
        font_lookup: FontLookup = find_cjk_family,
        folders: RecentFolders | None = None,
        log: EventLog | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._folders = folders
        self._log = log  # grading runs and exports are logged (the window's event log)
        self.setObjectName("gradingDialog")
        self.setWindowTitle(tr(f"批改：{assignment.title}", f"Grade: {assignment.title}"))
        self._assignment = assignment
        self._checker = checker
        self._tr = tr
        self._lang = "en" if tr.is_en else "zh"
        self._library = library
        self._assignment_id = assignment_id
        self._exporter = ReportExporter(font_lookup=font_lookup)
        self._reports: list[StudentReport] = []
        self._worker: GeneratorWorker | None = None
        self._last_worker: GeneratorWorker | None = None  # kept: no deferred delete mid-wait
        self._relay = _Relay(self)
        self._expected = 0
        self._build()
        self._update_buttons()

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        tr = self._tr
        self.folder_radio = QRadioButton(tr("文件夹", "Folder"))
        self.tag_radio = QRadioButton(tr("诗库标签", "Library tag"))
        self.folder_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.folder_radio)
        group.addButton(self.tag_radio)
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText(
            tr("一个放着 .txt 作业的文件夹", "a folder of .txt files")
        )
        browse = QPushButton(tr("选择…", "Browse…"))
        browse.clicked.connect(self._browse)
        self.tag_edit = QLineEdit(self._assignment.library_tag)
        self.tag_radio.setEnabled(self._library is not None)
        self.tag_edit.setEnabled(self._library is not None)
        self.start_button = QPushButton(tr("开始批改", "Grade"))
        self.start_button.clicked.connect(self._start_clicked)
        source = QHBoxLayout()
        source.addWidget(self.folder_radio)
        source.addWidget(self.folder_edit, 2)
        source.addWidget(browse)
        source.addWidget(self.tag_radio)
        source.addWidget(self.tag_edit, 1)
        source.addWidget(self.start_button)

        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels([tr(zh, en) for zh, en in _COLUMNS])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.chart = DistributionChart(tr)
        self.faults_list = QListWidget()
        self.problems_list = QListWidget()
        self.problems_list.setObjectName("gradingProblems")
        side = QWidget()
        col = QVBoxLayout(side)
        col.addWidget(self.summary_label)
        col.addWidget(QLabel(tr("成绩分布", "Distribution")))
        col.addWidget(self.chart)
        col.addWidget(QLabel(tr("常见问题", "Most common faults")))
        col.addWidget(self.faults_list, 1)
        col.addWidget(QLabel(tr("未批改的作业（及原因）", "Not graded (and why)")))
        col.addWidget(self.problems_list, 1)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)

        self.progress = QProgressBar()
        self.status = QLabel()
        self.status.setObjectName("gradingStatus")
        self.status.setWordWrap(True)
        self.csv_button = QPushButton(tr("导出成绩表（CSV）", "Export gradebook (CSV)"))
        self.class_pdf_button = QPushButton(tr("导出全班 PDF", "Export class PDF"))
        self.student_pdf_button = QPushButton(tr("导出每人 PDF", "Export a PDF per student"))
        self.save_button = QPushButton(tr("保存到诗库", "Keep in the library"))
        close = QPushButton(tr("关闭", "Close"))
        self.csv_button.clicked.connect(self._csv_clicked)
        self.class_pdf_button.clicked.connect(self._class_pdf_clicked)
        self.student_pdf_button.clicked.connect(self._student_pdf_clicked)
        self.save_button.clicked.connect(self.save_to_library)
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        for b in (self.csv_button, self.class_pdf_button, self.student_pdf_button,
                  self.save_button):  # fmt: skip
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)

        box = QVBoxLayout(self)
        box.addLayout(source)
        box.addWidget(split, 1)
        box.addWidget(self.progress)
        box.addWidget(self.status)
        box.addLayout(buttons)
        self.resize(1100, 640)

    def _update_buttons(self) -> None:
        running = self.is_running()
        have = bool(self._reports) and not running
        self.start_button.setEnabled(not running)
        for b in (self.csv_button, self.class_pdf_button, self.student_pdf_button):
            b.setEnabled(have)
        self.save_button.setEnabled(
            have and self._library is not None and self._assignment_id is not None
        )

    def _browse(self) -> None:
        folder = ask_folder(
            self, self._tr("作业文件夹", "Submissions folder"), self._folders, "class"
        )
        if folder is not None:
            self.folder_edit.setText(str(folder))

    def _start_clicked(self) -> None:
        if self.tag_radio.isChecked():
            self.grade_library(self.tag_edit.text().strip())
        elif self.folder_edit.text().strip():
            self.grade_folder(Path(self.folder_edit.text().strip()))
        else:
            self._say(self._tr("请先选择作业文件夹。", "Choose the submissions folder first."))

    def _say(self, text: str) -> None:
        self.status.setText(text)

    # ------------------------------------------------------------------ grading
    def is_running(self) -> bool:
        return self._worker is not None

    def grade_folder(self, folder: Path) -> None:
        """Grade every entry of ``folder`` (each is accounted for, see app.assign.intake)."""
        try:
            entries = sorted(folder.iterdir(), key=lambda p: p.name)
        except OSError as exc:
            self._say(self._tr(f"无法打开文件夹：{exc.strerror or exc}",
                               f"Cannot open the folder: {exc.strerror or exc}"))  # fmt: skip
            return
        assignment, checker = self._assignment, self._checker

        def job() -> Iterator[StudentReport]:
            for path in entries:
                yield grade_submission(read_submission_file(path), assignment, checker)

        self._run(job, len(entries))

    def grade_submissions(self, submissions: Sequence[Submission]) -> None:
        subs = list(submissions)
        assignment, checker = self._assignment, self._checker

        def job() -> Iterator[StudentReport]:
            for sub in subs:
                yield grade_submission(sub, assignment, checker)

        self._run(job, len(subs))

    def grade_library(self, tag: str | None = None) -> None:
        """Grade the library's poems tagged ``tag`` (default: the assignment's tag)."""
        if self._library is None:
            return
        from dataclasses import replace

        a = self._assignment if not tag else replace(self._assignment, tag=tag)
        self._say(self._tr("正在读取诗库…", "Reading the library…"))
        self.start_button.setEnabled(False)
        future = self._library.submit(library_submissions, a)
        self._relay.watch(future, self._library_read, self._library_failed)

    def _library_read(self, subs: object) -> None:
        assert isinstance(subs, list)
        if not subs:
            self._say(self._tr(f"诗库里没有标为「{self._assignment.library_tag}」的诗。",
                               f"No poem in the library is tagged "
                               f"「{self._assignment.library_tag}」."))  # fmt: skip
            self._update_buttons()
            return
        self.grade_submissions(subs)

    def _library_failed(self, exc: BaseException) -> None:
        message = getattr(exc, "message", None)
        text = message.text(self._lang) if message is not None else str(exc)
        self._say(self._tr(f"读取诗库失败：{text}", f"Could not read the library: {text}"))
        self._update_buttons()

    def _run(self, job: Callable[[], Iterator[StudentReport]], expected: int) -> None:
        if self._worker is not None:
            return
        self._reports = []
        self._expected = expected
        self.table.setRowCount(0)
        self.problems_list.clear()
        self.faults_list.clear()
        self.chart.set_summary(None)
        self.progress.setRange(0, max(expected, 1))
        self.progress.setValue(0)
        self._say(self._tr("正在批改…", "Grading…"))
        self._event("grading_started", submissions=expected)
        worker = GeneratorWorker(job, parent=self)
        worker.yielded_batch.connect(self._on_batch)
        worker.errored.connect(self._on_error)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        self._update_buttons()
        worker.start()

    def _on_batch(self, batch: list[object]) -> None:
        for r in batch:
            if isinstance(r, StudentReport):
                self._reports.append(r)
                self._add_row(r)
        self.progress.setValue(len(self._reports))

    def _on_error(self, exc: BaseException) -> None:
        if self._log is not None:
            self._log.failure("grading_failed", exc, assignment_id=self._assignment_id)
        self._say(self._tr(f"批改出错：{exc}", f"Grading failed: {exc}"))

    def _event(self, name: str, **fields: Any) -> None:
        if self._log is not None:
            self._log.event(name, assignment_id=self._assignment_id, **fields)

    def _on_finished(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.wait()
            self._last_worker = worker
        self._show_summary()
        self._update_buttons()
        reports = self._reports
        graded = [r.grade for r in reports if r.grade is not None]
        statuses: dict[str, int] = {}
        for r in reports:
            statuses[r.status.value] = statuses.get(r.status.value, 0) + 1
        self._event(
            "grading_finished",
            submissions=len(reports),
            expected=self._expected,
            statuses=statuses,
            mean=round(sum(graded) / len(graded), 1) if graded else None,
        )
        self.grading_finished.emit(list(self._reports))

    def cancel(self) -> None:
        """Stop grading (the reports so far stay) and wait for the thread."""
        worker = self._worker
        if worker is not None:
            worker.quit()
            worker.wait(30_000)

    def done(self, result: int) -> None:
        self.cancel()
        super().done(result)

    def _add_row(self, r: StudentReport) -> None:
        s = r.score
        lang = self._lang

        def num(v: float | None) -> str:
            return "" if v is None else f"{v:.1f}"

        values = [r.student, r.submission.source, r.status.label(lang),
                  num(s.tones if s else None), num(s.rhymes_or_none if s else None),
                  "—" if s and not s.applies[2] else num(s.antithesis if s else None),
                  num(s.length if s else None),
                  num(s.total if s else None), num(r.grade), r.band(lang),
                  r.reason.text(lang) if r.reason else ""]  # fmt: skip
        # How the grade was reached, on every cell of the row.
        tip = "\n".join(grade_steps(r, self._assignment.policy, lang))
        row = self.table.rowCount()
        self.table.insertRow(row)
        for c, v in enumerate(values):
            item = QTableWidgetItem(v)
            if r.status is not Status.GRADED:
                item.setForeground(QColor("#8a1c1c"))
            if tip:
                item.setToolTip(tip)
            self.table.setItem(row, c, item)

    def _show_summary(self) -> None:
        summary = summarize(self._reports)
        self.chart.set_summary(summary)
        tr = self._tr
        lang = self._lang

        def num(v: float | None) -> str:
            return "—" if v is None else f"{v:.1f}"

        lo, hi = num(summary.lowest), num(summary.highest)
        self.summary_label.setText(
            tr(
                f"共 {summary.handed_in} 份，已批 {summary.graded} 份；平均 {num(summary.mean)}，"
                f"中位数 {num(summary.median)}，最低 {lo}，最高 {hi}。",
                f"{summary.handed_in} handed in, {summary.graded} graded; "
                f"mean {num(summary.mean)}, median {num(summary.median)}, lowest {lo}, "
                f"highest {hi}.",
            )
        )
        self.faults_list.clear()
        for f in summary.faults:
            self.faults_list.addItem(tr(f"{f.label(lang)}：{f.students} 人，{f.occurrences} 处",
                                        f"{f.label(lang)}: {f.students} students, "
                                        f"{f.occurrences} times"))  # fmt: skip
        self.problems_list.clear()
        for r in self._reports:
            if r.status is not Status.GRADED:
                reason = r.reason.text(lang) if r.reason else ""
                self.problems_list.addItem(f"{r.submission.source}（{r.student}）"
                                           f"{r.status.label(lang)}：{reason}")  # fmt: skip
        self._say(tr(f"批改完毕：{len(self._reports)} 份。", f"Done: {len(self._reports)} graded."))

    # ------------------------------------------------------------------ results
    def reports(self) -> list[StudentReport]:
        return list(self._reports)

    def summary(self) -> ClassSummary | None:
        return summarize(self._reports) if self._reports else None

    def table_rows(self) -> list[list[str]]:
        rows = []
        for r in range(self.table.rowCount()):
            cells = [self.table.item(r, c) for c in range(self.table.columnCount())]
            rows.append([c.text() if c is not None else "" for c in cells])
        return rows

    def problem_rows(self) -> list[str]:
        return [self.problems_list.item(i).text() for i in range(self.problems_list.count())]

    def export_csv(self, path: Path) -> Path:
        out = write_gradebook(path, self._reports, self._lang)
        self._event("gradebook_exported", rows=len(self._reports))
        self._say(self._tr(f"成绩表已导出：{out}", f"Gradebook written: {out}"))
        return out

    def _report_options(self) -> ReportOptions:
        return ReportOptions(lang=self._lang)

    def export_class_pdf(self, path: Path) -> ExportResult | None:
        result = self._pdf(
            lambda: self._exporter.class_report(
                self._reports, self._assignment, path, self._report_options()
            )
        )
        return result if isinstance(result, ExportResult) else None

    def export_student_pdfs(self, folder: Path) -> list[ExportResult] | None:
        """One PDF per student (about 80 ms each): the progress bar follows, the window
        repaints between files, and the buttons stay off meanwhile."""

        def step(done: int, total: int) -> None:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)

        for b in (self.csv_button, self.class_pdf_button, self.student_pdf_button):
            b.setEnabled(False)
        try:
            result = self._pdf(
                lambda: self._exporter.students(
                    self._reports, self._assignment, folder, self._report_options(), progress=step
                )
            )
        finally:
            self._update_buttons()
        return result if isinstance(result, list) else None

    def _pdf(self, make: Callable[[], Any]) -> Any:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            result = make()
        except NoCjkFontError as exc:
            self._say(exc.message.text(self._lang))
            return None
        except OSError as exc:
            if self._log is not None:
                self._log.failure("report_pdf_failed", exc, assignment_id=self._assignment_id)
            self._say(self._tr(f"无法写入：{exc}", f"Cannot write: {exc}"))
            return None
        finally:
            QGuiApplication.restoreOverrideCursor()
        results = result if isinstance(result, list) else [result]
        self._event("report_pdf_exported", files=len(results),
                    pages=sum(getattr(r, "pages", 0) for r in results))  # fmt: skip
        self._say(self._tr("PDF 已导出。", "PDF written."))
        return result

    def _csv_clicked(self) -> None:
        title = self._tr("导出成绩表", "Export gradebook")
        name = f"{self._assignment.title}.csv"
        path = ask_save_path(self, title, name, "CSV (*.csv)", self._folders, "export")
        if path is not None:
            self.export_csv(path)

    def _class_pdf_clicked(self) -> None:
        title = self._tr("导出全班 PDF", "Export class PDF")
        name = f"{self._assignment.title}.pdf"
        path = ask_save_path(self, title, name, "PDF (*.pdf)", self._folders, "export")
        if path is not None:
            self.export_class_pdf(path)

    def _student_pdf_clicked(self) -> None:
        title = self._tr("存放每人 PDF 的文件夹", "Folder for the PDFs")
        folder = ask_folder(self, title, self._folders, "export")
        if folder is not None:
            self.export_student_pdfs(folder)

    def save_to_library(self) -> Future[Any] | None:
        """Keep this grading run in the library (replacing the assignment's earlier one)."""
        if self._library is None or self._assignment_id is None or not self._reports:
            return None
        future = self._library.submit(store_grading, self._assignment_id, list(self._reports))

        def ok(records: object) -> None:
            self._say(self._tr("已保存到诗库。", "Kept in the library."))
            self.saved.emit(records)

        self._relay.watch(future, ok, self._library_failed)
        return future
