"""``shijian --self-test`` from a source checkout (``python -m app --self-test``).

The same command checks a PyInstaller bundle (tests/e2e/test_bundle.py); here it
runs on the interpreter running the tests: the real window offscreen, the real
checker, a temporary library, llama-cpp-python in this process and the engine as
its own process. Every step passes and nothing of the user's is touched: the
run gets an empty home folder and must leave it empty.
"""

from __future__ import annotations

import sys
from pathlib import Path

from app.ui.window.bundle_checks import BackendReport, GpuInfo
from tests.support.self_test_report import assert_passed_report, run_self_test


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
