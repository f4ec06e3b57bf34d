"""The model manager as the window opens it: one dialog, kept while the hub settings stay.

:class:`ManagerLink` belongs to the :class:`~app.ui.models.controller.ModelController`.
It opens the :class:`~app.ui.models.manager.ModelManagerDialog` (non-modal: downloads go
on while the poet writes), brings the same dialog back while the hub settings are the
same, gives an open one a new resolver when the mirror changes, selects the current
model in it, and logs every failed hub lookup. What the poet chooses or installs there
goes back to the controller through the two callbacks it was made with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.models.registry import InstalledModel
    from app.ui.models.choice import CurrentModel
    from app.ui.models.manager import ModelManagerDialog
    from app.ui.window.host import FeatureHost

__all__ = ["ManagerLink"]


class ManagerLink:
    """The window's one model manager dialog (``dialog``: None until first opened).

    ``chosen(model)``: the poet chose an installed model in it; ``changed(new, keys)``:
    models were installed, added or deleted — ``new`` the ones not there when it was
    opened (or last changed), ``keys`` the registry's keys now.
    """

    def __init__(
        self,
        window: FeatureHost,
        *,
        chosen: Callable[[InstalledModel], object],
        changed: Callable[[list[InstalledModel], set[str]], None],
    ) -> None:
        self.w = window
        self._chosen = chosen
        self._changed = changed
        self.dialog: ModelManagerDialog | None = None
        self._hub: object = None
        self._known_keys: set[str] = set()

    def open(self, current: Callable[[], CurrentModel | None]) -> ModelManagerDialog:
        """Open the manager, the ``current()`` model selected in a new one."""
        from app.ui.models.manager import ModelManagerDialog

        models = self.w.services.models
        hub = models.hub_config()
        old = self.dialog
        if old is not None and (old.isVisible() or self._hub == hub):
            # the same dialog again (a download it started goes on in its own window)
            self._known_keys = {m.key for m in models.registry().models()}
            old.refresh()
            old.open()
            old.raise_()
            old.activateWindow()
            return old
        if old is not None:  # the hub settings changed: a new dialog with a new resolver
            busy = old.download_dialog is not None and old.download_dialog.isVisible()
            if not busy:
                old.deleteLater()
        dialog = ModelManagerDialog(
            models.catalog(),
            models.registry(),
            models.resolver(),
            models.downloader,
            self.w.tr_,
            machine=models.machine(),
            parent=self.w.widget(),
            folders=self.w.services.folders,
        )
        self._hub = hub
        dialog.setObjectName("model-manager")
        self._known_keys = {m.key for m in models.registry().models()}
        dialog.model_chosen.connect(self._chosen_in_manager)
        dialog.models_changed.connect(self._models_changed)
        dialog.hub_unreachable.connect(self._hub_unreachable)
        dialog.resolve_failed.connect(self._resolve_failed)
        dialog.mirror_requested.connect(self.open_mirror_settings)
        model = current()
        if model is not None and model.key and not dialog.select_key(f"model:{model.key}"):
            self._select_entry(dialog, model)
        self.dialog = dialog
        dialog.open()
        return dialog

    def hub_changed(self) -> None:
        """A new mirror: the open manager resolves through it."""
        dialog = self.dialog
        if dialog is not None:
            dialog.set_resolver(self.w.services.models.resolver())
            self._hub = self.w.services.models.hub_config()

    def open_mirror_settings(self) -> Any:
        """The settings dialog at its 模型 page, the mirror field focused."""
        dialog = self.w.open_settings()
        dialog.show_page("model")
        page = getattr(dialog, "model_page", None)
        field = getattr(page, "hub_endpoint_edit", None)
        if field is not None:
            field.setFocus()
        return dialog

    def _select_entry(self, dialog: ModelManagerDialog, current: CurrentModel) -> bool:
        model = self.w.services.models.registry().get(current.key)
        return bool(model is not None and model.entry_id and dialog.select_entry(model.entry_id))

    def _resolve_failed(self, entry: object, exc: object) -> None:
        """Every failed hub lookup goes to the log: which entry, what kind of error, why."""
        self.w.log.warn_event(
            "model_resolve_failed",
            entry=getattr(entry, "id", ""),
            error=type(exc).__name__,
            message=str(exc)[:500],
        )

    def _hub_unreachable(self, exc: object) -> None:
        self.w.log.warn_event(
            "hub_unreachable",
            endpoint=getattr(exc, "endpoint", ""),
            detail=getattr(exc, "detail", ""),  # the transport's text: the log only
        )

    def _chosen_in_manager(self, model: object) -> None:
        self._chosen(model)  # type: ignore[arg-type]

    def _models_changed(self) -> None:
        models = self.w.services.models.registry().models()
        keys = {m.key for m in models}
        new = [m for m in models if m.key not in self._known_keys]
        self._known_keys = keys
        self._changed(new, keys)
