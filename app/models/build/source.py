"""The original weights on the hub: which files a build needs, and the small ones' bytes.

:func:`list_original` asks the hub for the repository of a catalog entry's original
weights (``build.repo``, then ``original``, then ``also_known_as``) with every file's
size and hash, pinned to the commit it reports, and keeps what the converter reads:
``config.json``, ``tokenizer.json``, ``tokenizer_config.json``, chat templates,
``generation_config.json``, the safetensors shards and their index. A repository
without ``tokenizer.json`` or without safetensors (PyTorch ``.bin`` only) is refused
before anything is downloaded.

The shards are in LFS: the hub gives their SHA-256 and the resumable downloader
fetches them. The JSON files are usually kept in git, where the hub gives a git blob
id instead (SHA-1 of ``blob <size>\\0<bytes>``); :func:`fetch_file` downloads such a
small file whole and checks it against that id, so every byte a build reads is
verified.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import logging
import os
import posixpath
import threading
import time
from pathlib import Path

from app.models.catalog import CatalogEntry
from app.models.download.http_range import TooManyRedirectsError, open_range
from app.models.download.partfile import write_verified_marker
from app.models.errors import (
    AccessDeniedError,
    ChecksumMismatchError,
    DownloadCancelled,
    ModelError,
    NetworkError,
    RemoteFileNotFoundError,
    RepoNotFoundError,
    ServerError,
    UnverifiableError,
)
from app.models.hub import map_hub_error
from app.models.resolve import RemoteFile, ResolvedModel, Resolver, remote_files

log = logging.getLogger(__name__)

REQUIRED = ("config.json", "tokenizer.json")
OPTIONAL = (
    "tokenizer_config.json",
    "generation_config.json",
    "chat_template.jinja",
    "chat_template.json",
)
INDEX = "model.safetensors.index.json"
SMALL_FILE_LIMIT = 64 << 20  # anything in git (not LFS) is small; refuse absurd ones


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def checkpoint_files(files: list[RemoteFile], repo_id: str) -> tuple[RemoteFile, ...]:
    """The files of a repository a build needs (top level only), or a refusal."""
    top = {f.name: f for f in files if "/" not in f.name}
    missing = [name for name in REQUIRED if name not in top]
    if missing:
        raise ModelError(
            f"仓库 {repo_id} 中没有 {missing[0]}，无法制作 GGUF"
            "（需要 Hugging Face 格式的原始权重）。",
            f"Repository {repo_id} has no {missing[0]}; a GGUF cannot be built from it (it needs "
            "original weights in Hugging Face format).",
        )
    shards = sorted(
        (f for f in top.values() if f.name.endswith(".safetensors")), key=lambda f: f.name
    )
    if INDEX in top:
        shards = [f for f in shards if f.name != "model.safetensors"] or shards
    elif len(shards) > 1 and any(f.name == "model.safetensors" for f in shards):
        shards = [f for f in shards if f.name == "model.safetensors"]
    if not shards:
        has_bin = any(f.name.endswith(".bin") for f in top.values())
        bin_zh = "（只有 PyTorch .bin 文件，出于安全原因不读取）" if has_bin else ""
        bin_en = " (only PyTorch .bin files, which are not read for safety)" if has_bin else ""
        raise ModelError(
            f"仓库 {repo_id} 中没有 safetensors 权重{bin_zh}，无法制作 GGUF。",
            f"Repository {repo_id} holds no safetensors weights{bin_en}; a GGUF cannot be "
            "built from it.",
        )
    chosen = [top[name] for name in REQUIRED + OPTIONAL if name in top]
    if INDEX in top:
        chosen.append(top[INDEX])
    return tuple(chosen + shards)


def list_original(resolver: Resolver, entry: CatalogEntry) -> ResolvedModel:
    """The entry's original weights, pinned to a commit (see the module notes)."""
    sources = entry.build_sources()
    if not sources:
        raise ModelError(
            f"目录中的 {entry.id} 没有制作方法（build）。",
            f"Catalog entry {entry.id} has no build recipe.",
        )
    last: ModelError | None = None
    for repo_id in sources:
        try:
            info = resolver.api.model_info(repo_id, files_metadata=True, timeout=60)
        except Exception as exc:
            mapped = map_hub_error(exc, repo_id)
            if isinstance(mapped, (RepoNotFoundError, AccessDeniedError)):
                last = mapped
                continue
            raise mapped from exc
        files = remote_files(info, blob_ids=True)
        return ResolvedModel(
            entry_id=entry.id,
            repo_id=info.id or repo_id,
            revision=info.sha or "main",
            files=checkpoint_files(files, info.id or repo_id),
            endpoint=resolver.hub.url,
            via="original",
            quant=entry.quant,
        )
    assert last is not None
    raise last


def fetch_bytes(
    resolved: ResolvedModel,
    remote: RemoteFile,
    *,
    token: str | None = None,
    cancel: threading.Event | None = None,
    retries: int = 4,
    timeout: float = 30.0,
) -> bytes:
    """A small file's bytes, verified against its SHA-256 or git blob id."""
    from huggingface_hub import hf_hub_url

    # public API (documented), not re-exported in a way mypy sees
    from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]

    if remote.size > SMALL_FILE_LIMIT:
        raise ServerError(f"{remote.name}: {remote.size} bytes is too large for a small file")
    if not remote.sha256 and not remote.blob_id:
        raise UnverifiableError(remote.name)
    url = hf_hub_url(
        resolved.repo_id, remote.name, revision=resolved.revision, endpoint=resolved.endpoint
    )
    headers = build_hf_headers(token=token, library_name="shijian")
    failures = 0
    while True:
        if cancel is not None and cancel.is_set():
            raise DownloadCancelled(0)
        try:
            response = open_range(url, headers, 0, timeout)
            try:
                if response.status in (401, 403):
                    raise AccessDeniedError(resolved.repo_id, response.status)
                if response.status == 404:
                    raise RemoteFileNotFoundError(resolved.repo_id, remote.name)
                if response.status != 200:
                    raise OSError(f"HTTP {response.status}")
                chunks = []
                got = 0
                while True:
                    chunk = response.read(1 << 20)
                    if not chunk:
                        break
                    got += len(chunk)
                    if got > remote.size:
                        break
                    chunks.append(chunk)
            finally:
                response.close()
            data = b"".join(chunks)
            if len(data) != remote.size:
                raise OSError(f"got {len(data)} bytes of {remote.size}")
            break
        except (OSError, http.client.HTTPException, TooManyRedirectsError) as exc:
            failures += 1
            if failures > retries:
                raise NetworkError(f"{remote.name}: {exc}") from exc
            log.warning("%s: %s; retry %d", remote.name, exc, failures)
            time.sleep(min(8.0, 0.5 * 2**failures))
    if remote.sha256:
        digest = hashlib.sha256(data).hexdigest()
        if digest != remote.sha256:
            raise ChecksumMismatchError(remote.basename, remote.sha256, digest)
    elif remote.blob_id and git_blob_id(data) != remote.blob_id:
        raise ChecksumMismatchError(remote.basename, remote.blob_id, git_blob_id(data))
    return data


def fetch_file(
    resolved: ResolvedModel,
    remote: RemoteFile,
    dest_dir: Path,
    *,
    token: str | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Download a small file into ``dest_dir`` (verified, then renamed into place)."""
    data = fetch_bytes(resolved, remote, token=token, cancel=cancel)
    target = dest_dir / posixpath.basename(remote.name)
    tmp = target.with_name(target.name + ".part")
    dest_dir.mkdir(parents=True, exist_ok=True)
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    write_verified_marker(target, hashlib.sha256(data).hexdigest())
    return target
