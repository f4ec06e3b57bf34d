"""Run ``shijian --self-test`` (from source or a bundle) and read its report.

The report is one line per step, ``ok   <step>: <detail>`` or ``FAIL <step>: <why>``,
then ``self-test passed`` or ``self-test FAILED`` (app/ui/window/self_test.py
and app/ui/window/bundle_checks.py). Used by tests/e2e/test_self_test.py and test_bundle.py.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

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
