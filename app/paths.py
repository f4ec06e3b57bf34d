"""Where 诗笺 keeps its files.

One module decides every folder, on platformdirs, with one override: a base
folder given by ``--basedir`` or the ``SHIJIAN_BASEDIR`` environment variable.
With a base folder, everything (data, config, cache, models, logs) lives under
it, so tests, end-to-end runs and portable installs never touch the user's
real folders.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "shijian"
APP_AUTHOR = "Shijian"
BASEDIR_ENV = "SHIJIAN_BASEDIR"


@dataclass(frozen=True)
class AppPaths:
    """The folders the app writes to. Create them with :meth:`ensure`."""

    data: Path  # the poem library, its backups, drafts
    config: Path  # settings
    cache: Path  # caches (vocabulary masks, thumbnails)
    models: Path  # downloaded model files
    logs: Path

    @property
    def database(self) -> Path:
        return self.data / "library.sqlite3"

    @property
    def backups(self) -> Path:
        return self.data / "backups"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    def ensure(self) -> AppPaths:
        for folder in (self.data, self.config, self.cache, self.models, self.logs, self.backups):
            folder.mkdir(parents=True, exist_ok=True)
        return self

    @classmethod
    def under(cls, base: Path) -> AppPaths:
        base = base.expanduser().resolve()
        return cls(
            data=base / "data",
            config=base / "config",
            cache=base / "cache",
            models=base / "models",
            logs=base / "logs",
        )

    @classmethod
    def from_platform(cls) -> AppPaths:
        import platformdirs

        dirs = platformdirs.PlatformDirs(APP_NAME, APP_AUTHOR)
        data = Path(dirs.user_data_dir)
        return cls(
            data=data,
            config=Path(dirs.user_config_dir),
            cache=Path(dirs.user_cache_dir),
            models=data / "models",
            logs=Path(dirs.user_log_dir),
        )


def resolve_paths(basedir: str | os.PathLike[str] | None = None) -> AppPaths:
    """``basedir`` (from ``--basedir``) wins, then ``$SHIJIAN_BASEDIR``, then platformdirs."""
    chosen = basedir if basedir else os.environ.get(BASEDIR_ENV)
    if chosen:
        return AppPaths.under(Path(chosen))
    return AppPaths.from_platform()
