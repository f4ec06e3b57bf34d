"""The model manager dialog for widget tests: a registry in the test's folder and the
dialog on a hub address, with downloads that do not wait (no disk margin, short
back-off).

Import the fixture into a test module (``from tests.support.model_manager import
registry_fixture  # noqa: F401``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.models.catalog import Catalog
from app.models.download import Downloader, DownloadPolicy
from app.models.hub import HubConfig
from app.models.machine import MachineInfo
from app.models.registry import ModelRegistry
from app.models.resolve import Resolver
from app.ui.i18n import Tr
from app.ui.models.manager import ModelManagerDialog

POLICY = DownloadPolicy(disk_margin_bytes=0, backoff_base_s=0.01)


@pytest.fixture(name="registry")
def registry_fixture(tmp_path: Path) -> ModelRegistry:
    """An empty model registry under the test's folder."""
    return ModelRegistry(tmp_path / "models")


def open_manager(
    qtbot: QtBot,
    endpoint: str,
    registry: ModelRegistry,
    catalog: Catalog,
    tr: Tr,
    machine: MachineInfo,
    build_options: dict[str, object] | None = None,
) -> ModelManagerDialog:
    """The manager dialog, shown, resolving against the hub at ``endpoint`` and
    downloading with :data:`POLICY`; ``build_options`` go to its builds."""
    dialog = ModelManagerDialog(
        catalog,
        registry,
        Resolver(HubConfig(endpoint=endpoint)),
        lambda: Downloader(POLICY),
        tr,
        machine,
        build_options=build_options,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


__all__ = ["POLICY", "open_manager", "registry_fixture"]
