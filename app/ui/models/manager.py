"""The model manager: what can be downloaded, what is installed, what this machine can run.

One row per catalog entry (the poetry model's quantizations first, then the general
models, each labelled as such) and one per model file the user registered from disk.
The 本机 column marks each entry for this machine (:func:`app.models.fit.assess`): fully on
the GPU, partly (layers), CPU only or not at all, with its speed class. Above the list,
the entry :func:`app.models.fit.recommend` picks is named with the reason, preselected,
and one button downloads it (or uses it, once installed) — the first-run path for a poet
with no model.
For the selected row: "find" asks the hub where the file is and shows it (repository,
size, SHA-256) before anything is downloaded; "download" opens a
:class:`~app.ui.models.download_dialog.DownloadDialog`; "build it on this computer"
(entries with a build recipe, for when no GGUF is published) shows the build's plan and
makes the GGUF from the original weights (:mod:`app.ui.models.build.offer`), and
resumes an unfinished build; "use a GGUF file I already have"
reads the file's header and shows it before accepting; "delete" forgets a model (and
deletes the files the app downloaded — never a user's own file).

Every service comes in through the constructor: the catalog, the registry, the
resolver, a factory for downloaders, the machine's memory and the string picker.
Hub requests run on daemon threads; results come back through a :class:`FutureRelay`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.models.build.state import BuildState
from app.models.catalog import Catalog, CatalogEntry
from app.models.download import Downloader
from app.models.errors import HubUnreachableError, ModelError
from app.models.fit import Recommendation, assess, recommend
from app.models.machine import MachineInfo
from app.models.registry import InstalledModel, ModelRegistry
from app.models.resolve import ResolvedModel, Resolver
from app.models.units import format_bytes
from app.ui.folders import RecentFolders, ask_open_file
from app.ui.i18n import Tr
from app.ui.models.build.offer import BuildOffer
from app.ui.models.download_dialog import DownloadDialog
from app.ui.models.local_file import LocalModelDialog
from app.ui.workers import FutureRelay, run_in_daemon_thread

ROLE_KEY = Qt.ItemDataRole.UserRole
COLUMNS = 6


def _error_text(exc: BaseException, tr: Tr) -> str:
    if isinstance(exc, ModelError):
        return exc.message(tr.language)
    return tr(f"出错了：{type(exc).__name__}: {exc}", f"Error: {type(exc).__name__}: {exc}")


class ModelManagerDialog(QDialog):
    """Lists catalog entries and installed models; resolves, downloads, adds, deletes.

    Signals: ``model_chosen(InstalledModel)`` when the user picks a model to use;
    ``models_changed()`` after a model is installed, added or deleted;
    ``resolved(ResolvedModel)`` when a hub lookup succeeds; ``failed(str)`` with the
    message of a failed lookup or file check.
    """

    model_chosen = Signal(object)
    models_changed = Signal()
    resolved = Signal(object)
    failed = Signal(str)
    hub_unreachable = Signal(object)  # the HubUnreachableError (its detail is for the log)
    resolve_failed = Signal(object, object)  # the catalog entry, the exception (for the log)
    mirror_requested = Signal()  # the poet wants to set a mirror (settings → 模型)

    def __init__(
        self,
        catalog: Catalog,
        registry: ModelRegistry,
        resolver: Resolver,
        downloader_factory: Callable[[], Downloader],
        tr: Tr,
        machine: MachineInfo | None = None,
        parent: QWidget | None = None,
        *,
        folders: RecentFolders | None = None,
        build_options: dict[str, object] | None = None,
    ) -> None:
        super().__init__(parent)
        self.folders = folders
        self.catalog = catalog
        self.registry = registry
        self.resolver = resolver
        self.downloader_factory = downloader_factory
        self._tr = tr
        self.machine = machine or MachineInfo(None, None)
        self.found: dict[str, ResolvedModel] = {}  # entry id -> last lookup
        self.download_dialog: DownloadDialog | None = None
        self._pending_download: str | None = None
        self._relay = FutureRelay(self)
        self.offline: HubUnreachableError | None = None  # the hub could not be reached
        self.builds = BuildOffer(registry, resolver, tr, self, builder_options=build_options)
        self.builds.installed.connect(self._on_installed)
        self.builds.failed.connect(self._on_failed)
        self.builds.opened.connect(lambda _dialog: self.message.clear())
        self.recommendation: Recommendation | None = recommend(catalog, self.machine)
        self._build()
        self.refresh()
        if self.selected_key() is None and self.recommendation is not None:
            self.select_entry(self.recommendation.entry.id)

    # ------------------------------------------------------------ layout
    def _build(self) -> None:
        tr = self._tr
        self.setWindowTitle(tr("模型管理", "Models"))
        self.resize(900, 520)
        layout = QVBoxLayout(self)
        self.machine_label = QLabel(self.machine.describe(tr.language))
        layout.addWidget(self.machine_label)
        self.recommend_label = QLabel()
        self.recommend_label.setObjectName("model-recommendation")
        self.recommend_label.setWordWrap(True)
        self.recommend_label.setTextFormat(Qt.TextFormat.PlainText)
        self.recommend_button = QPushButton()
        self.recommend_button.setObjectName("model-recommended-action")
        self.recommend_button.clicked.connect(self.take_recommendation)
        advice = QHBoxLayout()
        advice.addWidget(self.recommend_label, 1)
        advice.addWidget(self.recommend_button)
        layout.addLayout(advice)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(COLUMNS)
        self.tree.setHeaderLabels(
            [
                tr("模型", "Model"),
                tr("类型", "Kind"),
                tr("大小", "Size"),
                tr("所需内存（8k 上下文）", "Needs (8k context)"),
                tr("本机", "This machine"),
                tr("状态", "Status"),
            ]
        )
        self.tree.setRootIsDecorated(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.tree, 1)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setMinimumHeight(70)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.details)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        # when the hub cannot be reached: what can be done instead (hidden otherwise)
        self.offline_bar = QWidget()
        self.offline_bar.setObjectName("model-offline")
        self.mirror_button = QPushButton(tr("设置镜像地址…", "Set a mirror…"))
        self.mirror_button.clicked.connect(self.mirror_requested)
        self.offline_local_button = QPushButton(
            tr("使用已有的 GGUF 文件…", "Use a GGUF file I have…")
        )
        self.offline_local_button.clicked.connect(self.choose_local_file)
        self.retry_button = QPushButton(tr("重试", "Try again"))
        self.retry_button.clicked.connect(self.retry_hub)
        offline_row = QHBoxLayout(self.offline_bar)
        offline_row.setContentsMargins(0, 0, 0, 0)
        for button in (self.mirror_button, self.offline_local_button, self.retry_button):
            offline_row.addWidget(button)
        offline_row.addStretch(1)
        self.offline_bar.hide()
        layout.addWidget(self.offline_bar)
        row = QHBoxLayout()
        self.resolve_button = QPushButton(tr("查找", "Find on the hub"))
        self.resolve_button.clicked.connect(self.resolve_selected)
        self.download_button = QPushButton(tr("下载", "Download"))
        self.download_button.clicked.connect(self.download_selected)
        self.build_button = QPushButton(tr("在本机制作…", "Build it on this computer…"))
        self.build_button.setObjectName("model-build")
        self.build_button.clicked.connect(self.build_selected)
        self.use_button = QPushButton(tr("使用此模型", "Use this model"))
        self.use_button.clicked.connect(self.use_selected)
        self.local_button = QPushButton(tr("使用已有的 GGUF 文件…", "Use a GGUF file I have…"))
        self.local_button.clicked.connect(self.choose_local_file)
        self.delete_button = QPushButton(tr("删除", "Delete"))
        self.delete_button.clicked.connect(self.delete_selected)
        close = QPushButton(tr("关闭", "Close"))
        close.clicked.connect(self.accept)
        for button in (
            self.resolve_button,
            self.download_button,
            self.build_button,
            self.use_button,
            self.local_button,
            self.delete_button,
        ):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)

    # ------------------------------------------------------------ rows
    def refresh(self) -> None:
        """Rebuild the list from the catalog and the registry."""
        tr = self._tr
        selected = self.selected_key()
        self.tree.clear()
        installed = {m.entry_id: m for m in self.registry.models() if m.entry_id}
        entries = self.catalog.poetry_models() + self.catalog.general_models()
        unfinished = self.builds.unfinished()
        building = {s.plan.entry_id: s for s in unfinished if s.plan.entry_id}
        for entry in entries:
            model = installed.get(entry.id)
            state = building.get(entry.id)
            status = self.builds.status(state) if state and not model else self._status_text(model)
            vram, ram = format_bytes(entry.vram_bytes), format_bytes(entry.ram_bytes)
            item = QTreeWidgetItem(
                [
                    entry.display_name(tr.language),
                    entry.kind_label(tr.language),
                    format_bytes(entry.size_bytes),
                    tr(f"显存 {vram} / 内存 {ram}", f"VRAM {vram} / RAM {ram}"),
                    self._fit_text(entry),
                    status,
                ]
            )
            item.setData(0, ROLE_KEY, f"entry:{entry.id}")
            self.tree.addTopLevelItem(item)
            self._mark_fit(item, entry)
        for model in self.registry.models():
            if model.entry_id:
                continue
            kind = {
                "poetry": tr("格律诗专用模型", "poetry model"),
                "general": tr("通用模型（非格律诗专用）", "general model (not the poetry model)"),
            }.get(model.kind, tr("未知", "unknown"))
            item = QTreeWidgetItem(
                [
                    model.name.get(tr.language),
                    kind,
                    format_bytes(model.size),
                    model.quant,
                    "",
                    self._status_text(model),
                ]
            )
            item.setData(0, ROLE_KEY, f"model:{model.key}")
            self.tree.addTopLevelItem(item)
        for key, columns in self.builds.folder_rows(unfinished):  # builds from a folder
            item = QTreeWidgetItem(columns)
            item.setData(0, ROLE_KEY, key)
            self.tree.addTopLevelItem(item)
        for column in range(1, COLUMNS):
            self.tree.resizeColumnToContents(column)
        if selected:
            self.select_key(selected)
        self._show_recommendation()
        self._selection_changed()

    def _machine_known(self) -> bool:
        return self.machine.ram_bytes is not None or bool(self.machine.vram_bytes)

    def _fit_text(self, entry: CatalogEntry) -> str:
        """The 本机 column: where it runs and how fast (★ for the recommended entry)."""
        tr = self._tr
        if not self._machine_known():
            return tr("未知", "unknown")
        fit = assess(entry, self.machine)
        text = fit.label(tr.language)
        if fit.runs:
            speed = fit.speed_label(tr.language).split("，" if tr.language == "zh" else ",")[0]
            text += f" · {speed}"
        rec = self.recommendation
        if rec is not None and rec.entry.id == entry.id:
            text = tr("★ 推荐 · ", "★ recommended · ") + text
        return text

    def _mark_fit(self, item: QTreeWidgetItem, entry: CatalogEntry) -> None:
        if self._machine_known():
            item.setToolTip(4, assess(entry, self.machine).describe(self._tr.language))

    def _show_recommendation(self) -> None:
        tr = self._tr
        rec = self.recommendation
        button = self.recommend_button
        if not self._machine_known():
            self.recommend_label.setText("")
            button.hide()
            return
        if rec is None:
            self.recommend_label.setText(
                tr(
                    "本机内存不足以运行目录中的任何模型；可以在设置中改用远程服务器。",
                    "This machine has too little memory for any model in the catalog; a "
                    "remote server can be chosen in the settings.",
                )
            )
            button.hide()
            return
        installed = self.registry.for_entry(rec.entry.id)
        first_run = not self.registry.models()
        lead = tr("还没有模型。", "No model yet. ") if first_run else ""
        self.recommend_label.setText(lead + rec.reason(tr.language))
        button.setText(
            tr("使用推荐的模型", "Use the recommended model")
            if installed is not None
            else tr("下载推荐的模型", "Download the recommended model")
        )
        button.setDefault(first_run)
        button.show()

    def take_recommendation(self) -> None:
        """Download the recommended entry (or use it, when it is installed)."""
        rec = self.recommendation
        if rec is None:
            return
        self.select_entry(rec.entry.id)
        installed = self.registry.for_entry(rec.entry.id)
        if installed is not None:
            self.model_chosen.emit(installed)
        else:
            self.download_selected()

    def _status_text(self, model: InstalledModel | None) -> str:
        tr = self._tr
        if model is None:
            return tr("未下载", "not downloaded")
        if self.registry.problems(model):
            return tr("文件缺失或已改变", "files missing or changed")
        if model.source == "local":
            return tr("本地文件", "local file")
        if model.source == "built":
            return tr("本机制作 ✓", "built here ✓")
        return tr("已下载 ✓", "downloaded ✓")

    def rows(self) -> list[tuple[str, list[str]]]:
        """(key, column texts) of every row, for tests and the status bar."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item is None:
                continue
            out.append((str(item.data(0, ROLE_KEY)), [item.text(c) for c in range(COLUMNS)]))
        return out

    # ------------------------------------------------------------ selection
    def selected_key(self) -> str | None:
        items = self.tree.selectedItems()
        return str(items[0].data(0, ROLE_KEY)) if items else None

    def select_key(self, key: str) -> bool:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item is not None and item.data(0, ROLE_KEY) == key:
                self.tree.setCurrentItem(item)
                item.setSelected(True)
                return True
        return False

    def select_entry(self, entry_id: str) -> bool:
        return self.select_key(f"entry:{entry_id}")

    def selected_entry(self) -> CatalogEntry | None:
        key = self.selected_key()
        if key and key.startswith("entry:"):
            return self.catalog.get(key.split(":", 1)[1])
        return None

    def selected_model(self) -> InstalledModel | None:
        key = self.selected_key()
        if not key:
            return None
        kind, _, ident = key.partition(":")
        if kind == "entry":
            return self.registry.for_entry(ident)
        return self.registry.get(ident)

    def selected_build(self) -> BuildState | None:
        """The unfinished build of the selected row (a catalog entry's or a folder's)."""
        return self.builds.for_row(self.selected_key() or "")

    def _selection_changed(self) -> None:
        tr = self._tr
        entry = self.selected_entry()
        model = self.selected_model()
        online = self.offline is None  # an unreachable hub: finding and downloading cannot work
        self.resolve_button.setEnabled(entry is not None and online)
        self.download_button.setEnabled(entry is not None and model is None and online)
        for button in (self.resolve_button, self.download_button):
            button.setToolTip(
                ""
                if online
                else tr("连不上模型仓库：先设置镜像地址或重试", "The hub cannot be reached")
            )
        rec = self.recommendation
        if rec is not None and self.registry.for_entry(rec.entry.id) is None:
            self.recommend_button.setEnabled(online)
        build = self.selected_build()
        self.build_button.setEnabled(  # a new build asks the hub for its plan; a saved one not
            model is None and (build is not None or (self.builds.can_build(entry) and online))
        )
        self.build_button.setText(self.builds.button_text(build))
        self.use_button.setEnabled(model is not None and not self.registry.problems(model))
        self.delete_button.setEnabled(model is not None)
        parts: list[str] = []
        if entry is not None:
            parts.append(
                f"<b>{entry.display_name(tr.language)}</b> — {entry.kind_label(tr.language)}"
            )
            if entry.notes.zh or entry.notes.en:
                parts.append(entry.notes.get(tr.language))
            parts.append(tr(f"许可：{entry.license}", f"Licence: {entry.license}"))
            if self._machine_known():
                parts.append(
                    tr("本机：", "On this machine: ")
                    + assess(entry, self.machine).describe(tr.language)
                )
            if entry.id in self.found:
                parts.append(self.found[entry.id].describe(tr.language))
            if entry.build is not None and model is None:
                parts.append(self.builds.estimate_text(entry))
        if model is not None:
            parts.append(tr(f"文件：{model.path}", f"File: {model.path}"))
            for problem in self.registry.problems(model):
                parts.append(problem)
        self.details.setText("<br>".join(parts))

    # ------------------------------------------------------------ actions
    def resolve_selected(self) -> None:
        """Ask the hub where the selected entry's file is (in the background)."""
        entry = self.selected_entry()
        if entry is None:
            return
        tr = self._tr
        self.message.setText(tr("正在查找…", "Looking on the hub…"))
        self.resolve_button.setEnabled(False)
        future = run_in_daemon_thread(self.resolver.resolve, entry, name="model-resolve")
        self._relay.watch(
            future,
            lambda found: self._on_resolved(entry, found),
            lambda exc: self._on_resolve_failed(entry, exc),
        )

    def _on_resolved(self, entry: CatalogEntry, found: object) -> None:
        assert isinstance(found, ResolvedModel)
        self.found[entry.id] = found
        self.message.setText(found.describe(self._tr.language))
        self._selection_changed()
        self.resolved.emit(found)
        if self._pending_download == entry.id:
            self._pending_download = None
            self._open_download(entry, found)

    def _on_resolve_failed(self, entry: CatalogEntry, exc: BaseException) -> None:
        self.resolve_failed.emit(entry, exc)
        self._on_failed(exc)

    def _on_failed(self, exc: BaseException) -> None:
        text = _error_text(exc, self._tr)
        hint = self.builds.no_gguf_hint(exc, self.selected_entry())
        if hint:
            text += hint
            self.build_button.setDefault(True)
        self._pending_download = None
        self.message.setText(text)
        if isinstance(exc, HubUnreachableError):
            self.offline = exc
            self.offline_bar.show()
            self.hub_unreachable.emit(exc)
        self._selection_changed()
        self.failed.emit(text)

    def set_resolver(self, resolver: Resolver) -> None:
        """The hub settings changed (a mirror was set): ask that one from now on."""
        self.resolver = resolver
        self.found.clear()
        if self.offline is not None:
            self.offline = None
            self.offline_bar.hide()
            self.message.setText(
                self._tr("已改用新的仓库地址，可以重试。", "The new hub address is used now.")
            )
            self._selection_changed()

    def retry_hub(self) -> None:
        """Ask the hub again (after the network or the mirror setting changed)."""
        self.offline = None
        self.offline_bar.hide()
        self.message.setText("")
        self._selection_changed()
        self.resolve_selected()

    def download_selected(self) -> None:
        """Download the selected entry (looking it up first when needed)."""
        entry = self.selected_entry()
        if entry is None:
            return
        found = self.found.get(entry.id)
        if found is None:
            self._pending_download = entry.id
            self.resolve_selected()
            return
        self._open_download(entry, found)

    def _open_download(self, entry: CatalogEntry, found: ResolvedModel) -> None:
        dialog = DownloadDialog(
            entry, found, self.registry, self.downloader_factory(), self._tr, parent=self
        )
        dialog.installed.connect(self._on_installed)
        self.download_dialog = dialog
        dialog.open()
        dialog.start()

    def _on_installed(self, model: object) -> None:
        self.refresh()
        self.models_changed.emit()

    def build_selected(self) -> None:
        """Show the plan of building the selected entry (or resume its unfinished build)."""
        if self.builds.open(self.selected_build(), self.selected_entry()):  # asks the hub
            self.message.setText(self._tr("正在向模型仓库查询原始权重…", "Asking the hub…"))
            self.build_button.setEnabled(False)

    def use_selected(self) -> None:
        model = self.selected_model()
        if model is not None:
            self.model_chosen.emit(model)

    def choose_local_file(self) -> None:
        tr = self._tr
        path = ask_open_file(
            self,
            tr("选择 GGUF 模型文件", "Choose a GGUF model file"),
            "GGUF (*.gguf)",
            self.folders,
            "models",
        )
        if path is not None:
            self.add_local_file(path)

    def add_local_file(self, path: Path, confirm: bool = True) -> InstalledModel | None:
        """Check a user's GGUF file, show its header, and register it if accepted."""
        tr = self._tr
        try:
            info = self.registry.inspect_local(path)
        except ModelError as exc:
            self._on_failed(exc)
            return None
        dialog = LocalModelDialog(info, tr, parent=self)
        self.local_dialog = dialog
        if confirm and dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        try:
            model = self.registry.add_local(
                path, kind=dialog.kind, prompt_style=dialog.prompt_style, info=info
            )
        except (ModelError, OSError) as exc:
            self._on_failed(exc)
            return None
        self.message.setText(tr(f"已添加：{model.path}", f"Added: {model.path}"))
        self.refresh()
        self.select_key(f"model:{model.key}")
        self.models_changed.emit()
        return model

    def delete_selected(self) -> None:
        model = self.selected_model()
        if model is None:
            return
        tr = self._tr
        if model.managed:
            question = tr(
                f"删除 {model.name.zh} 及其文件（{format_bytes(model.size)}）？",
                f"Delete {model.name.en} and its files ({format_bytes(model.size)})?",
            )
        else:
            question = tr(
                f"不再使用 {model.name.zh}？文件本身不会被删除。",
                f"Stop using {model.name.en}? The file itself is not deleted.",
            )
        answer = QMessageBox.question(self, tr("删除模型", "Delete model"), question)
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.registry.remove(model.key)
        self.message.setText(tr("已删除。", "Deleted."))
        self.refresh()
        self.models_changed.emit()
