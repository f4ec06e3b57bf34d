"""Which models are on this machine, where, and whether they were verified.

The registry is one JSON file, ``registry.json``, in the models folder
(``AppPaths.models``). Downloaded models live in a folder per repository under it
(``<owner>--<name>/``) and are *managed*: removing them deletes their files. A GGUF
file the user already has is registered where it is, after its header has been read
and checked, and is never deleted by the app — removing it only forgets it.

Writes are atomic (temporary file, fsync, rename) and serialised by a lock, so the
GUI and a download thread can share one registry object.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

from app.models.catalog import CatalogEntry, LocalText
from app.models.download import Downloader, ProgressCallback
from app.models.download.partfile import VERIFIED_SUFFIX, hash_file, remove_partial
from app.models.errors import GGUFError, ModelError
from app.models.gguf.header import GGUFInfo
from app.models.gguf.loadable import read_model
from app.models.resolve import ResolvedModel

REGISTRY_FILE = "registry.json"
FORMAT = 1
Source = Literal["hub", "local", "built"]
ModelKind = Literal["poetry", "general", "unknown"]


@dataclass(frozen=True)
class InstalledFile:
    name: str
    size: int
    sha256: str | None


@dataclass(frozen=True)
class InstalledModel:
    key: str
    source: Source
    path: Path  # the file to load (the first part of a split set)
    files: tuple[InstalledFile, ...]
    name: LocalText
    kind: ModelKind
    prompt_style: str
    quant: str
    added_at: str
    managed: bool  # the files live in the models folder and are deleted with the entry
    entry_id: str | None = None
    repo_id: str | None = None
    revision: str | None = None
    context_length: int | None = None
    architecture: str = ""
    # built here from original weights: source repo@commit (or folder), converter
    # version, quantization, llama.cpp version, the result's SHA-256, when
    provenance: dict[str, str] | None = None

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def verified(self) -> bool:
        """Downloaded files were hash-checked; a local file's header was checked."""
        return self.source == "local" or all(f.sha256 for f in self.files)

    def paths(self) -> list[Path]:
        return [self.path.with_name(f.name) for f in self.files]

    def to_json(self, models_dir: Path) -> dict[str, Any]:
        path = self.path
        if self.managed:
            with contextlib.suppress(ValueError):
                path = path.relative_to(models_dir)
        return {
            "key": self.key,
            "source": self.source,
            "path": str(path),
            "files": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in self.files],
            "name": {"zh": self.name.zh, "en": self.name.en},
            "kind": self.kind,
            "prompt_style": self.prompt_style,
            "quant": self.quant,
            "added_at": self.added_at,
            "managed": self.managed,
            "entry_id": self.entry_id,
            "repo_id": self.repo_id,
            "revision": self.revision,
            "context_length": self.context_length,
            "architecture": self.architecture,
            "provenance": self.provenance,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], models_dir: Path) -> InstalledModel:
        path = Path(data["path"])
        if not path.is_absolute():
            path = models_dir / path
        return cls(
            key=str(data["key"]),
            source=cast(Source, data["source"]),
            path=path,
            files=tuple(
                InstalledFile(str(f["name"]), int(f["size"]), f.get("sha256"))
                for f in data["files"]
            ),
            name=LocalText(str(data["name"]["zh"]), str(data["name"]["en"])),
            kind=cast(ModelKind, data.get("kind", "unknown")),
            prompt_style=str(data.get("prompt_style", "chatml-general")),
            quant=str(data.get("quant", "")),
            added_at=str(data.get("added_at", "")),
            managed=bool(data.get("managed", False)),
            entry_id=data.get("entry_id"),
            repo_id=data.get("repo_id"),
            revision=data.get("revision"),
            context_length=data.get("context_length"),
            architecture=str(data.get("architecture", "")),
            provenance=dict(data["provenance"]) if data.get("provenance") else None,
        )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ModelRegistry:
    """The models installed under one models folder."""

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = Path(models_dir)
        self.file = self.models_dir / REGISTRY_FILE
        self._lock = threading.RLock()

    # ------------------------------------------------------------ storage
    def _load(self) -> list[InstalledModel]:
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"模型登记文件 {self.file} 已损坏：{exc}",
                f"The model registry {self.file} is damaged: {exc}",
            ) from exc
        models = []
        for item in data.get("models", []):
            with contextlib.suppress(KeyError, TypeError, ValueError):
                models.append(InstalledModel.from_json(item, self.models_dir))
        return models

    def _save(self, models: list[InstalledModel]) -> None:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_name(self.file.name + ".tmp")
        payload = {"format": FORMAT, "models": [m.to_json(self.models_dir) for m in models]}
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(payload, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.file)

    def _put(self, model: InstalledModel) -> InstalledModel:
        with self._lock:
            models = [m for m in self._load() if m.key != model.key]
            models.append(model)
            self._save(models)
        return model

    # ------------------------------------------------------------ queries
    def models(self) -> list[InstalledModel]:
        with self._lock:
            return self._load()

    def get(self, key: str) -> InstalledModel | None:
        return next((m for m in self.models() if m.key == key), None)

    def for_entry(self, entry_id: str) -> InstalledModel | None:
        return next((m for m in self.models() if m.entry_id == entry_id), None)

    def folder_for(self, resolved: ResolvedModel) -> Path:
        return self.models_dir / resolved.repo_id.replace("/", "--")

    def problems(self, model: InstalledModel) -> list[str]:
        """What is wrong with an installed model's files (empty if nothing)."""
        found: list[str] = []
        for path, record in zip(model.paths(), model.files, strict=True):
            try:
                size = path.stat().st_size
            except OSError:
                found.append(f"missing: {path}")
                continue
            if size != record.size:
                found.append(f"size changed: {path} ({size} != {record.size})")
        return found

    # ------------------------------------------------------------ changes
    def record_download(
        self, entry: CatalogEntry, resolved: ResolvedModel, path: Path
    ) -> InstalledModel:
        """Register a downloaded (hash-verified) model, after checking its GGUF header."""
        info = read_model(path)
        model = InstalledModel(
            key=entry.id,
            source="hub",
            path=Path(path),
            files=tuple(InstalledFile(f.basename, f.size, f.sha256) for f in resolved.files),
            name=entry.name,
            kind=entry.kind,
            prompt_style=entry.prompt_style,
            quant=entry.quant,
            added_at=_now(),
            managed=True,
            entry_id=entry.id,
            repo_id=resolved.repo_id,
            revision=resolved.revision,
            context_length=info.context_length or entry.context_length,
            architecture=info.architecture,
        )
        return self._put(model)

    def record_build(
        self,
        path: Path,
        *,
        key: str,
        name: LocalText,
        kind: ModelKind,
        prompt_style: str,
        quant: str,
        sha256: str,
        provenance: dict[str, str],
        entry_id: str | None = None,
        repo_id: str | None = None,
        revision: str | None = None,
    ) -> InstalledModel:
        """Register a GGUF built here (verified, SHA-256 known), after checking its header.

        It is managed (deleted with the entry) when it lies inside the models folder."""
        path = Path(path)
        info = read_model(path)
        managed = self.models_dir.resolve() in path.resolve().parents
        model = InstalledModel(
            key=key,
            source="built",
            path=path,
            files=(InstalledFile(path.name, path.stat().st_size, sha256),),
            name=name,
            kind=kind,
            prompt_style=prompt_style,
            quant=quant,
            added_at=_now(),
            managed=managed,
            entry_id=entry_id,
            repo_id=repo_id,
            revision=revision,
            context_length=info.context_length,
            architecture=info.architecture,
            provenance=dict(provenance),
        )
        return self._put(model)

    def install(
        self,
        entry: CatalogEntry,
        resolved: ResolvedModel,
        downloader: Downloader,
        progress_cb: ProgressCallback | None = None,
        cancel_event: threading.Event | None = None,
    ) -> InstalledModel:
        """Download ``resolved`` into its folder and register it (blocking)."""
        path = downloader.download(resolved, self.folder_for(resolved), progress_cb, cancel_event)
        try:
            return self.record_download(entry, resolved, path)
        except GGUFError:
            # verified bytes, but not a usable model: do not leave them lying around
            for remote in resolved.files:
                target = path.with_name(remote.basename)
                for junk in (target, target.with_name(target.name + VERIFIED_SUFFIX)):
                    with contextlib.suppress(FileNotFoundError):
                        junk.unlink()
            raise

    def inspect_local(self, path: Path) -> GGUFInfo:
        """Read and check a user's GGUF file (all parts of a split set); raises GGUFError."""
        return read_model(Path(path).expanduser())

    def add_local(
        self,
        path: Path,
        *,
        kind: ModelKind = "unknown",
        prompt_style: str = "chatml-general",
        name: LocalText | None = None,
        info: GGUFInfo | None = None,
        hash_files: bool = False,
        on_hash_progress: Callable[[int], None] | None = None,
    ) -> InstalledModel:
        """Register a GGUF file where it is (not copied, never deleted by the app)."""
        path = Path(path).expanduser().resolve()
        info = info or read_model(path)
        first = info.parts[0]
        files = []
        for part in info.parts:
            digest = None
            if hash_files:
                digest = hash_file(part, on_progress=on_hash_progress)
            files.append(InstalledFile(part.name, part.stat().st_size, digest))
        key = "local-" + hashlib.sha1(str(first).encode("utf-8")).hexdigest()[:12]
        label = info.name or first.stem
        model = InstalledModel(
            key=key,
            source="local",
            path=first,
            files=tuple(files),
            name=name or LocalText(f"{label}（本地文件）", f"{label} (local file)"),
            kind=kind,
            prompt_style=prompt_style,
            quant=info.quantization,
            added_at=_now(),
            managed=False,
            context_length=info.context_length,
            architecture=info.architecture,
        )
        return self._put(model)

    def remove(self, key: str, *, delete_files: bool = True) -> InstalledModel | None:
        """Forget a model; delete its files only if the app downloaded them."""
        with self._lock:
            models = self._load()
            target = next((m for m in models if m.key == key), None)
            if target is None:
                return None
            self._save([m for m in models if m.key != key])
        if delete_files and target.managed:
            for path in target.paths():
                if self.models_dir in path.resolve().parents:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                    with contextlib.suppress(FileNotFoundError):
                        path.with_name(path.name + VERIFIED_SUFFIX).unlink()
                    remove_partial(path)
            folder = target.path.parent
            if folder != self.models_dir and self.models_dir in folder.resolve().parents:
                with contextlib.suppress(OSError):
                    folder.rmdir()
        return target

    def discard_partial(self, resolved: ResolvedModel) -> None:
        """Delete the partial download of ``resolved`` (a cancelled download not wanted)."""
        folder = self.folder_for(resolved)
        for remote in resolved.files:
            remove_partial(folder / remote.basename)
        with contextlib.suppress(OSError):
            folder.rmdir()
