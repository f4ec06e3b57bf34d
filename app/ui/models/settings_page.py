"""The settings dialog's 模型 page: local or remote, the engine's load settings, the hub.

* 推理后端 — the local engine (the model chosen in 模型管理) or an OpenAI-compatible
  server (address, model name, API key, whether it is a reasoning model, how strict
  metre is sent to it);
* local loading — context length, and GPU layers: automatic (from free VRAM), CPU
  only, everything on the GPU, or a number;
* model downloads — a hub mirror and an access token (empty: ``HF_ENDPOINT`` /
  ``HF_TOKEN`` from the environment, or huggingface.co).

Keys (API key, hub token) are kept in the settings file, which only its owner can
read (mode 0600); the fields show them masked.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.settings import EngineSettings, HubSettings, RemoteEndpoint, Settings
from app.ui.i18n import Tr

CONTEXT_CHOICES = (2048, 4096, 8192, 16384, 32768)
# (value, Chinese, English)
CONSTRAINT_MODES: tuple[tuple[str, str, str], ...] = (
    ("off", "不支持（严格格律请求会被拒绝）", "not supported (strict-metre requests are refused)"),
    ("gbnf", "llama.cpp 服务器（GBNF 语法）", "llama.cpp server (GBNF grammar)"),
    ("vllm-grammar", "vLLM ≥ 0.10.2（语法）", "vLLM ≥ 0.10.2 (grammar)"),
    ("vllm-regex", "vLLM ≥ 0.10.2（正则）", "vLLM ≥ 0.10.2 (regular expression)"),
    ("vllm-guided-regex", "vLLM < 0.10.2（guided_regex）", "vLLM < 0.10.2 (guided_regex)"),
)
GPU_CHOICES: tuple[tuple[str, str, str], ...] = (
    ("auto", "自动（按显存决定）", "Automatic (from free GPU memory)"),
    ("cpu", "仅用 CPU", "CPU only"),
    ("all", "全部放入 GPU", "Everything on the GPU"),
    ("manual", "指定层数", "A number of layers"),
)


class ModelSettingsPage(QWidget):
    """Edits ``Settings.engine`` and ``Settings.hub`` (see the module notes)."""

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settings-model")
        self._tr = tr
        # -- backend
        self.local_radio = QRadioButton(tr("本地模型（在本机运行）", "Local model (runs here)"))
        self.local_radio.setObjectName("backend-local")
        self.remote_radio = QRadioButton(
            tr("远程服务器（OpenAI 兼容接口）", "Remote server (OpenAI-compatible API)")
        )
        self.remote_radio.setObjectName("backend-remote")
        group = QButtonGroup(self)
        group.addButton(self.local_radio)
        group.addButton(self.remote_radio)
        self.local_radio.toggled.connect(self._update)
        self.problem_label = QLabel()
        self.problem_label.setObjectName("settings-model-problem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #b3261e;")

        # -- local
        self.context_combo = QComboBox()
        self.context_combo.setObjectName("context-length")
        for n in CONTEXT_CHOICES:
            self.context_combo.addItem(f"{n}", n)
        self.gpu_combo = QComboBox()
        self.gpu_combo.setObjectName("gpu-mode")
        for value, zh, en in GPU_CHOICES:
            self.gpu_combo.addItem(tr(zh, en), value)
        self.gpu_spin = QSpinBox()
        self.gpu_spin.setObjectName("gpu-layers")
        self.gpu_spin.setRange(1, 10_000)
        self.gpu_spin.setValue(32)
        self.gpu_combo.currentIndexChanged.connect(self._update)
        gpu_row = QHBoxLayout()
        gpu_row.addWidget(self.gpu_combo, 1)
        gpu_row.addWidget(self.gpu_spin)
        self.local_box = QGroupBox(tr("本地模型", "Local model"))
        local = QFormLayout(self.local_box)
        local.addRow(tr("上下文长度", "Context length"), self.context_combo)
        local.addRow(tr("GPU 层数", "GPU layers"), gpu_row)
        note = QLabel(
            tr(
                "模型本身在“模型 → 模型管理…”中选择；新的设置在重新加载模型后生效。",
                "The model itself is chosen under Model → Models…; new settings apply when "
                "the model is next loaded.",
            )
        )
        note.setWordWrap(True)
        note.setEnabled(False)
        local.addRow(note)

        # -- remote
        self.url_edit = QLineEdit()
        self.url_edit.setObjectName("remote-url")
        self.url_edit.setPlaceholderText("http://127.0.0.1:8080/v1")
        self.url_edit.textChanged.connect(self._update)
        self.model_edit = QLineEdit()
        self.model_edit.setObjectName("remote-model")
        self.model_edit.setPlaceholderText(tr("服务器上的模型名", "the model's name on the server"))
        self.key_edit = QLineEdit()
        self.key_edit.setObjectName("remote-key")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.key_edit.setPlaceholderText(tr("（可选）", "(optional)"))
        self.style_combo = QComboBox()
        self.style_combo.setObjectName("remote-style")
        self.style_combo.addItem(
            tr(
                "推理模型（<think>/<answer>，如 QPM）",
                "Reasoning model (<think>/<answer>, e.g. QPM)",
            ),
            "reasoning",
        )
        self.style_combo.addItem(
            tr("通用对话模型（非格律诗专用）", "General chat model (not the poetry model)"),
            "general",
        )
        self.constraint_combo = QComboBox()
        self.constraint_combo.setObjectName("remote-constraint")
        for value, zh, en in CONSTRAINT_MODES:
            self.constraint_combo.addItem(tr(zh, en), value)
        self.remote_box = QGroupBox(tr("远程服务器", "Remote server"))
        remote = QFormLayout(self.remote_box)
        remote.addRow(tr("地址", "Address"), self.url_edit)
        remote.addRow(tr("模型名", "Model"), self.model_edit)
        remote.addRow(tr("API 密钥", "API key"), self.key_edit)
        remote.addRow(tr("模型类型", "Kind of model"), self.style_combo)
        remote.addRow(tr("严格格律", "Strict metre"), self.constraint_combo)

        # -- hub
        self.hub_endpoint_edit = QLineEdit()
        self.hub_endpoint_edit.setObjectName("hub-endpoint")
        self.hub_endpoint_edit.setPlaceholderText(
            tr("默认 huggingface.co（或环境变量 HF_ENDPOINT）",
               "default huggingface.co (or $HF_ENDPOINT)")
        )  # fmt: skip
        self.hub_token_edit = QLineEdit()
        self.hub_token_edit.setObjectName("hub-token")
        self.hub_token_edit.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.hub_token_edit.setPlaceholderText(
            tr("默认使用环境变量 HF_TOKEN", "default: $HF_TOKEN")
        )
        hub_box = QGroupBox(tr("模型下载", "Model downloads"))
        hub = QFormLayout(hub_box)
        hub.addRow(tr("镜像地址", "Mirror"), self.hub_endpoint_edit)
        hub.addRow(tr("访问令牌", "Access token"), self.hub_token_edit)
        keys = QLabel(
            tr("密钥与令牌保存在只有你能读取的设置文件中。",
               "Keys and tokens are kept in the settings file, readable only by you.")
        )  # fmt: skip
        keys.setWordWrap(True)
        keys.setEnabled(False)

        column = QVBoxLayout(self)
        column.addWidget(QLabel(tr("作诗使用：", "Compose with:")))
        column.addWidget(self.local_radio)
        column.addWidget(self.remote_radio)
        column.addWidget(self.local_box)
        column.addWidget(self.remote_box)
        column.addWidget(self.problem_label)
        column.addWidget(hub_box)
        column.addWidget(keys)
        column.addStretch(1)
        self.local_radio.setChecked(True)
        self._update()

    @staticmethod
    def _select(combo: QComboBox, value: object) -> None:
        index = combo.findData(value)
        if index < 0:
            combo.addItem(str(value), value)
            index = combo.count() - 1
        combo.setCurrentIndex(index)

    def _update(self) -> None:
        self.gpu_spin.setEnabled(self.gpu_combo.currentData() == "manual")
        remote = self.remote_radio.isChecked()
        self.remote_box.setEnabled(remote)
        self.local_box.setEnabled(not remote)
        problems = self.problems()
        self.problem_label.setText("\n".join(problems))
        self.problem_label.setVisible(bool(problems))

    def load(self, settings: Settings) -> None:
        engine = settings.engine
        (self.remote_radio if engine.backend == "remote" else self.local_radio).setChecked(True)
        self._select(self.context_combo, engine.context_length)
        layers = engine.n_gpu_layers
        mode = {None: "auto", 0: "cpu", -1: "all"}.get(layers, "manual")
        self._select(self.gpu_combo, mode)
        if mode == "manual" and layers is not None:
            self.gpu_spin.setValue(layers)
        remote = engine.remote
        self.url_edit.setText(remote.url)
        self.model_edit.setText(remote.model)
        self.key_edit.setText(remote.api_key)
        self._select(self.style_combo, remote.prompt_style)
        self._select(self.constraint_combo, remote.constraint_mode)
        self.hub_endpoint_edit.setText(settings.hub.endpoint)
        self.hub_token_edit.setText(settings.hub.token)
        self._update()

    def engine_settings(self, base: EngineSettings) -> EngineSettings:
        mode = self.gpu_combo.currentData()
        layers = {"auto": None, "cpu": 0, "all": -1}.get(mode, self.gpu_spin.value())
        remote: RemoteEndpoint = replace(
            base.remote,
            url=self.url_edit.text().strip(),
            model=self.model_edit.text().strip(),
            api_key=self.key_edit.text().strip(),
            prompt_style=self.style_combo.currentData(),
            constraint_mode=self.constraint_combo.currentData(),
        )
        return replace(
            base,
            backend="remote" if self.remote_radio.isChecked() else "local",
            context_length=int(self.context_combo.currentData()),
            n_gpu_layers=layers,
            remote=remote,
        )

    def hub_settings(self, base: HubSettings) -> HubSettings:
        return replace(
            base,
            endpoint=self.hub_endpoint_edit.text().strip(),
            token=self.hub_token_edit.text().strip(),
        )

    def problems(self) -> list[str]:
        """What keeps these settings from working (shown by the dialog, not refused)."""
        tr = self._tr
        found = []
        if self.remote_radio.isChecked() and not self.url_edit.text().strip():
            found.append(tr("请填写远程服务器地址。", "Fill in the remote server's address."))
        return found
