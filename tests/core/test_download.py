"""Verified, resumable downloads against a local hub with injected faults."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from app.models.download import Downloader, DownloadPolicy, DownloadProgress, download
from app.models.download.partfile import (
    load_state,
    part_path,
    read_light_checkpoints,
    sidecar_path,
    verified_marker,
)
from app.models.errors import (
    AccessDeniedError,
    ChecksumMismatchError,
    DiskSpaceError,
    DownloadCancelled,
    NetworkError,
    RemoteFileNotFoundError,
    RepoNotFoundError,
    UnverifiableError,
)
from app.models.resolve import RemoteFile, ResolvedModel
from tests.support.fake_hub import FakeHub, make_bytes

SIZE = 3_000_000
NAME = "QPM-1K-32B-R1-Q4_K_M.gguf"
FAST = DownloadPolicy(
    backoff_base_s=0.01,
    backoff_max_s=0.05,
    timeout_s=5.0,
    checkpoint_bytes=256 * 1024,
    disk_margin_bytes=0,
    progress_interval_s=0.0,
)


@pytest.fixture(params=["cdn", "direct"])
def hub(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """The hub, serving bytes through a redirect to a second host (like the real hub's
    CDN) or straight from the resolve URL."""
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with FakeHub(cdn=request.param == "cdn") as server:
        yield server


@pytest.fixture
def cdn_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with FakeHub() as server:
        yield server


def resolved_for(hub: FakeHub, repo_id: str, names: list[str] | None = None) -> ResolvedModel:
    repo = hub.repos[repo_id]
    files = [repo.files[n] for n in (names or list(repo.files))]
    return ResolvedModel(
        entry_id="test",
        repo_id=repo_id,
        revision=repo.sha,
        files=tuple(RemoteFile(f.path, f.size, f.sha256 if f.lfs else None) for f in files),
        endpoint=hub.url,
    )


class Setup(NamedTuple):
    resolved: ResolvedModel
    data: bytes
    dest: Path


def one_file(hub: FakeHub, tmp_path: Path, size: int = SIZE, **repo_kw: object) -> Setup:
    data = make_bytes(size, 7)
    hub.add_repo("q/QPM-GGUF", {NAME: data}, **repo_kw)  # type: ignore[arg-type]
    return Setup(resolved_for(hub, "q/QPM-GGUF"), data, tmp_path / "models" / "q--QPM-GGUF")


def served(hub: FakeHub) -> int:
    return hub.bytes_served(NAME if not hub.cdn else "/cdn/")


def assert_nothing_left(dest: Path) -> None:
    assert not dest.exists() or list(dest.iterdir()) == []


def test_download_verifies_and_places_the_file(hub: FakeHub, tmp_path: Path) -> None:
    s = one_file(hub, tmp_path)
    events: list[DownloadProgress] = []
    path = download(s.resolved, s.dest, events.append, policy=FAST)
    assert path == s.dest / NAME
    assert path.read_bytes() == s.data
    assert verified_marker(path).read_text().split()[0] == hashlib.sha256(s.data).hexdigest()
    assert not part_path(path).exists() and not sidecar_path(path).exists()
    assert served(hub) == SIZE
    downloading = [e.done_bytes for e in events if e.phase == "downloading"]
    assert downloading == sorted(downloading) and downloading[-1] == SIZE
    assert events[-1].phase == "done" and events[-1].fraction == 1.0
    assert all(e.total_bytes == SIZE and e.file_name == NAME for e in events)


def test_an_installed_file_is_not_downloaded_again(hub: FakeHub, tmp_path: Path) -> None:
    s = one_file(hub, tmp_path)
    download(s.resolved, s.dest, policy=FAST)
    before = len(hub.log)
    again = Downloader(FAST)
    assert again.download(s.resolved, s.dest) == s.dest / NAME
    assert len(hub.log) == before and again.last_stats.fetched_bytes == 0


def test_resume_after_dropped_connections(hub: FakeHub, tmp_path: Path) -> None:
    s = one_file(hub, tmp_path)
    hub.fault(NAME, drop_after=700_000, drop_times=3)
    downloader = Downloader(FAST)
    path = downloader.download(s.resolved, s.dest)
    assert path.read_bytes() == s.data
    stats = downloader.last_stats
    assert stats.retries == 3 and stats.fetched_bytes == SIZE and stats.refetched_bytes == 0
    ranges = [r.range for r in hub.requests(method="GET") if r.sent and r.range is not None]
    assert ranges == ["bytes=700000-", "bytes=1400000-", "bytes=2100000-"]
    assert served(hub) == SIZE  # not one byte fetched twice


def test_pause_then_resume_with_a_new_downloader(hub: FakeHub, tmp_path: Path) -> None:
    """Pause (= cancel) keeps the part; a new Downloader — as after an app restart —
    re-hashes it and fetches only the rest."""
    s = one_file(hub, tmp_path)
    hub.fault(NAME, delay_per_chunk_s=0.002)
    cancel = threading.Event()

    def pause_at_40_percent(p: DownloadProgress) -> None:
        if p.done_bytes >= 0.4 * SIZE:
            cancel.set()

    with pytest.raises(DownloadCancelled) as caught:
        Downloader(FAST).download(s.resolved, s.dest, pause_at_40_percent, cancel)
    kept = caught.value.kept_bytes
    part = part_path(s.dest / NAME)
    assert part.stat().st_size == kept >= 0.4 * SIZE
    state = load_state(s.dest / NAME)
    assert state is not None and state.verified_offset == kept
    assert not (s.dest / NAME).exists()
    assert "已暂停" in caught.value.zh and "paused" in caught.value.en

    events: list[DownloadProgress] = []
    resumed = Downloader(FAST)
    path = resumed.download(s.resolved, s.dest, events.append)
    assert path.read_bytes() == s.data
    stats = resumed.last_stats
    assert stats.on_disk_bytes == kept and stats.reused_bytes == kept
    assert stats.fetched_bytes == SIZE - kept and stats.refetched_bytes == 0
    resume = [r for r in hub.requests(method="GET") if r.range == f"bytes={kept}-"]
    assert len(resume) == 1 and resume[0].status == 206 and resume[0].sent == SIZE - kept
    assert any(e.phase == "verifying" for e in events)
    assert any(e.note and f"{kept:,}" in e.note.en for e in events)


def test_checksum_mismatch_deletes_everything(hub: FakeHub, tmp_path: Path) -> None:
    s = one_file(hub, tmp_path)
    hub.fault(NAME, corrupt=True)
    with pytest.raises(ChecksumMismatchError) as caught:
        download(s.resolved, s.dest, policy=FAST)
    assert caught.value.expected == hashlib.sha256(s.data).hexdigest()
    assert "校验失败" in caught.value.zh and "deleted" in caught.value.en
    assert_nothing_left(s.dest)


def test_missing_repository(hub: FakeHub, tmp_path: Path) -> None:
    s = one_file(hub, tmp_path)
    del hub.repos["q/QPM-GGUF"]
    with pytest.raises(RepoNotFoundError) as caught:
        download(s.resolved, s.dest, policy=FAST)
    assert "q/QPM-GGUF" in caught.value.en
    assert_nothing_left(s.dest)


def test_missing_file(hub: FakeHub, tmp_path: Path) -> None:
    s = one_file(hub, tmp_path)
    del hub.repos["q/QPM-GGUF"].files[NAME]
    with pytest.raises(RemoteFileNotFoundError) as caught:
        download(s.resolved, s.dest, policy=FAST)
    assert caught.value.filename == NAME
    assert_nothing_left(s.dest)


def test_private_repository_needs_a_token(hub: FakeHub, tmp_path: Path) -> None:
    s = one_file(hub, tmp_path, token="hf_secret")
    with pytest.raises(AccessDeniedError) as caught:
        download(s.resolved, s.dest, policy=FAST)
    assert caught.value.status == 401
    assert "HF_TOKEN" in caught.value.en and "令牌" in caught.value.zh
    assert_nothing_left(s.dest)
    with pytest.raises(AccessDeniedError) as wrong:
        download(s.resolved, s.dest, policy=FAST, token="hf_wrong")
    assert wrong.value.status == 403
    path = download(s.resolved, s.dest, policy=FAST, token="hf_secret")
    assert path.read_bytes() == s.data
    if hub.cdn:  # the token goes to the hub, never to the download host
        assert all(not r.authorized for r in hub.requests("cdn"))
        assert any(r.authorized for r in hub.requests("hub", "HEAD"))


def test_gated_repository_says_to_accept_the_licence(cdn_hub: FakeHub, tmp_path: Path) -> None:
    s = one_file(cdn_hub, tmp_path, token="hf_ok", gated=True)
    with pytest.raises(AccessDeniedError) as caught:
        download(s.resolved, s.dest, policy=FAST, token="hf_not_accepted")
    assert caught.value.gated and caught.value.status == 403
    assert "accept the licence" in caught.value.en and "接受许可" in caught.value.zh


def test_not_enough_disk_space_is_refused_before_anything_happens(
    cdn_hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = one_file(cdn_hub, tmp_path)
    real = shutil.disk_usage

    def nearly_full(path: str | Path) -> object:
        usage = real(path)
        return type(usage)(usage.total, usage.total - 1_000_000, 1_000_000)

    monkeypatch.setattr(shutil, "disk_usage", nearly_full)
    with pytest.raises(DiskSpaceError) as caught:
        download(s.resolved, s.dest, policy=FAST)
    assert caught.value.needed == SIZE and caught.value.free == 1_000_000
    assert "磁盘空间不足" in caught.value.zh and "Not enough disk space" in caught.value.en
    assert cdn_hub.log == [] and not s.dest.exists()


def test_disk_check_counts_what_is_missing_plus_a_margin(
    cdn_hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = one_file(cdn_hub, tmp_path)
    policy = DownloadPolicy(**{**FAST.__dict__, "disk_margin_bytes": 10_000_000})
    cancel = threading.Event()
    cdn_hub.fault(NAME, delay_per_chunk_s=0.002)
    with pytest.raises(DownloadCancelled):  # 2 MB of the 3 MB end up on disk
        Downloader(policy).download(
            s.resolved,
            s.dest,
            lambda p: cancel.set() if p.done_bytes >= 2_000_000 else None,
            cancel,
        )
    cdn_hub.faults.clear()
    real = shutil.disk_usage
    monkeypatch.setattr(
        shutil, "disk_usage", lambda p: type(real(p))(10**9, 10**9 - 12_000_000, 12_000_000)
    )
    other = tmp_path / "elsewhere"
    with pytest.raises(DiskSpaceError) as caught:  # from zero: 3 MB + 10 MB > 12 MB
        download(s.resolved, other, policy=policy)
    assert caught.value.needed == SIZE + 10_000_000
    # resuming needs under 1 MB + 10 MB
    assert download(s.resolved, s.dest, policy=policy).read_bytes() == s.data


def test_cancel_stops_promptly_even_on_a_silent_server(cdn_hub: FakeHub, tmp_path: Path) -> None:
    s = one_file(cdn_hub, tmp_path)
    cdn_hub.fault(NAME, stall_after=500_000)
    cancel = threading.Event()
    outcome: list[BaseException] = []
    reached = threading.Event()

    def on_progress(p: DownloadProgress) -> None:
        if p.done_bytes >= 500_000:
            reached.set()

    def run() -> None:
        try:
            download(s.resolved, s.dest, on_progress, cancel, policy=FAST)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    assert reached.wait(10)
    time.sleep(0.2)  # the server is now silent; the read is blocked
    started = time.monotonic()
    cancel.set()
    worker.join(5)
    elapsed = time.monotonic() - started
    assert not worker.is_alive()
    assert elapsed < 1.0
    assert isinstance(outcome[0], DownloadCancelled) and outcome[0].kept_bytes == 500_000
    assert part_path(s.dest / NAME).stat().st_size == 500_000
    cdn_hub.faults.clear()
    assert download(s.resolved, s.dest, policy=FAST).read_bytes() == s.data


def test_server_ignoring_range_restarts_from_zero_and_says_so(hub: FakeHub, tmp_path: Path) -> None:
    s = one_file(hub, tmp_path)
    hub.fault(NAME, drop_after=1_000_000, drop_times=1, ignore_range=True)
    events: list[DownloadProgress] = []
    downloader = Downloader(FAST)
    path = downloader.download(s.resolved, s.dest, events.append)
    assert path.read_bytes() == s.data
    stats = downloader.last_stats
    assert stats.range_ignored == 1 and stats.discarded_bytes == 1_000_000
    notes = [e.note for e in events if e.note is not None]
    assert any("ignored the Range request" in n.en and "从头重新下载" in n.zh for n in notes)
    # the second request asked for a range and got the whole file
    second = [r for r in hub.requests(method="GET") if r.sent][1]
    assert second.range == "bytes=1000000-" and second.status == 200 and second.sent == SIZE


def test_a_server_that_ignores_range_and_keeps_dropping_gives_up(
    cdn_hub: FakeHub, tmp_path: Path
) -> None:
    s = one_file(cdn_hub, tmp_path)
    cdn_hub.fault(NAME, drop_after=300_000, ignore_range=True)
    policy = DownloadPolicy(**{**FAST.__dict__, "max_retries": 3})
    started = time.monotonic()
    with pytest.raises(NetworkError) as caught:
        download(s.resolved, s.dest, policy=policy)
    assert time.monotonic() - started < 5
    assert caught.value.kept_bytes == 300_000
    assert "重试后仍未成功" in caught.value.zh and "resume later" in caught.value.en
    assert part_path(s.dest / NAME).stat().st_size == 300_000


def test_overall_deadline(cdn_hub: FakeHub, tmp_path: Path) -> None:
    s = one_file(cdn_hub, tmp_path)
    cdn_hub.fault(NAME, delay_per_chunk_s=0.05)
    policy = DownloadPolicy(**{**FAST.__dict__, "deadline_s": 0.5})
    started = time.monotonic()
    with pytest.raises(NetworkError) as caught:
        download(s.resolved, s.dest, policy=policy)
    assert time.monotonic() - started < 2
    assert "time limit" in caught.value.en
    kept = caught.value.kept_bytes
    assert 0 < kept < SIZE and part_path(s.dest / NAME).stat().st_size == kept


def test_offline_mode_fails_at_once(
    cdn_hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HF_HUB_OFFLINE is read once, when huggingface-hub is imported: set its constant."""
    import huggingface_hub.constants

    s = one_file(cdn_hub, tmp_path)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    started = time.monotonic()
    with pytest.raises(NetworkError) as caught:
        download(s.resolved, s.dest, policy=DownloadPolicy(disk_margin_bytes=0))
    assert time.monotonic() - started < 2
    assert "HF_HUB_OFFLINE" in caught.value.en
    assert cdn_hub.log == []


def test_hub_errors_are_retried(cdn_hub: FakeHub, tmp_path: Path) -> None:
    s = one_file(cdn_hub, tmp_path)
    cdn_hub.fault(NAME, status=503, status_times=2)
    downloader = Downloader(FAST)
    assert downloader.download(s.resolved, s.dest).read_bytes() == s.data
    assert downloader.last_stats.retries == 2


def test_expired_download_link_is_refreshed(cdn_hub: FakeHub, tmp_path: Path) -> None:
    s = one_file(cdn_hub, tmp_path)
    cdn_hub.fault(NAME, cdn_forbidden_times=1)
    assert download(s.resolved, s.dest, policy=FAST).read_bytes() == s.data
    assert len(cdn_hub.requests("hub", "HEAD")) == 2


def test_split_set_downloads_every_part(hub: FakeHub, tmp_path: Path) -> None:
    parts = {f"Q8_0/m-Q8_0-0000{i}-of-00003.gguf": make_bytes(400_000, i) for i in (1, 2, 3)}
    hub.add_repo("q/split", parts)
    resolved = resolved_for(hub, "q/split", sorted(parts))
    events: list[DownloadProgress] = []
    path = download(resolved, tmp_path / "split", events.append, policy=FAST)
    assert path.name == "m-Q8_0-00001-of-00003.gguf"
    for name, data in parts.items():
        assert (tmp_path / "split" / name.split("/")[1]).read_bytes() == data
    assert events[-1].done_bytes == 1_200_000 and events[-1].file_count == 3
    assert {e.file_index for e in events} == {0, 1, 2}


def test_file_without_sha256_is_not_downloaded(cdn_hub: FakeHub, tmp_path: Path) -> None:
    cdn_hub.add_repo("q/plain", {"m-Q4_K_M.gguf": b"x" * 1000}, lfs=False)
    resolved = resolved_for(cdn_hub, "q/plain")
    with pytest.raises(UnverifiableError):
        download(resolved, tmp_path / "plain", policy=FAST)
    assert cdn_hub.log == []


def test_a_part_from_another_file_is_not_trusted(cdn_hub: FakeHub, tmp_path: Path) -> None:
    s = one_file(cdn_hub, tmp_path)
    s.dest.mkdir(parents=True)
    part = part_path(s.dest / NAME)
    part.write_bytes(b"\0" * 100_000)
    sidecar_path(s.dest / NAME).write_text(
        json.dumps({"format": 1, "url": "u", "size": SIZE, "sha256": "0" * 64,
                    "repo_id": "q/QPM-GGUF", "filename": NAME, "checkpoints": [[100000, "x"]]})
    )  # fmt: skip
    events: list[DownloadProgress] = []
    downloader = Downloader(FAST)
    assert downloader.download(s.resolved, s.dest, events.append).read_bytes() == s.data
    assert downloader.last_stats.discarded_bytes == 100_000
    assert any(e.note and "starting over" in e.note.en for e in events)


def test_damaged_bytes_in_a_part_are_cut_back_to_the_last_good_checkpoint(
    cdn_hub: FakeHub, tmp_path: Path
) -> None:
    s = one_file(cdn_hub, tmp_path)
    cancel = threading.Event()
    cdn_hub.fault(NAME, delay_per_chunk_s=0.002)
    with pytest.raises(DownloadCancelled):
        Downloader(dataclasses.replace(FAST, chunk_bytes=64 * 1024)).download(
            s.resolved, s.dest, lambda p: cancel.set() if p.done_bytes > 2_000_000 else None, cancel
        )
    part_size = part_path(s.dest / NAME).stat().st_size
    state = load_state(s.dest / NAME)
    assert state is not None
    offsets = sorted(
        {o for o, _ in state.checkpoints} | {o for o, _ in read_light_checkpoints(s.dest / NAME)}
    )
    assert len(offsets) >= 4
    damaged_at = offsets[2] + 10
    part = part_path(s.dest / NAME)
    with part.open("r+b") as fh:  # damage one byte after the third checkpoint
        fh.seek(damaged_at)
        fh.write(b"\x00" if s.data[damaged_at] else b"\x01")
    downloader = Downloader(FAST)
    assert downloader.download(s.resolved, s.dest).read_bytes() == s.data
    assert downloader.last_stats.reused_bytes == offsets[2]
    assert downloader.last_stats.discarded_bytes == part_size - offsets[2]
