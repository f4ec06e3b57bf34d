"""The download window: progress (bytes, speed, time left), pause/resume, cancel.

The blocking :meth:`ModelRegistry.install` (download, verify, register) runs on a
daemon thread (so a download never holds up quitting the app — the part file is
kept for next time); progress comes back through a Qt signal (the downloader calls
back at most ten times a second) and so does the result, through a
:class:`~app.ui.workers.FutureRelay` the dialog owns for its whole life.

Pausing sets the cancel event: the partial file stays on disk and "resume" — now or
after a restart of the app — continues from it. Errors are shown as their plain
message in the user's language, with a retry button.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.models.catalog import CatalogEntry
from app.models.download import Downloader, DownloadProgress
from app.models.errors import DownloadCancelled, ModelError
from app.models.registry import InstalledModel, ModelRegistry
from app.models.resolve import ResolvedModel
from app.models.units import format_bytes, format_duration, format_speed
from app.ui.i18n import Tr
from app.ui.theme import error_label
from app.ui.workers import DaemonJob

State = Literal["idle", "running", "pausing", "paused", "cancelling", "done", "failed"]
_SCALE = 1000


class DownloadDialog(QDialog):
    """Downloads one resolved model into the registry.

    Signals: ``installed(InstalledModel)`` once the model is verified and registered;
    ``state_changed(str)`` on every change of :attr:`state`.
    """

    installed = Signal(object)
    state_changed = Signal(str)

    def __init__(
        self,
        entry: CatalogEntry,
        resolved: ResolvedModel,
        registry: ModelRegistry,
        downloader: Downloader,
        tr: Tr,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.entry = entry
        self.resolved = resolved
        self.registry = registry
        self.downloader = downloader
        self._tr = tr
        self.state: State = "idle"
        self.result_model: InstalledModel | None = None
        self.last_error: BaseException | None = None
        self.last_progress: DownloadProgress | None = None
        self._job = DaemonJob(self)
        self._job.progress.connect(self._on_progress)
        self._build()
        self._set_state("idle")

    # ------------------------------------------------------------ layout
    def _build(self) -> None:
        tr = self._tr
        self.setWindowTitle(tr("下载模型", "Download model"))
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        title = QLabel(f"<b>{self.entry.display_name(tr.language)}</b>")
        layout.addWidget(title)
        kind = QLabel(self.entry.kind_label(tr.language))
        kind.setObjectName("kindLabel")
        layout.addWidget(kind)
        self.found_label = QLabel(self.resolved.describe(tr.language))
        self.found_label.setWordWrap(True)
        self.found_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.found_label)
        self.bar = QProgressBar()
        self.bar.setRange(0, _SCALE)
        layout.addWidget(self.bar)
        row = QHBoxLayout()
        self.bytes_label = QLabel()
        self.speed_label = QLabel()
        self.eta_label = QLabel()
        for label in (self.bytes_label, self.speed_label, self.eta_label):
            row.addWidget(label)
        layout.addLayout(row)
        self.phase_label = QLabel()
        layout.addWidget(self.phase_label)
        self.note_label = QLabel()
        self.note_label.setWordWrap(True)
        layout.addWidget(self.note_label)
        self.error_label = error_label()
        layout.addWidget(self.error_label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.pause_button = QPushButton()
        self.pause_button.clicked.connect(self._toggle_pause)
        self.retry_button = QPushButton(tr("重试", "Retry"))
        self.retry_button.clicked.connect(self.start)
        self.cancel_button = QPushButton()
        self.cancel_button.clicked.connect(self._cancel_or_close)
        for button in (self.pause_button, self.retry_button, self.cancel_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self._show_bytes(0, self.resolved.total_size)

    # ------------------------------------------------------------ control
    def start(self) -> None:
        """Start (or resume) the download in the background."""
        if self.state in ("running", "pausing", "cancelling", "done"):
            return
        self.last_error = None
        self.error_label.clear()
        self._set_state("running")
        self._job.start(
            self.registry.install,
            self.entry,
            self.resolved,
            self.downloader,
            name="model-download",
            on_done=self._on_done,
            on_error=self._on_error,
        )

    def pause(self) -> None:
        """Stop and keep the partial file (resume later, even after a restart)."""
        if self.state == "running":
            self._set_state("pausing")
            self._job.stop()

    def resume(self) -> None:
        if self.state in ("paused", "failed", "idle"):
            self.start()

    def cancel(self) -> None:
        """Stop (keeping the partial file) and close the window."""
        if self.state in ("running", "pausing"):
            self._set_state("cancelling")
            self._job.stop()
        elif self.state != "cancelling":
            self.reject()

    def wait_stopped(self, timeout: float = 10.0) -> bool:
        """Block until the background job has ended (for closing and for tests)."""
        return self._job.wait_stopped(timeout)

    def _toggle_pause(self) -> None:
        if self.state == "running":
            self.pause()
        else:
            self.resume()

    def _cancel_or_close(self) -> None:
        if self.state == "done":
            self.accept()
        else:
            self.cancel()

    # ------------------------------------------------------------ results
    def _on_progress(self, progress: object) -> None:
        if not isinstance(progress, DownloadProgress):
            return
        self.last_progress = progress
        tr = self._tr
        self.bar.setValue(int(progress.fraction * _SCALE))
        self._show_bytes(progress.done_bytes, progress.total_bytes)
        if progress.phase == "downloading" and progress.speed_bps > 0:
            self.speed_label.setText(format_speed(progress.speed_bps))
            left = format_duration(progress.eta_s, tr.language)
            self.eta_label.setText(tr(f"剩余 {left}", f"{left} left"))
        phases = {
            "checking": tr("正在检查…", "Checking…"),
            "verifying": tr("正在校验已下载的部分…", "Verifying what is already on disk…"),
            "downloading": tr("正在下载…", "Downloading…"),
            "done": tr("下载完成，正在登记…", "Downloaded; registering…"),
        }
        text = phases[progress.phase]
        if progress.file_count > 1:
            number, count, name = progress.file_index + 1, progress.file_count, progress.file_name
            text += tr(
                f"（第 {number}/{count} 个文件 {name}）", f" (file {number} of {count}: {name})"
            )
        if self.state == "running":
            self.phase_label.setText(text)
        if progress.note is not None:
            self.note_label.setText(progress.note.get(tr.language))

    def _on_done(self, model: object) -> None:
        assert isinstance(model, InstalledModel)
        self.result_model = model
        self.bar.setValue(_SCALE)
        self._set_state("done")
        self.installed.emit(model)

    def _on_error(self, exc: BaseException) -> None:
        tr = self._tr
        if isinstance(exc, DownloadCancelled):
            if self.state == "cancelling":
                self._set_state("idle")
                self.reject()
                return
            self._set_state("paused")
            self.note_label.setText(exc.message(tr.language))
            return
        self.last_error = exc
        if isinstance(exc, ModelError):
            text = exc.message(tr.language)
        else:
            text = tr(f"下载失败：{exc}", f"The download failed: {exc}")
        self.error_label.setText(text)
        closing = self.state == "cancelling"
        self._set_state("failed")
        if closing:
            self.reject()

    # ------------------------------------------------------------ display
    def _show_bytes(self, done: int, total: int) -> None:
        self.bytes_label.setText(f"{format_bytes(done)} / {format_bytes(total)}")

    def _set_state(self, state: State) -> None:
        self.state = state
        tr = self._tr
        running = state in ("running", "pausing", "cancelling")
        self.pause_button.setText(
            tr("暂停", "Pause") if state in ("running", "pausing") else tr("继续", "Resume")
        )
        self.pause_button.setEnabled(state in ("running", "paused", "idle"))
        self.pause_button.setVisible(state != "done")
        self.retry_button.setVisible(state == "failed")
        self.cancel_button.setText(tr("完成", "Done") if state == "done" else tr("取消", "Cancel"))
        self.cancel_button.setEnabled(state != "cancelling")
        texts = {
            "idle": tr("准备下载。", "Ready to download."),
            "pausing": tr("正在暂停…", "Pausing…"),
            "paused": tr(
                "已暂停。已下载的部分会保留，点“继续”或以后再下载都会接着下载。",
                "Paused. What was downloaded is kept; Resume (now or later) continues from it.",
            ),
            "cancelling": tr("正在停止…", "Stopping…"),
            "done": tr("已下载并通过 SHA-256 校验。", "Downloaded and verified (SHA-256)."),
            "failed": tr("下载未完成。", "The download did not finish."),
        }
        if state in texts:
            self.phase_label.setText(texts[state])
        if not running:
            self.speed_label.clear()
            self.eta_label.clear()
        self.state_changed.emit(state)

    def done(self, result: int) -> None:
        """accept(), reject() and closing the window end here: stop the background job
        (it stops within a fraction of a second and keeps the partial file)."""
        if self.state != "done":
            self._job.stop()
            self.wait_stopped(10.0)
        super().done(result)
