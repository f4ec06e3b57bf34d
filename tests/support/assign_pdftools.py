"""Reading PDFs back with poppler (pdftotext, pdffonts, pdfinfo) for the export tests.

The tests skip with the reason when poppler-utils is not installed (CI installs it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

POPPLER = ("pdftotext", "pdffonts", "pdfinfo")


def need_poppler() -> None:
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        pytest.skip(
            f"poppler-utils not installed ({', '.join(missing)}): apt-get install poppler-utils"
        )


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60).stdout


def text(path: Path, *, first: int | None = None, last: int | None = None) -> str:
    args = ["pdftotext", "-enc", "UTF-8"]
    if first is not None:
        args += ["-f", str(first)]
    if last is not None:
        args += ["-l", str(last)]
    return _run(*args, str(path), "-")


def lines(path: Path, **pages: int) -> list[str]:
    """Non-empty text lines, whitespace runs (U+3000 included) made one space."""
    out = []
    for line in text(path, **pages).replace("\f", "\n").split("\n"):
        squeezed = " ".join(line.replace("\u3000", " ").split())
        if squeezed:
            out.append(squeezed)
    return out


def page_count(path: Path) -> int:
    m = re.search(r"^Pages:\s+(\d+)", _run("pdfinfo", str(path)), re.M)
    assert m is not None
    return int(m.group(1))


def page_size(path: Path) -> tuple[float, float]:
    m = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", _run("pdfinfo", str(path)), re.M)
    assert m is not None
    return float(m.group(1)), float(m.group(2))


@dataclass(frozen=True)
class Font:
    name: str
    type: str
    embedded: bool
    unicode: bool


def fonts(path: Path) -> list[Font]:
    out = []
    for line in _run("pdffonts", str(path)).splitlines()[2:]:
        cols = line.split()
        # name, type words…, encoding, emb, sub, uni, object, id
        if len(cols) < 7:
            continue
        emb, _sub, uni = cols[-5], cols[-4], cols[-3]
        out.append(Font(cols[0], " ".join(cols[1:-6]), emb == "yes", uni == "yes"))
    return out


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


def words(path: Path) -> list[Word]:
    """Every word with its box (points, origin top-left), from ``pdftotext -bbox``."""
    xml = _run("pdftotext", "-enc", "UTF-8", "-bbox", str(path), "-")
    xml = re.sub(r"<!DOCTYPE[^>]*>", "", xml)
    root = ET.fromstring(xml)
    out = []
    ns = "{http://www.w3.org/1999/xhtml}"
    for n, page in enumerate(root.iter(f"{ns}page"), 1):
        for w in page.iter(f"{ns}word"):
            out.append(Word(n, w.text or "", float(w.get("xMin", 0)), float(w.get("yMin", 0)),
                            float(w.get("xMax", 0)), float(w.get("yMax", 0))))  # fmt: skip
    return out
