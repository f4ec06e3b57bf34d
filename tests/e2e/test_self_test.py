"""``shijian --self-test`` on this installation: every step passes, nothing of the user's touched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_self_test_passes_in_a_temporary_folder(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    env.pop("SHIJIAN_BASEDIR", None)
    done = subprocess.run(
        [sys.executable, "-m", "app", "--self-test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = done.stdout.splitlines()
    # the window steps (packaging adds bundle-level steps after them, judged by their own tests)
    for step in ("window", "library opens", "checker", "save", "read back", "score", "drafts"):
        assert any(line.startswith("ok") and step in line for line in lines), done.stdout
    assert lines[-1] in ("self-test passed", "self-test FAILED")
    assert (done.returncode == 0) == (lines[-1] == "self-test passed")
    assert not any(tmp_path.iterdir())  # the user's home was not written to
