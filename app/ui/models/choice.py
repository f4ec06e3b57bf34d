"""Which model the window uses, and the local engine as a compose backend.

Qt-free. :func:`current_model` turns the settings (a registry key, or a file path)
into a :class:`CurrentModel`; :func:`load_config` makes the engine's
:class:`~app.engine.requests.LoadConfig` from it and the settings' context length
and GPU layers. :class:`LocalBackend` is the engine client seen as a
:class:`~app.engine.backend.Backend` that loads the current model on first use, so
pressing Generate with nothing loaded just works (the engine process is started
then, not at start-up).

Nothing here imports the engine or the model packages at module level: the main
window imports this module at start-up, and those packages load only when used.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from app.settings import Settings

if TYPE_CHECKING:
    from app.engine.backend import EventStream
    from app.engine.client import EngineClient
    from app.engine.events import EngineEvent, LoadedInfo
    from app.engine.requests import GenerateRequest, LoadConfig
    from app.models.catalog import Catalog
    from app.models.registry import InstalledModel, ModelRegistry

ModelKindShown = Literal["poetry", "general", "unknown"]
StyleName = Literal["reasoning", "general", "qwen3"]
# registry/catalog prompt styles -> the compose panel's (app.compose.prompt.PromptStyle)
_STYLES: dict[str, StyleName] = {
    "qpm-r1": "reasoning",
    "qwen3-think": "qwen3",
    "chatml-general": "general",
}
FALLBACK_BUDGET = 1024  # a thinking budget when nothing says more (a 4B-sized model)

_POETIC_NAMES = ("qpm", "yayun", "xunzi")

NO_MODEL = (
    "还没有选择模型：请在“模型 → 模型管理…”中下载或选择一个模型（它会按本机推荐一个），"
    "或在设置中改用远程服务器。",
    "No model is chosen yet: download or pick one under Model → Models… (it recommends one "
    "for this machine), or use a remote "
    "server (Settings).",
)


@dataclass(frozen=True, slots=True)
class CurrentModel:
    """The model the settings name, as the window shows and loads it."""

    path: Path
    name: str
    kind: ModelKindShown
    prompt_style: StyleName
    key: str = ""  # the registry key ("" for a file given only by its path)
    think_budget: int = FALLBACK_BUDGET  # the model's default thinking budget

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    @property
    def thinks(self) -> bool:
        return self.prompt_style != "general"

    @property
    def can_switch_thinking(self) -> bool:
        """Only Qwen3's template has a switch; the poetry model always thinks."""
        return self.prompt_style == "qwen3"

    def kind_label(self, lang: str) -> str:
        if self.kind == "poetry":
            return "格律诗专用模型" if lang == "zh" else "poetry model"
        if self.kind == "general" and self.thinks:
            return (
                "会思考的通用模型（非格律诗专用）"
                if lang == "zh"
                else "general model that thinks (not the poetry model)"
            )
        if self.kind == "general":
            return (
                "通用模型（非格律诗专用）"
                if lang == "zh"
                else "general model (not the poetry model)"
            )
        return "未登记的模型文件" if lang == "zh" else "unregistered model file"

    @classmethod
    def of_installed(
        cls, model: InstalledModel, lang: str = "zh", catalog: Catalog | None = None
    ) -> CurrentModel:
        from app.models.budget import budget_for_file, entry_think_budget

        name = model.name.get("en" if lang == "en" else "zh")
        style: StyleName = _STYLES.get(model.prompt_style, "reasoning")
        kind: ModelKindShown = "general" if model.kind == "general" else "poetry"
        if catalog is not None and model.entry_id and model.entry_id in catalog:
            budget = entry_think_budget(catalog.get(model.entry_id))
        else:
            budget = budget_for_file(model.size, model.quant)
        return cls(model.path, name, kind, style, model.key, budget)

    @classmethod
    def of_path(cls, path: Path) -> CurrentModel:
        poetic = any(word in path.name.lower() for word in _POETIC_NAMES)
        return cls(path, path.name, "poetry" if poetic else "unknown", "reasoning")


def current_model(
    settings: Settings, registry: ModelRegistry, catalog: Catalog | None, lang: str = "zh"
) -> CurrentModel | None:
    """The model the settings name: the registry key first, then the file path (the
    registry's record of that file when it has one), else the catalog's default model
    when it is installed; None when there is none."""
    engine = settings.engine
    if engine.model_key:
        model = registry.get(engine.model_key)
        if model is not None:
            return CurrentModel.of_installed(model, lang, catalog)
    if engine.model_path:
        path = Path(engine.model_path).expanduser()
        for model in registry.models():
            if model.path == path:
                return CurrentModel.of_installed(model, lang, catalog)
        return CurrentModel.of_path(path)
    if catalog is not None:
        installed = registry.for_entry(catalog.default.id)
        if installed is not None:
            return CurrentModel.of_installed(installed, lang, catalog)
    return None


def load_config(model: CurrentModel, settings: Settings) -> LoadConfig:
    """How to load ``model``: the settings' context length and GPU layers (None: auto)."""
    from app.engine.requests import LoadConfig

    layers = settings.engine.n_gpu_layers
    return LoadConfig(
        model_path=str(model.path),
        n_ctx=settings.engine.context_length,
        n_gpu_layers="auto" if layers is None else layers,
    )


def failed_stream(request_id: str, event: EngineEvent) -> EventStream:
    """A stream that ends at once with ``event`` (a refusal before the engine is asked)."""
    from app.engine.backend import QueueStream

    stream = QueueStream(request_id, lambda _rid: None)
    stream.put(event)
    return stream


class LocalBackend:
    """The engine client as a compose backend, loading the current model on first use.

    ``config`` is read when a generation starts (from the compose worker thread): the
    window keeps it current. ``ensure_loaded`` is also what an explicit load runs on
    its worker; a lock keeps the two from loading at once.
    """

    def __init__(self, client: EngineClient) -> None:
        self.client = client
        self.config: LoadConfig | None = None
        self._lock = threading.Lock()
        self._loaded: LoadConfig | None = None

    @property
    def model_id(self) -> str:
        config = self.config
        if config is not None:
            return Path(config.model_path).name
        return self.client.model_id

    def is_loaded(self, config: LoadConfig | None) -> bool:
        """Whether the engine holds ``config``'s model, ready."""
        return (
            config is not None
            and self._loaded == config
            and self.client.loaded is not None
            and self.client.state == "ready"
        )

    def ensure_loaded(self, config: LoadConfig) -> LoadedInfo:
        """Load ``config`` unless the engine already holds it (blocking; a worker thread).

        Raises the client's ``EngineLoadError`` / ``EngineUnavailableError``.
        """
        with self._lock:
            info = self.client.loaded
            if info is not None and self.is_loaded(config):
                return info
            self._loaded = None
            info = self.client.load(config)
            self._loaded = config
            return info

    def forget(self) -> None:
        """The loaded model is no longer wanted (deleted, or another is being chosen)."""
        with self._lock:
            self._loaded = None

    def generate(self, request: GenerateRequest) -> EventStream:
        from app.engine.client import EngineLoadError, EngineUnavailableError
        from app.engine.events import EngineError

        config = self.config
        if config is None:
            return failed_stream(request.id, EngineError(request.id, "no_model", *NO_MODEL))
        try:
            self.ensure_loaded(config)
        except EngineLoadError as exc:
            return failed_stream(request.id, EngineError(request.id, exc.code, exc.zh, exc.en))
        except EngineUnavailableError as exc:
            if exc.crash is not None:
                return failed_stream(request.id, replace(exc.crash, request_id=request.id))
            return failed_stream(request.id, EngineError(request.id, "unavailable", exc.zh, exc.en))
        return self.client.generate(request)

    def cancel(self, request_id: str) -> None:
        self.client.cancel(request_id)
