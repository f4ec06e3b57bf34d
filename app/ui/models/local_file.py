"""The window that shows what a user's own GGUF file says before it is used."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.models.gguf.header import GGUFInfo
from app.models.registry import ModelKind
from app.models.units import format_bytes
from app.ui.i18n import Tr


class LocalModelDialog(QDialog):
    """Shows what a GGUF file's header says and asks how to use it."""

    def __init__(self, info: GGUFInfo, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self._tr = tr
        self.setWindowTitle(tr("使用已有的 GGUF 文件", "Use a GGUF file I already have"))
        layout = QVBoxLayout(self)
        form = QFormLayout()
        yes, no = tr("有", "yes"), tr("无", "no")
        rows = [
            (tr("文件", "File"), str(info.path)),
            (tr("分卷", "Parts"), str(len(info.parts))),
            (tr("名称", "Name"), info.name),
            (tr("架构", "Architecture"), info.architecture or "?"),
            (tr("量化", "Quantization"), info.quantization),
            (tr("层数", "Layers"), str(info.block_count or "?")),
            (tr("上下文长度", "Context length"), str(info.context_length or "?")),
            (
                tr("注意力头 / KV 头", "Heads / KV heads"),
                f"{info.head_count} / {info.head_count_kv}",
            ),
            (tr("词表大小", "Vocabulary"), str(info.vocab_size or "?")),
            (tr("权重大小", "Weights"), format_bytes(info.tensor_bytes)),
            (tr("对话模板", "Chat template"), yes if info.has_chat_template else no),
        ]
        self.fields: dict[str, str] = {}
        for label, value in rows:
            shown = QLabel(value)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(label, shown)
            self.fields[label] = value
        self.kind_box = QComboBox()
        self.kind_box.addItem(
            tr("格律诗专用模型（QPM / 雅韵）", "Poetry model (QPM / Yayun)"), "poetry"
        )
        self.kind_box.addItem(tr("通用模型", "General model"), "general")
        self.style_box = QComboBox()
        self.style_box.addItem(tr("思考/作答格式（qpm-r1）", "think/answer (qpm-r1)"), "qpm-r1")
        self.style_box.addItem(tr("通用对话（ChatML）", "general chat (ChatML)"), "chatml-general")
        self.style_box.addItem(
            tr("Qwen3 思考（可开关）", "Qwen3 thinking (switchable)"), "qwen3-think"
        )
        looks_poetic = any(w in info.name.lower() for w in ("qpm", "yayun", "xunzi"))
        self.kind_box.setCurrentIndex(0 if looks_poetic else 1)
        qwen3 = info.architecture.startswith("qwen3") and not looks_poetic
        self.style_box.setCurrentIndex(0 if looks_poetic else 2 if qwen3 else 1)
        form.addRow(tr("用途", "Use as"), self.kind_box)
        form.addRow(tr("提示格式", "Prompt style"), self.style_box)
        layout.addLayout(form)
        if not info.has_chat_template:
            warn = QLabel(
                tr(
                    "注意：文件中没有对话模板，将使用所选的提示格式。",
                    "Note: the file has no chat template; the chosen prompt style is used.",
                )
            )
            warn.setWordWrap(True)
            layout.addWidget(warn)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    @property
    def kind(self) -> ModelKind:
        value = self.kind_box.currentData()
        return "poetry" if value == "poetry" else "general"

    @property
    def prompt_style(self) -> str:
        return str(self.style_box.currentData())
