"""What the model manager says and does about building a model on this computer.

A catalog entry with a build recipe can be made here when no GGUF of it is published
(在本机制作 / "Build it on this computer"): the manager shows the recipe's estimate
(download, peak disk, memory, time), marks entries whose build is unfinished, offers
the button, asks the hub for the plan in the background and opens the
:class:`~app.ui.models.build.dialog.BuildDialog` with it — or, for an unfinished build
(paused, failed, interrupted by a restart), with its saved state.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from app.models.build.errors import stage_label
from app.models.build.plan import BuildPlan, plan_from_hub
from app.models.build.state import BuildState, find_builds
from app.models.catalog import CatalogEntry
from app.models.errors import NoMatchingFileError
from app.models.registry import ModelRegistry
from app.models.resolve import Resolver
from app.models.units import format_bytes, format_duration
from app.ui.i18n import Tr
from app.ui.models.build.dialog import BuildDialog
from app.ui.workers import FutureRelay, run_in_daemon_thread


class BuildOffer(QObject):
    """The manager's build helper. Signals: ``opened(BuildDialog)``, ``installed(model)``,
    ``failed(BaseException)`` (the plan could not be made)."""

    opened = Signal(object)
    installed = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        registry: ModelRegistry,
        resolver: Resolver,
        tr: Tr,
        parent: QWidget,
        *,
        folder: Path | None = None,
        builder_options: dict[str, object] | None = None,
    ) -> None:
        super().__init__(parent)
        self.registry = registry
        self.resolver = resolver
        self._tr = tr
        self._parent = parent
        self.folder = folder or registry.models_dir
        self.builder_options = builder_options or {}
        self.dialog: BuildDialog | None = None
        self._relay = FutureRelay(self)

    # ------------------------------------------------------------ what there is
    def unfinished(self) -> list[BuildState]:
        return find_builds(self.registry.models_dir)

    def for_entry(self, entry_id: str) -> BuildState | None:
        return next((s for s in self.unfinished() if s.plan.entry_id == entry_id), None)

    def for_key(self, key: str) -> BuildState | None:
        return next((s for s in self.unfinished() if s.plan.key == key), None)

    def for_row(self, key: str) -> BuildState | None:
        """The unfinished build of a manager row (``entry:<id>`` or ``build:<key>``)."""
        kind, _, ident = key.partition(":")
        if kind == "build":
            return self.for_key(ident)
        return self.for_entry(ident) if kind == "entry" else None

    def folder_rows(self, unfinished: list[BuildState]) -> list[tuple[str, list[str]]]:
        """Manager rows (key, columns) for unfinished builds from a folder of weights."""
        rows = []
        for state in unfinished:
            plan = state.plan
            if not plan.entry_id:
                size = format_bytes(plan.estimate.result_bytes)
                columns = [plan.name.get(self._tr.language), "", size, plan.quant, ""]
                rows.append((f"build:{plan.key}", [*columns, self.status(state)]))
        return rows

    def no_gguf_hint(self, error: BaseException, entry: CatalogEntry | None) -> str:
        """What to add to "no GGUF found" when the entry can be built here."""
        if not isinstance(error, NoMatchingFileError) or not self.can_build(entry):
            return ""
        return self._tr(
            " 可以在本机从原始权重制作：点“在本机制作…”先看制作计划。",
            " It can be built on this computer from the original weights: press "
            "“Build it on this computer…” to see the plan first.",
        )

    def open(self, state: BuildState | None, entry: CatalogEntry | None) -> bool:
        """Resume ``state``, or ask the hub for ``entry``'s plan (True: a plan is coming)."""
        if state is not None:
            self.resume(state)
            return False
        if entry is None or entry.build is None:
            return False
        self.plan_entry(entry)
        return True

    def status(self, state: BuildState) -> str:
        tr = self._tr
        stage = state.next_stage
        where = stage_label(stage, tr.language) if stage else ""
        if state.error:
            return tr(f"制作失败（{where}）", f"build failed ({where})")
        return tr(f"制作未完成（{where}）", f"build unfinished ({where})")

    def estimate_text(self, entry: CatalogEntry) -> str:
        """The recipe's figures, for the manager's details."""
        recipe = entry.build
        if recipe is None:
            return ""
        tr = self._tr
        download = format_bytes(recipe.download_bytes)
        peak = format_bytes(recipe.peak_disk_bytes)
        ram = format_bytes(recipe.ram_bytes)
        took = format_duration(recipe.time_s, tr.language)
        return tr(
            f"没有发布的 GGUF 时可在本机制作：下载原始权重 {download}，磁盘峰值 {peak}，"
            f"内存最多 {ram}，约 {took}（8 核、20 MB/s 网络估计）。",
            f"Can be built here when no GGUF is published: {download} of original weights, "
            f"{peak} of disk at the peak, up to {ram} of memory, about {took} (8 cores, a "
            "20 MB/s connection).",
        )

    def can_build(self, entry: CatalogEntry | None) -> bool:
        return entry is not None and entry.build is not None

    def button_text(self, state: BuildState | None) -> str:
        if state is not None:
            return self._tr("继续制作…", "Resume the build…")
        return self._tr("在本机制作…", "Build it on this computer…")

    # ------------------------------------------------------------ actions
    def plan_entry(self, entry: CatalogEntry, quant: str | None = None) -> None:
        """Ask the hub for the plan in the background, then open the build window."""
        future = run_in_daemon_thread(
            plan_from_hub, entry, self.resolver, self.folder, name="model-build-plan"
        )
        self._relay.watch(future, self._on_plan, self.failed.emit)

    def _on_plan(self, plan: object) -> None:
        assert isinstance(plan, BuildPlan)
        self._open(self._dialog(plan=plan))

    def resume(self, state: BuildState) -> BuildDialog:
        dialog = self._dialog(saved=state)
        self._open(dialog)
        return dialog

    def _dialog(
        self, *, plan: BuildPlan | None = None, saved: BuildState | None = None
    ) -> BuildDialog:
        return BuildDialog(
            self.registry,
            self._tr,
            plan=plan,
            saved=saved,
            builder_options=self.builder_options,
            parent=self._parent,
        )

    def _open(self, dialog: BuildDialog) -> None:
        self.dialog = dialog
        dialog.installed.connect(self.installed.emit)
        dialog.open()
        self.opened.emit(dialog)
