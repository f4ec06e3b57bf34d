"""The 模型 menu's model side: the current model, loading it in the engine, local or remote.

:class:`ModelController` belongs to the main window. It adds 模型管理… (the
:class:`~app.ui.models.manager.ModelManagerDialog`, kept by a
:class:`~app.ui.models.manager_link.ManagerLink`), 加载当前模型 and the choice
使用本地模型 / 使用远程服务器 to the 模型 menu, and an engine line to the status bar.
Choosing or installing a model in the manager makes it the current model (kept in
the settings: its registry key and its path) and loads it in the engine on a worker
thread, with the settings' context length and GPU layers.

Nothing is built at start-up: the catalog, registry, resolver, downloaders, machine
probe and the one engine client come from :class:`~app.ui.services.ModelServices`
the first time a model feature is used, and the engine process starts with the
first load or generation. :meth:`ModelController.shutdown` stops it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from app.settings import EngineSettings, Settings
from app.storage.errors import StorageError
from app.ui.models.choice import NO_MODEL, CurrentModel, LocalBackend, current_model
from app.ui.models.manager_link import ManagerLink
from app.ui.workers import GeneratorWorker

if TYPE_CHECKING:
    from app.engine.backend import Backend
    from app.engine.remote import RemoteBackend
    from app.engine.requests import LoadConfig
    from app.models.registry import InstalledModel
    from app.ui.models.manager import ModelManagerDialog
    from app.ui.window.host import FeatureHost


def exception_text(exc: BaseException, lang: str) -> str:
    """The plain message of an engine or model error in ``lang``."""
    zh, en = getattr(exc, "zh", None), getattr(exc, "en", None)
    if isinstance(zh, str) and isinstance(en, str) and (zh or en):
        return zh if lang == "zh" else en
    message = getattr(exc, "message", None)
    if callable(message):
        try:
            return str(message(lang))
        except TypeError:
            pass
    return f"{type(exc).__name__}: {exc}"


class _EngineRelay(QObject):
    """The client calls its listeners from its own threads; this brings them to the GUI."""

    state = Signal(str)


class ModelController(QObject):
    """The current model and backend of a window (see the module notes).

    Signals: ``model_changed(CurrentModel | None)``, ``backend_changed(str)``
    (``"local"`` / ``"remote"``), ``load_started(CurrentModel)``,
    ``loaded(LoadedInfo)``, ``load_failed(str)`` (the message in the window's
    language), ``engine_state(str)`` (the client's state, on the GUI thread).
    """

    model_changed = Signal(object)
    backend_changed = Signal(str)
    load_started = Signal(object)
    loaded = Signal(object)
    load_failed = Signal(str)
    engine_state = Signal(str)

    def __init__(self, window: FeatureHost) -> None:
        super().__init__(window.widget())
        self.w = window
        tr = window.tr_
        self._lang = tr.language
        menu = window.menu("model")
        self.manager_action = QAction(tr("模型管理…", "Models…"), window.widget())
        self.manager_action.setObjectName("model_manager")
        self.manager_action.setShortcut(QKeySequence("Ctrl+Shift+M"))
        self.manager_action.triggered.connect(lambda _on=False: self.open_manager())
        self.load_action = QAction(tr("加载当前模型", "Load the current model"), window.widget())
        self.load_action.setObjectName("load_model")
        self.load_action.triggered.connect(lambda _on=False: self.load_current())
        group = QActionGroup(window.widget())
        self.local_action = QAction(tr("使用本地模型", "Use the local model"), window.widget())
        self.local_action.setObjectName("backend_local")
        self.remote_action = QAction(tr("使用远程服务器", "Use a remote server"), window.widget())
        self.remote_action.setObjectName("backend_remote")
        for action, kind in ((self.local_action, "local"), (self.remote_action, "remote")):
            action.setCheckable(True)
            group.addAction(action)
            action.triggered.connect(lambda _on=False, k=kind: self.set_backend(k))
        self._sync_backend_actions()
        menu.addAction(self.manager_action)
        menu.addAction(self.load_action)
        menu.addSeparator()
        menu.addAction(self.local_action)
        menu.addAction(self.remote_action)

        self.status_label = window.engine_label()

        self._relay = _EngineRelay(self)
        self._relay.state.connect(self._on_engine_state)
        self._local: LocalBackend | None = None
        self._remote: tuple[tuple[str, ...], RemoteBackend] | None = None
        self._current: CurrentModel | None = None
        self._current_known = False
        self._load_worker: GeneratorWorker | None = None
        self._old_workers: list[GeneratorWorker] = []
        self._loading: LoadConfig | None = None
        self._load_t0 = 0.0
        self._manager = ManagerLink(window, chosen=self.choose, changed=self._models_changed)
        self._closed = False

    # ------------------------------------------------------------------ state
    @property
    def settings(self) -> Settings:
        return self.w.services.settings

    @property
    def is_remote(self) -> bool:
        return self.settings.engine.backend == "remote"

    @property
    def loading(self) -> bool:
        return self._load_worker is not None

    def current(self, *, refresh: bool = False) -> CurrentModel | None:
        """The model the settings name (None: none chosen and the default not installed)."""
        if refresh or not self._current_known:
            models = self.w.services.models
            try:
                catalog = models.catalog()
            except Exception as exc:  # a broken catalog must not hide the user's own models
                self.w.log.failure("catalog_failed", exc)
                catalog = None
            try:
                self._current = current_model(self.settings, models.registry(), catalog, self._lang)
            except Exception as exc:  # a damaged registry file: say so, use none
                self.w.log.failure("model_registry_failed", exc)
                self.w.show_error(exc)
                self._current = None
            self._current_known = True
            if self._local is not None:
                self._local.config = self.load_config()
        return self._current

    def load_config(self) -> LoadConfig | None:
        from app.ui.models.choice import load_config

        model = self._current if self._current_known else self.current()
        return load_config(model, self.settings) if model is not None else None

    def local_backend(self) -> LocalBackend:
        """The engine client as a backend (the client is made now; its process is not
        started until a load or a generation)."""
        if self._local is None:
            client = self.w.services.models.engine()
            client.add_listener(self._relay.state.emit)
            self._local = LocalBackend(client)
            self._local.config = self.load_config()
            self._show_status()
        return self._local

    def remote_backend(self) -> RemoteBackend | None:
        """The remote server the settings name (None when no URL is set)."""
        remote = self.settings.engine.remote
        if not remote.url.strip():
            return None
        key = (remote.url, remote.model, remote.api_key, remote.constraint_mode)
        if self._remote is None or self._remote[0] != key:
            from app.engine.remote import RemoteBackend

            backend = RemoteBackend(
                remote.url.strip(),
                remote.model.strip() or "default",
                remote.api_key or None,
                constraint_mode=remote.constraint_mode,
                rhyme_book=self.w.services.book,
            )
            self._remote = (key, backend)
        return self._remote[1]

    def backend(self) -> Backend:
        """What the compose panel runs on: the remote server when chosen (and set), else
        the local engine."""
        if self.is_remote:
            remote = self.remote_backend()
            if remote is not None:
                return remote
        return self.local_backend()

    def prompt_style(self) -> str:
        """``"reasoning"``, ``"qwen3"`` or ``"general"``: the remote setting, or the
        current model's."""
        if self.is_remote and self.remote_backend() is not None:
            return self.settings.engine.remote.prompt_style
        model = self.current()
        return model.prompt_style if model is not None else "reasoning"

    def default_think_budget(self) -> int:
        """The current model's default thinking budget (by its size)."""
        from app.ui.models.choice import FALLBACK_BUDGET

        model = None if self.is_remote else self.current()
        return model.think_budget if model is not None else FALLBACK_BUDGET

    def save_thinking(self, thinking: bool, budget: int | None) -> None:
        """Remember the compose form's thinking switch and budget (None: automatic)."""
        engine = self.settings.engine
        if (engine.thinking, engine.think_budget) != (thinking, budget):
            self._save_engine(replace(engine, thinking=thinking, think_budget=budget))

    # ------------------------------------------------------------------ settings
    def _save_engine(self, engine: EngineSettings) -> bool:
        settings = self.settings
        try:
            self.w.services.save_settings(replace(settings, engine=engine))
        except StorageError as exc:
            self.w.show_error(
                exc, prefix=self.w.tr_("设置没能保存：", "The settings were not saved: ")
            )
            return False
        return True

    def set_backend(self, kind: str) -> None:
        """Use the local engine or the remote server (persisted)."""
        chosen: Literal["local", "remote"] = "remote" if kind == "remote" else "local"
        kind = chosen
        if kind == self.settings.engine.backend:
            self._sync_backend_actions()
            return
        if kind == "remote" and not self.settings.engine.remote.url.strip():
            self.w.notices.show_notice(
                "remote",
                self.w.tr_(
                    "还没有填写远程服务器地址：请在“设置 → 模型”中填写。",
                    "No remote server is set: fill it in under Settings → Model.",
                ),
                level="warning",
                actions=[(self.w.tr_("打开设置", "Open settings"), self._open_settings)],
            )
            self._sync_backend_actions()
            return
        if self._save_engine(replace(self.settings.engine, backend=chosen)):
            self.w.log.event("backend_changed", backend=kind)
            self.backend_changed.emit(kind)
        self._sync_backend_actions()
        self._show_status()

    def _open_settings(self) -> None:
        dialog = self.w.open_settings()
        dialog.show_page("model")

    def _sync_backend_actions(self) -> None:
        remote = self.settings.engine.backend == "remote"
        self.remote_action.setChecked(remote)
        self.local_action.setChecked(not remote)

    def settings_changed(self, old: Settings, new: Settings) -> None:
        """After the settings dialog: follow a new backend, model or engine setting."""
        if old.engine == new.engine and old.hub == new.hub:
            return
        self._sync_backend_actions()
        if old.hub != new.hub:  # a new mirror: the open manager uses it
            self._manager.hub_changed()
        if old.engine.backend != new.engine.backend:
            self.backend_changed.emit(new.engine.backend)
        elif new.engine.backend == "remote" and old.engine.remote != new.engine.remote:
            self.backend_changed.emit("remote")
        if self._current_known or self._local is not None:
            self.current(refresh=True)
            self.model_changed.emit(self._current)
        engine_params = (old.engine.n_gpu_layers, old.engine.context_length) != (
            new.engine.n_gpu_layers,
            new.engine.context_length,
        )
        if engine_params and self._local is not None and self._local.client.loaded is not None:
            self.w.notices.show_notice(
                "model-reload",
                self.w.tr_(
                    "新的上下文长度或 GPU 层数将在重新加载模型后生效。",
                    "The new context length or GPU layers apply once the model is reloaded.",
                ),
                actions=[(self.w.tr_("重新加载", "Reload now"), self._reload)],
            )
        self._show_status()

    # ------------------------------------------------------------------ the manager
    @property
    def manager(self) -> ModelManagerDialog | None:
        """The model manager dialog (None until first opened)."""
        return self._manager.dialog

    def open_manager(self) -> ModelManagerDialog:
        """Open the model manager (non-modal: downloads go on while the poet writes)."""
        return self._manager.open(self.current)

    def _manage(self) -> None:
        self.open_manager()

    def _reload(self) -> None:
        self.load_current()

    def _models_changed(self, new: list[InstalledModel], keys: set[str]) -> None:
        """A model was installed, added or deleted in the manager."""
        current = self._current
        if current is not None and current.key and current.key not in keys:
            # the current model was deleted: let go of it in the engine too
            if self._local is not None:
                self._local.forget()
                if self._local.client.running and not self.loading:
                    self._local.client.unload()
            self._save_engine(replace(self.settings.engine, model_key="", model_path=""))
            self.current(refresh=True)
            self.model_changed.emit(self._current)
            self._show_status()
        if new:
            self.choose(new[-1])  # installing a model makes it the current one

    # ------------------------------------------------------------------ choosing, loading
    def choose(self, model: InstalledModel) -> bool:
        """Make ``model`` the current model (persisted), switch to the local engine and
        load it. Returns False when the settings could not be saved."""
        engine = replace(
            self.settings.engine, backend="local", model_key=model.key, model_path=str(model.path)
        )
        if not self._save_engine(engine):
            return False
        self.w.log.event("model_chosen", key=model.key, kind=model.kind, path=str(model.path))
        self._sync_backend_actions()
        self.current(refresh=True)
        self.model_changed.emit(self._current)
        self.backend_changed.emit("local")
        self.load_current()
        return True

    def load_current(self) -> bool:
        """Load the current model in the engine on a worker thread (status in the
        compose panel's engine line and the status bar). False when nothing was started."""
        tr = self.w.tr_
        model = self.current(refresh=True)
        if model is None:
            self._refuse(tr(*NO_MODEL), manager=True)
            return False
        if not model.exists:
            self._refuse(
                tr(f"找不到模型文件：{model.path}", f"The model file is missing: {model.path}"),
                manager=True,
            )
            return False
        config = self.load_config()
        assert config is not None
        local = self.local_backend()
        local.config = config
        if self._load_worker is not None:
            if self._loading == config:
                return True  # already on its way
            self._refuse(
                tr("正在加载另一个模型，请稍候。", "Another model is loading; wait a moment.")
            )
            return False
        compose = getattr(self.w, "compose", None)
        if compose is not None and compose.running:
            self._refuse(
                tr("正在作诗：请先停止，再加载模型。", "A poem is being written: stop it first.")
            )
            return False
        self._loading = config
        self._load_t0 = time.monotonic()
        self.w.log.event("model_loading", path=config.model_path, n_ctx=config.n_ctx,
                         n_gpu_layers=config.n_gpu_layers)  # fmt: skip
        self.load_started.emit(model)
        self._show_status(tr(f"正在加载 {model.name}…", f"Loading {model.name}…"))
        self.w.show_status(tr(f"正在加载模型 {model.name}…", f"Loading the model {model.name}…"))

        def job() -> Iterator[object]:
            yield local.ensure_loaded(config)

        worker = GeneratorWorker(job, parent=self)
        worker.yielded_batch.connect(lambda batch, w=worker: self._on_loaded(w, batch))
        worker.errored.connect(lambda exc, w=worker: self._on_load_error(w, exc))
        worker.finished.connect(lambda w=worker: self._on_load_finished(w))
        self._load_worker = worker
        worker.start()
        return True

    def _refuse(self, text: str, *, manager: bool = False) -> None:
        actions = [(self.w.tr_("模型管理…", "Models…"), self._manage)] if manager else []
        self.w.notices.show_notice("model", text, level="warning", actions=actions)
        self.load_failed.emit(text)

    def _settle(self, worker: GeneratorWorker) -> None:
        """The load ``worker`` ran has its outcome: another load may start now, even
        before the worker's thread has wound down (a reload clicked right after)."""
        if self._load_worker is worker:
            self._load_worker = None
            self._loading = None
        if worker not in self._old_workers:
            self._old_workers.append(worker)  # deleted with the controller (no deferred
            # delete while a nested event loop may be waiting on one of its signals)
            del self._old_workers[:-3]

    def _on_loaded(self, worker: GeneratorWorker, batch: list[object]) -> None:
        self._settle(worker)
        info: Any = batch[-1]
        tr = self.w.tr_
        local = self._local
        self.w.log.event(
            "model_loaded",
            path=info.model_path,
            backend=info.backend,
            n_gpu_layers=info.n_gpu_layers,
            n_ctx=info.n_ctx,
            engine_pid=local.client.pid if local is not None else None,
            ms=round((time.monotonic() - self._load_t0) * 1000),
        )
        self.w.notices.dismiss("model")
        name = self._current.name if self._current is not None else Path(info.model_path).name
        where = "CPU" if info.backend == "cpu" else info.backend.upper()
        self.w.show_status(
            tr(f"模型已加载：{name}（{where}）", f"Model loaded: {name} ({where})"), 8000
        )
        notice = info.notice(self._lang)
        if notice:  # e.g. the model's chat template did not work and ChatML stands in
            self.w.log.warn_event("model_load_notice", path=info.model_path, notice=info.notice_en)
            self.w.notices.show_notice("model", f"{name}：{notice}", level="warning")
        # The engine said "ready" (a queued signal) before the choice recorded what it
        # holds; the line is right from the moment the load is known to have succeeded.
        self._show_status()
        self.loaded.emit(info)

    def _on_load_error(self, worker: GeneratorWorker, exc: BaseException) -> None:
        self._settle(worker)
        tr = self.w.tr_
        text = exception_text(exc, self._lang)
        self.w.log.failure("model_load_failed", exc)
        self.w.show_status(tr("模型没能加载。", "The model did not load."), 8000)
        self.w.notices.show_notice(
            "model",
            tr(f"模型没能加载：{text}", f"The model did not load: {text}"),
            level="error",
            actions=[(tr("模型管理…", "Models…"), self._manage)],
        )
        self.load_failed.emit(text)

    def _on_load_finished(self, worker: GeneratorWorker) -> None:
        self._settle(worker)
        worker.wait(2000)
        self._show_status()

    # ------------------------------------------------------------------ status line
    def _on_engine_state(self, state: str) -> None:
        if state == "crashed":
            local = self._local
            crash = local.client.last_crash if local is not None else None
            self.w.log.warn_event(
                "engine_crashed",
                exit_code=crash.exit_code if crash is not None else None,
                signal=crash.signal_name if crash is not None else None,
                model=crash.model_path if crash is not None else None,
                loading=crash.loading if crash is not None else None,
                # the engine's own last log lines (llama.cpp's): for the log, not the poet
                engine_log=crash.stderr_tail[-8000:] if crash is not None else None,
            )
        self.engine_state.emit(state)
        self._show_status()

    def status_text(self) -> str:
        tr = self.w.tr_
        if self.is_remote:
            remote = self.remote_backend()
            if remote is not None:
                return tr(f"远程：{remote.model_id}", f"Remote: {remote.model_id}")
        model = self._current
        if model is None:
            return tr("模型：未选择", "Model: none chosen")
        label = f"{model.name}" + (
            tr("（通用模型，非格律诗专用）", " (general model, not the poetry model)")
            if model.kind == "general"
            else ""
        )
        local = self._local
        state = local.client.state if local is not None else "stopped"
        texts = {
            "stopped": tr("未加载", "not loaded"),
            "starting": tr("正在启动引擎…", "starting the engine…"),
            "idle": tr("未加载", "not loaded"),
            "loading": tr("正在加载…", "loading…"),
            "ready": tr("就绪", "ready"),
            "restarting": tr("正在重启引擎…", "restarting the engine…"),
            "crashed": tr("推理引擎已崩溃", "the engine crashed"),
        }
        if state == "ready" and self._load_worker is not None:
            shown = texts["loading"]  # ready for a moment before the load is recorded
        elif state == "ready" and local is not None and not local.is_loaded(local.config):
            shown = tr("已加载其他模型", "another model is loaded")
        else:
            shown = texts.get(state, state)
        return tr(f"模型：{label} · {shown}", f"Model: {label} · {shown}")

    def _show_status(self, override: str | None = None) -> None:
        if not (self._current_known or self._local is not None or self.is_remote):
            return  # nothing used yet: no line (and nothing imported for it)
        self.status_label.setText(override or self.status_text())
        self.status_label.show()

    # ------------------------------------------------------------------ closing
    def shutdown(self) -> None:
        """Stop the engine process (waits for it) and any load in progress."""
        if self._closed:
            return
        self._closed = True
        models = self.w.services.models
        local = self._local
        pid = local.client.pid if local is not None else None
        started = models.has_engine
        models.shutdown()  # a load in progress then ends with an error
        worker = self._load_worker
        if worker is not None:
            worker.quit()
            worker.wait(10_000)
        if started:
            self.w.log.event("engine_stopped", engine_pid=pid)
