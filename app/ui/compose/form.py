"""Ask the model for a poem: the compose form, and the panel that runs it.

:class:`ComposeForm` collects a :class:`~app.compose.prompt.ComposeRequest` (or, for a 词,
a :class:`~app.compose.ci.prompt.CiRequest`: the 词牌 and 体, the rhyme book and a 部 per
group, from :class:`~app.ui.tune_fields.CiFields`):
theme and title, form (五绝 七绝 五律 七律, 对联, 词), the rhyme book (平水韵 / 中华新韵 /
中华通韵) and a rhyme group of it (平声 first, each with its most used characters),
imagery words, free
instructions, the number of candidates, "strict metre" (enabled only when
the constrained-decoding module ``app.compose.constraint`` is installed), and
thinking: on or off (Qwen3 can switch it; the poetry model always thinks; a general
chat model does not) and the thinking budget — "automatic" is the model's own
default, by its size — after which the engine closes thinking itself. The reasoning
panel says when the budget ended the thinking.

:class:`~app.ui.compose.panel.ComposePanel` runs what the form asks for.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.compose.ci.prompt import CiRequest
from app.compose.prompt import COMPOSE_FORMS, ComposeRequest, PromptStyle
from app.compose.session import CI_FORM
from app.prosody.books.kinds import BookKind
from app.prosody.books.protocol import Book
from app.prosody.books.shelf import Shelf
from app.prosody.books.tables import book_of_group, group_by_id
from app.prosody.ci.books import CiBookKind
from app.prosody.ci.checker import CiChecker
from app.prosody.ci.table import CiForm
from app.prosody.forms import Form
from app.prosody.rhymebook import RhymeBook
from app.ui.editor.header import book_groups
from app.ui.i18n import Tr
from app.ui.tune_fields import CiFields

if TYPE_CHECKING:
    pass

__all__ = ["ComposeForm", "constraint_available"]

EXAMPLE_CHARS = 8
_WORD_SPLIT = re.compile(r"[，,、；;\s]+")


def constraint_available() -> bool:
    """Whether the metre-constrained decoder (``app.compose.constraint``) is installed."""
    return importlib.util.find_spec("app.compose.constraint") is not None


class ComposeForm(QWidget):
    """The compose form. ``generate_requested(ComposeRequest | CiRequest)``,
    ``stop_requested()``. ``ci_checker`` (the 词 checker, None when no 词谱 is installed)
    adds 词 to the forms."""

    generate_requested = Signal(object)
    stop_requested = Signal()

    def __init__(
        self,
        tr: Tr,
        book: RhymeBook,
        parent: QWidget | None = None,
        *,
        strict_available: bool | None = None,
        ci_checker: Callable[[], CiChecker | None] | None = None,
        shelf: Shelf | None = None,
    ) -> None:
        super().__init__(parent)
        self._tr = tr
        self._classical = book
        self._shelf = shelf
        self.title = QLineEdit()
        self.title.setPlaceholderText(tr("诗题（可选）", "Title (optional)"))
        self.theme = QLineEdit()
        self.theme.setPlaceholderText(
            tr("主题，如：秋夜思乡", "Theme, e.g. homesick on an autumn night")
        )
        self.form = QComboBox()
        for f in COMPOSE_FORMS:
            self.form.addItem(f.value if not tr.is_en else f"{f.value} ({f.en})", f)
        # 对联: the model answers a given 上联 with its 下联
        self.form.addItem(tr("对联（对下联）", "couplet (answer a first line)"), Form.DUILIAN)
        self.form.setCurrentIndex(1)  # 七绝
        self.ci: CiFields | None = None
        if ci_checker is not None:
            self.form.addItem(tr("词（按词牌）", "词 (ci, by tune)"), CI_FORM)
            self.ci = CiFields(tr, ci_checker, shelf if shelf is not None else Shelf(book), self)
            self.ci.setObjectName("compose-ci")
            self.ci.changed.connect(self._update_buttons)
        self.first_line = QLineEdit()
        self.first_line.setObjectName("compose-first-line")
        self.first_line.setPlaceholderText(
            tr("上联，如：书山有路勤为径", "The first line, e.g. 书山有路勤为径")
        )
        self.book = QComboBox()
        self.book.setObjectName("compose-book")
        for kind in BookKind:
            self.book.addItem(tr(kind.zh, f"{kind.zh} {kind.en}"), kind.value)
        self.book.setToolTip(
            tr("按哪部韵书押韵、论平仄", "The rhyme book the poem keeps (tones and rhymes)")
        )
        self.book.setEnabled(shelf is not None)
        self.rhyme = QComboBox()
        self._kind = BookKind.PINGSHUI
        self._fill_groups(BookKind.PINGSHUI)
        self.book.currentIndexChanged.connect(self._on_book)
        self.imagery = QLineEdit()
        self.imagery.setPlaceholderText(
            tr("意象，用顿号或空格分隔：雁、霜、孤舟", "Imagery words: 雁 霜 孤舟")
        )
        self.instructions = QPlainTextEdit()
        self.instructions.setPlaceholderText(
            tr("其他要求（可选）", "Other instructions (optional)")
        )
        self.instructions.setMaximumHeight(70)
        self.candidates = QSpinBox()
        self.candidates.setRange(1, 8)
        self.thinking = QCheckBox(tr("先思考", "Think first"))
        self.thinking.setObjectName("compose-thinking")
        self.thinking.setChecked(True)
        self.budget = QSpinBox()
        self.budget.setObjectName("compose-think-budget")
        self.budget.setRange(-1, 32768)
        self.budget.setSingleStep(128)
        self.budget.setSuffix(tr(" 词元", " tokens"))
        self.budget.setToolTip(
            tr(
                "思考最多这么多词元，之后由引擎结束思考、开始作答。“自动”按模型大小而定。",
                "At most this many thinking tokens; then the engine ends the thinking and "
                "the answer begins. “Automatic” depends on the model's size.",
            )
        )
        self.default_budget = 1024
        self._budget_auto_text()
        self.budget.setValue(-1)
        self.thinking.toggled.connect(self._update_thinking)
        self.strict = QCheckBox(tr("严格格律（约束解码）", "Strict metre (constrained decoding)"))
        available = constraint_available() if strict_available is None else strict_available
        self.strict.setEnabled(available)
        if not available:
            self.strict.setToolTip(
                tr("约束解码模块尚未安装", "The constrained-decoding module is not installed yet")
            )
        self.generate_button = QPushButton(tr("生成", "Generate"))
        self.generate_button.setDefault(True)
        self.hint = QLabel(
            tr("先填写主题或诗题，才能生成。", "Fill in a theme or a title to generate.")
        )
        self.hint.setObjectName("compose-hint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(mid);")
        self.stop_button = QPushButton(tr("停止", "Stop"))
        self.generate_button.clicked.connect(self._on_generate)
        self.stop_button.clicked.connect(self.stop_requested)
        self.theme.textChanged.connect(self._update_buttons)
        self.title.textChanged.connect(self._update_buttons)
        self.first_line.textChanged.connect(self._update_buttons)
        self.form.currentIndexChanged.connect(self._on_form)

        # 意象 / 要求 / 候选数 fold away (a short window has room for the results instead)
        self.more_button = QToolButton()
        self.more_button.setObjectName("compose-more")
        self.more_button.setCheckable(True)
        self.more_button.setAutoRaise(True)
        self.more_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.more_button.toggled.connect(self._show_more)
        fields = QFormLayout()
        fields.addRow(tr("诗题", "Title"), self.title)
        fields.addRow(tr("主题", "Theme"), self.theme)
        fields.addRow(tr("体裁", "Form"), self.form)
        fields.addRow(tr("上联", "First line"), self.first_line)
        fields.addRow(tr("韵书", "Rhyme book"), self.book)
        fields.addRow(tr("韵部", "Rhyme group"), self.rhyme)
        if self.ci is not None:
            fields.addRow(self.ci)
        fields.addRow(self.more_button)
        fields.addRow(tr("意象", "Imagery"), self.imagery)
        fields.addRow(tr("要求", "Instructions"), self.instructions)
        fields.addRow(tr("候选数", "Candidates"), self.candidates)
        fields.addRow(tr("思考", "Thinking"), self.thinking)
        fields.addRow(tr("思考预算", "Budget"), self.budget)
        self._fields = fields
        for combo in (self.form, self.rhyme, self.book):
            # narrow enough for a laptop's dock; the list that drops down shows it whole
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(12)
            combo.view().setMinimumWidth(combo.view().sizeHintForColumn(0) + 24)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(fields)
        layout.addWidget(self.strict)
        layout.addLayout(buttons)
        layout.addWidget(self.hint)
        self._running = False
        self._style = PromptStyle.REASONING
        self.can_switch_thinking = True
        self._update_buttons()
        self._show_more(False)
        self.form.currentIndexChanged.connect(self._on_form)
        self._on_form()

    # ------------------------------------------------------------------ 词
    @property
    def is_ci(self) -> bool:
        """The form asks for a 词 (by 词牌)."""
        return self.ci is not None and self.form.currentData() == CI_FORM

    def _on_form(self, _index: int = 0) -> None:
        ci = self.is_ci
        couplet = self.is_couplet
        self._fields.setRowVisible(self.first_line, couplet)
        self._fields.setRowVisible(self.book, not ci)  # a 词 chooses its book in its fields
        self._fields.setRowVisible(self.rhyme, not ci and not couplet)  # a couplet: no rhyme
        if self.ci is not None:
            self._fields.setRowVisible(self.ci, ci)
        self._update_buttons()

    def select_ci(self, form: CiForm | None, book: CiBookKind | None = None) -> bool:
        """Write a 词 of ``form`` (a 体) in ``book`` — the editor's 词."""
        if self.ci is None:
            return False
        self.form.setCurrentIndex(self.form.findData(CI_FORM))
        if form is not None:
            self.ci.set_form(form, book)
        return True

    def _show_more(self, shown: bool) -> None:
        for field in (self.imagery, self.instructions, self.candidates):
            self._fields.setRowVisible(field, shown)
        self.more_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.more_button.setText(
            self._tr("意象、其他要求、候选数", "Imagery, instructions, candidates")
        )

    # ------------------------------------------------------------------ thinking
    def set_model_thinking(self, style: PromptStyle, default_budget: int) -> None:
        """Fit the thinking controls to the model: Qwen3 can switch thinking, the poetry
        model always thinks, a general chat model does not; ``default_budget`` is what
        "automatic" stands for."""
        tr = self._tr
        self.default_budget = default_budget
        self._budget_auto_text()
        self.can_switch_thinking = style is PromptStyle.QWEN3
        self.thinking.setEnabled(self.can_switch_thinking)
        if style is PromptStyle.GENERAL:
            self.thinking.setToolTip(tr("此模型不会思考", "This model does not think"))
        elif style is PromptStyle.REASONING:
            self.thinking.setToolTip(tr("此模型总会先思考", "This model always thinks first"))
        else:
            self.thinking.setToolTip(
                tr("关闭时模型直接作答（Qwen3 的思考开关）", "Off: the model answers at once")
            )
        self._style = style
        self._update_thinking()

    def set_thinking(self, thinking: bool, budget: int | None) -> None:
        """The poet's last choice (from the settings): ``budget`` None is automatic."""
        self.thinking.setChecked(thinking)
        self.budget.setValue(-1 if budget is None else budget)

    def thinking_choice(self) -> tuple[bool, int | None]:
        """(thinking on, the budget or None for automatic), as the settings keep them."""
        value = self.budget.value()
        return self.thinking.isChecked(), None if value < 0 else value

    @property
    def thinks(self) -> bool:
        """Whether the request will think (as the model and the switch decide)."""
        if self._style is PromptStyle.GENERAL:
            return False
        return self._style is PromptStyle.REASONING or self.thinking.isChecked()

    def think_budget(self) -> int:
        value = self.budget.value()
        return self.default_budget if value < 0 else value

    def _budget_auto_text(self) -> None:
        n = self.default_budget
        self.budget.setSpecialValueText(self._tr(f"自动（{n} 词元）", f"automatic ({n} tokens)"))

    def _update_thinking(self) -> None:
        self.budget.setEnabled(self.thinks)

    def request(self) -> ComposeRequest | CiRequest:
        """The request the form describes (ValueError if it lacks a theme and a title, or
        a 词 its tune)."""
        words = tuple(w for w in _WORD_SPLIT.split(self.imagery.text()) if w)
        if self.is_ci:
            assert self.ci is not None
            form = self.ci.form()
            if form is None:
                raise ValueError("a ci needs a tune")
            return CiRequest(
                theme=self.theme.text().strip(),
                form=form,
                bu=self.ci.bu(),
                title=self.title.text().strip(),
                imagery=words,
                instructions=self.instructions.toPlainText().strip(),
                book=self.ci.book_kind(),
                candidates=self.candidates.value(),
                thinking=self.thinks,
                think_budget=self.think_budget() if self.thinks else None,
            )
        return ComposeRequest(
            theme=self.theme.text().strip(),
            form=Form(self.form.currentData()),
            rhyme_group=None if self.is_couplet else self.rhyme.currentData(),
            book=self._kind,
            couplet_first=self.first_line.text().strip() if self.is_couplet else "",
            title=self.title.text().strip(),
            imagery=words,
            instructions=self.instructions.toPlainText().strip(),
            candidates=self.candidates.value(),
            thinking=self.thinks,
            think_budget=self.think_budget() if self.thinks else None,
        )

    @property
    def strict_metre(self) -> bool:
        return self.strict.isEnabled() and self.strict.isChecked()

    @property
    def is_couplet(self) -> bool:
        return bool(self.form.currentData() == Form.DUILIAN)  # the item data comes back a str

    def _book_of(self, kind: BookKind) -> Book:
        return self._shelf.book(kind) if self._shelf is not None else self._classical

    def _fill_groups(self, kind: BookKind) -> None:
        tr = self._tr
        book = self._book_of(kind)
        self.rhyme.clear()
        self.rhyme.addItem(tr("不限（任一平声韵）", "Any level-tone group"), None)
        for ping in (True, False):
            if not ping:
                self.rhyme.insertSeparator(self.rhyme.count())
            for g in book_groups(kind):
                if g.is_ping == ping:
                    examples = " ".join(book.group_chars(g.id)[:EXAMPLE_CHARS])
                    name = g.name if not tr.is_en else f"{g.name} · {g.name_en}"
                    self.rhyme.addItem(f"{name}　{examples}", g.id)
        self.rhyme.view().setMinimumWidth(self.rhyme.view().sizeHintForColumn(0) + 24)
        self.rhyme.setCurrentIndex(1)  # the first 平声 group (上平一东, 新韵一麻, 通韵一啊)

    def _on_book(self, index: int) -> None:
        kind = BookKind.from_name(self.book.itemData(index)) or BookKind.PINGSHUI
        if kind is not self._kind:
            self._kind = kind
            self._fill_groups(kind)

    def select_book(self, kind: BookKind) -> None:
        """Write in ``kind`` (the editor's poem's book), its groups in the picker."""
        if self._shelf is None and kind is not BookKind.PINGSHUI:
            return
        self.book.setCurrentIndex(max(0, self.book.findData(kind.value)))

    def rhyme_book(self) -> BookKind:
        return self._kind

    def select_group(self, group_id: int | None) -> None:
        if group_id is not None:
            self.select_book(book_of_group(group_by_id(group_id)))
        index = self.rhyme.findData(group_id)
        if index >= 0:
            self.rhyme.setCurrentIndex(index)

    def set_running(self, running: bool) -> None:
        self._running = running
        self._update_buttons()

    def _update_buttons(self) -> None:
        if self.is_couplet:
            has_topic = bool(self.first_line.text().strip())
        else:
            has_topic = bool(self.theme.text().strip() or self.title.text().strip())
        tune_missing = self.is_ci and self.ci is not None and self.ci.form() is None
        ready = has_topic and not tune_missing
        self.generate_button.setEnabled(ready and not self._running)
        self.stop_button.setEnabled(self._running)
        # say why 生成 cannot be pressed (a disabled button alone says nothing)
        tr = self._tr
        if tune_missing:
            self.hint.setText(tr("先选一个词牌，才能生成。", "Choose a tune to generate."))
        elif self.is_couplet:
            self.hint.setText(tr("先填写上联，才能生成。", "Fill in the first line to generate."))
        else:
            self.hint.setText(
                tr("先填写主题或诗题，才能生成。", "Fill in a theme or a title to generate.")
            )
        self.hint.setVisible(not ready)
        self.generate_button.setToolTip("" if ready else self.hint.text())

    def select_form(self, form: Form) -> bool:
        """Choose ``form`` (a form the editor holds) if it is one the model writes."""
        index = self.form.findData(form)
        if index < 0:
            return False
        self.form.setCurrentIndex(index)
        return True

    def _on_generate(self) -> None:
        try:
            req = self.request()
        except ValueError:
            return
        self.generate_requested.emit(req)
