"""Small file-system helpers: atomic writes, durable renames, timestamped names.

An atomic write goes to a temporary file in the same folder, is flushed and
fsynced, then ``os.replace``\\ d over the target, and the folder is fsynced so the
rename itself survives a power cut. A reader therefore sees either the old file
or the new one, never a mixture.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from app.storage.errors import from_os_error

_STAMP = "%Y%m%dT%H%M%S%fZ"


def utc_now() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    """A file-name-safe UTC timestamp with microseconds, e.g. ``20240501T120000123456Z``."""
    return moment.astimezone(UTC).strftime(_STAMP)


def parse_stamp(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def fsync_dir(folder: Path) -> None:
    """Make renames and creations inside ``folder`` durable (a no-op where unsupported)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def temp_name(target: Path, tag: str = "tmp") -> Path:
    """A unique sibling of ``target`` for writing before the final rename."""
    return target.with_name(f".{target.name}.{tag}-{os.getpid()}-{secrets.token_hex(4)}")


def atomic_write_bytes(target: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``target`` atomically and durably.

    Raises a typed :class:`~app.storage.errors.StorageError` (disk full,
    read-only, …); on failure ``target`` is untouched and no temporary file is
    left behind.
    """
    tmp = temp_name(target)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if mode is None else mode)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise from_os_error(exc, target) from exc
    fsync_dir(target.parent)


def temp_pattern(target_glob: str, tag: str = "tmp") -> str:
    """A glob for what :func:`temp_name` makes for targets named like ``target_glob``."""
    return f".{target_glob}.{tag}-*"


_WRITER = re.compile(r"\.[a-z]+-(?P<pid>\d+)-[0-9a-f]{8}(?:-[a-z]+)?$")


def writer_gone(path: Path) -> bool:
    """Whether the process that named the temporary file ``path`` (see :func:`temp_name`:
    its pid is in the name) has ended — on POSIX, where that can be asked without harm;
    elsewhere never assumed."""
    match = _WRITER.search(path.name)
    if match is None or os.name != "posix":
        return False
    pid = int(match["pid"])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, someone else's
        return False
    return False


def remove_stale_temps(folder: Path, pattern: str, *, older_than_s: float) -> list[Path]:
    """Delete files matching ``pattern`` (see :func:`temp_name`, :func:`temp_pattern`) that
    were left by a writer that has ended, or are older than ``older_than_s``.

    They are what a writer killed mid-way leaves behind; a young one whose writer is
    still running may be in use, so it is left alone.
    """
    gone: list[Path] = []
    cutoff = time.time() - older_than_s
    with contextlib.suppress(OSError):
        for entry in folder.glob(pattern):
            with contextlib.suppress(OSError):
                if writer_gone(entry) or entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    gone.append(entry)
    return gone


def sqlite_companions(db: Path) -> tuple[Path, ...]:
    """The files SQLite keeps beside ``db``: write-ahead log, shared memory, rollback journal."""
    return tuple(db.with_name(db.name + suffix) for suffix in ("-wal", "-shm", "-journal"))


def move_database_aside(db: Path, label: str) -> tuple[Path, ...]:
    """Rename ``db`` and its companions to ``<name>.<label>[-wal|-shm|-journal]``.

    The companions keep their suffixes, so SQLite (or a recovery tool) opening
    the renamed file still finds its own write-ahead log. Returns the new paths.
    """
    moved: list[Path] = []
    for source in (db, *sqlite_companions(db)):
        if not source.exists():
            continue
        suffix = source.name[len(db.name) :]
        target = db.with_name(f"{db.name}.{label}{suffix}")
        os.replace(source, target)
        moved.append(target)
    fsync_dir(db.parent)
    return tuple(moved)


@contextlib.contextmanager
def removing_on_error(path: Path) -> Iterator[Path]:
    """Yield ``path``; if the block raises, delete it (and its SQLite companions)."""
    try:
        yield path
    except BaseException:
        for leftover in (path, *sqlite_companions(path)):
            with contextlib.suppress(OSError):
                leftover.unlink()
        raise
