"""Running a command so that file modes apply to it, even when the tests run as root."""

from __future__ import annotations

import os
import shutil

import pytest


def without_privileges(command: list[str]) -> list[str]:
    """``command``, prefixed to drop root's capabilities when the tests run as root (so a
    read-only folder is read-only to it); skips the test when that cannot be done."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root, and setpriv is not there to drop the privileges")
    return [setpriv, "--bounding-set=-all", "--inh-caps=-all", "--", *command]
