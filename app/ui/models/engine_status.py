"""Where the model runs and what the engine is doing; a crash, with a Restart button.

Shows the backend (CPU / CUDA / remote), how many layers are offloaded and why
(the engine's own explanation), the context length and the memory estimate.
When the engine process dies it says so (the signal, and the model it was loading,
which is then probably damaged or unsupported; the engine's own log lines go to the
app's log) and offers to restart it. A notice of the load (a chat template replaced
by ChatML) is shown under the details. State changes arrive from the client's threads
through a queued signal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.engine.events import EngineCrashed, LoadedInfo
from app.ui.i18n import Tr
from app.ui.theme import error_label

if TYPE_CHECKING:
    from app.engine.client import EngineClient

__all__ = ["EngineStatus"]

_STATES = {
    "stopped": ("未启动", "not started"),
    "starting": ("正在启动…", "starting…"),
    "idle": ("未加载模型", "no model loaded"),
    "loading": ("正在加载模型…", "loading the model…"),
    "ready": ("就绪", "ready"),
    "restarting": ("正在重启…", "restarting…"),
    "crashed": ("已崩溃", "crashed"),
    "remote": ("远程服务器", "remote server"),
}


def _gib(n: int) -> str:
    return f"{n / 1024**3:.1f} GiB"


class EngineStatus(QWidget):
    """A status line, a detail line and a crash box with Restart."""

    restart_requested = Signal()
    _state_signal = Signal(str)  # from client threads, delivered on the GUI thread

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tr = tr
        self.state = "stopped"
        self.info: LoadedInfo | None = None
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setObjectName("engineSummary")
        self.detail = QLabel()
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setWordWrap(True)
        self.detail.setObjectName("engineDetail")
        self.problem = error_label()
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setObjectName("engineProblem")
        self.restart_button = QPushButton(tr("重启推理引擎", "Restart engine"))
        self.restart_button.clicked.connect(self.restart_requested)
        box = QHBoxLayout()
        box.addWidget(self.problem, 1)
        box.addWidget(self.restart_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.detail)
        layout.addLayout(box)
        self._state_signal.connect(self.set_state)
        self._show_problem(False)
        self._refresh()

    # ------------------------------------------------------------------ wiring
    def attach(self, client: EngineClient) -> None:
        """Follow ``client``'s state (its callbacks come from its own threads)."""
        client.add_listener(self._state_signal.emit)
        self.info = client.loaded
        self.set_state(client.state)

    def show_remote(self, model_id: str, url: str) -> None:
        self.state = "remote"
        self.info = None
        self._remote = (model_id, url)
        self._show_problem(False)
        self._refresh()

    # ------------------------------------------------------------------ updates
    def set_state(self, state: str) -> None:
        self.state = state
        if state in ("ready", "loading", "restarting", "starting"):
            self._show_problem(False)
        if state in ("stopped", "idle", "crashed", "restarting"):
            self.info = None if state != "restarting" else self.info
        self._refresh()

    def set_loaded(self, info: LoadedInfo | None) -> None:
        self.info = info
        self._refresh()

    def show_crash(self, crash: EngineCrashed) -> None:
        self.state = "crashed"
        self.problem.setText(crash.message(self._tr.language))
        self._show_problem(True, restart=True)
        self._refresh()

    def show_error(self, message: str, *, restart: bool = False) -> None:
        self.problem.setText(message)
        self._show_problem(True, restart=restart)

    @property
    def has_problem(self) -> bool:
        """A problem (an error, a crash) is being shown."""
        return not self.problem.isHidden() and bool(self.problem.text())

    def clear_problem(self) -> None:
        self._show_problem(False)

    # ------------------------------------------------------------------ drawing
    def _show_problem(self, shown: bool, *, restart: bool = False) -> None:
        self.problem.setVisible(shown)
        self.restart_button.setVisible(shown and restart)

    def _refresh(self) -> None:
        tr = self._tr
        zh, en = _STATES.get(self.state, (self.state, self.state))
        head = tr("推理引擎：", "Engine: ") + tr(zh, en)
        info = self.info
        if self.state == "remote":
            model_id, url = getattr(self, "_remote", ("", ""))
            self.summary.setText(f"{head} · {model_id}")
            self.detail.setText(url)
            return
        if info is None:
            self.summary.setText(head)
            self.detail.setText("")
            return
        where = {"cpu": "CPU", "cuda": "CUDA", "gpu": "GPU", "remote": tr("远程", "remote")}
        parts = [head, where.get(info.backend, info.backend)]
        if info.n_layers:
            on_gpu = (
                info.n_layers if info.n_gpu_layers < 0 else min(info.n_gpu_layers, info.n_layers)
            )
            parts.append(
                tr(f"GPU 层 {on_gpu}/{info.n_layers}", f"{on_gpu}/{info.n_layers} layers on GPU")
            )
        parts.append(tr(f"上下文 {info.n_ctx}", f"context {info.n_ctx}"))
        if info.flash_attn:
            parts.append("flash attention")
        self.summary.setText(" · ".join(parts))
        detail = info.reason(self._tr.language)
        mem = info.memory
        if mem.total:
            detail += tr(
                f"\n内存估计：显存 {_gib(mem.gpu_bytes)}，内存 {_gib(mem.cpu_bytes)}"
                f"（KV 缓存 {_gib(mem.kv_bytes)}）",
                f"\nMemory estimate: GPU {_gib(mem.gpu_bytes)}, system {_gib(mem.cpu_bytes)} "
                f"(KV cache {_gib(mem.kv_bytes)})",
            )
        notice = info.notice(self._tr.language)
        if notice:
            detail += "\n" + notice
        self.detail.setText(detail)
