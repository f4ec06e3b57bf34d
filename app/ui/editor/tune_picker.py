"""The 词牌 picker: find a tune by name, alias or pinyin, choose its 体, see the template.

Left, the tunes (most written first, or by name, or by length) filtered as you type (菩萨蛮,
子夜歌, pusaman, psm); right, the chosen tune's 体 (正体 first, then the 又一体), and below
them the chosen 体's template with its 句/读/韵 marks and a 填词 grid of empty cells.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.prosody.ci.table import CiForm, CipuTable, Tune
from app.ui.i18n import Tr

_SORTS = (("written", "最常写", "most written"), ("name", "按名称", "by name"),
          ("length", "按字数", "by length"))  # fmt: skip


def form_grid(form: CiForm, filled: str = "") -> str:
    """The 体 as a grid: per 句 a row of cells, the mark under each (□ empty, the character
    once written), ``、`` after a 讀, ``韵`` after a rhyme, a blank line between 段."""
    chars = list(filled)
    rows: list[str] = []
    top: list[str] = []
    bottom: list[str] = []
    for i, seg in enumerate(form.segments):
        if i and seg.section != form.segments[i - 1].section:
            rows.append("")
        for mark in seg.marks:
            top.append(chars.pop(0) if chars else "□")
            bottom.append({"中": "⊙", "？": "⊙"}.get(mark, mark))
        if seg.pause:
            top.append("、")
            bottom.append("　")
            continue
        top.append("。" if seg.rhyme else "，")
        bottom.append("韵" if seg.rhyme else "　")
        rows.append("".join(top))
        rows.append("".join(bottom))
        top, bottom = [], []
    return "\n".join(rows)


class TunePickerDialog(QDialog):
    """Choose a tune and one of its 体 (or leave the 体 to the checker)."""

    def __init__(
        self,
        table: CipuTable,
        tr: Tr,
        parent: QWidget | None = None,
        *,
        current: Tune | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("tunePicker")
        self.setWindowTitle(tr("选择词牌", "Choose a tune (词牌)"))
        self._table = table
        self._tr = tr
        self.search = QLineEdit(self)
        self.search.setObjectName("tuneSearch")
        self.search.setPlaceholderText(
            tr("词牌、别名或拼音（如 菩萨蛮、子夜歌、psm）", "name, alias or pinyin (e.g. psm)")
        )
        self.sort = QComboBox(self)
        for key, zh, en in _SORTS:
            self.sort.addItem(tr(zh, en), key)
        self.tunes = QListWidget(self)
        self.tunes.setObjectName("tuneList")
        self.forms = QListWidget(self)
        self.forms.setObjectName("formList")
        self.template = QPlainTextEdit(self)
        self.template.setObjectName("tuneTemplate")
        self.template.setReadOnly(True)
        self.info = QLabel(self)
        self.info.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.sort)
        lists = QHBoxLayout()
        lists.addWidget(self.tunes, 1)
        lists.addWidget(self.forms, 1)
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addLayout(lists, 1)
        box.addWidget(self.info)
        box.addWidget(self.template, 1)
        box.addWidget(self.buttons)
        self.resize(760, 620)

        self.search.textChanged.connect(self._refill)
        self.sort.currentIndexChanged.connect(self._refill)
        self.tunes.currentRowChanged.connect(self._on_tune)
        self.forms.currentRowChanged.connect(self._on_form)
        self._shown: list[Tune] = []
        self._refill()
        if current is not None and current in self._shown:
            self.tunes.setCurrentRow(self._shown.index(current))

    # ------------------------------------------------------------------ lists
    def _refill(self) -> None:
        key = self.sort.currentData() or "written"
        self._shown = self._table.search(self.search.text(), sort=str(key))
        self.tunes.clear()
        for tune in self._shown:
            aliases = "、".join(tune.aliases_simplified[:3])
            text = f"{tune.simplified}  {len(tune.forms)}体"
            if tune.written:
                text += self._tr(f"  宋词{tune.written}首", f"  {tune.written} Song ci")
            item = QListWidgetItem(text)
            item.setToolTip(aliases or tune.name)
            self.tunes.addItem(item)
        if self._shown:
            self.tunes.setCurrentRow(0)
        else:
            self.forms.clear()
            self.template.setPlainText("")
            self.info.setText(self._tr("没有相符的词牌", "No tune matches"))

    def _on_tune(self, row: int) -> None:
        self.forms.clear()
        if not 0 <= row < len(self._shown):
            return
        tune = self._shown[row]
        auto = QListWidgetItem(self._tr("按字数与句式自动选体", "Form: choose by shape"))
        auto.setData(Qt.ItemDataRole.UserRole, -1)
        self.forms.addItem(auto)
        for form in tune.forms:
            label = self._tr(form.label_zh, form.label_en)
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, form.index)
            self.forms.addItem(item)
        self.forms.setCurrentRow(1 if tune.forms else 0)

    def _on_form(self, row: int) -> None:
        form = self.chosen_form()
        tune = self.chosen_tune()
        if tune is None:
            return
        names = "、".join(tune.aliases_simplified) or self._tr("无", "none")
        self.info.setText(self._tr(f"{tune.name}　又名：{names}", f"{tune.name}; also: {names}"))
        shown = form or (tune.forms[0] if tune.forms else None)
        self.template.setPlainText("" if shown is None else form_grid(shown))

    # ------------------------------------------------------------------ result
    def chosen_tune(self) -> Tune | None:
        row = self.tunes.currentRow()
        return self._shown[row] if 0 <= row < len(self._shown) else None

    def chosen_form(self) -> CiForm | None:
        tune = self.chosen_tune()
        item = self.forms.currentItem()
        if tune is None or item is None:
            return None
        index = item.data(Qt.ItemDataRole.UserRole)
        return tune.form(int(index)) if isinstance(index, int) and index >= 0 else None
