"""Finding a CJK font to embed, or refusing plainly when there is none.

A PDF written with a font that has no Chinese glyphs shows empty boxes, so every
export first asks a *font lookup* for a family that can draw Chinese. The
default lookup (:func:`find_cjk_family`) asks Qt's font database; tests and
callers may inject their own (a real code path: the exporter only sees a family
name or ``None``). With ``None`` the export raises :class:`NoCjkFontError`,
whose message says how to fix it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QFont, QFontDatabase, QRawFont

from app.storage.messages import Message

# Given the family the user prefers ("" for none), the family to use, or None.
FontLookup = Callable[[str], str | None]

# Faces a poem looks right in, best first: 楷 (kai), then 宋 (song/serif), then any.
PREFERRED_FAMILIES: tuple[str, ...] = (
    "LXGW WenKai",
    "LXGW WenKai TC",
    "KaiTi",
    "STKaiti",
    "Kaiti SC",
    "AR PL UKai CN",
    "AR PL UKai TW",
    "Noto Serif CJK SC",
    "Noto Serif CJK TC",
    "Source Han Serif SC",
    "Source Han Serif CN",
    "SimSun",
    "Songti SC",
    "STSong",
    "AR PL UMing CN",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
)

_PROBE = "诗词平仄韻"  # simplified and traditional forms a usable face must draw


class NoCjkFontError(RuntimeError):
    """No font on this computer can draw Chinese; the export was not written."""

    message = Message(
        "无法导出 PDF：这台电脑上没有可用的中文字体，导出的文字会变成空白方框。"
        "请先安装一种中文字体，例如 Debian/Ubuntu 上运行 "
        "sudo apt install fonts-noto-cjk（或 fonts-lxgw-wenkai），"
        "Windows 和 macOS 自带的宋体、楷体也可以；然后在设置里选择诗词字体后再导出。",
        "Cannot export the PDF: no font on this computer can draw Chinese, so the text "
        "would come out as empty boxes. Install a Chinese font first — on Debian/Ubuntu "
        "run sudo apt install fonts-noto-cjk (or fonts-lxgw-wenkai); the Song/Kai faces "
        "that come with Windows and macOS work too — then choose it as the poem font in "
        "the settings and export again.",
    )

    def __init__(self) -> None:
        super().__init__(str(self.message))


def draws_chinese(family: str, probe: str = _PROBE) -> bool:
    """Whether ``family`` really has glyphs for ``probe`` (not just claims a writing system)."""
    raw = QRawFont.fromFont(QFont(family))
    if not raw.isValid() or raw.familyName().casefold() != family.casefold():
        return False
    return all(raw.supportsCharacter(ord(ch)) for ch in probe)


def find_cjk_family(preferred: str = "") -> str | None:
    """The default lookup: ``preferred`` if it draws Chinese, else the best installed face."""
    if preferred and draws_chinese(preferred):
        return preferred
    families = QFontDatabase.families()
    installed = {f.casefold(): f for f in families}
    for name in PREFERRED_FAMILIES:
        found = installed.get(name.casefold())
        if found and draws_chinese(found):
            return found
    chinese = (QFontDatabase.WritingSystem.SimplifiedChinese,
               QFontDatabase.WritingSystem.TraditionalChinese)  # fmt: skip
    for family in families:
        systems = QFontDatabase.writingSystems(family)
        if any(ws in systems for ws in chinese) and draws_chinese(family):
            return family
    return None


def resolve_family(lookup: FontLookup, preferred: str = "") -> str:
    """The family to embed, or :class:`NoCjkFontError`."""
    family = lookup(preferred)
    if not family:
        raise NoCjkFontError
    return family


def missing_glyphs(family: str, text: str) -> str:
    """Characters of ``text`` the face cannot draw (Qt substitutes another font for them)."""
    raw = QRawFont.fromFont(QFont(family))
    seen: dict[str, None] = {}
    for ch in text:
        if not ch.isspace() and ch not in seen and not raw.supportsCharacter(ord(ch)):
            seen[ch] = None
    return "".join(seen)
