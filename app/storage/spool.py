"""A fallback for drafts when the database cannot take them.

Autosave must keep working when the database is locked by another program, has
hit a size limit, or its folder has become read-only. Then a draft is written
as a small JSON file (atomically) into the first of several folders that
accepts it — the data folder, the cache folder, finally a private folder in the
system temporary directory, which is often another file system. The library
reads these back with its own drafts, keeps whichever copy is newer, and
deletes a spooled copy once the database holds the draft again or the draft is
cleared.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from app.storage.errors import StorageError
from app.storage.files import atomic_write_bytes
from app.storage.records import DraftRecord, poem_data_from_json, poem_data_to_json
from app.storage.schema import format_timestamp, parse_timestamp

_SUFFIX = ".draft.json"


def spool_folders_for(data: Path, cache: Path, database: Path, temp_root: Path) -> tuple[Path, ...]:
    """The usual spool folders for a library; the last one is per-user, per-database."""
    key = hashlib.sha256(str(database.resolve()).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return (
        data / "drafts-pending",
        cache / "drafts-pending",
        temp_root / f"shijian-drafts-{uid}-{key}",
    )


def _file_name(slot: str) -> str:
    return hashlib.sha256(slot.encode("utf-8", "surrogatepass")).hexdigest()[:32] + _SUFFIX


class DraftSpool:
    """Draft files in a list of folders, tried in order."""

    def __init__(self, folders: Sequence[Path]) -> None:
        if not folders:
            raise ValueError("a draft spool needs at least one folder")
        self._folders = tuple(folders)

    @property
    def folders(self) -> tuple[Path, ...]:
        return self._folders

    def write(self, draft: DraftRecord) -> Path:
        """Store ``draft``; returns the file. Raises the last folder's error if none accepts it."""
        body = json.dumps(
            {
                "slot": draft.slot,
                "poem_id": draft.poem_id,
                "poem": json.loads(poem_data_to_json(draft.poem)),
                "created_at": format_timestamp(draft.created_at),
                "updated_at": format_timestamp(draft.updated_at),
            },
            ensure_ascii=False,
        ).encode("utf-8")
        name = _file_name(draft.slot)
        last_error: StorageError | None = None
        for folder in self._folders:
            try:
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                target = folder / name
                atomic_write_bytes(target, body, mode=0o600)
            except OSError:
                continue
            except StorageError as exc:
                last_error = exc
                continue
            for other in self._folders:  # one copy only, so an older one never shadows it
                if other != folder:
                    with contextlib.suppress(OSError):
                        (other / name).unlink()
            return target
        if last_error is not None:
            raise last_error
        raise StorageError(detail="no draft spool folder could be written")

    def read_all(self) -> list[DraftRecord]:
        """Every readable spooled draft (unreadable files are left where they are)."""
        found: dict[str, DraftRecord] = {}
        for path in self._files():
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                record = DraftRecord(
                    slot=str(raw["slot"]),
                    poem=poem_data_from_json(json.dumps(raw["poem"])),
                    poem_id=int(raw["poem_id"]) if raw.get("poem_id") is not None else None,
                    created_at=parse_timestamp(str(raw["created_at"])),
                    updated_at=parse_timestamp(str(raw["updated_at"])),
                    spooled=True,
                )
            except (OSError, ValueError, KeyError, TypeError):
                continue
            held = found.get(record.slot)
            if held is None or record.updated_at > held.updated_at:
                found[record.slot] = record
        return list(found.values())

    def slots(self) -> set[str]:
        return {draft.slot for draft in self.read_all()}

    def remove(self, slots: Iterable[str]) -> None:
        for slot in slots:
            name = _file_name(slot)
            for folder in self._folders:
                with contextlib.suppress(OSError):
                    (folder / name).unlink()

    def _files(self) -> list[Path]:
        files: list[Path] = []
        for folder in self._folders:
            with contextlib.suppress(OSError):
                files.extend(p for p in folder.iterdir() if p.name.endswith(_SUFFIX))
        return files
