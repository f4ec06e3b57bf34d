"""Downloads in a separate process: killed mid-way, and out of disk space.

A process killed with SIGKILL gets no chance to tidy up; the next process (a new
Downloader, as after an app restart) must still resume from the part file and fetch at
most the bytes written since the last checkpoint again.

For "disk full while writing" there is no tiny filesystem to fill here, so the child
process runs under a file-size limit (``RLIMIT_FSIZE``): the kernel then fails the
write that crosses the limit with ``EFBIG`` — a real failed ``write(2)``, handled by
the same code path as ``ENOSPC`` (SIGXFSZ is ignored so the write returns the error).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models.download import Downloader, DownloadPolicy
from app.models.download.partfile import load_state, part_path
from app.models.resolve import RemoteFile, ResolvedModel
from tests.support.fake_hub import FakeHub, make_bytes

ROOT = Path(__file__).resolve().parents[2]
SIZE = 3_000_000
NAME = "model-Q4_K_M.gguf"
CHECKPOINT = 256 * 1024
CHUNK = 64 * 1024

CHILD = textwrap.dedent(
    """
    import json, os, resource, signal, sys
    from pathlib import Path
    from app.models.download import Downloader, DownloadPolicy
    from app.models.errors import ModelError
    from app.models.resolve import ResolvedModel

    args = json.loads(sys.argv[1])
    if args["fsize_limit"]:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (args["fsize_limit"], args["fsize_limit"]))
    policy = DownloadPolicy(checkpoint_bytes=args["checkpoint"], checkpoint_interval_s=0.2,
                            disk_margin_bytes=0, backoff_base_s=0.01, timeout_s=5,
                            chunk_bytes=args["chunk"])
    resolved = ResolvedModel.from_dict(args["resolved"])
    try:
        Downloader(policy).download(resolved, Path(args["dest"]),
                                    lambda p: print("progress", p.done_bytes, flush=True))
    except ModelError as exc:
        print("error", json.dumps({"type": type(exc).__name__, "en": exc.en, "zh": exc.zh,
                                   "kept": getattr(exc, "kept_bytes", None)}), flush=True)
        sys.exit(3)
    print("done", flush=True)
    """
)


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with FakeHub() as server:
        yield server


def _setup(hub: FakeHub) -> tuple[ResolvedModel, bytes]:
    data = make_bytes(SIZE, 11)
    repo = hub.add_repo("q/m-GGUF", {NAME: data})
    f = repo.files[NAME]
    resolved = ResolvedModel(
        "t", "q/m-GGUF", repo.sha, (RemoteFile(NAME, f.size, f.sha256),), hub.url
    )
    return resolved, data


def _child(resolved: ResolvedModel, dest: Path, fsize_limit: int = 0) -> subprocess.Popen[str]:
    args = {"resolved": resolved.to_dict(), "dest": str(dest), "checkpoint": CHECKPOINT,
            "fsize_limit": fsize_limit, "chunk": CHUNK}  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_DISABLE_XET": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(args)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_process_resumes_in_a_new_one(hub: FakeHub, tmp_path: Path) -> None:
    resolved, data = _setup(hub)
    hub.fault(NAME, delay_per_chunk_s=0.01)  # ~64 KB per 10 ms
    dest = tmp_path / "models"
    child = _child(resolved, dest)
    part = part_path(dest / NAME)
    deadline = time.monotonic() + 30
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("progress") and int(line.split()[1]) >= 1_500_000:
            break
        assert time.monotonic() < deadline, "the child made no progress"
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    on_disk = part.stat().st_size
    state = load_state(dest / NAME)
    assert state is not None and 0 < state.verified_offset <= on_disk < SIZE
    hub.faults.clear()

    downloader = Downloader(DownloadPolicy(disk_margin_bytes=0, checkpoint_bytes=CHECKPOINT))
    path = downloader.download(resolved, dest)
    assert path.read_bytes() == data
    stats = downloader.last_stats
    assert stats.on_disk_bytes == on_disk
    # only the bytes written after the last light checkpoint are fetched again
    light = 256 * 1024
    assert stats.reused_bytes >= state.verified_offset
    assert stats.refetched_bytes == on_disk - stats.reused_bytes <= light + CHUNK


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_disk_full_while_writing_keeps_a_resumable_part(hub: FakeHub, tmp_path: Path) -> None:
    resolved, data = _setup(hub)
    dest = tmp_path / "models"
    limit = 1_000_000
    child = _child(resolved, dest, fsize_limit=limit)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 3, err
    report = json.loads(out.strip().splitlines()[-1].split(" ", 1)[1])
    assert report["type"] == "DiskFullError"
    assert "disk filled up" in report["en"] and "磁盘已满" in report["zh"]
    kept = report["kept"]
    part = part_path(dest / NAME)
    state = load_state(dest / NAME)
    assert state is not None
    # the part was cut back to its last (light) checkpoint: nothing half-written is left
    assert part.stat().st_size == kept >= state.verified_offset
    assert limit - 256 * 1024 - CHUNK <= kept <= limit
    assert not (dest / NAME).exists()

    downloader = Downloader(DownloadPolicy(disk_margin_bytes=0))
    assert downloader.download(resolved, dest).read_bytes() == data
    assert downloader.last_stats.reused_bytes == kept
    assert downloader.last_stats.refetched_bytes == 0
