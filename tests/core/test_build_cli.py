"""``shijian build-model`` in its own process: progress, kills, a full disk, Ctrl-C.

The command runs as a user runs it (``python -m app``), against the local hub; the
tests kill it with SIGKILL in the middle of the download, the conversion and the
quantization, fill the "disk" (``RLIMIT_FSIZE``: the kernel fails the write with
``EFBIG``, the way a full disk fails it with ``ENOSPC``), and press Ctrl-C (SIGINT);
each time the next run resumes and finishes, and the model library stays consistent.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from app.models.build.state import find_builds
from app.models.registry import ModelRegistry
from tests.support.build_fixtures import (  # noqa: F401
    CATALOG_TEXT,
    TINY_REPO,
    build_hub_fixture,
    needs_llama,
    qwen2_vocab_fixture,
    tiny_repo_fixture,
    vocab_fixture,
)
from tests.support.fake_hub import FakeHub

pytestmark = [needs_llama, pytest.mark.model, pytest.mark.slow, pytest.mark.timeout(400)]

ROOT = Path(__file__).resolve().parents[2]
ENTRY = "tiny-poet-q8_0"


@pytest.fixture
def base(tmp_path: Path) -> Path:
    (tmp_path / "models.toml").write_text(CATALOG_TEXT, encoding="utf-8")
    return tmp_path


def _cmd(base: Path, *args: str) -> list[str]:
    return [
        sys.executable, "-m", "app", "--basedir", str(base / "home"), "--lang", "en",
        "build-model", "--catalog", str(base / "models.toml"), *args,
    ]  # fmt: skip


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _run(
    base: Path, *args: str, preexec_fn: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _cmd(base, *args), capture_output=True, text=True, env=_env(), timeout=300, check=False,
        stdin=subprocess.DEVNULL, preexec_fn=preexec_fn,
    )  # fmt: skip


def _kill_when(
    base: Path, ready: Callable[[Path], bool], *, sig: int = signal.SIGKILL
) -> subprocess.CompletedProcess[str]:
    """Start the build, wait until ``ready(work_dir)``, send ``sig``; the finished process."""
    proc = subprocess.Popen(
        _cmd(base, ENTRY, "--yes"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True, env=_env(), start_new_session=True,
    )  # fmt: skip
    work = base / "home" / "models" / ".shijian-build" / ENTRY
    deadline = time.monotonic() + 120
    try:
        while not ready(work):
            if proc.poll() is not None or time.monotonic() > deadline:
                out, err = proc.communicate()
                pytest.fail(f"the moment never came (exit {proc.returncode}):\n{out}\n{err}")
            time.sleep(0.01)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _registry(base: Path) -> ModelRegistry:
    return ModelRegistry(base / "home" / "models")


def _state(base: Path) -> dict[str, object]:
    path = base / "home" / "models" / ".shijian-build" / ENTRY / "build.json"
    data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _parts(base: Path) -> list[Path]:
    return [p for p in (base / "home" / "models").rglob("*.gguf.part")]


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline:
            found.append(int(entry.name))
    return found


def _finish(base: Path) -> subprocess.CompletedProcess[str]:
    done = _run(base, ENTRY, "--yes", "--delete-original")
    assert done.returncode == 0, done.stderr
    model = _registry(base).get(ENTRY)
    assert model is not None and model.path.is_file() and _registry(base).problems(model) == []
    assert model.provenance is not None and model.provenance["sha256"] == model.files[0].sha256
    assert find_builds(base / "home" / "models") == [] and _parts(base) == []
    return done


def test_killed_download_resumes_and_the_build_finishes(build_hub: FakeHub, base: Path) -> None:
    shard = build_hub.repos[TINY_REPO].files["model-00001-of-00002.safetensors"]
    build_hub.fault(shard.path, delay_per_chunk_s=0.05, chunk=256 * 1024)

    def downloading(work: Path) -> bool:
        part = work / "original" / (shard.path + ".part")
        return part.is_file() and part.stat().st_size > 6_000_000

    killed = _kill_when(base, downloading)
    assert killed.returncode == -signal.SIGKILL
    assert "Files to download (7" in killed.stdout and shard.path in killed.stdout
    assert _state(base)["stages"] == {
        "download": "running", "convert": "pending", "quantize": "pending",
        "verify": "pending", "register": "pending",
    }  # fmt: skip
    build_hub.faults.clear()
    done = _finish(base)
    assert "Resuming the unfinished build" in done.stdout
    assert "Built and registered" in done.stdout
    for stage in range(1, 6):
        assert f"[{stage}/5]" in done.stderr
    assert "Resuming from byte" in done.stderr
    assert build_hub.bytes_served(shard.sha256) < shard.size * 1.2  # the kept part was reused


def test_killed_conversion_and_quantization_restart_cleanly(build_hub: FakeHub, base: Path) -> None:
    def converting(work: Path) -> bool:
        return any(work.glob("*-source.gguf.part"))

    killed = _kill_when(base, converting)
    assert killed.returncode == -signal.SIGKILL
    assert _state(base)["stages"]["convert"] == "running"  # type: ignore[index]

    def quantizing(work: Path) -> bool:
        part = work / "Tiny-Poet-Q8_0.gguf.part"
        return part.is_file() and part.stat().st_size > 0

    killed = _kill_when(base, quantizing)
    assert killed.returncode == -signal.SIGKILL
    assert _state(base)["stages"]["convert"] == "done"  # type: ignore[index]
    # the quantizer (a child process) notices its parent is gone and stops by itself
    deadline = time.monotonic() + 10
    while _processes_mentioning("Tiny-Poet-Q8_0.gguf.part") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_mentioning("Tiny-Poet-Q8_0.gguf.part") == []
    assert _registry(base).models() == []
    _finish(base)


def _file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_full_disk_during_conversion_is_a_clear_message(
    build_hub: FakeHub, base: Path, tiny_repo: object
) -> None:
    # room for every downloaded file (the largest is 19.5 MB), not for the 45 MB intermediate
    failed = _run(base, ENTRY, "--yes", preexec_fn=_file_size_limit(30_000_000))
    assert failed.returncode == 1, failed.stderr
    assert "stage 2 (convert to GGUF)" in failed.stderr and "disk" in failed.stderr.lower()
    assert "Free some disk space, then resume" in failed.stderr
    assert "Traceback" not in failed.stderr
    state = _state(base)
    assert state["stages"]["download"] == "done" and state["stages"]["convert"] == "failed"  # type: ignore[index]
    assert _parts(base) == [] and _registry(base).models() == []
    listed = _run(base, "--list")
    assert ENTRY in listed.stdout and "stage 2 (convert to GGUF)" in listed.stdout
    _finish(base)


def test_ctrl_c_pauses_and_a_build_can_be_discarded(build_hub: FakeHub, base: Path) -> None:
    build_hub.fault("model-00002-of-00002.safetensors", delay_per_chunk_s=0.05, chunk=256 * 1024)

    def downloading(work: Path) -> bool:
        part = work / "original" / "model-00002-of-00002.safetensors.part"
        return part.is_file() and part.stat().st_size > 1_000_000

    paused = _kill_when(base, downloading, sig=signal.SIGINT)
    assert paused.returncode == 130, paused.stderr
    assert "Paused at stage 1 (download the original weights)" in paused.stderr
    assert _state(base)["stages"]["download"] == "pending"  # type: ignore[index]
    gone = _run(base, "--discard", ENTRY)
    assert gone.returncode == 0
    assert find_builds(base / "home" / "models") == []
    assert not (base / "home" / "models" / ".shijian-build" / ENTRY).exists()


def test_bad_input_is_refused_plainly(build_hub: FakeHub, base: Path) -> None:
    unknown = _run(base, "no-such-model", "--yes")
    assert unknown.returncode == 2 and "tiny-poet-q8_0" in unknown.stderr  # lists what exists
    unasked = _run(base, ENTRY)  # no terminal, no --yes
    assert unasked.returncode == 2 and "--yes" in unasked.stderr
    bad_quant = _run(base, ENTRY, "--yes", "--quant", "Q9_Z")
    assert bad_quant.returncode == 1 and "Unknown quantization" in bad_quant.stderr
    not_a_folder = _run(base, "--from-dir", str(base / "nothing"), "--yes")
    assert not_a_folder.returncode == 2
    assert _registry(base).models() == [] and find_builds(base / "home" / "models") == []
