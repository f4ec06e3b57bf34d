"""The settings dialog: data folder, fonts, checker strictness, timings, theme, language,
and the model (local or remote, engine, hub: :mod:`app.ui.models.settings_page`).

It edits a copy of :class:`~app.settings.Settings` and emits ``applied`` with the
new value on 应用/确定; the window saves it through the settings store and
applies what can change live (theme, fonts, checker options, delays). The
language and the data folder take effect after a restart, and the dialog says
so beside those controls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.settings import CheckerSettings, Settings
from app.ui.i18n import Tr
from app.ui.models.settings_page import ModelSettingsPage

# (field of CheckerSettings, Chinese, English)
CHECKER_OPTIONS: tuple[tuple[str, str, str], ...] = (
    ("strict_135", "严格“一三五”（关闭时一三五不论）", "Strict 1-3-5 (off: free positions)"),
    ("accept_aojiu", "接受常见拗救", "Accept recognised 拗救 (compensations)"),
    ("warn_san_ze_wei", "“三仄尾”提示警告", "Warn on 三仄尾 (three oblique endings)"),
    ("zheyao_as_note", "失粘按“折腰体”只作提示", "Treat 失粘 as 折腰体 (a note, not an error)"),
    ("mao_yun", "提示“冒韵”", "Point out 冒韵"),
    ("dui_zhang", "律诗颔联、颈联对仗提示", "对仗 hints for the middle couplets"),
    ("repeated_chars", "重字提示", "Point out repeated characters"),
)


def restart_fields(old: Settings, new: Settings) -> list[str]:
    """Which changed settings take effect only after a restart ('language', 'data_dir')."""
    changed = []
    if old.ui.language != new.ui.language:
        changed.append("language")
    if old.data_dir != new.data_dir:
        changed.append("data_dir")
    return changed


class SettingsDialog(QDialog):
    applied = Signal(object)  # Settings

    def __init__(
        self,
        settings: Settings,
        tr: Tr,
        *,
        poem_families: Sequence[str] = (),
        ui_families: Sequence[str] = (),
        default_data_dir: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._tr = tr
        self._base = settings
        self.setWindowTitle(tr("设置", "Settings"))
        later = tr("（重新启动后生效）", "(takes effect after restart)")

        # -- general
        self.language_combo = QComboBox()
        self.language_combo.addItem("中文", "zh")
        self.language_combo.addItem("English", "en")
        self.theme_combo = QComboBox()
        self.theme_combo.addItem(tr("跟随系统", "Follow the system"), "system")
        self.theme_combo.addItem(tr("浅色", "Light"), "light")
        self.theme_combo.addItem(tr("深色", "Dark"), "dark")
        self.data_dir_edit = QLineEdit()
        self.data_dir_edit.setPlaceholderText(default_data_dir or tr("默认位置", "default place"))
        browse = QPushButton(tr("选择……", "Choose…"))
        browse.clicked.connect(self._choose_data_dir)
        data_row = QHBoxLayout()
        data_row.addWidget(self.data_dir_edit, 1)
        data_row.addWidget(browse)
        self.backup_spin = QDoubleSpinBox()
        self.backup_spin.setObjectName("backup-minutes")
        self.backup_spin.setRange(0.1, 1440)
        self.backup_spin.setDecimals(1)
        self.backup_spin.setSuffix(tr(" 分钟", " min"))
        self.backup_spin.setToolTip(
            tr(
                "诗库有改动时，至少每隔这么久备份一次（启动和退出时也各备份一次）。",
                "While the library changes, back it up at least this often (and at start "
                "and on quit).",
            )
        )
        general = QFormLayout()
        general.addRow(tr("界面语言", "Language"), self._with_note(self.language_combo, later))
        general.addRow(tr("主题", "Theme"), self.theme_combo)
        general.addRow(tr("数据文件夹", "Data folder"), data_row)
        general.addRow("", QLabel(later))
        general.addRow(tr("自动备份诗库，至少每隔", "Back up the library every"), self.backup_spin)

        # -- fonts
        self.poem_family_combo = QComboBox()
        self.poem_family_combo.setObjectName("poem-family")
        self.poem_family_combo.addItem(tr("自动（楷体或宋体）", "Automatic (a 楷 or 宋 face)"), "")
        for family in poem_families:
            self.poem_family_combo.addItem(family, family)
        self.poem_size_spin = QSpinBox()
        self.poem_size_spin.setRange(8, 96)
        self.ui_family_combo = QComboBox()
        self.ui_family_combo.addItem(tr("系统默认", "System default"), "")
        for family in ui_families:
            self.ui_family_combo.addItem(family, family)
        self.ui_size_spin = QSpinBox()
        self.ui_size_spin.setRange(0, 48)
        self.ui_size_spin.setSpecialValueText(tr("系统默认", "System default"))
        fonts = QFormLayout()
        fonts.addRow(tr("诗句字体", "Poem font"), self.poem_family_combo)
        fonts.addRow(tr("诗句字号", "Poem size"), self.poem_size_spin)
        fonts.addRow(tr("界面字体", "Interface font"), self.ui_family_combo)
        fonts.addRow(tr("界面字号", "Interface size"), self.ui_size_spin)

        # -- editor
        self.analysis_delay_spin = QSpinBox()
        self.analysis_delay_spin.setRange(0, 5000)
        self.analysis_delay_spin.setSuffix(" ms")
        self.autosave_spin = QDoubleSpinBox()
        self.autosave_spin.setRange(0.5, 600)
        self.autosave_spin.setDecimals(1)
        self.autosave_spin.setSingleStep(0.5)
        self.autosave_spin.setSuffix(tr(" 秒", " s"))
        editor = QFormLayout()
        editor.addRow(
            tr("停止输入后检查（延迟）", "Check after typing stops"), self.analysis_delay_spin
        )
        editor.addRow(tr("停止输入后自动保存草稿", "Autosave a draft after"), self.autosave_spin)

        # -- checker
        self.checker_boxes: dict[str, QCheckBox] = {}
        checker = QVBoxLayout()
        for name, zh, en in CHECKER_OPTIONS:
            box = QCheckBox(tr(zh, en))
            box.setObjectName(f"checker-{name}")
            self.checker_boxes[name] = box
            checker.addWidget(box)
        checker.addStretch(1)

        # -- model (backend, engine, hub)
        self.model_page = ModelSettingsPage(tr)

        self.tabs = QTabWidget()
        self._pages: dict[str, QWidget] = {}
        for key, layout, title in (
            ("general", general, tr("常规", "General")),
            ("fonts", fonts, tr("字体", "Fonts")),
            ("editor", editor, tr("编辑", "Editor")),
            ("checker", checker, tr("格律检查", "Checker")),
        ):
            page = QWidget()
            page.setLayout(layout)
            self.tabs.addTab(page, title)
            self._pages[key] = page
        self.tabs.addTab(self.model_page, tr("模型", "Model"))
        self._pages["model"] = self.model_page

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        apply = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        apply.clicked.connect(self.apply)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.buttons)
        self.load(settings)

    def show_page(self, key: str) -> None:
        """Bring a tab to the front: general, fonts, editor, checker, model."""
        page = self._pages.get(key)
        if page is not None:
            self.tabs.setCurrentWidget(page)

    def _with_note(self, widget: QWidget, note: str) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(widget)
        label = QLabel(note)
        label.setEnabled(False)
        row.addWidget(label, 1)
        return box

    def _choose_data_dir(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self, self._tr("选择数据文件夹", "Choose the data folder"), self.data_dir_edit.text()
        )
        if chosen:
            self.data_dir_edit.setText(chosen)

    @staticmethod
    def _select(combo: QComboBox, value: str) -> None:
        index = combo.findData(value)
        if index < 0:
            combo.addItem(value, value)
            index = combo.count() - 1
        combo.setCurrentIndex(index)

    def load(self, settings: Settings) -> None:
        """Show ``settings`` in the controls."""
        self._base = settings
        self._select(self.language_combo, settings.ui.language)
        self._select(self.theme_combo, settings.ui.theme)
        self.data_dir_edit.setText(settings.data_dir)
        self._select(self.poem_family_combo, settings.fonts.poem_family)
        self.poem_size_spin.setValue(settings.fonts.poem_size)
        self._select(self.ui_family_combo, settings.fonts.ui_family)
        self.ui_size_spin.setValue(settings.fonts.ui_size)
        self.analysis_delay_spin.setValue(settings.editor.analysis_delay_ms)
        self.autosave_spin.setValue(settings.editor.autosave_seconds)
        self.backup_spin.setValue(settings.library.backup_minutes)
        for name, box in self.checker_boxes.items():
            box.setChecked(bool(getattr(settings.checker, name)))
        self.model_page.load(settings)

    def settings(self) -> Settings:
        """The settings as the controls show them (everything else kept from the input)."""
        base = self._base
        checker: CheckerSettings = replace(
            base.checker, **{name: box.isChecked() for name, box in self.checker_boxes.items()}
        )
        return replace(
            base,
            ui=replace(
                base.ui,
                language=self.language_combo.currentData(),
                theme=self.theme_combo.currentData(),
            ),
            fonts=replace(
                base.fonts,
                poem_family=self.poem_family_combo.currentData(),
                poem_size=self.poem_size_spin.value(),
                ui_family=self.ui_family_combo.currentData(),
                ui_size=self.ui_size_spin.value(),
            ),
            editor=replace(
                base.editor,
                analysis_delay_ms=self.analysis_delay_spin.value(),
                autosave_seconds=round(self.autosave_spin.value(), 1),
            ),
            library=replace(base.library, backup_minutes=round(self.backup_spin.value(), 1)),
            checker=checker,
            engine=self.model_page.engine_settings(base.engine),
            hub=self.model_page.hub_settings(base.hub),
            data_dir=self.data_dir_edit.text().strip(),
        )

    def apply(self) -> None:
        new = self.settings()
        self.applied.emit(new)
        self._base = new

    def accept(self) -> None:
        self.apply()
        super().accept()
