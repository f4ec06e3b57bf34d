"""Talking to the model hub through huggingface-hub: endpoint, token, error mapping.

huggingface-hub reads ``HF_ENDPOINT`` once, when it is first imported, so a value set
later (a mirror chosen in the settings, a test server) would be ignored. Everything
here therefore resolves the endpoint when it is needed and passes ``endpoint=``
explicitly to ``HfApi``, ``hf_hub_url`` and ``get_hf_file_metadata``. The token is
passed through unchanged: ``None`` lets huggingface-hub use ``HF_TOKEN`` or the
saved login, as it always does.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from app.models.errors import (
    AccessDeniedError,
    HubError,
    HubUnreachableError,
    ModelError,
    NetworkError,
    RemoteFileNotFoundError,
    RepoNotFoundError,
    ServerError,
)

if TYPE_CHECKING:
    from huggingface_hub import HfApi

DEFAULT_ENDPOINT = "https://huggingface.co"
_NETWORK_MODULES = {"httpx", "httpx2", "httpcore", "httpcore2", "requests", "urllib3", "h11"}


def hub_endpoint(explicit: str | None = None) -> str:
    """The hub to talk to: ``explicit``, else ``$HF_ENDPOINT`` now, else huggingface.co."""
    chosen = explicit or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
    return chosen.rstrip("/")


@dataclass(frozen=True)
class HubConfig:
    """Where the hub is and how to authenticate (``token=None``: HF_TOKEN or saved login)."""

    endpoint: str | None = None
    token: str | None = None

    @property
    def url(self) -> str:
        return hub_endpoint(self.endpoint)

    def api(self) -> HfApi:
        from huggingface_hub import HfApi

        return HfApi(endpoint=self.url, token=self.token, library_name="shijian")


def origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return (parts.scheme, (parts.hostname or "").lower(), parts.port or default)


def status_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def is_network_failure(exc: BaseException) -> bool:
    """A transport-level failure (DNS, refused, reset, timeout) from any HTTP library.
    Offline mode (``HF_HUB_OFFLINE``) is not one: retrying cannot help."""
    from huggingface_hub import errors as hf_errors

    if isinstance(exc, hf_errors.OfflineModeIsEnabled):
        return False
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    module = type(exc).__module__.split(".", 1)[0]
    return module in _NETWORK_MODULES and not hasattr(exc, "response")


def network_reason(exc: BaseException) -> tuple[str, str]:
    """What a transport failure means, in plain Chinese and English (its cause chain read
    for DNS, refusal, timeout, TLS, offline mode)."""
    from huggingface_hub import errors as hf_errors

    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain and len(chain) < 8:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    text = " ".join(f"{type(e).__name__} {e}" for e in chain).lower()
    if any(isinstance(e, hf_errors.OfflineModeIsEnabled) for e in chain) or "offline" in text:
        return "已设置离线模式 HF_HUB_OFFLINE", "offline mode, HF_HUB_OFFLINE, is set"
    if any(isinstance(e, socket.gaierror) for e in chain) or any(
        words in text
        for words in (
            "name or service not known",
            "temporary failure in name resolution",
            "nodename nor servname",
            "getaddrinfo failed",
            "no address associated",
            "name resolution",
        )
    ):
        return "找不到这个服务器地址", "its name could not be resolved"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text:
        return "连接被拒绝", "the connection was refused"
    if any(isinstance(e, TimeoutError) for e in chain) or "timed out" in text or "timeout" in text:
        return "连接超时", "the connection timed out"
    if "ssl" in text or "certificate" in text:
        return "安全连接（TLS）失败", "the secure (TLS) connection failed"
    return "网络不通", "the network could not be reached"


def unreachable(endpoint: str, exc: BaseException) -> HubUnreachableError:
    """A :class:`HubUnreachableError` for ``endpoint`` from a transport failure (or a
    :class:`NetworkError` raised from one)."""
    cause = exc.__cause__ if isinstance(exc, NetworkError) and exc.__cause__ else exc
    return HubUnreachableError(endpoint, f"{type(cause).__name__}: {cause}", *network_reason(cause))


def map_hub_error(exc: BaseException, repo_id: str, filename: str | None = None) -> ModelError:
    """Turn a huggingface-hub (or transport) exception into one of our typed errors."""
    from huggingface_hub import errors as hf_errors

    if isinstance(exc, ModelError):
        return exc
    status = status_of(exc)
    if isinstance(exc, hf_errors.GatedRepoError):
        return AccessDeniedError(repo_id, status or 403, gated=True)
    if isinstance(exc, hf_errors.RevisionNotFoundError):
        return RepoNotFoundError(repo_id, "revision not found / 找不到该版本")
    if isinstance(exc, hf_errors.RemoteEntryNotFoundError):
        return RemoteFileNotFoundError(repo_id, filename or "?")
    if status in (401, 403):
        # The hub answers 401 to anonymous requests for private *and* missing repositories.
        return AccessDeniedError(repo_id, status)
    if isinstance(exc, hf_errors.RepositoryNotFoundError):
        return RepoNotFoundError(repo_id, f"HTTP {status}" if status else "")
    if isinstance(exc, hf_errors.OfflineModeIsEnabled):
        return NetworkError("HF_HUB_OFFLINE is set / 已设置离线模式 HF_HUB_OFFLINE")
    if status == 404:
        if filename:
            return RemoteFileNotFoundError(repo_id, filename)
        return RepoNotFoundError(repo_id, "HTTP 404")
    if status is not None:
        return ServerError(f"HTTP {status} ({repo_id})")
    if is_network_failure(exc):
        return NetworkError(f"{type(exc).__name__}: {exc}")
    return HubError(
        f"访问模型仓库 {repo_id} 时出错：{type(exc).__name__}: {exc}",
        f"Error while talking to the hub about {repo_id}: {type(exc).__name__}: {exc}",
    )
