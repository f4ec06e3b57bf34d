"""Verified, resumable download of a resolved model.

huggingface-hub gives the endpoint, token, URLs (``hf_hub_url``), headers
(``build_hf_headers``) and metadata (``get_hf_file_metadata``: size, etag, commit,
download location); the transfer itself is ours, because huggingface-hub throws an
interrupted download away and retries forever against a server that keeps dropping:

* bytes go to ``<target>.part`` with a JSON sidecar (see :mod:`app.models.download.partfile`);
  a later call — after a pause, a cancel, a dropped connection or an app restart —
  checks the sidecar against the remote metadata, re-hashes what is on disk and asks
  for the rest with ``Range: bytes=N-``. A server that answers 200 instead of 206 gets
  the file from zero (and the progress note says so);
* SHA-256 is computed while streaming; only a file whose hash matches is renamed into
  place (``os.replace``), a mismatch deletes the part;
* free space is checked before starting; a full disk while writing stops cleanly;
* dropped connections are retried with exponential back-off, within an overall
  deadline; cancel stops within a fraction of a second, even on a silent server.

:func:`download` blocks; run it in a thread (or process) and set ``cancel_event`` to
pause. Pausing and cancelling are the same thing: the part is kept for resuming.
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import logging
import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from app.models.catalog import LocalText
from app.models.download.http_range import RangeResponse, TooManyRedirectsError, open_range
from app.models.download.partfile import (
    PartState,
    PartWriter,
    hash_file,
    load_state,
    part_path,
    read_verified_marker,
    remove_partial,
    write_verified_marker,
)
from app.models.download.state import (
    CancelWatch,
    DownloadPolicy,
    DownloadProgress,
    DownloadStats,
    Phase,
    ProgressCallback,
    RefreshError,
    RetryError,
    Run,
)
from app.models.errors import (
    AccessDeniedError,
    ChecksumMismatchError,
    DiskFullError,
    DiskSpaceError,
    DownloadCancelled,
    NetworkError,
    RemoteFileNotFoundError,
    RepoNotFoundError,
    ServerError,
    UnverifiableError,
)
from app.models.hub import is_network_failure, map_hub_error, origin, status_of
from app.models.resolve import RemoteFile, ResolvedModel

__all__ = [
    "DownloadPolicy",
    "DownloadProgress",
    "DownloadStats",
    "Downloader",
    "Phase",
    "ProgressCallback",
    "download",
]

if TYPE_CHECKING:
    from huggingface_hub.file_download import HfFileMetadata

log = logging.getLogger(__name__)

_DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
_BAD_NAME_CHARS = set('\\/:*?"<>|\0')


def _safe_name(remote: RemoteFile) -> str:
    base = remote.basename
    if base in ("", ".", "..") or base.startswith(".") or any(c in _BAD_NAME_CHARS for c in base):
        raise ServerError(f"unsafe file name {remote.name!r} / 文件名不安全")
    return base


class Downloader:
    """Downloads resolved models; one instance may serve many calls (not concurrently)."""

    def __init__(self, policy: DownloadPolicy | None = None, *, token: str | None = None) -> None:
        self.policy = policy or DownloadPolicy()
        self.token = token
        self.last_stats = DownloadStats()

    # ------------------------------------------------------------ entry point
    def download(
        self,
        resolved: ResolvedModel,
        dest_dir: Path,
        progress_cb: ProgressCallback | None = None,
        cancel_event: threading.Event | None = None,
    ) -> Path:
        """Fetch every file of ``resolved`` into ``dest_dir``; return the first file's path.

        Raises :class:`DownloadCancelled` when ``cancel_event`` is set (the part is kept),
        or another :class:`~app.models.errors.ModelError` subclass on failure.
        """
        dest_dir = Path(dest_dir)
        cancel = cancel_event or threading.Event()
        run = Run(self.policy, resolved, progress_cb, cancel)
        self.last_stats = run.stats
        names = [_safe_name(f) for f in resolved.files]
        if len(set(names)) != len(names):
            raise ServerError("two files of the set have the same name / 分卷文件重名")
        for remote in resolved.files:
            if not remote.sha256:
                raise UnverifiableError(remote.name)
        targets = [dest_dir / name for name in names]
        self._check_space(run, dest_dir, targets)
        created = not dest_dir.exists()
        dest_dir.mkdir(parents=True, exist_ok=True)
        watch = CancelWatch(cancel)
        watch.start()
        try:
            for index, (remote, target) in enumerate(zip(resolved.files, targets, strict=True)):
                run.file_index = index
                self._fetch_one(run, remote, target, watch)
                run.completed += remote.size
        except BaseException:
            if created:
                with contextlib.suppress(OSError):
                    dest_dir.rmdir()  # only succeeds if nothing was left in it
            raise
        finally:
            watch.stop()
        run.report("done", 0, force=True)
        return targets[0]

    # ------------------------------------------------------------ checks
    def _check_space(self, run: Run, dest_dir: Path, targets: list[Path]) -> None:
        needed = 0
        for remote, target in zip(run.resolved.files, targets, strict=True):
            if self._marked_verified(target, remote):
                continue
            have = 0
            part = part_path(target)
            state = load_state(target)
            if state is not None and part.is_file():
                have = min(part.stat().st_size, remote.size)
                run.stats.on_disk_bytes += have
            needed += remote.size - have
        if needed <= 0:
            return
        needed += self.policy.disk_margin_bytes
        probe = dest_dir
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        free = shutil.disk_usage(probe).free
        if needed > free:
            raise DiskSpaceError(str(dest_dir), needed, free)

    @staticmethod
    def _marked_verified(target: Path, remote: RemoteFile) -> bool:
        try:
            size = target.stat().st_size
        except OSError:
            return False
        return size == remote.size and read_verified_marker(target) == remote.sha256

    def _already_there(self, run: Run, remote: RemoteFile, target: Path) -> bool:
        """A verified copy is in place (marker), or an unmarked copy hashes right."""
        if self._marked_verified(target, remote):
            return True
        try:
            if target.stat().st_size != remote.size:
                return False
        except OSError:
            return False
        run.report("verifying", 0, force=True)
        try:
            digest = hash_file(
                target,
                on_progress=lambda n: run.report("verifying", n),
                should_stop=run.cancel.is_set,
            )
        except InterruptedError:
            raise DownloadCancelled(0) from None
        if digest == remote.sha256:
            write_verified_marker(target, digest)
            return True
        return False

    # ------------------------------------------------------------ metadata
    def _metadata(self, run: Run, url: str, remote: RemoteFile) -> HfFileMetadata:
        from huggingface_hub import get_hf_file_metadata

        repo_id = run.resolved.repo_id
        failures = 0
        while True:
            run.stop_if_cancelled(None)
            run.stop_if_late(None)
            try:
                return get_hf_file_metadata(
                    url,
                    token=self.token,
                    timeout=self.policy.timeout_s,
                    endpoint=run.resolved.endpoint,
                    library_name="shijian",
                )
            except Exception as exc:
                status = status_of(exc)
                retryable = is_network_failure(exc) or (
                    status is not None and status in _RETRY_STATUS
                )
                if not retryable or failures >= self.policy.max_retries:
                    raise map_hub_error(exc, repo_id, remote.name) from exc
                failures += 1
                run.stats.retries += 1
                log.warning("metadata for %s failed (%s); retry %d", remote.name, exc, failures)
                run.backoff(failures, None)

    # ------------------------------------------------------------ one file
    def _fetch_one(self, run: Run, remote: RemoteFile, target: Path, watch: CancelWatch) -> None:
        from huggingface_hub import hf_hub_url

        assert remote.sha256 is not None
        resolved = run.resolved
        run.report("checking", 0, force=True)
        if self._already_there(run, remote, target):
            remove_partial(target)
            return
        url = hf_hub_url(
            resolved.repo_id, remote.name, revision=resolved.revision, endpoint=resolved.endpoint
        )
        meta = self._metadata(run, url, remote)
        if meta.size is not None and meta.size != remote.size:
            raise ServerError(
                f"{remote.name}: the hub says {meta.size} bytes, the listing said {remote.size}"
            )
        state = PartState(
            url=url,
            size=remote.size,
            sha256=remote.sha256,
            repo_id=resolved.repo_id,
            filename=remote.name,
            etag=meta.etag,
            commit=meta.commit_hash,
        )
        writer = PartWriter(
            target,
            state,
            checkpoint_bytes=self.policy.checkpoint_bytes,
            checkpoint_interval_s=self.policy.checkpoint_interval_s,
            light_checkpoint_bytes=self.policy.light_checkpoint_bytes,
        )
        try:
            self._open_part(run, writer, target)
            self._transfer(run, writer, remote, meta, url, watch)
            digest = writer.hexdigest()
            if digest != remote.sha256:
                writer.close()
                remove_partial(target)
                raise ChecksumMismatchError(remote.basename, remote.sha256, digest)
            run.report("downloading", writer.offset, force=True)
            writer.finish()
        except BaseException:
            writer.close()
            if writer.offset == 0 and not writer.state.checkpoints:
                remove_partial(target)  # nothing worth keeping: leave nothing behind
            raise
        finally:
            writer.close()

    def _open_part(self, run: Run, writer: PartWriter, target: Path) -> None:
        old = load_state(target)
        part = part_path(target)
        if old is not None and part.is_file() and old.same_file(writer.state):
            writer.state.checkpoints = old.checkpoints
            run.report("verifying", 0, force=True)
            try:
                kept = writer.open_resume(
                    on_progress=lambda n: run.report("verifying", n),
                    should_stop=run.cancel.is_set,
                )
            except InterruptedError:
                raise DownloadCancelled(part.stat().st_size) from None
            run.stats.reused_bytes += kept
            run.stats.discarded_bytes += writer.discarded_bytes
            if writer.discarded_bytes:
                run.report(
                    "verifying",
                    kept,
                    LocalText(
                        f"部分文件末尾 {writer.discarded_bytes:,} 字节未经校验，已丢弃后重新下载。",
                        f"{writer.discarded_bytes:,} unverified bytes at the end of the partial "
                        "file were dropped and will be fetched again.",
                    ),
                )
            if kept:
                run.report(
                    "downloading",
                    kept,
                    LocalText(f"从 {kept:,} 字节处继续下载。", f"Resuming from byte {kept:,}."),
                )
            return
        if part.exists():
            size = part.stat().st_size
            run.stats.discarded_bytes += size
            run.report(
                "checking",
                0,
                LocalText(
                    "已有的部分文件与服务器上的文件不一致（或缺少记录），从头下载。",
                    "The partial file does not match the file on the server (or its record "
                    "is missing); starting over.",
                ),
            )
        writer.open_fresh()

    # ------------------------------------------------------------ the transfer loop
    def _transfer(
        self,
        run: Run,
        writer: PartWriter,
        remote: RemoteFile,
        meta: HfFileMetadata,
        url: str,
        watch: CancelWatch,
    ) -> None:
        location = meta.location or url
        failures = 0
        refreshed = False
        high_water = writer.offset
        while writer.offset < remote.size:
            run.stop_if_cancelled(writer)
            run.stop_if_late(writer)
            before = writer.offset
            try:
                self._attempt(run, writer, remote, location, watch)
                if writer.offset > before:
                    continue  # the response ended early but brought bytes: ask again
                raise RetryError("the server sent no data")
            except RefreshError:
                if refreshed:
                    raise AccessDeniedError(run.resolved.repo_id, 403) from None
                refreshed = True
                meta = self._metadata(run, url, remote)
                location = meta.location or url
                continue
            except RetryError as exc:
                run.stop_if_cancelled(writer)
                run.stats.retries += 1
                writer.checkpoint()
                log.warning("%s: %s; retrying at byte %d", remote.name, exc, writer.offset)
                if writer.offset > high_water:
                    # New bytes arrived before the drop: try again at once.
                    high_water = writer.offset
                    failures = 0
                    continue
                failures += 1
                if failures > self.policy.max_retries:
                    raise NetworkError(str(exc), kept_bytes=writer.offset) from None
                run.backoff(failures, writer)

    def _attempt(
        self,
        run: Run,
        writer: PartWriter,
        remote: RemoteFile,
        location: str,
        watch: CancelWatch,
    ) -> None:
        # public API (documented), not re-exported in a way mypy sees
        from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]

        headers = build_hf_headers(token=self.token, library_name="shijian")
        if origin(location) != origin(run.resolved.endpoint):
            headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        try:
            response = open_range(
                location, headers, writer.offset, self.policy.timeout_s, on_connection=watch.attach
            )
        except (OSError, http.client.HTTPException, TooManyRedirectsError) as exc:
            run.stop_if_cancelled(writer)
            raise RetryError(f"{type(exc).__name__}: {exc}") from exc
        try:
            self._check_response(run, writer, remote, response)
            self._stream(run, writer, remote, response)
        finally:
            watch.detach()
            response.close()

    def _check_response(
        self, run: Run, writer: PartWriter, remote: RemoteFile, response: RangeResponse
    ) -> None:
        status = response.status
        repo_id = run.resolved.repo_id
        if status == 206:
            content_range = response.content_range
            if (
                content_range is None
                or content_range.start != writer.offset
                or (content_range.total is not None and content_range.total != remote.size)
            ):
                raise ServerError(
                    f"asked for bytes {writer.offset}- of {remote.size}, got "
                    f"Content-Range {response.header('Content-Range')!r}"
                )
            return
        if status == 200:
            length = response.content_length
            if length is not None and length != remote.size:
                raise ServerError(f"{remote.name}: {length} bytes sent, {remote.size} expected")
            if writer.offset > 0:
                dropped = writer.restart_from_zero()
                run.stats.range_ignored += 1
                run.stats.discarded_bytes += dropped
                run.report(
                    "downloading",
                    0,
                    LocalText(
                        f"服务器不支持断点续传（忽略了 Range 请求），已丢弃 {dropped:,} 字节，"
                        "从头重新下载。",
                        f"The server ignored the Range request; {dropped:,} bytes were dropped "
                        "and the file is downloaded again from the start.",
                    ),
                )
            return
        if status in (401, 403):
            if origin(response.url) != origin(run.resolved.endpoint):
                raise RefreshError()
            gated = response.header("X-Error-Code") == "GatedRepo"
            raise AccessDeniedError(repo_id, status, gated=gated)
        if status == 404:
            code = response.header("X-Error-Code")
            if code == "RepoNotFound":
                raise RepoNotFoundError(repo_id)
            raise RemoteFileNotFoundError(repo_id, remote.name)
        if status in _RETRY_STATUS:
            raise RetryError(f"HTTP {status}")
        raise ServerError(f"HTTP {status} for {remote.name}")

    def _stream(
        self, run: Run, writer: PartWriter, remote: RemoteFile, response: RangeResponse
    ) -> None:
        chunk_size = self.policy.chunk_bytes
        while writer.offset < remote.size:
            run.stop_if_cancelled(writer)
            try:
                chunk = response.read(min(chunk_size, remote.size - writer.offset))
            except (OSError, http.client.HTTPException) as exc:
                run.stop_if_cancelled(writer)
                raise RetryError(f"{type(exc).__name__}: {exc}") from exc
            if not chunk:
                run.stop_if_cancelled(writer)
                if writer.offset < remote.size:
                    raise RetryError("the connection closed early")
                break
            try:
                writer.write(chunk)
            except OSError as exc:
                if exc.errno in _DISK_FULL:
                    writer.rollback_to_checkpoint()
                    raise DiskFullError(
                        str(writer.path), exc.strerror or str(exc), kept_bytes=writer.offset
                    ) from exc
                raise
            run.stats.fetched_bytes += len(chunk)
            run.report("downloading", writer.offset)
            run.stop_if_late(writer)


def download(
    resolved: ResolvedModel,
    dest_dir: Path,
    progress_cb: ProgressCallback | None = None,
    cancel_event: threading.Event | None = None,
    *,
    policy: DownloadPolicy | None = None,
    token: str | None = None,
) -> Path:
    """Blocking download of every file of ``resolved`` into ``dest_dir`` (see the module
    notes); returns the path of the first file, the one to load."""
    return Downloader(policy, token=token).download(resolved, dest_dir, progress_cb, cancel_event)
