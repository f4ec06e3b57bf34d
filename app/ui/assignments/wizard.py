"""A step-by-step assignment form (QWizard): basics → rhyme → content → grading → review.

Every step shows, beside its fields, what the student will see: the sheet's text
with the 平仄 template of every line, refreshed as the fields change. The last
step lists anything that keeps the assignment from being saved, and Finish stays
refused until it is fixed. With a 词谱 installed, 词 is a form too: the rhyme step then
asks for the 词牌 and 体, the rhyme book and the 部 of any group
(:class:`~app.ui.tune_fields.CiFields`). A 对联 rhymes with nothing: the rhyme step asks
for its rhyme book (the tones it is judged by) and either the 上联 the students answer or
the characters a side.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.assign.ci import CiAssignment
from app.assign.model import (
    ASSIGNMENT_FORMS,
    COUPLET_LENGTHS,
    Assignment,
    FirstLine,
    GradingPolicy,
    Qi,
    RhymeRequirement,
)
from app.assign.sheet import sheet_content, sheet_text
from app.prosody.books.kinds import BookKind
from app.prosody.books.protocol import Book
from app.prosody.books.shelf import Shelf
from app.prosody.ci.checker import CiChecker
from app.prosody.findings import Rule
from app.prosody.forms import Form
from app.prosody.rhymebook import RhymeBook
from app.ui.i18n import Tr
from app.ui.tune_fields import CiFields

_SPLIT = re.compile(r"[、，,;；\s]+")
_RULE_ROLE = 256
CI_ITEM = "词"  # the form combo's 词 (by 词牌)


class _StepPage(QWizardPage):
    """A step: its fields on the left, the live sheet preview on the right."""

    def __init__(self, title: str, subtitle: str, wizard: AssignmentWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.form = QFormLayout()
        left = QWidget()
        left.setLayout(self.form)
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setObjectName("sheetPreview")
        self.preview.setMinimumWidth(300)
        row = QHBoxLayout(self)
        row.addWidget(left, 3)
        right = QVBoxLayout()
        right.addWidget(QLabel(wizard.tr_("学生看到的作业单", "What the student sees")))
        right.addWidget(self.preview, 1)
        row.addLayout(right, 2)

    def initializePage(self) -> None:
        self._wizard.refresh()


class _ReviewPage(_StepPage):
    def __init__(self, wizard: AssignmentWizard) -> None:
        super().__init__(wizard.tr_("核对", "Review"),
                         wizard.tr_("检查作业单，然后完成。", "Check the sheet, then finish."),
                         wizard)  # fmt: skip
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setObjectName("assignmentProblems")
        self.problems.setStyleSheet("color: #b00020;")
        self.form.addRow(self.problems)

    def validatePage(self) -> bool:
        return not self._wizard.problems()


class AssignmentWizard(QWizard):
    """Create (or edit) an :class:`~app.assign.model.Assignment`; read it with
    :meth:`assignment` after ``accepted``."""

    preview_changed = Signal(str)

    def __init__(
        self,
        book: RhymeBook,
        tr: Tr,
        *,
        assignment: Assignment | None = None,
        shelf: Shelf | None = None,
        parent: QWidget | None = None,
        ci_checker: Callable[[], CiChecker | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("assignmentWizard")
        self._book = book
        self._ci_checker = ci_checker
        self._shelf = shelf
        self._tr = tr
        self._lang = "en" if tr.is_en else "zh"
        self._base = assignment
        self.setWindowTitle(tr("布置作业", "New assignment"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self._build_basics()
        self._build_rhyme()
        self._build_content()
        self._build_grading()
        self.review = _ReviewPage(self)
        self.steps = [self.basics, self.rhyme_page, self.content, self.grading, self.review]
        for page in self.steps:
            self.addPage(page)
        if assignment is not None:
            self.load(assignment)
        self.refresh()

    def tr_(self, zh: str, en: str) -> str:
        return self._tr(zh, en)

    # ------------------------------------------------------------------ steps
    def _build_basics(self) -> None:
        tr = self._tr
        sub = tr("题目、诗体、说明和截止日期。", "Title, form, instructions and due date.")
        page = _StepPage(tr("基本信息", "Basics"), sub, self)
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText(tr("例如：春日即事", "e.g. A spring day"))
        self.form_combo = QComboBox()
        for f in ASSIGNMENT_FORMS:
            self.form_combo.addItem(f.value if not tr.is_en else f"{f.value} — {f.en}", f)
        self.form_combo.setCurrentIndex(ASSIGNMENT_FORMS.index(ASSIGNMENT_FORMS[1]))
        if self._ci_checker is not None:
            self.form_combo.addItem(tr("词（按词牌）", "词 (ci, by tune)"), CI_ITEM)
        self.instructions_edit = QPlainTextEdit()
        self.instructions_edit.setPlaceholderText(tr("给学生的说明", "Instructions for students"))
        self.due_check = QCheckBox(tr("设截止日期", "Due date"))
        self.due_edit = QDateEdit(QDate.currentDate().addDays(7))
        self.due_edit.setCalendarPopup(True)
        self.due_edit.setEnabled(False)
        self.due_check.toggled.connect(self.due_edit.setEnabled)
        due_row = QHBoxLayout()
        due_row.addWidget(self.due_check)
        due_row.addWidget(self.due_edit, 1)
        page.form.addRow(tr("题目", "Title"), self.title_edit)
        page.form.addRow(tr("诗体", "Form"), self.form_combo)
        page.form.addRow(tr("说明", "Instructions"), self.instructions_edit)
        page.form.addRow(due_row)
        page.registerField("title*", self.title_edit)
        for signal in (self.title_edit.textChanged, self.instructions_edit.textChanged,
                       self.due_check.toggled, self.due_edit.dateChanged):  # fmt: skip
            signal.connect(self.refresh)
        self.form_combo.currentIndexChanged.connect(self.refresh)
        self.basics = page

    def _build_rhyme(self) -> None:
        tr = self._tr
        page = _StepPage(tr("用韵", "Rhyme"),
                         tr("限定韵部或任选平声韵；首句是否入韵；平起仄起。",
                            "A set rhyme group or any level-tone group; line 1; the start."),
                         self)  # fmt: skip
        self.book_combo = QComboBox()
        self.book_combo.setObjectName("assignmentBook")
        for kind in BookKind:
            self.book_combo.addItem(tr(kind.zh, f"{kind.zh} {kind.en}"), kind.value)
        self.book_combo.setEnabled(self._shelf is not None)
        self.group_combo = QComboBox()
        self._fill_groups(BookKind.PINGSHUI)
        self.book_combo.currentIndexChanged.connect(self._on_book)
        self.first_combo = QComboBox()
        for value in FirstLine:
            self.first_combo.addItem(value.label(self._lang), value)
        self.qi_combo = QComboBox()
        self.qi_combo.addItem(tr("平起仄起均可", "either start"), None)
        for q in Qi:
            self.qi_combo.addItem(q.value if not tr.is_en else q.en, q)
        page.form.addRow(tr("韵书", "Rhyme book"), self.book_combo)
        page.form.addRow(tr("韵部", "Rhyme group"), self.group_combo)
        page.form.addRow(tr("首句", "Line 1"), self.first_combo)
        page.form.addRow(tr("起式", "Start"), self.qi_combo)
        for combo in (self.group_combo, self.first_combo, self.qi_combo):
            combo.currentIndexChanged.connect(self.refresh)
        # 对联: the 上联 (出句) the students answer, or — without one — the length a side
        self.couplet_first_edit = QLineEdit()
        self.couplet_first_edit.setObjectName("assignmentCoupletFirst")
        self.couplet_first_edit.setPlaceholderText(
            tr("出句，如：书山有路勤为径；留空则上下联都由学生写",
               "The given first line, e.g. 书山有路勤为径; empty: students write both")
        )  # fmt: skip
        self.couplet_length_spin = QSpinBox()
        self.couplet_length_spin.setObjectName("assignmentCoupletLength")
        self.couplet_length_spin.setRange(COUPLET_LENGTHS.start, COUPLET_LENGTHS.stop - 1)
        self.couplet_length_spin.setValue(7)
        self.couplet_length_spin.setSuffix(tr(" 字", " characters"))
        page.form.addRow(tr("出句（上联）", "First line"), self.couplet_first_edit)
        page.form.addRow(tr("每边字数", "Characters a side"), self.couplet_length_spin)
        self.couplet_first_edit.textChanged.connect(self._on_couplet_first)
        self.couplet_length_spin.valueChanged.connect(self.refresh)
        self.ci_fields: CiFields | None = None
        if self._ci_checker is not None:
            self.ci_fields = CiFields(
                tr,
                self._ci_checker,
                self._shelf if self._shelf is not None else Shelf(self._book),
                page,
                open_label=("不限（同组同部即可）", "any (one per group)"),
            )
            self.ci_fields.setObjectName("assignmentCi")
            self.ci_fields.changed.connect(self.refresh)
            page.form.addRow(self.ci_fields)
        self.form_combo.currentIndexChanged.connect(self._show_form_rows)
        self.rhyme_page = page
        self._show_form_rows()

    @property
    def is_ci(self) -> bool:
        return self.ci_fields is not None and self.form_combo.currentData() == CI_ITEM

    @property
    def is_couplet(self) -> bool:
        return bool(self.form_combo.currentData() == Form.DUILIAN)  # Qt hands back a str

    def _show_form_rows(self, _index: int = 0) -> None:
        """A 词 sets its 词牌 and 体 instead of a rhyme group, line 1 and a start; a 对联
        its 上联 or its length (it keeps the rhyme book: its tones)."""
        ci = self.is_ci
        couplet = self.is_couplet
        form = self.rhyme_page.form
        form.setRowVisible(self.book_combo, not ci)
        for combo in (self.group_combo, self.first_combo, self.qi_combo):
            form.setRowVisible(combo, not ci and not couplet)
        for field in (self.couplet_first_edit, self.couplet_length_spin):
            form.setRowVisible(field, couplet)
        if self.ci_fields is not None:
            form.setRowVisible(self.ci_fields, ci)
        self.refresh()

    def _on_couplet_first(self, text: str) -> None:
        self.couplet_length_spin.setEnabled(not text.strip())  # a given 上联 sets the length
        self.refresh()

    def _kind(self) -> BookKind:
        return BookKind.from_name(self.book_combo.currentData()) or BookKind.PINGSHUI

    def _book_of(self, kind: BookKind) -> Book:
        return self._shelf.book(kind) if self._shelf is not None else self._book

    def _fill_groups(self, kind: BookKind) -> None:
        tr = self._tr
        self.group_combo.clear()
        self.group_combo.addItem(tr("任一平声韵", "any level-tone group"), None)
        for g in self._book_of(kind).ping_groups:
            self.group_combo.addItem(g.name if not tr.is_en else f"{g.name} {g.name_en}", g.id)

    def _on_book(self, _index: int) -> None:
        self._fill_groups(self._kind())  # the teacher chose another book: its groups

    def _build_content(self) -> None:
        tr = self._tr
        page = _StepPage(tr("内容", "Content"),
                         tr("题材、须用的意象、必用字与禁用字。",
                            "Theme, images to use, characters required and forbidden."),
                         self)  # fmt: skip
        self.theme_edit = QLineEdit()
        self.imagery_edit = QLineEdit()
        self.imagery_edit.setPlaceholderText(tr("用顿号或空格分开：明月、杨柳", "明月 杨柳 …"))
        self.imagery_min_spin = QSpinBox()
        self.imagery_min_spin.setRange(0, 20)
        self.imagery_min_spin.setSpecialValueText(tr("全部", "all"))
        self.required_edit = QLineEdit()
        self.forbidden_edit = QLineEdit()
        page.form.addRow(tr("题材", "Theme"), self.theme_edit)
        page.form.addRow(tr("意象", "Images"), self.imagery_edit)
        page.form.addRow(tr("至少用几个", "At least"), self.imagery_min_spin)
        page.form.addRow(tr("必用字", "Required characters"), self.required_edit)
        page.form.addRow(tr("禁用字", "Forbidden characters"), self.forbidden_edit)
        for edit in (self.theme_edit, self.imagery_edit, self.required_edit, self.forbidden_edit):
            edit.textChanged.connect(self.refresh)
        self.imagery_min_spin.valueChanged.connect(self.refresh)
        self.content = page

    def _build_grading(self) -> None:
        tr = self._tr
        page = _StepPage(tr("评分", "Grading"),
                         tr("哪些毛病计入、各扣几分、检查多严。",
                            "Which faults count, how much, how strict the checker is."),
                         self)  # fmt: skip
        p = GradingPolicy()
        self.flag_boxes: dict[str, QCheckBox] = {}
        for name, zh, en in (
            ("strict_135", "严格一三五", "strict 1-3-5"),
            ("warn_san_ze_wei", "三仄尾提醒", "warn on three oblique tones at the end"),
            ("zheyao_as_note", "失粘按折腰体", "accept broken adhesion as 折腰体"),
            ("accept_aojiu", "承认拗救", "accept 拗救 forms"),
            ("mao_yun", "冒韵提示", "advise on 冒韵"),
            ("dui_zhang", "对仗提示", "antithesis hints"),
            ("repeated_chars", "重字提示", "repeated-character hints"),
        ):
            box = QCheckBox(tr(zh, en))
            box.setChecked(bool(getattr(p, name)))
            box.toggled.connect(self.refresh)
            self.flag_boxes[name] = box
            page.form.addRow(box)
        self.weight_spins: list[QDoubleSpinBox] = []
        weights = QHBoxLayout()
        for (zh, en), w in zip((("平仄", "tones"), ("押韵", "rhymes"), ("对仗", "antithesis"),
                                ("字数", "length")), p.weights, strict=True):  # fmt: skip
            spin = QDoubleSpinBox()
            spin.setRange(0, 1)
            spin.setSingleStep(0.05)
            spin.setValue(w)
            spin.setPrefix(tr(zh, en) + " ")
            spin.valueChanged.connect(self.refresh)
            self.weight_spins.append(spin)
            weights.addWidget(spin)
        page.form.addRow(tr("权重", "Weights"), weights)
        self.error_spin = self._points(p.error_points)
        self.warning_spin = self._points(p.warning_points)
        self.requirement_spin = self._points(p.requirement_points)
        page.form.addRow(tr("每处错误扣（七律）", "Per error (in a 七律)"), self.error_spin)
        self.scale_box = QCheckBox(
            tr("按诗体字数折算（五绝×2.8，七绝×2，五律×1.4）",
               "scale to the form's length (五绝 ×2.8, 七绝 ×2, 五律 ×1.4)")
        )  # fmt: skip
        self.scale_box.setChecked(p.scale_errors)
        self.scale_box.toggled.connect(self.refresh)
        page.form.addRow(self.scale_box)
        self.cap_box = QCheckBox(tr("有错误时成绩最高", "With an error, at most"))
        self.cap_box.setChecked(p.error_cap is not None)
        self.cap_spin = self._points(p.error_cap if p.error_cap is not None else 89.0)
        self.cap_box.toggled.connect(self.cap_spin.setEnabled)
        self.cap_box.toggled.connect(self.refresh)
        self.cap_spin.setEnabled(p.error_cap is not None)
        cap_row = QHBoxLayout()
        cap_row.addWidget(self.cap_box)
        cap_row.addWidget(self.cap_spin, 1)
        page.form.addRow(cap_row)
        page.form.addRow(tr("每处注意扣", "Per warning"), self.warning_spin)
        page.form.addRow(tr("每项未达要求扣", "Per requirement missed"), self.requirement_spin)
        self.rules_list = QListWidget()
        for rule in Rule:
            if rule is Rule.REQUIREMENT:
                continue
            item = QListWidgetItem(rule.en if tr.is_en else rule.zh)
            item.setData(_RULE_ROLE, rule.value)
            item.setCheckState(_checked(rule in p.counted_rules))
            self.rules_list.addItem(item)
        self.rules_list.itemChanged.connect(self.refresh)
        page.form.addRow(tr("计入的毛病", "Faults that count"), self.rules_list)
        self.grading = page

    def _points(self, value: float) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(0, 100)
        spin.setDecimals(1)
        spin.setValue(value)
        spin.valueChanged.connect(self.refresh)
        return spin

    # ------------------------------------------------------------------ value
    def _ci(self) -> CiAssignment | None:
        fields = self.ci_fields
        if not self.is_ci or fields is None or fields.form() is None:
            return None
        form = fields.form()
        assert form is not None
        return CiAssignment(form, fields.book_kind(), tuple(sorted(fields.bu().items())))

    def assignment(self) -> Assignment:
        """The assignment as the fields now describe it."""
        ci = self._ci()
        data = self.form_combo.currentData()
        base_form = self._base.form if self._base is not None else ASSIGNMENT_FORMS[1]
        form = base_form if data == CI_ITEM else Form(data)  # Qt hands str enums back as str
        qi_data = self.qi_combo.currentData()
        couplet = form is Form.DUILIAN
        qd = self.due_edit.date()
        due = date(qd.year(), qd.month(), qd.day()) if self.due_check.isChecked() else None
        counted = frozenset(
            Rule(self.rules_list.item(i).data(_RULE_ROLE))
            for i in range(self.rules_list.count())
            if self.rules_list.item(i).checkState() == _checked(True)
        )
        w = [s.value() for s in self.weight_spins]
        flags = {name: box.isChecked() for name, box in self.flag_boxes.items()}
        policy = GradingPolicy(
            **flags,
            weights=(w[0], w[1], w[2], w[3]),
            error_points=self.error_spin.value(),
            warning_points=self.warning_spin.value(),
            requirement_points=self.requirement_spin.value(),
            counted_rules=counted,
            scale_errors=self.scale_box.isChecked(),
            error_cap=self.cap_spin.value() if self.cap_box.isChecked() else None,
        )
        base = self._base or Assignment(title="", form=form)
        return replace(
            base,
            title=self.title_edit.text().strip(),
            form=form,
            instructions=self.instructions_edit.toPlainText().strip(),
            rhyme=RhymeRequirement(
                None if ci is not None or couplet else self.group_combo.currentData(),
                FirstLine(self.first_combo.currentData()),
            ),
            qi=None if qi_data is None or ci is not None or couplet else Qi(qi_data),
            theme=self.theme_edit.text().strip(),
            imagery=tuple(w for w in _SPLIT.split(self.imagery_edit.text()) if w),
            imagery_min=self.imagery_min_spin.value(),
            required_chars=self.required_edit.text().strip(),
            forbidden_chars=self.forbidden_edit.text().strip(),
            policy=policy,
            due=due,
            ci=ci,
            book=self._kind(),
            couplet_first=self.couplet_first_edit.text().strip() if couplet else "",
            couplet_length=self.couplet_length_spin.value(),
        )

    def load(self, a: Assignment) -> None:
        """Fill the fields from ``a`` (editing an assignment)."""
        self.title_edit.setText(a.title)
        form_item = CI_ITEM if a.ci is not None and self.ci_fields is not None else a.form
        self.form_combo.setCurrentIndex(max(0, self.form_combo.findData(form_item)))
        if a.ci is not None and self.ci_fields is not None:
            self.ci_fields.set_form(a.ci.form, a.ci.book)
            self.ci_fields.set_bu(dict(a.ci.bu))
        self.instructions_edit.setPlainText(a.instructions)
        self.due_check.setChecked(a.due is not None)
        if a.due is not None:
            self.due_edit.setDate(QDate(a.due.year, a.due.month, a.due.day))
        self.book_combo.setCurrentIndex(max(0, self.book_combo.findData(a.book.value)))
        self.group_combo.setCurrentIndex(max(0, self.group_combo.findData(a.rhyme.group_id)))
        self.first_combo.setCurrentIndex(max(0, self.first_combo.findData(a.rhyme.first_line)))
        self.qi_combo.setCurrentIndex(max(0, self.qi_combo.findData(a.qi)))
        self.couplet_first_edit.setText(a.couplet_first)
        if a.couplet_length in COUPLET_LENGTHS:
            self.couplet_length_spin.setValue(a.couplet_length)
        self.theme_edit.setText(a.theme)
        self.imagery_edit.setText("、".join(a.imagery))
        self.imagery_min_spin.setValue(a.imagery_min)
        self.required_edit.setText(a.required_chars)
        self.forbidden_edit.setText(a.forbidden_chars)
        p = a.policy
        for name, box in self.flag_boxes.items():
            box.setChecked(bool(getattr(p, name)))
        for spin, w in zip(self.weight_spins, p.weights, strict=True):
            spin.setValue(w)
        self.error_spin.setValue(p.error_points)
        self.warning_spin.setValue(p.warning_points)
        self.requirement_spin.setValue(p.requirement_points)
        self.scale_box.setChecked(p.scale_errors)
        self.cap_box.setChecked(p.error_cap is not None)
        if p.error_cap is not None:
            self.cap_spin.setValue(p.error_cap)
        for i in range(self.rules_list.count()):
            item = self.rules_list.item(i)
            item.setCheckState(_checked(Rule(item.data(_RULE_ROLE)) in p.counted_rules))
        self.refresh()

    def problems(self) -> list[str]:
        a = self.assignment()
        out = [m.text(self._lang) for m in a.problems()]
        if self.is_ci and a.ci is None:
            out.append(self._tr("请选择词牌。", "Choose the tune (词牌)."))
        if sum(a.policy.weights) <= 0:
            out.append(self._tr("四项权重不能都为零。", "The four weights cannot all be zero."))
        return out

    def preview_text(self) -> str:
        a = self.assignment()
        if self.is_ci and a.ci is None:
            return self._tr("（先选择词牌）", "(choose the tune first)")
        book = self.ci_fields.ci_book() if a.ci is not None and self.ci_fields else None
        rhymes = book.rhymes if book is not None else None
        return sheet_text(sheet_content(a, self._book_of(a.book), self._lang, ci_rhymes=rhymes))

    def refresh(self) -> None:
        """Recompute the preview on every step (cheap: a few dozen lines of text)."""
        if not hasattr(self, "review"):
            return  # still building the steps
        text = self.preview_text()
        for page in self.steps:
            if page.preview.toPlainText() != text:
                page.preview.setPlainText(text)
        problems = self.problems()
        self.review.problems.setText("\n".join(problems))
        self.preview_changed.emit(text)


def _checked(on: bool) -> Qt.CheckState:
    return Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
