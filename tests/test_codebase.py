"""The code base's own gates: ruff, ruff format, mypy and the architecture contract.

The contract (pyproject.toml, import-linter): prosody, compose, models, engine, storage
and paths never import PySide6 (nor app.ui / app.export). The same rule is also checked
here directly, module by module, so a violation names the file.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# app/cli is a composition root (it starts the window lazily), so it is not listed.
QT_FREE = ["app/prosody", "app/compose", "app/models", "app/convert", "app/engine", "app/storage", "app/assign",
           "app/paths.py", "app/settings.py", "app/textfile.py"]  # fmt: skip


def _tool(name: str) -> str:
    exe = Path(sys.executable).with_name(name)
    found = str(exe) if exe.exists() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed")
    return found


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)


def test_core_never_imports_qt() -> None:
    offenders = []
    for entry in QT_FREE:
        path = ROOT / entry
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            tree = ast.parse(file.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                for name in names:
                    if name.split(".")[0] in ("PySide6", "shiboken6") or name.startswith(
                        ("app.ui", "app.export")
                    ):
                        offenders.append(f"{file.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_modules_are_placed_by_idea_not_by_prefix() -> None:
    """A family of modules is a package: no module repeats its package's name as a prefix,
    and no two modules of a package share a ``word_`` prefix that names a family (the
    window's parts live in app/ui/window/, not in ``main_window_*.py`` files)."""
    repeated, families = [], []
    for package in sorted(p for p in (ROOT / "app").rglob("*") if p.is_dir()):
        if package.name == "__pycache__":
            continue
        names = sorted(f.stem for f in package.glob("*.py") if f.stem != "__init__")
        repeated += [f"{package.name}/{n}.py" for n in names if n.startswith(package.name + "_")]
        prefixes: dict[str, list[str]] = {}
        for name in names:
            if "_" in name:
                prefixes.setdefault(name.split("_")[0], []).append(name)
        families += [f"{package.relative_to(ROOT)}: {v}" for v in prefixes.values() if len(v) > 1]
    assert repeated == []
    assert families == []


def test_no_feature_imports_the_main_window() -> None:
    """Features reach the window through app.ui.window.host.FeatureHost only."""
    offenders = []
    for file in sorted((ROOT / "app" / "ui").rglob("*.py")):
        rel = file.relative_to(ROOT / "app" / "ui")
        if rel.parts[0] == "window" or rel.name == "launch.py":
            continue
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module and module.startswith("app.ui.window") and module != "app.ui.window.host":
                offenders.append(f"{rel}: {module}")
    assert offenders == []


def test_import_linter_contract() -> None:
    proc = _run(_tool("lint-imports"))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_check() -> None:
    proc = _run(_tool("ruff"), "check", "--output-format", "concise", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format() -> None:
    proc = _run(_tool("ruff"), "format", "--check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_mypy() -> None:
    proc = _run(sys.executable, "-m", "mypy")
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
