"""The PyInstaller bundle: build it (or reuse a fresh ``dist/shijian/``) and run it.

The slow tests build with ``packaging/shijian.spec`` and the interpreter running
the tests (minutes on two cores; see tests/support/pyinstaller_bundle.py), then
run the real bundle: ``--self-test``, the engine process loading and running the
tiny model, a command-line check, the desktop-entry installer, and a bundle with
its llama.cpp library removed, which must fail its self-test plainly. They skip
only when PyInstaller is not installed.

The fast tests check the committed icons and the bundle-layout rules.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from app.engine.requests import GenerateRequest, Sampling
from tests.support import pyinstaller_bundle as pb
from tests.support.engine_fixtures import (  # noqa: F401
    collect,
    final,
    qwen2_vocab_fixture,
    tiny_config,
    tiny_model_fixture,
)
from tests.support.self_test_report import assert_passed_report, report_lines, run_self_test

ROOT = Path(__file__).resolve().parents[2]
LINUX = sys.platform.startswith("linux")
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def load_layout() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bundle_layout", ROOT / "packaging" / "bundle_layout.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


# ---------------------------------------------------------------- fast: icons


def test_icon_pngs_have_their_sizes() -> None:
    for size in ICON_SIZES:
        data = (ROOT / "resources" / "icons" / f"shijian-{size}.png").read_bytes()
        assert png_size(data) == (size, size)


def test_windows_ico_holds_png_entries_16_to_256() -> None:
    data = (ROOT / "packaging" / "windows" / "shijian.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    assert (reserved, kind) == (0, 1)
    sizes = []
    for i in range(count):
        width, height, _c, _r, planes, bpp, length, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * i
        )
        image = data[offset : offset + length]
        real = png_size(image)
        assert real == ((width or 256), (height or 256))
        assert (planes, bpp) == (1, 32)
        sizes.append(real[0])
    assert sizes == [16, 24, 32, 48, 64, 128, 256]


def test_macos_icns_holds_png_entries_up_to_1024() -> None:
    data = (ROOT / "packaging" / "macos" / "shijian.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    found = {}
    pos = 8
    while pos < len(data):
        kind = data[pos : pos + 4].decode("ascii")
        length = struct.unpack(">I", data[pos + 4 : pos + 8])[0]
        found[kind] = png_size(data[pos + 8 : pos + length])[0]
        pos += length
    assert found == {
        "icp4": 16, "icp5": 32, "icp6": 64, "ic07": 128, "ic08": 256, "ic09": 512,
        "ic10": 1024, "ic11": 32, "ic12": 64, "ic13": 256, "ic14": 512,
    }  # fmt: skip


# ---------------------------------------------------------------- fast: layout rules


def test_resources_go_to_the_app_resources_package_with_links_followed() -> None:
    layout = load_layout()
    pairs = layout.resource_datas(ROOT)
    dests = {Path(src).name: dest for src, dest in pairs}
    assert dests["__init__.py"] == "app/resources"
    assert dests["chars.tsv"] == "app/resources/rhyme"
    assert dests["bigrams.tsv"] == "app/resources/prosody"
    assert dests["shijian-512.png"] == "app/resources/icons"
    # resources/models.toml links to the catalog at the top: the file itself goes in
    catalog = next(src for src, _ in pairs if src.endswith("models.toml"))
    assert Path(catalog).resolve() == (ROOT / "models.toml").resolve()
    assert not Path(catalog).is_symlink()
    assert all("__pycache__" not in src for src, _ in pairs)


def test_pruning_rules() -> None:
    layout = load_layout()
    qt = "PySide6/Qt"
    gone = [
        f"{qt}/plugins/platformthemes/libqgtk3.so",
        f"{qt}/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
        f"{qt}/plugins/imageformats/libqpdf.so",
        f"{qt}/plugins/platforms/libqeglfs.so",
        f"{qt}/translations/qtbase_de.qm",
        f"{qt}/translations/qt_ja.qm",
    ]
    kept = [
        f"{qt}/plugins/platforms/libqxcb.so",
        f"{qt}/plugins/platforms/libqwayland.so",
        f"{qt}/plugins/platforms/libqoffscreen.so",
        f"{qt}/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so",
        f"{qt}/plugins/imageformats/libqjpeg.so",
        f"{qt}/translations/qtbase_zh_CN.qm",
        f"{qt}/translations/qt_zh_TW.qm",
        "llama_cpp/lib/libllama.so",
    ]
    assert [d for d in gone if not layout.pruned(d)] == []
    assert [d for d in kept if layout.pruned(d)] == []
    toc = [(d, "/src/" + d, "BINARY") for d in gone + kept]
    assert [e[0] for e in layout.prune(toc)] == kept


def test_prune_orphans_keeps_what_the_roots_reach() -> None:
    layout = load_layout()
    qt = "PySide6/Qt"
    needs = {
        "/s/QtGui.so": ["libQt6Gui.so.6", "libc.so.6"],
        "/s/libQt6Gui.so.6": ["libQt6Core.so.6", "libfontconfig.so.1"],
        "/s/libQt6Core.so.6": ["libicuuc.so.73"],
        "/s/libqxcb.so": ["libQt6XcbQpa.so.6"],
        "/s/libQt6XcbQpa.so.6": ["libQt6Gui.so.6"],
        "/s/libllama.so.0.5.0": ["libggml.so.0"],
        # only a plugin that was pruned needed these
        "/s/libQt6Network.so.6": ["libgssapi_krb5.so.2"],
        "/s/libgssapi_krb5.so.2": [],
    }
    toc = [
        ("PySide6/QtGui.abi3.so", "/s/QtGui.so", "EXTENSION"),
        (f"{qt}/lib/libQt6Gui.so.6", "/s/libQt6Gui.so.6", "BINARY"),
        ("libQt6Core.so.6", f"{qt}/lib/libQt6Core.so.6", "SYMLINK"),
        (f"{qt}/lib/libQt6Core.so.6", "/s/libQt6Core.so.6", "BINARY"),
        (f"{qt}/lib/libicuuc.so.73", "/s/libicuuc.so.73", "BINARY"),
        ("libfontconfig.so.1", "/s/libfontconfig.so.1", "BINARY"),
        (f"{qt}/plugins/platforms/libqxcb.so", "/s/libqxcb.so", "BINARY"),
        (f"{qt}/lib/libQt6XcbQpa.so.6", "/s/libQt6XcbQpa.so.6", "BINARY"),
        ("llama_cpp/lib/libllama.so", "libllama.so.0.5.0", "SYMLINK"),
        ("llama_cpp/lib/libllama.so.0.5.0", "/s/libllama.so.0.5.0", "BINARY"),
        ("llama_cpp/lib/libggml.so.0", "/s/libggml.so.0", "BINARY"),
        (f"{qt}/lib/libQt6Network.so.6", "/s/libQt6Network.so.6", "BINARY"),
        ("libgssapi_krb5.so.2", "/s/libgssapi_krb5.so.2", "BINARY"),
    ]
    kept, dropped = layout.prune_orphans(toc, lambda src: needs.get(src, []))
    assert dropped == [f"{qt}/lib/libQt6Network.so.6", "libgssapi_krb5.so.2"]
    assert len(kept) == len(toc) - 2


def test_identical_libraries_become_links_to_the_versioned_file(tmp_path: Path) -> None:
    layout = load_layout()
    lib = tmp_path / "lib"
    lib.mkdir()
    for name in ("libllama.so", "libllama.so.0", "libllama.so.0.5.0"):
        (lib / name).write_bytes(b"\x7fELF llama")
    (lib / "libggml.so.0").write_bytes(b"\x7fELF ggml")
    toc = [(f"llama_cpp/lib/{p.name}", str(p), "BINARY") for p in sorted(lib.iterdir())]
    toc.append(("libelsewhere.so", str(lib / "libllama.so"), "BINARY"))  # other folder
    out, saved = layout.link_duplicates(toc, "llama_cpp/lib")
    by_dest = {dest: (src, kind) for dest, src, kind in out}
    assert by_dest["llama_cpp/lib/libllama.so"] == ("libllama.so.0.5.0", "SYMLINK")
    assert by_dest["llama_cpp/lib/libllama.so.0"] == ("libllama.so.0.5.0", "SYMLINK")
    assert by_dest["llama_cpp/lib/libllama.so.0.5.0"][1] == "BINARY"
    assert by_dest["llama_cpp/lib/libggml.so.0"][1] == "BINARY"
    assert by_dest["libelsewhere.so"][1] == "BINARY"
    assert saved == 2 * len(b"\x7fELF llama")


@pytest.mark.skipif(not LINUX or shutil.which("cc") is None, reason="needs Linux and a C compiler")
def test_debug_sections_are_found_and_stripped(tmp_path: Path) -> None:
    layout = load_layout()
    source = tmp_path / "a.c"
    source.write_text("int answer(void) { return 42; }\n", encoding="utf-8")
    debug = tmp_path / "libdebug.so"
    plain = tmp_path / "libplain.so"
    subprocess.run(["cc", "-g", "-shared", "-fPIC", "-o", debug, source], check=True)
    subprocess.run(["cc", "-s", "-shared", "-fPIC", "-o", plain, source], check=True)
    assert layout.has_debug_info(str(debug))
    assert not layout.has_debug_info(str(plain))
    assert not layout.has_debug_info(str(source))  # not ELF
    toc = [("libdebug.so", str(debug), "BINARY"), ("libplain.so", str(plain), "BINARY")]
    out, saved = layout.strip_debug(toc, tmp_path / "work")
    assert saved > 0
    stripped = Path(out[0][1])
    assert stripped != debug and not layout.has_debug_info(str(stripped))
    assert out[1] == toc[1]


# ---------------------------------------------------------------- slow: the real bundle


@pytest.fixture(scope="module", name="bundle")
def bundle_fixture() -> Path:
    if not pb.have_pyinstaller():
        pytest.skip("PyInstaller is not installed (pip install -e '.[build]')")
    folder, seconds = pb.ensure_bundle()
    if seconds is not None:
        print(f"\nbuilt {folder} in {seconds:.0f} s")
    return folder


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_bundle_self_test_passes(bundle: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    code, out = run_self_test([str(pb.program(bundle)), "--self-test"], cwd=tmp_path, home=home)
    passed = assert_passed_report(code, out)
    # inside the bundle: its own resources and its own llama.cpp library
    internal = str(bundle / "_internal")
    assert passed["bundled files"].startswith(os.path.join(internal, "app", "resources"))
    assert internal in passed["llama.cpp"]
    assert list(home.iterdir()) == []


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.timeout(2400)
def test_bundle_engine_process_runs_the_tiny_model(bundle: Path, tiny_model: Path) -> None:
    from app.engine.client import EngineClient

    client = EngineClient(command=[str(pb.program(bundle)), "-m", "app.engine.worker"])
    try:
        client.start()
        info = client.load(tiny_config(tiny_model))
        request = GenerateRequest(prompt="春眠不觉晓", sampling=Sampling(max_tokens=8, seed=1))
        text, events = collect(client.generate(request))
        done = final(events)
    finally:
        client.stop()
    # the engine ran inside the bundle, on the bundle's llama.cpp
    assert info.llama_cpp_version.startswith("0.3.")
    assert info.backend in ("cpu", "cuda", "gpu")
    assert done.stats.completion_tokens == 8
    assert text


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_bundle_command_line_checks_a_poem(bundle: Path) -> None:
    done = subprocess.run(
        [
            str(pb.program(bundle)),
            "check",
            "--json",
            "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。",
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    verdict = json.loads(done.stdout)
    assert (verdict["form"], verdict["rhyme_group"]) == ("五绝", "下平十一尤")


@pytest.mark.slow
@pytest.mark.timeout(2400)
@pytest.mark.skipif(not LINUX, reason="the bundle layout checked here is Linux's")
def test_bundle_layout(bundle: Path) -> None:
    internal = bundle / "_internal"
    lib = internal / "llama_cpp" / "lib"
    assert (lib / "libllama.so").is_symlink()
    assert (lib / "libllama.so").resolve().is_file()
    assert (internal / "app" / "resources" / "rhyme" / "chars.tsv").is_file()
    assert (internal / "app" / "resources" / "models.toml").is_file()
    assert not (internal / "app" / "resources" / "models.toml").is_symlink()
    plugins = internal / "PySide6" / "Qt" / "plugins"
    assert (plugins / "platforms" / "libqxcb.so").is_file()
    assert not list(plugins.rglob("*qgtk3*"))
    assert not list(plugins.rglob("*virtualkeyboard*"))
    assert not list(internal.rglob("*WebEngine*"))
    assert not list(internal.rglob("libQt6Quick*"))
    translations = sorted(p.name for p in (internal / "PySide6" / "Qt" / "translations").iterdir())
    assert translations and all("_zh_" in n or "_en" in n for n in translations), translations
    # every bundled library finds the bundled libraries it links against
    env = {**os.environ, "LD_LIBRARY_PATH": str(internal)}
    ours = ("libQt6", "libicu", "libggml", "libllama", "libpyside", "libshiboken", "libpython")
    missing = []
    for path in internal.rglob("*.so*"):
        if path.is_symlink() or not path.is_file():
            continue
        out = subprocess.run(["ldd", path], capture_output=True, text=True, env=env, check=False)
        for line in out.stdout.splitlines():
            name = line.strip().split(" ", 1)[0]
            if "not found" in line and name.startswith(ours):
                missing.append(f"{path.relative_to(internal)}: {name}")
    assert missing == []


@pytest.mark.slow
@pytest.mark.timeout(2400)
@pytest.mark.skipif(not LINUX, reason="the desktop entry is for Linux desktops")
def test_desktop_entry_installs_for_the_user(bundle: Path, tmp_path: Path) -> None:
    # a folder name with a space, reached through a link: Exec must quote it
    place = tmp_path / "my apps"
    place.mkdir()
    (place / "shijian").symlink_to(bundle, target_is_directory=True)
    data_home = tmp_path / "share"
    env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
    installer = place / "shijian" / "install-desktop-entry.sh"
    done = subprocess.run([installer], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    entry = (data_home / "applications" / "shijian.desktop").read_text(encoding="utf-8")
    fields = dict(line.split("=", 1) for line in entry.splitlines() if "=" in line)
    assert fields["Name[zh_CN]"] == "诗笺"
    assert fields["Icon"] == "shijian"
    argv = shlex.split(fields["Exec"])
    assert argv == [str(place / "shijian" / "shijian")]
    version = subprocess.run([*argv, "--version"], capture_output=True, text=True, check=False)
    assert version.returncode == 0 and version.stdout.startswith("shijian ")
    for size in ICON_SIZES:
        icon = data_home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "shijian.png"
        assert png_size(icon.read_bytes()) == (size, size)
    done = subprocess.run(
        [installer, "--uninstall"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert not (data_home / "applications" / "shijian.desktop").exists()
    assert not list((data_home / "icons").rglob("shijian.png"))


@pytest.fixture(name="broken_bundle")
def broken_bundle_fixture(bundle: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the bundle (hard links) whose llama.cpp library is gone."""
    copy = tmp_path / "shijian"
    subprocess.run(["cp", "-al", str(bundle), str(copy)], check=True)
    for path in (copy / "_internal" / "llama_cpp" / "lib").iterdir():
        if path.name.startswith("libllama"):
            path.unlink()
    yield copy


@pytest.mark.slow
@pytest.mark.timeout(2400)
@pytest.mark.skipif(not LINUX, reason="copies the Linux bundle with hard links")
def test_a_broken_bundle_fails_its_self_test_plainly(broken_bundle: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    code, out = run_self_test(
        [str(pb.program(broken_bundle)), "--self-test"], cwd=tmp_path, home=home
    )
    assert code == 1, out
    lines = out.splitlines()
    assert lines[-1] == "self-test FAILED"
    failed = [line for line in lines if line.startswith("FAIL")]
    assert any(line.startswith("FAIL llama.cpp: llama-cpp-python does not load") for line in failed)
    assert any(line.startswith("FAIL engine process") for line in failed)
    # the rest of the app still works and says so
    with pytest.raises(AssertionError):
        report_lines(out)
    assert "ok   checker verdict" in out and "ok   window" in out
