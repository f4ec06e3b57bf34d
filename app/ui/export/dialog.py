"""Export poems to PDF: layout, page size, margins, marks, title/author/date, the file.

.. code-block:: python

    dialog = PoemExportDialog(poems, PoemExporter(checker), tr, remembered=settings.pdf_export,
                              parent=window)
    if dialog.exec():
        result = dialog.result_value()      # ExportResult (path, pages, face)
        settings = replace(settings, pdf_export=dialog.choices())   # remembered next time

The dialog opens with the choices last used (``remembered``); ``choices()`` gives
them back to be kept.

One poem, a selection or a whole tag: with more than one poem the anthology
fields (its title, a contents page, one poem per page) come alive.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.export.canvas import ExportResult, PageSetup
from app.export.fonts import NoCjkFontError
from app.export.options import PdfOptions, PoemDoc
from app.export.poem.pdf import PoemExporter
from app.settings import PdfExportSettings
from app.ui.folders import RecentFolders, ask_save_path
from app.ui.i18n import Tr


class PoemExportDialog(QDialog):
    """Choose how ``poems`` go to PDF and write it on OK."""

    def __init__(
        self,
        poems: Sequence[PoemDoc],
        exporter: PoemExporter,
        tr: Tr,
        *,
        path: Path | None = None,
        font_family: str = "",
        folders: RecentFolders | None = None,
        remembered: PdfExportSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._folders = folders
        if not poems:
            raise ValueError("nothing to export")
        self.setObjectName("poemExportDialog")
        self._poems = list(poems)
        self._exporter = exporter
        self._tr = tr
        self._font_family = font_family
        self._result: ExportResult | None = None
        many = len(self._poems) > 1
        n = len(self._poems)
        self.setWindowTitle(tr(f"导出 PDF（{n} 首）", f"Export PDF ({n} poems)"))

        self.horizontal = QRadioButton(tr("横排", "Horizontal"))
        self.vertical = QRadioButton(tr("竖排（从右到左）", "Vertical (right to left)"))
        self.horizontal.setChecked(True)
        layout_row = QHBoxLayout()
        layout_row.addWidget(self.horizontal)
        layout_row.addWidget(self.vertical)
        layout_row.addStretch(1)

        self.page_combo = QComboBox()
        self.page_combo.addItem("A4", "A4")
        self.page_combo.addItem("Letter", "Letter")
        self.margin_spins: list[QDoubleSpinBox] = []
        margins = QHBoxLayout()
        for zh, en in (("左", "left"), ("上", "top"), ("右", "right"), ("下", "bottom")):
            spin = QDoubleSpinBox()
            spin.setRange(5, 60)
            spin.setValue(20)
            spin.setSuffix(" mm")
            spin.setPrefix(tr(zh, en) + " ")
            self.margin_spins.append(spin)
            margins.addWidget(spin)
        self.size_spin = QDoubleSpinBox()
        self.size_spin.setRange(8, 48)
        self.size_spin.setValue(16)
        self.size_spin.setSuffix(" pt")

        self.marks_box = QCheckBox(
            tr(
                "标注平仄（〇平 ●仄 ▲入声 ◎两读）",
                "Tone marks (〇 level ● oblique ▲ entering ◎ either)",
            )
        )
        self.group_box = QCheckBox(tr("标题下注明韵部", "Rhyme group under the title"))
        self.author_box = QCheckBox(tr("作者", "Author"))
        self.date_box = QCheckBox(tr("日期", "Date"))
        shown = QHBoxLayout()
        for check in (self.group_box, self.author_box, self.date_box):
            check.setChecked(True)
            shown.addWidget(check)
        shown.addStretch(1)

        self.title_edit = QLineEdit(tr("诗选", "Selected poems") if many else self._poems[0].title)
        self.contents_box = QCheckBox(tr("目录页", "Contents page"))
        self.contents_box.setChecked(many)
        self.one_per_page_box = QCheckBox(tr("每首另起一页", "Each poem on a new page"))
        for w in (self.contents_box, self.one_per_page_box):
            w.setEnabled(many)

        self.path_edit = QLineEdit(str(path) if path else "")
        browse = QPushButton(tr("选择…", "Browse…"))
        browse.clicked.connect(self._browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(browse)

        form = QFormLayout()
        form.addRow(tr("排版", "Layout"), layout_row)
        form.addRow(tr("纸张", "Page size"), self.page_combo)
        form.addRow(tr("页边距", "Margins"), margins)
        form.addRow(tr("字号", "Type size"), self.size_spin)
        form.addRow(self.marks_box)
        form.addRow(tr("显示", "Show"), shown)
        form.addRow(tr("文档标题", "Document title"), self.title_edit)
        form.addRow(self.contents_box)
        form.addRow(self.one_per_page_box)
        form.addRow(tr("文件", "File"), file_row)

        self.error_label = QLabel()
        self.error_label.setObjectName("exportError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020;")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setText(tr("导出", "Export"))
        buttons.accepted.connect(self._export_clicked)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(self.error_label)
        column.addWidget(buttons)
        if remembered is not None:
            self._restore(remembered, many)

    def _restore(self, r: PdfExportSettings, many: bool) -> None:
        (self.vertical if r.layout == "vertical" else self.horizontal).setChecked(True)
        self.page_combo.setCurrentIndex(max(0, self.page_combo.findData(r.page)))
        margins = (r.margin_left, r.margin_top, r.margin_right, r.margin_bottom)
        for spin, value in zip(self.margin_spins, margins, strict=True):
            spin.setValue(value)
        self.size_spin.setValue(r.font_pt)
        self.marks_box.setChecked(r.marks)
        self.group_box.setChecked(r.show_group)
        self.author_box.setChecked(r.show_author)
        self.date_box.setChecked(r.show_date)
        if many:
            self.contents_box.setChecked(r.contents)
            self.one_per_page_box.setChecked(r.one_per_page)
        self._remembered = r

    def choices(self) -> PdfExportSettings:
        """The choices made, to open with next time (an anthology's own settings are
        kept from the last anthology when this was a single poem)."""
        many = len(self._poems) > 1
        before = getattr(self, "_remembered", None) or PdfExportSettings()
        m = [s.value() for s in self.margin_spins]
        return PdfExportSettings(
            layout="vertical" if self.vertical.isChecked() else "horizontal",
            page="Letter" if self.page_combo.currentData() == "Letter" else "A4",
            margin_left=m[0],
            margin_top=m[1],
            margin_right=m[2],
            margin_bottom=m[3],
            font_pt=self.size_spin.value(),
            marks=self.marks_box.isChecked(),
            show_group=self.group_box.isChecked(),
            show_author=self.author_box.isChecked(),
            show_date=self.date_box.isChecked(),
            contents=self.contents_box.isChecked() if many else before.contents,
            one_per_page=self.one_per_page_box.isChecked() if many else before.one_per_page,
        )

    def options(self) -> PdfOptions:
        margins = tuple(s.value() for s in self.margin_spins)
        many = len(self._poems) > 1
        return PdfOptions(
            layout="vertical" if self.vertical.isChecked() else "horizontal",
            page=PageSetup(
                "Letter" if self.page_combo.currentData() == "Letter" else "A4",
                (margins[0], margins[1], margins[2], margins[3]),
            ),
            font_pt=self.size_spin.value(),
            marks=self.marks_box.isChecked(),
            show_group=self.group_box.isChecked(),
            show_author=self.author_box.isChecked(),
            show_date=self.date_box.isChecked(),
            contents=self.contents_box.isChecked() if many else False,
            title=self.title_edit.text().strip(),
            font_family=self._font_family,
            one_per_page=self.one_per_page_box.isChecked() if many else False,
            lang="en" if self._tr.is_en else "zh",
        )

    def _browse(self) -> None:
        title = self._tr("导出为 PDF", "Export as PDF")
        start = self.path_edit.text() or f"{self.title_edit.text() or 'poems'}.pdf"
        path = ask_save_path(self, title, start, "PDF (*.pdf)", self._folders, "export")
        if path is not None:
            self.path_edit.setText(str(path))

    def export(self) -> ExportResult | None:
        """Write the PDF with the chosen options; None (and the reason shown) on failure."""
        text = self.path_edit.text().strip()
        if not text:
            self.error_label.setText(self._tr("请选择保存位置。", "Choose where to save it."))
            return None
        path = Path(text)
        if path.suffix.lower() != ".pdf":
            path = path.with_suffix(path.suffix + ".pdf")
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self._result = self._exporter.export(self._poems, path, self.options())
        except NoCjkFontError as exc:
            self.error_label.setText(exc.message.text("en" if self._tr.is_en else "zh"))
            return None
        except OSError as exc:
            self.error_label.setText(
                self._tr(f"无法写入 {path}：{exc}", f"Cannot write {path}: {exc}")
            )
            return None
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.error_label.clear()
        return self._result

    def _export_clicked(self) -> None:
        if self.export() is not None:
            self.accept()

    def result_value(self) -> ExportResult | None:
        return self._result
