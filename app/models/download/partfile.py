"""The partial file of a download, its JSON sidecar and its checkpoints.

A download writes ``<target>.part``. Beside it, ``<target>.part.json`` records what the
bytes are (url, expected size and SHA-256, etag, commit) and a list of checkpoints
``[offset, SHA-256 of bytes 0..offset]`` — the digest of the prefix, taken from a copy
of the running hash, so checking a checkpoint costs nothing extra. Two kinds:

* durable: the part is fsynced, then the sidecar is replaced atomically (and fsynced),
  every ``checkpoint_bytes`` or ``checkpoint_interval_s`` and on every clean stop;
* light: one line ``offset digest`` appended to ``<target>.part.log`` every
  ``light_checkpoint_bytes`` (no fsync — cheap).

Python's hash objects cannot be saved, so resuming re-reads the bytes on disk once to
rebuild the running hash, comparing the prefix digest at every checkpoint offset on
the way, and keeps the file up to the furthest checkpoint that still matches. Nothing
is trusted without that check, so correctness never rests on fsync; fsync only makes
sure some checkpoint survives a power cut. After a clean stop the last checkpoint is
the end of the file (nothing is fetched twice); after a killed process at most the
bytes since the last light checkpoint are.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PART_SUFFIX = ".part"
SIDECAR_SUFFIX = ".part.json"
LOG_SUFFIX = ".part.log"
VERIFIED_SUFFIX = ".sha256"
FORMAT = 1
_READ_CHUNK = 4 << 20


def part_path(target: Path) -> Path:
    return target.with_name(target.name + PART_SUFFIX)


def sidecar_path(target: Path) -> Path:
    return target.with_name(target.name + SIDECAR_SUFFIX)


def log_path(target: Path) -> Path:
    return target.with_name(target.name + LOG_SUFFIX)


def verified_marker(target: Path) -> Path:
    """``<target>.sha256`` in sha256sum format, written once the file is verified."""
    return target.with_name(target.name + VERIFIED_SUFFIX)


@dataclass
class PartState:
    """What the sidecar records."""

    url: str
    size: int
    sha256: str
    repo_id: str
    filename: str
    etag: str | None = None
    commit: str | None = None
    checkpoints: list[tuple[int, str]] = field(default_factory=list)

    @property
    def verified_offset(self) -> int:
        return self.checkpoints[-1][0] if self.checkpoints else 0

    def same_file(self, other: PartState) -> bool:
        """True if both describe the same remote bytes (so a part can be resumed)."""
        return (
            self.size == other.size
            and self.sha256 == other.sha256
            and self.repo_id == other.repo_id
            and self.filename == other.filename
            and (self.etag is None or other.etag is None or self.etag == other.etag)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "url": self.url,
            "size": self.size,
            "sha256": self.sha256,
            "repo_id": self.repo_id,
            "filename": self.filename,
            "etag": self.etag,
            "commit": self.commit,
            "checkpoints": [[off, digest] for off, digest in self.checkpoints],
        }

    @classmethod
    def from_json(cls, data: Any) -> PartState | None:
        try:
            if data.get("format") != FORMAT:
                return None
            checkpoints = [(int(off), str(digest)) for off, digest in data["checkpoints"]]
            offsets = [off for off, _ in checkpoints]
            if offsets != sorted(set(offsets)) or any(o <= 0 for o in offsets):
                return None
            state = cls(
                url=str(data["url"]),
                size=int(data["size"]),
                sha256=str(data["sha256"]),
                repo_id=str(data["repo_id"]),
                filename=str(data["filename"]),
                etag=data.get("etag"),
                commit=data.get("commit"),
                checkpoints=checkpoints,
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            return None
        if offsets and offsets[-1] > state.size:
            return None
        return state


def load_state(target: Path) -> PartState | None:
    """The sidecar of ``target``'s partial download, or ``None`` if absent or unreadable."""
    try:
        data = json.loads(sidecar_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return PartState.from_json(data)


def save_state(target: Path, state: PartState) -> None:
    """Write the sidecar atomically (temporary file, fsync, rename)."""
    path = sidecar_path(target)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(state.to_json(), fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def remove_partial(target: Path) -> None:
    """Delete the part file, its sidecar and its checkpoint log."""
    for path in (part_path(target), sidecar_path(target), log_path(target)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    with contextlib.suppress(FileNotFoundError):
        sidecar_path(target).with_name(sidecar_path(target).name + ".tmp").unlink()


class PartWriter:
    """Appends to ``<target>.part``, hashing as it goes and recording checkpoints."""

    def __init__(
        self,
        target: Path,
        state: PartState,
        *,
        checkpoint_bytes: int,
        checkpoint_interval_s: float,
        light_checkpoint_bytes: int = 256 << 10,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.target = target
        self.state = state
        self.checkpoint_bytes = checkpoint_bytes
        self.checkpoint_interval_s = checkpoint_interval_s
        self.light_checkpoint_bytes = light_checkpoint_bytes
        self._clock = clock
        self.path = part_path(target)
        self.log_path = log_path(target)
        self.file_hash = hashlib.sha256()
        self.offset = 0
        self._durable_offset = 0
        self._durable_time = clock()
        self._light_offset = 0
        self._hash_at_light = self.file_hash.copy()
        self._fh: io.FileIO | None = None
        self._log: io.FileIO | None = None
        self.discarded_bytes = 0  # bytes on disk that could not be trusted on resume

    # -- opening
    def open_fresh(self) -> None:
        """Start from zero (any earlier part is overwritten)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.state.checkpoints = []
        save_state(self.target, self.state)
        self._fh = self.path.open("w+b", buffering=0)
        self._log = self.log_path.open("wb", buffering=0)
        self._reset(0, hashlib.sha256())

    def open_resume(
        self,
        on_progress: Callable[[int], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> int:
        """Re-hash the bytes on disk, keep them up to the furthest checkpoint whose prefix
        digest still matches, and return that offset. ``InterruptedError`` if
        ``should_stop`` says so."""
        self._fh = self.path.open("r+b", buffering=0)
        on_disk = os.fstat(self._fh.fileno()).st_size
        candidates = dict(self.state.checkpoints)
        for offset, digest in read_light_checkpoints(self.target):
            candidates.setdefault(offset, digest)
        wanted = sorted(o for o in candidates if 0 < o <= on_disk)
        file_hash = hashlib.sha256()
        kept, kept_hash = 0, file_hash.copy()
        position = 0
        for offset in wanted:
            while position < offset:
                if should_stop is not None and should_stop():
                    raise InterruptedError
                self._fh.seek(position)
                data = self._fh.read(min(_READ_CHUNK, offset - position))
                if not data:
                    break
                file_hash.update(data)
                position += len(data)
                if on_progress is not None:
                    on_progress(position)
            if position != offset or file_hash.copy().hexdigest() != candidates[offset]:
                break  # everything from here on is suspect
            kept, kept_hash = offset, file_hash.copy()
        self.discarded_bytes = on_disk - kept
        self._fh.truncate(kept)
        self._fh.seek(kept)
        self.state.checkpoints = [(o, d) for o, d in self.state.checkpoints if o <= kept]
        last = self.state.checkpoints[-1][0] if self.state.checkpoints else 0
        if kept and last != kept:
            self.state.checkpoints.append((kept, kept_hash.hexdigest()))
        os.fsync(self._fh.fileno())
        save_state(self.target, self.state)
        self._log = self.log_path.open("wb", buffering=0)  # a fresh log from here on
        self._reset(kept, kept_hash)
        return kept

    def _reset(self, offset: int, file_hash: hashlib._Hash) -> None:
        self.file_hash = file_hash
        self.offset = offset
        self._durable_offset = offset
        self._durable_time = self._clock()
        self._light_offset = offset
        self._hash_at_light = file_hash.copy()

    # -- writing
    def write(self, chunk: bytes) -> None:
        """Append ``chunk``; an OSError leaves ``offset`` at the last fully written byte."""
        assert self._fh is not None
        view = memoryview(chunk)
        while view:
            written = self._fh.write(view)
            if not written:
                raise OSError("short write")
            self.file_hash.update(view[:written])
            self.offset += written
            view = view[written:]
        if (
            self.offset - self._durable_offset >= self.checkpoint_bytes
            or self._clock() - self._durable_time >= self.checkpoint_interval_s
        ):
            self.checkpoint()
        elif self.offset - self._light_offset >= self.light_checkpoint_bytes:
            self._light_checkpoint()

    def _light_checkpoint(self) -> None:
        digest = self.file_hash.copy()
        if self._log is not None:
            self._log.write(f"{self.offset} {digest.hexdigest()}\n".encode("ascii"))
        self._light_offset = self.offset
        self._hash_at_light = digest

    def checkpoint(self) -> None:
        """Make the bytes so far durable and record them in the sidecar."""
        if self._fh is None or self.offset == self._durable_offset:
            self._durable_time = self._clock()
            return
        os.fsync(self._fh.fileno())
        self.state.checkpoints.append((self.offset, self.file_hash.copy().hexdigest()))
        save_state(self.target, self.state)
        self._light_checkpoint()
        self._durable_offset = self.offset
        self._durable_time = self._clock()

    def rollback_to_checkpoint(self) -> None:
        """After a failed write (disk full): cut the file back to the last checkpoint
        (light or durable). Truncating frees space, so this works on a full disk; the
        checkpoint is already recorded, so nothing needs to be written."""
        if self._fh is None:
            return
        with contextlib.suppress(OSError):
            self._fh.truncate(self._light_offset)
            self._fh.seek(self._light_offset)
        self.offset = self._light_offset
        self.file_hash = self._hash_at_light.copy()

    def restart_from_zero(self) -> int:
        """Drop everything written (the server ignored our Range request); returns the
        number of bytes thrown away."""
        assert self._fh is not None
        dropped = self.offset
        self._fh.truncate(0)
        self._fh.seek(0)
        if self._log is not None:
            self._log.truncate(0)
            self._log.seek(0)
        self.state.checkpoints = []
        save_state(self.target, self.state)
        self._reset(0, hashlib.sha256())
        return dropped

    def close(self) -> None:
        for fh in (self._fh, self._log):
            if fh is not None:
                with contextlib.suppress(OSError):
                    fh.close()
        self._fh = None
        self._log = None

    def hexdigest(self) -> str:
        return self.file_hash.hexdigest()

    def finish(self) -> Path:
        """fsync, rename ``.part`` onto the target, mark it verified, drop the sidecar.
        Call only after the digest has been checked."""
        assert self._fh is not None
        os.fsync(self._fh.fileno())
        self.close()
        os.replace(self.path, self.target)
        write_verified_marker(self.target, self.state.sha256)
        for leftover in (sidecar_path(self.target), self.log_path):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        fsync_dir(self.target.parent)
        return self.target


def read_light_checkpoints(target: Path) -> list[tuple[int, str]]:
    """The light checkpoints in ``<target>.part.log`` (a torn last line is ignored)."""
    try:
        text = log_path(target).read_bytes().decode("ascii", "replace")
    except OSError:
        return []
    found: list[tuple[int, str]] = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit() and len(parts[1]) == 64:
            found.append((int(parts[0]), parts[1]))
    return found


def write_verified_marker(target: Path, sha256: str) -> None:
    marker = verified_marker(target)
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(f"{sha256}  {target.name}\n", encoding="utf-8")
    os.replace(tmp, marker)


def read_verified_marker(target: Path) -> str | None:
    try:
        text = verified_marker(target).read_text(encoding="utf-8")
    except OSError:
        return None
    digest = text.split(maxsplit=1)[0] if text.strip() else ""
    return digest.lower() if len(digest) == 64 else None


def fsync_dir(folder: Path) -> None:
    """Make a rename durable (a no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def hash_file(
    path: Path,
    on_progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> str:
    """SHA-256 of a whole file (``InterruptedError`` if ``should_stop`` says so)."""
    digest = hashlib.sha256()
    done = 0
    with path.open("rb") as fh:
        while True:
            if should_stop is not None and should_stop():
                raise InterruptedError
            data = fh.read(_READ_CHUNK)
            if not data:
                break
            digest.update(data)
            done += len(data)
            if on_progress is not None:
                on_progress(done)
    return digest.hexdigest()
