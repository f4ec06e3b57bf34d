"""Verified, resumable downloads: HTTP ranges, part files with their state, the downloader."""

from app.models.download.downloader import (
    Downloader,
    download,
)
from app.models.download.state import DownloadPolicy, DownloadProgress, ProgressCallback

__all__ = [
    "DownloadPolicy",
    "DownloadProgress",
    "Downloader",
    "ProgressCallback",
    "download",
]
