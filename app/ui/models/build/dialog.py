"""The build window: the plan first, then one progress bar per stage, pause, resume, discard.

Opened from the model manager with a :class:`~app.models.build.BuildPlan` (a new build:
the plan is shown — files, commit, peak disk against the free space, time and memory —
and nothing starts until the poet presses Start; a folder too small disables Start and
says why), or with a saved :class:`~app.models.build.BuildState` (an unfinished build,
after a pause or a restart: the stages already done show as done).

The blocking :meth:`Builder.run` runs on a daemon thread; its progress comes back
through a queued signal, its end through a :class:`~app.ui.workers.FutureRelay`.
Pause sets the cancel event: everything done is kept and "resume" — now or after a
restart — continues. "Discard" asks, then deletes the build's work folder. Closing the
window pauses. A failed stage shows its message (which stage, why, what to do) and
"resume" tries again.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.models.build.errors import STAGES, BuildPaused, Stage, stage_label
from app.models.build.pipeline import Builder, BuildProgress
from app.models.build.plan import BuildPlan
from app.models.build.state import BuildState
from app.models.errors import ModelError
from app.models.registry import InstalledModel, ModelRegistry
from app.models.units import format_bytes, format_duration, format_speed
from app.ui.i18n import Tr
from app.ui.theme import error_label
from app.ui.workers import DaemonJob

State = Literal["plan", "running", "pausing", "paused", "failed", "done", "discarded"]
_SCALE = 1000


class BuildDialog(QDialog):
    """Builds one model (see the module notes).

    Signals: ``installed(InstalledModel)`` once the result is verified and registered;
    ``state_changed(str)`` on every change of :attr:`state`.
    """

    installed = Signal(object)
    state_changed = Signal(str)

    def __init__(
        self,
        registry: ModelRegistry,
        tr: Tr,
        *,
        plan: BuildPlan | None = None,
        saved: BuildState | None = None,
        builder_options: dict[str, object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if (plan is None) == (saved is None):
            raise ValueError("give a plan or a saved build")
        self.registry = registry
        self._tr = tr
        self.builder: Builder | None = None
        if saved is not None:
            self.builder = Builder(saved, registry, **(builder_options or {}))  # type: ignore[arg-type]
            plan = saved.plan
        assert plan is not None
        self.plan = plan
        self.builder_options = dict(builder_options or {})
        self.state: State = "plan"
        self.result_model: InstalledModel | None = None
        self.last_error: BaseException | None = None
        self.seen: list[BuildProgress] = []
        self._job = DaemonJob(self)
        self._job.progress.connect(self._on_progress)
        self._build()
        if saved is not None:
            self._show_saved(saved)
            self._set_state("failed" if saved.error else "paused")
        else:
            self._set_state("plan")

    # ------------------------------------------------------------ layout
    def _build(self) -> None:
        tr = self._tr
        self.setWindowTitle(tr("在本机制作模型", "Build a model on this computer"))
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>{self.plan.name.get(tr.language)}</b>"))
        self.plan_text = QPlainTextEdit("\n".join(self.plan.describe(tr.language)))
        self.plan_text.setObjectName("build-plan")
        self.plan_text.setReadOnly(True)
        self.plan_text.setMinimumHeight(170)
        layout.addWidget(self.plan_text)
        self.space_label = QLabel()
        self.space_label.setWordWrap(True)
        self.space_label.setStyleSheet("color: #b3261e;")
        layout.addWidget(self.space_label)
        self.keep_box = QCheckBox(
            tr(
                f"完成后保留原始权重（{format_bytes(self.plan.estimate.download_bytes)}）",
                f"Keep the original weights when done "
                f"({format_bytes(self.plan.estimate.download_bytes)})",
            )
        )
        self.keep_box.setVisible(self.plan.source is not None)
        layout.addWidget(self.keep_box)
        grid = QGridLayout()
        self.bars: dict[Stage, QProgressBar] = {}
        self.details: dict[Stage, QLabel] = {}
        self.titles: dict[Stage, QLabel] = {}
        for row, stage in enumerate(STAGES):
            title = QLabel(stage_label(stage, tr.language))
            bar = QProgressBar()
            bar.setRange(0, _SCALE)
            bar.setObjectName(f"build-bar-{stage}")
            detail = QLabel()
            detail.setMinimumWidth(220)
            grid.addWidget(title, row, 0)
            grid.addWidget(bar, row, 1)
            grid.addWidget(detail, row, 2)
            self.titles[stage], self.bars[stage], self.details[stage] = title, bar, detail
        layout.addLayout(grid)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)
        self.error_label = error_label()
        self.error_label.setObjectName("build-error")
        layout.addWidget(self.error_label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.start_button = QPushButton(tr("开始制作", "Start"))
        self.start_button.clicked.connect(self.start)
        self.pause_button = QPushButton()
        self.pause_button.clicked.connect(self._toggle_pause)
        self.discard_button = QPushButton(tr("放弃制作…", "Discard…"))
        self.discard_button.clicked.connect(self.ask_discard)
        self.close_button = QPushButton(tr("关闭", "Close"))
        self.close_button.clicked.connect(self._close)
        for button in (self.start_button, self.pause_button, self.discard_button):
            buttons.addWidget(button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        fits = self.plan.free_bytes >= self.plan.space_needed
        if not fits:
            need, free = self.plan.space_needed, self.plan.free_bytes
            self.space_label.setText(
                tr(
                    f"磁盘空间不足：需要约 {format_bytes(need)}，{self.plan.folder} 只剩 "
                    f"{format_bytes(free)}。请清理空间，或在设置中把模型放到更大的磁盘。",
                    f"Not enough disk space: about {format_bytes(need)} is needed and "
                    f"{self.plan.folder} has {format_bytes(free)} free. Free some space, or "
                    "keep the models on a larger disk (settings).",
                )
            )

    def _show_saved(self, saved: BuildState) -> None:
        for stage in STAGES:
            if saved.stages[stage] == "done":
                self.bars[stage].setValue(_SCALE)
                self.details[stage].setText(self._tr("已完成", "done"))
        if saved.error:
            self.error_label.setText(saved.error_text(self._tr.language) or "")

    # ------------------------------------------------------------ control
    def start(self) -> None:
        """Start the build (or resume it) in the background."""
        if self.state in ("running", "pausing", "done", "discarded"):
            return
        tr = self._tr
        if self.builder is None:
            try:
                self.builder = Builder.start(
                    self.plan,
                    self.registry,
                    keep_original=self.keep_box.isChecked(),
                    **self.builder_options,
                )
            except ModelError as exc:
                self.space_label.setText(exc.message(tr.language))
                return
        else:
            self.builder.keep_original = self.keep_box.isChecked()
        self.last_error = None
        self.error_label.clear()
        self._set_state("running")
        self._job.start(
            self.builder.run, name="model-build", on_done=self._on_done, on_error=self._on_error
        )

    def pause(self) -> None:
        if self.state == "running":
            self._set_state("pausing")
            self._job.stop()

    def resume(self) -> None:
        if self.state in ("paused", "failed"):
            self.start()

    def ask_discard(self) -> None:
        tr = self._tr
        answer = QMessageBox.question(
            self,
            tr("放弃制作", "Discard the build"),
            tr(
                "放弃这次制作？已下载和已生成的文件都会删除（原有的本地文件夹不会动）。",
                "Discard this build? Everything it downloaded or made is deleted (a folder "
                "of your own weights is left alone).",
            ),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.discard()

    def discard(self) -> None:
        """Stop the build and delete its files and record."""
        self._job.stop()
        self.wait_stopped(30.0)
        if self.builder is not None:
            self.builder.discard()
        self._set_state("discarded")
        self.reject()

    def wait_stopped(self, timeout: float = 30.0) -> bool:
        return self._job.wait_stopped(timeout)

    def _toggle_pause(self) -> None:
        if self.state == "running":
            self.pause()
        else:
            self.resume()

    def _close(self) -> None:
        if self.state == "done":
            self.accept()
        else:
            self.reject()

    # ------------------------------------------------------------ results
    def _on_progress(self, value: object) -> None:
        if not isinstance(value, BuildProgress):
            return
        tr = self._tr
        self.seen.append(value)
        index = STAGES.index(value.stage)
        for earlier in STAGES[:index]:
            self.bars[earlier].setValue(_SCALE)
        self.bars[value.stage].setValue(int(value.fraction * _SCALE))
        parts: list[str] = []
        if value.unit == "bytes" and value.total:
            parts.append(f"{format_bytes(value.done)} / {format_bytes(value.total)}")
            if value.speed:
                parts.append(format_speed(value.speed))
        elif value.unit == "tensors" and value.total:
            parts.append(
                tr(f"张量 {value.done}/{value.total}", f"tensor {value.done}/{value.total}")
            )
        if value.eta_s is not None and value.fraction < 1.0:
            left = format_duration(value.eta_s, tr.language)
            parts.append(tr(f"剩余 {left}", f"{left} left"))
        self.details[value.stage].setText("  ".join(parts))
        for stage, title in self.titles.items():
            title.setStyleSheet("font-weight: bold;" if stage == value.stage else "")
        if value.note is not None and self.state == "running":
            self.status_label.setText(value.note.get(tr.language))

    def _on_done(self, model: object) -> None:
        assert isinstance(model, InstalledModel)
        self.result_model = model
        for bar in self.bars.values():
            bar.setValue(_SCALE)
        self._set_state("done")
        self.installed.emit(model)

    def _on_error(self, exc: BaseException) -> None:
        tr = self._tr
        if isinstance(exc, BuildPaused):
            self._set_state("paused")
            self.status_label.setText(exc.message(tr.language))
            return
        self.last_error = exc
        text = exc.message(tr.language) if isinstance(exc, ModelError) else str(exc)
        self.error_label.setText(text)
        self._set_state("failed")

    # ------------------------------------------------------------ display
    def _set_state(self, state: State) -> None:
        self.state = state
        tr = self._tr
        fits = self.plan.free_bytes >= self.plan.space_needed or self.builder is not None
        self.start_button.setVisible(state == "plan")
        self.start_button.setEnabled(state == "plan" and fits)
        self.pause_button.setVisible(state in ("running", "pausing", "paused", "failed"))
        self.pause_button.setText(
            tr("暂停", "Pause") if state in ("running", "pausing") else tr("继续", "Resume")
        )
        self.pause_button.setEnabled(state != "pausing")
        self.discard_button.setVisible(state in ("paused", "failed", "running"))
        self.keep_box.setEnabled(state in ("plan", "paused", "failed"))
        self.close_button.setText(tr("完成", "Done") if state == "done" else tr("关闭", "Close"))
        texts = {
            "plan": tr(
                "以上是制作计划。按“开始制作”后才会下载。",
                "This is the plan. Nothing is downloaded until you press Start.",
            ),
            "running": tr("正在制作…", "Building…"),
            "pausing": tr("正在暂停…", "Pausing…"),
            "paused": tr(
                "已暂停。已完成的部分都已保留，点“继续”（现在或重启后）接着做。",
                "Paused. Everything done is kept; Resume (now or after a restart) continues.",
            ),
            "failed": tr("制作没有完成。", "The build did not finish."),
            "done": tr(
                "已制作、校验并登记，可以使用了。", "Built, verified and registered: ready to use."
            ),
        }
        if state in texts:
            self.status_label.setText(texts[state])
        self.state_changed.emit(state)

    def done(self, result: int) -> None:
        """Closing the window pauses a running build (everything done is kept)."""
        if self.state in ("running", "pausing"):
            self._job.stop()
            self.wait_stopped(30.0)
        super().done(result)
