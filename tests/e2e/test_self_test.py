"""``shijian --self-test`` from a source checkout (``python -m app --self-test``).

The same command checks a PyInstaller bundle (tests/e2e/test_bundle.py); here it
runs on the interpreter running the tests: the real window offscreen, the real
checker, a temporary library, llama-cpp-python in this process and the engine as
its own process. Every step passes and nothing of the user's is touched: the
run gets an empty home folder and must leave it empty.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.ui.self_test import BackendReport, GpuInfo

ROOT = Path(__file__).resolve().parents[2]

# Every step the report must show as passed, in order.
STEPS = (
    "window",
    "library opens",
    "checker",
    "save",
    "read back",
    "score stored",
    "drafts",
    "checker verdict",
    "checker catches 出韵",
    "bundled files",
    "imports",
    "llama.cpp",
    "GPU offload",
    "engine process",
)


def run_self_test(
    command: list[str], *, cwd: Path, home: Path, timeout: float = 180
) -> tuple[int, str]:
    """Run a self-test with ``home`` as the user's home (and XDG folders inside it)."""
    env = dict(os.environ)
    for name in ("SHIJIAN_BASEDIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME",
                 "XDG_STATE_HOME"):  # fmt: skip
        env.pop(name, None)
    env["HOME"] = str(home)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    done = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return done.returncode, done.stdout.decode("utf-8", "replace")


def report_lines(stdout: str) -> dict[str, str]:
    """``{step name: detail}`` for the passed steps; a FAIL line fails the test."""
    passed: dict[str, str] = {}
    for line in stdout.splitlines():
        assert not line.startswith("FAIL"), stdout
        if line.startswith("ok   "):
            name, _, detail = line[5:].partition(": ")
            passed[name] = detail
    return passed


def assert_passed_report(code: int, stdout: str) -> dict[str, str]:
    assert code == 0, stdout
    passed = report_lines(stdout)
    assert [s for s in STEPS if s in passed] == list(STEPS), stdout
    assert stdout.rstrip().endswith("self-test passed")
    assert passed["checker verdict"].startswith(
        "登鹳雀楼: 五绝，仄起，首句不入韵，押下平十一尤，合律"
    )
    assert "出韵" in passed["checker catches 出韵"]
    assert passed["llama.cpp"].startswith("llama_cpp 0.3.")
    assert "gpu_offload=" in passed["engine process"]
    return passed


def test_self_test_from_source(tmp_path: Path) -> None:
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    code, out = run_self_test([sys.executable, "-m", "app", "--self-test"], cwd=work, home=home)
    passed = assert_passed_report(code, out)
    # From source the resources come from the checkout's resources/ folder (or the
    # installed app.resources package that maps onto it).
    assert "resources" in passed["bundled files"]
    # The library, settings and log were temporary: neither the user's home nor the
    # folder it ran in got anything.
    assert list(home.iterdir()) == []
    assert list(work.iterdir()) == []


def test_offload_line_names_the_build_to_take() -> None:
    h100 = GpuInfo("CUDA0", "NVIDIA H100 80GB HBM3", 80 * 2**30)
    cpu_only = BackendReport("0.3.36", "libllama.so", gpu_offload=False)
    cpu_build_gpu_machine = BackendReport("0.3.36", "libllama.so", False, [h100])
    cuda_build = BackendReport("0.3.36", "libllama.so", True, [h100])
    cuda_build_no_gpu = BackendReport("0.3.36", "libllama.so", True, [])

    assert cpu_only.build == "CPU"
    assert cpu_only.offload_line() == "not available — CPU build, no GPU found"
    assert cpu_build_gpu_machine.offload_line() == (
        "not available — CPU build; this machine has NVIDIA H100 80GB HBM3 (80 GiB): "
        "take the CUDA build"
    )
    assert cuda_build.build == "CUDA/GPU"
    assert cuda_build.offload_line() == "available — NVIDIA H100 80GB HBM3 (80 GiB)"
    assert "no GPU found" in cuda_build_no_gpu.offload_line()
