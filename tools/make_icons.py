"""Draw the 诗笺 app icon: a vermilion seal (白文印) with the character 诗 cut in it.

Every size is drawn on its own (not scaled down from the largest) so small icons
stay crisp: below 48 px the seal loses its inner frame and the character fills
more of the square. Writes

* ``resources/icons/shijian-<size>.png`` for 16, 24, 32, 48, 64, 128, 256, 512 —
  the window icon and the Linux hicolor icons;
* ``packaging/windows/shijian.ico`` — PNG-compressed entries 16…256;
* ``packaging/macos/shijian.icns`` — PNG entries 16…1024 (the @2x slots included).

Any font with Han characters will do; a serif (宋/明) or 楷 face is preferred.
Run it again after changing the drawing and commit the results:

    .venv/bin/python tools/make_icons.py [--font FAMILY] [--char 诗]
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PNG_DIR = ROOT / "resources" / "icons"
ICO_FILE = ROOT / "packaging" / "windows" / "shijian.ico"
ICNS_FILE = ROOT / "packaging" / "macos" / "shijian.icns"

PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Apple's PNG-bearing icon types and the pixel size each holds.
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
)

VERMILION = "#b8322a"  # 朱砂
PAPER = "#fbf3e4"
PREFERRED_FAMILIES = (
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "Songti SC",
    "SimSun",
    "LXGW WenKai",
    "Noto Sans CJK SC",
    "Microsoft YaHei",
    "PingFang SC",
)


def png_name(size: int) -> str:
    return f"shijian-{size}.png"


def pick_family(requested: str | None) -> str:
    from PySide6.QtGui import QFontDatabase

    families = QFontDatabase.families()
    if requested:
        if requested not in families:
            raise SystemExit(f"make_icons: no font family {requested!r} on this machine")
        return requested
    for family in PREFERRED_FAMILIES:
        if family in families:
            return family
    han = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    if not han:
        raise SystemExit(
            "make_icons: no font with Han characters (install fonts-noto-cjk or pass --font)"
        )
    return han[0]


def render(size: int, family: str, char: str) -> bytes:
    """One icon as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QImage, QImageWriter, QPainter, QPainterPath, QPen

    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)

    small = size < 48
    margin = 0.0 if small else size * 0.06
    seal = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    radius = seal.width() * (0.10 if small else 0.08)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(VERMILION))
    painter.drawRoundedRect(seal, radius, radius)

    if small:
        box = seal.adjusted(seal.width() * 0.08, seal.width() * 0.08, -seal.width() * 0.08, 0)
        box.setHeight(box.width())
    else:
        inset = seal.width() * 0.075
        frame = seal.adjusted(inset, inset, -inset, -inset)
        pen = QPen(QColor(PAPER))
        pen.setWidthF(max(1.0, seal.width() * 0.028))
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(frame, radius * 0.5, radius * 0.5)
        pad = frame.width() * 0.10
        box = frame.adjusted(pad, pad, -pad, -pad)

    font = QFont(family)
    font.setPixelSize(256)
    font.setWeight(QFont.Weight.Black if small else QFont.Weight.Bold)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    path = QPainterPath()
    path.addText(QPointF(0, 0), font, char)
    bounds = path.boundingRect()
    if bounds.isEmpty():
        raise SystemExit(f"make_icons: the font {family!r} has no glyph for {char!r}")
    scale = min(box.width() / bounds.width(), box.height() / bounds.height())
    painter.translate(box.center())
    painter.scale(scale, scale)
    painter.translate(-bounds.center())
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(PAPER))
    painter.drawPath(path)
    painter.end()

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, QByteArray(b"png"))
    if not writer.write(image):
        raise SystemExit(f"make_icons: Qt could not encode a PNG ({writer.errorString()})")
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico whose entries are PNG images (Windows Vista and later)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries = b""
    body = b""
    for size in sizes:
        data = pngs[size]
        dim = 0 if size >= 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset + len(body))
        body += data
    return header + entries + body


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns holding PNG entries."""
    chunks = b""
    for kind, size in ICNS_TYPES:
        data = pngs[size]
        chunks += kind + struct.pack(">I", 8 + len(data)) + data
    return b"icns" + struct.pack(">I", 8 + len(chunks)) + chunks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--font", help="font family (default: the first CJK serif found)")
    parser.add_argument("--char", default="诗", help="the character cut in the seal")
    args = parser.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    family = pick_family(args.font)
    wanted = sorted({*PNG_SIZES, *ICO_SIZES, *(size for _, size in ICNS_TYPES)})
    pngs = {size: render(size, family, args.char) for size in wanted}
    del app

    PNG_DIR.mkdir(parents=True, exist_ok=True)
    for size in PNG_SIZES:
        (PNG_DIR / png_name(size)).write_bytes(pngs[size])
    ICO_FILE.parent.mkdir(parents=True, exist_ok=True)
    ICO_FILE.write_bytes(ico_bytes({s: pngs[s] for s in ICO_SIZES}))
    ICNS_FILE.parent.mkdir(parents=True, exist_ok=True)
    ICNS_FILE.write_bytes(icns_bytes(pngs))
    print(f"drew {args.char} in {family}: {len(PNG_SIZES)} PNGs, {ICO_FILE.name}, {ICNS_FILE.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
