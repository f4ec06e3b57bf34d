"""Typed errors of the model pipeline, each with a plain Chinese and English message.

Every error the catalog, the resolver, the downloader or the GGUF reader raises on
purpose is a :class:`ModelError`. ``str(err)`` gives both languages (Chinese first);
``err.message("en")`` or ``err.message("zh")`` gives one. The UI shows these texts
as they are, so they say what happened and what to do, without a traceback.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]


class ModelError(Exception):
    """Base class: a message in Chinese and in English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh}\n{en}")
        self.zh = zh
        self.en = en

    def message(self, lang: Lang = "zh") -> str:
        return self.zh if lang == "zh" else self.en

    def __str__(self) -> str:
        return f"{self.zh}\n{self.en}"


class CatalogError(ModelError):
    """models.toml could not be read or an entry is invalid (the message names the line)."""


class GGUFError(ModelError):
    """A file is not a GGUF model file, is truncated, or has absurd header values."""


class HubError(ModelError):
    """Something went wrong talking to the model hub."""


class RepoNotFoundError(HubError):
    """The repository does not exist (or is private and no token was given)."""

    def __init__(self, repo_id: str, detail: str = "") -> None:
        extra_zh = f"（{detail}）" if detail else ""
        extra_en = f" ({detail})" if detail else ""
        super().__init__(
            f"找不到模型仓库 {repo_id}{extra_zh}。请检查名称；"
            "若是私有仓库，请设置访问令牌（HF_TOKEN）。",
            f"Model repository {repo_id} was not found{extra_en}. Check the name; "
            "if it is private, set an access token (HF_TOKEN).",
        )
        self.repo_id = repo_id


class NoMatchingFileError(HubError):
    """No repository holds a file matching the catalog entry's quantization."""

    def __init__(self, what: str, searched: list[str]) -> None:
        where = "、".join(searched) if searched else "（无）"
        where_en = ", ".join(searched) if searched else "(none)"
        super().__init__(
            f"在模型仓库中找不到 {what} 的 GGUF 文件。已查找：{where}。",
            f"No GGUF file for {what} was found. Repositories searched: {where_en}.",
        )
        self.searched = list(searched)


class RemoteFileNotFoundError(HubError):
    """The repository exists but the file is not in it (at that revision)."""

    def __init__(self, repo_id: str, filename: str) -> None:
        super().__init__(
            f"仓库 {repo_id} 中没有文件 {filename}（可能已被删除或改名）。请重新查找模型。",
            f"File {filename} is not in repository {repo_id} (it may have been removed or "
            "renamed). Resolve the model again.",
        )
        self.repo_id = repo_id
        self.filename = filename


class AccessDeniedError(HubError):
    """401/403: a gated or private repository."""

    def __init__(self, repo_id: str, status: int, gated: bool = False) -> None:
        if gated:
            zh = (
                f"无权下载 {repo_id}（HTTP {status}）：这是需要同意许可的模型。"
                "请在 Hugging Face 网站上打开该模型页面并接受许可，然后设置访问令牌（HF_TOKEN）。"
            )
            en = (
                f"Not allowed to download {repo_id} (HTTP {status}): the model is gated. "
                "Open its page on Hugging Face, accept the licence, then set an access token "
                "(HF_TOKEN)."
            )
        elif status == 401:
            zh = (
                f"无权访问 {repo_id}（HTTP 401）：仓库可能是私有的，需要访问令牌；"
                "匿名访问时，不存在的仓库也会这样回答。请检查名称并设置访问令牌（HF_TOKEN）。"
            )
            en = (
                f"Not allowed to access {repo_id} (HTTP 401): the repository may be private "
                "and need an access token (to anonymous requests the hub also answers this for "
                "repositories that do not exist). Check the name and set a token (HF_TOKEN)."
            )
        else:
            zh = (
                f"无权下载 {repo_id}（HTTP {status}）：访问令牌无效或没有此仓库的权限。"
                "请设置有效的访问令牌（HF_TOKEN）。"
            )
            en = (
                f"Not allowed to download {repo_id} (HTTP {status}): the access token is not "
                "valid or has no access to this repository. Set a valid token (HF_TOKEN)."
            )
        super().__init__(zh, en)
        self.repo_id = repo_id
        self.status = status
        self.gated = gated


class NetworkError(HubError):
    """The network is gone (after retries) or the overall deadline passed."""

    def __init__(self, detail: str, *, kept_bytes: int = 0) -> None:
        keep_zh = f"已下载的 {kept_bytes:,} 字节已保留，可稍后继续。" if kept_bytes else ""
        keep_en = (
            f" The {kept_bytes:,} bytes already downloaded are kept; resume later."
            if kept_bytes
            else ""
        )
        super().__init__(
            f"网络连接失败，重试后仍未成功：{detail}。{keep_zh}",
            f"The network connection failed even after retrying: {detail}.{keep_en}",
        )
        self.kept_bytes = kept_bytes


class HubUnreachableError(NetworkError):
    """The hub (or the mirror set in the settings) cannot be reached at all: no network,
    a name that does not resolve, a refused connection, offline mode. The message says so
    in plain words and what to do; the transport's own text is kept in ``detail`` (for
    the log), never shown."""

    def __init__(self, endpoint: str, detail: str, reason_zh: str, reason_en: str) -> None:
        ModelError.__init__(
            self,
            f"连不上模型仓库 {endpoint}（{reason_zh}）。这台电脑可能没有联网，或这个地址在"
            "当前网络中打不开。可以在“设置 → 模型”中填写镜像地址（例如 https://hf-mirror.com）"
            "后重试，或者使用已有的 GGUF 文件。",
            f"The model hub {endpoint} cannot be reached ({reason_en}). This computer may be "
            "offline, or the address may be blocked on this network. Set a mirror under "
            "Settings → Model (e.g. https://hf-mirror.com) and try again, or use a GGUF file "
            "you already have.",
        )
        self.kept_bytes = 0
        self.endpoint = endpoint
        self.detail = detail


class ServerError(HubError):
    """The server answered something that makes no sense (bad range, wrong size...)."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"服务器返回了异常的响应：{detail}。请稍后再试。",
            f"The server sent an unexpected response: {detail}. Try again later.",
        )


class ChecksumMismatchError(ModelError):
    """The downloaded bytes do not hash to the expected sha256; the partial file is deleted."""

    def __init__(self, filename: str, expected: str, actual: str) -> None:
        super().__init__(
            f"{filename} 校验失败：SHA-256 应为 {expected[:16]}…，实际为 {actual[:16]}…。"
            "损坏的文件已删除，请重新下载。",
            f"{filename} failed verification: SHA-256 should be {expected[:16]}…, got "
            f"{actual[:16]}…. The damaged file was deleted; download it again.",
        )
        self.filename = filename
        self.expected = expected
        self.actual = actual


class UnverifiableError(ModelError):
    """The hub gives no sha256 for the file, so it cannot be verified and is not downloaded."""

    def __init__(self, filename: str) -> None:
        super().__init__(
            f"无法校验 {filename}：服务器没有提供 SHA-256。为安全起见不下载此文件。",
            f"Cannot verify {filename}: the server gives no SHA-256. It is not downloaded, "
            "to be safe.",
        )
        self.filename = filename


def _gb(n: int) -> str:
    return f"{n / 1e9:.2f} GB"


class DiskSpaceError(ModelError):
    """Not enough free space for the download (checked before starting)."""

    def __init__(self, folder: str, needed: int, free: int) -> None:
        super().__init__(
            f"磁盘空间不足：{folder} 需要约 {_gb(needed)}，但只剩 {_gb(free)}。"
            "请清理空间或换一个存放位置。",
            f"Not enough disk space: {folder} needs about {_gb(needed)} but only "
            f"{_gb(free)} is free. Free some space or choose another folder.",
        )
        self.needed = needed
        self.free = free


class DiskFullError(ModelError):
    """Writing failed because the disk (or the allowed file size) is full."""

    def __init__(self, path: str, detail: str, *, kept_bytes: int = 0) -> None:
        super().__init__(
            f"写入 {path} 时磁盘已满（{detail}）。已下载的 {kept_bytes:,} 字节已保留，"
            "清理空间后可继续下载。",
            f"The disk filled up while writing {path} ({detail}). The {kept_bytes:,} bytes "
            "already downloaded are kept; free some space and resume.",
        )
        self.kept_bytes = kept_bytes


class DownloadCancelled(ModelError):  # noqa: N818 - a cancel is an outcome, not a fault
    """The download was cancelled or paused; the partial file is kept for resuming."""

    def __init__(self, kept_bytes: int) -> None:
        super().__init__(
            f"下载已暂停，已保留 {kept_bytes:,} 字节，可随时继续。",
            f"Download paused; {kept_bytes:,} bytes kept, resume any time.",
        )
        self.kept_bytes = kept_bytes
