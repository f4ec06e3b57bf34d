"""Find, on the hub, the GGUF file(s) a catalog entry stands for.

GGUF quantizations of a model are published by whoever made them, under names nobody
fixes in advance. For an entry this module tries, in order:

1. ``entry.repo`` (a fixed or preferred repository), when given, then ``entry.more_repos``;
2. the hub's model tree: models tagged ``base_model:quantized:<original>`` and ``gguf``,
   most downloaded first, for the original model and each of its other names;
3. a search by the model's name among ``gguf`` models.

In each candidate repository it lists the files with their sizes and LFS SHA-256
(``model_info(files_metadata=True)``, pinned to the commit it reports), keeps the
``.gguf`` files whose name matches ``entry.pattern`` and holds ``entry.quant`` as a
separate token, groups split sets (``-00001-of-0000N.gguf``) into one model, and picks
the group whose size is closest to the catalog's. The result, a :class:`ResolvedModel`,
is what the UI shows before downloading and what :mod:`app.models.download` fetches.
"""

from __future__ import annotations

import fnmatch
import logging
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from app.models.catalog import CatalogEntry
from app.models.errors import (
    AccessDeniedError,
    HubUnreachableError,
    Lang,
    ModelError,
    NetworkError,
    NoMatchingFileError,
    RepoNotFoundError,
)
from app.models.hub import HubConfig, is_network_failure, map_hub_error, unreachable
from app.models.units import format_bytes

if TYPE_CHECKING:
    from huggingface_hub import HfApi

log = logging.getLogger(__name__)

Via = Literal["repo", "model-tree", "search", "original"]
_SPLIT_RE = re.compile(r"^(?P<stem>.*)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)
_EXCLUDE = ("mmproj", "imatrix")


@dataclass(frozen=True)
class RemoteFile:
    """One file in a repository: its path there, size in bytes and SHA-256 (LFS oid).

    A small file kept in git rather than LFS has no SHA-256 on the hub; its git blob
    id (``blob_id``, SHA-1 of ``blob <size>\0<bytes>``) verifies it instead."""

    name: str
    size: int
    sha256: str | None
    blob_id: str | None = None

    @property
    def basename(self) -> str:
        return posixpath.basename(self.name)


def remote_files(info: Any, *, blob_ids: bool = False) -> list[RemoteFile]:
    """The files of a hub ``ModelInfo`` (asked with ``files_metadata=True``) whose size
    it gives; ``blob_ids``: with their git blob ids too (to verify small files kept in
    git rather than LFS)."""
    files: list[RemoteFile] = []
    for sibling in info.siblings or []:
        lfs = sibling.lfs
        size = sibling.size if sibling.size is not None else (lfs.size if lfs else None)
        if size is None:
            continue
        sha = lfs.sha256.lower() if lfs and lfs.sha256 else None
        blob = getattr(sibling, "blob_id", None) if blob_ids else None
        files.append(RemoteFile(sibling.rfilename, int(size), sha, blob))
    return files


@dataclass(frozen=True)
class ResolvedModel:
    """What was found: where, at which commit, which file(s), how big, which hashes."""

    entry_id: str
    repo_id: str
    revision: str
    files: tuple[RemoteFile, ...]
    endpoint: str
    via: Via = "repo"
    quant: str = ""

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def is_split(self) -> bool:
        return len(self.files) > 1

    @property
    def first_file(self) -> RemoteFile:
        return self.files[0]

    def describe(self, lang: Lang = "zh") -> str:
        """One line for the UI: "found X in repo Y, N GB, sha256 …"."""
        size = format_bytes(self.total_size)
        first = self.files[0]
        sha = (first.sha256 or "?")[:12]
        parts_zh = f"，共 {len(self.files)} 个分卷" if self.is_split else ""
        parts_en = f", {len(self.files)} parts" if self.is_split else ""
        via_zh = {
            "repo": "指定仓库",
            "model-tree": "模型树",
            "search": "搜索",
            "original": "原始权重",
        }[self.via]
        if lang == "zh":
            return (
                f"在仓库 {self.repo_id}（{via_zh}，提交 {self.revision[:10]}）中找到 "
                f"{first.basename}{parts_zh}，{size}，SHA-256 {sha}…"
            )
        return (
            f"Found {first.basename}{parts_en} in {self.repo_id} (via {self.via}, commit "
            f"{self.revision[:10]}), {size}, SHA-256 {sha}…"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "repo_id": self.repo_id,
            "revision": self.revision,
            "endpoint": self.endpoint,
            "via": self.via,
            "quant": self.quant,
            "files": [
                {"name": f.name, "size": f.size, "sha256": f.sha256, "blob_id": f.blob_id}
                for f in self.files
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResolvedModel:
        return cls(
            entry_id=str(data["entry_id"]),
            repo_id=str(data["repo_id"]),
            revision=str(data["revision"]),
            endpoint=str(data["endpoint"]),
            via=data.get("via", "repo"),
            quant=str(data.get("quant", "")),
            files=tuple(
                RemoteFile(str(f["name"]), int(f["size"]), f.get("sha256"), f.get("blob_id"))
                for f in data["files"]
            ),
        )


# ---------------------------------------------------------------- file matching


def quant_token_re(quant: str) -> re.Pattern[str]:
    """``quant`` as a separate token: Q4_K_M matches -Q4_K_M. and .q4_k_m- but not
    IQ4_K_M, Q4_K_M_L or Q4_K_MX."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(quant)}(?![A-Za-z0-9_])", re.IGNORECASE)


@dataclass
class _Group:
    files: list[tuple[int, RemoteFile]] = field(default_factory=list)
    count: int = 1


def match_files(
    files: list[RemoteFile], quant: str, pattern: str = "*.gguf", pinned: tuple[str, ...] = ()
) -> list[tuple[RemoteFile, ...]]:
    """Complete file sets (single files or whole split sets) for ``quant``, best first
    is *not* decided here: callers sort. Incomplete split sets are left out."""
    token = quant_token_re(quant)
    glob = pattern.lower()
    groups: dict[tuple[str, str, int], _Group] = {}
    for remote in files:
        base = remote.basename
        low = base.lower()
        if not low.endswith(".gguf") or any(word in low for word in _EXCLUDE):
            continue
        if not (fnmatch.fnmatchcase(low, glob) or fnmatch.fnmatchcase(remote.name.lower(), glob)):
            continue
        if not token.search(base):
            continue
        folder = posixpath.dirname(remote.name)
        split = _SPLIT_RE.match(base)
        if split:
            key = (folder, split.group("stem").lower(), int(split.group("count")))
            group = groups.setdefault(key, _Group(count=int(split.group("count"))))
            group.files.append((int(split.group("no")), remote))
        else:
            groups[(folder, low, 0)] = _Group([(1, remote)], 1)
    result: list[tuple[RemoteFile, ...]] = []
    for group in groups.values():
        numbers = sorted(n for n, _ in group.files)
        if numbers != list(range(1, group.count + 1)):
            continue  # a split set with parts missing (or doubled): not usable
        ordered = tuple(f for _, f in sorted(group.files, key=lambda item: item[0]))
        if pinned:
            if len(pinned) != len(ordered):
                continue
            if any(f.sha256 and f.sha256 != p for f, p in zip(ordered, pinned, strict=True)):
                continue
            ordered = tuple(
                RemoteFile(f.name, f.size, f.sha256 or p)
                for f, p in zip(ordered, pinned, strict=True)
            )
        result.append(ordered)
    return result


def pick_group(groups: list[tuple[RemoteFile, ...]], approx_size: int) -> tuple[RemoteFile, ...]:
    """The set whose total size is closest to the catalog's figure (fewer parts on ties)."""
    return min(
        groups,
        key=lambda g: (abs(sum(f.size for f in g) - approx_size), len(g), g[0].name),
    )


# ---------------------------------------------------------------- the resolver


class Resolver:
    """Resolves catalog entries against the hub (see the module notes for the order)."""

    def __init__(
        self,
        hub: HubConfig | None = None,
        *,
        api: HfApi | None = None,
        max_candidates: int = 8,
    ) -> None:
        self.hub = hub or HubConfig()
        self._api = api
        self.max_candidates = max_candidates

    @property
    def api(self) -> HfApi:
        if self._api is None:
            self._api = self.hub.api()
        return self._api

    # -- candidates
    def candidates(self, entry: CatalogEntry) -> Iterator[tuple[str, Via]]:
        """Candidate repositories, in order, without repeats (lazy: later sources are
        only asked when earlier ones did not satisfy the caller)."""
        seen: set[str] = set()
        for repo_id in entry.preferred_repos():
            if repo_id.lower() not in seen:
                seen.add(repo_id.lower())
                yield repo_id, "repo"
        for original in entry.originals():
            filters = [f"base_model:quantized:{original}", "gguf"]
            for repo_id in self._list(filters=filters, search=None):
                if repo_id.lower() not in seen:
                    seen.add(repo_id.lower())
                    yield repo_id, "model-tree"
        for term in entry.search_terms():
            for repo_id in self._list(filters=["gguf"], search=term):
                if repo_id.lower() not in seen:
                    seen.add(repo_id.lower())
                    yield repo_id, "search"

    def _list(self, filters: list[str], search: str | None) -> list[str]:
        try:
            models = self.api.list_models(
                filter=filters, search=search, sort="downloads", limit=self.max_candidates
            )
            return [m.id for m in models]
        except Exception as exc:
            if is_network_failure(exc):
                raise NetworkError(f"{type(exc).__name__}: {exc}") from exc
            raise map_hub_error(exc, search or ",".join(filters)) from exc

    def _probe(self, repo_id: str) -> None:
        """One quick request, so an unreachable hub is reported at once: listings go
        through huggingface-hub's back-off (five retries, about 20 s), this does not."""
        try:
            self.api.model_info(repo_id, timeout=15)
        except Exception as exc:
            if is_network_failure(exc):
                raise NetworkError(f"{type(exc).__name__}: {exc}") from exc

    # -- one repository
    def inspect_repo(
        self, entry: CatalogEntry, repo_id: str, via: Via = "repo"
    ) -> ResolvedModel | None:
        """The matching file set in ``repo_id``, or ``None`` if it holds none."""
        try:
            info = self.api.model_info(repo_id, files_metadata=True, timeout=60)
        except Exception as exc:
            raise map_hub_error(exc, repo_id) from exc
        files = remote_files(info)
        groups = match_files(files, entry.quant, entry.pattern, entry.sha256)
        if not groups:
            return None
        chosen = pick_group(groups, entry.size_bytes)
        return ResolvedModel(
            entry_id=entry.id,
            repo_id=info.id or repo_id,
            revision=info.sha or "main",
            files=chosen,
            endpoint=self.hub.url,
            via=via,
            quant=entry.quant,
        )

    def resolve_all(self, entry: CatalogEntry, limit: int = 5) -> list[ResolvedModel]:
        """Up to ``limit`` repositories holding the entry's file(s), in preference order.

        A hub that cannot be reached at all raises :class:`HubUnreachableError` (naming the
        address and what went wrong in plain words; the transport's text is its ``detail``).
        """
        try:
            return self._resolve_all(entry, limit)
        except NetworkError as exc:
            if isinstance(exc, HubUnreachableError):
                raise
            raise unreachable(self.hub.url, exc) from exc

    def _resolve_all(self, entry: CatalogEntry, limit: int) -> list[ResolvedModel]:
        found: list[ResolvedModel] = []
        searched: list[str] = []
        denied: ModelError | None = None
        if not entry.preferred_repos() and entry.originals():
            self._probe(entry.originals()[0])
        for repo_id, via in self.candidates(entry):
            searched.append(repo_id)
            try:
                resolved = self.inspect_repo(entry, repo_id, via)
            except (RepoNotFoundError, AccessDeniedError) as exc:
                if via == "repo" and not entry.originals():
                    raise  # the entry names only this repository: say what is wrong with it
                log.info("skipping %s: %s", repo_id, exc.en)
                denied = denied or (exc if isinstance(exc, AccessDeniedError) else None)
                continue
            if resolved is not None:
                found.append(resolved)
                if len(found) >= limit:
                    break
            if len(searched) >= self.max_candidates * 3:
                break
        if not found:
            if denied is not None:
                raise denied
            raise NoMatchingFileError(f"{entry.display_name('en')} [{entry.quant}]", searched)
        return found

    def resolve(self, entry: CatalogEntry) -> ResolvedModel:
        """The best repository holding the entry's file(s)."""
        return self.resolve_all(entry, limit=1)[0]
