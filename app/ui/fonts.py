"""Fonts for poems: find a system face that really draws Han characters.

A fresh Linux machine may have no CJK font at all, and then Qt draws empty
boxes without a word. :func:`check_fonts` tests real coverage — the glyph
tables of the primary font file (:class:`QRawFont`), not ``QFontMetrics.inFont``,
which also answers yes when only a fallback font could draw the character —
and picks a 楷 or 宋 face for poems when the system has one. When nothing
covers common Han characters, :func:`missing_fonts_text` says so, with the fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtGui import QFont, QFontDatabase, QRawFont

from app.ui.i18n import Tr

# Common characters in both scripts; a font for poems must draw every one.
HAN_SAMPLE = "床前明月光疑是地上霜举头望低思故乡春眠不觉晓處處聞啼鳥風雨聲花落知多少"

# Preferred faces for poems, best first: 楷 (kai) faces, then 宋/明 (song/ming) serif faces.
POEM_FAMILIES: tuple[str, ...] = (
    "LXGW WenKai",
    "LXGW WenKai Screen",
    "霞鹜文楷",
    "TW-Kai",
    "AR PL UKai CN",
    "AR PL UKai TW",
    "AR PL New Kai",
    "Kaiti SC",
    "STKaiti",
    "KaiTi",
    "楷体",
    "BiauKai",
    "DFKai-SB",
    "Noto Serif CJK SC",
    "Noto Serif CJK TC",
    "Noto Serif SC",
    "Noto Serif TC",
    "Source Han Serif SC",
    "Source Han Serif CN",
    "思源宋体",
    "AR PL UMing CN",
    "AR PL UMing TW",
    "Songti SC",
    "STSong",
    "SimSun",
    "宋体",
    "MingLiU",
    "PMingLiU",
)
# Faces for the rest of the interface when the system's own lacks Han characters.
UI_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "PingFang SC",
    "Microsoft YaHei",
    "微软雅黑",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans SC",
    "Hiragino Sans GB",
)


def missing_chars(family: str, sample: str = HAN_SAMPLE) -> str:
    """The characters of ``sample`` the font file behind ``family`` cannot draw.

    Every character when no font of that family is installed (Qt would
    substitute another face).
    """
    if not QFontDatabase.hasFamily(family):
        return sample
    raw = QRawFont.fromFont(QFont(family))
    if not raw.isValid():
        return sample
    return "".join(ch for ch in sample if not raw.supportsCharacter(ord(ch)))


def covers_han(family: str, sample: str = HAN_SAMPLE) -> bool:
    """True when ``family`` itself (not a fallback) draws every character of ``sample``."""
    return not missing_chars(family, sample)


def han_families(families: Iterable[str] | None = None) -> list[str]:
    """Installed families that declare Chinese and really draw :data:`HAN_SAMPLE`.

    ``families`` limits the search (default: every installed family).
    """
    declared = set(QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese))
    declared |= set(QFontDatabase.families(QFontDatabase.WritingSystem.TraditionalChinese))
    pool = QFontDatabase.families() if families is None else list(families)
    return [f for f in pool if f in declared and covers_han(f)]


@dataclass(frozen=True, slots=True)
class FontCheck:
    """What the system offers for drawing poems."""

    poem_family: str | None  # the face to use for poems; None: nothing draws Han characters
    ui_family: str | None  # a Han-capable face for the interface, if the default lacks one
    candidates: tuple[str, ...] | None = None  # the families looked at (None: all installed)

    @property
    def ok(self) -> bool:
        return self.poem_family is not None

    @property
    def han_families(self) -> tuple[str, ...]:
        """Every face among the candidates that draws the sample (computed when asked:
        testing every installed font costs ~10 ms each, too much for start-up)."""
        return tuple(han_families(self.candidates))


def pick_family(wanted: str, preferences: Sequence[str], usable: Sequence[str]) -> str | None:
    """``wanted`` if usable, else the first usable preference, else any usable face."""
    if wanted and wanted in usable:
        return wanted
    for family in preferences:
        if family in usable:
            return family
    return usable[0] if usable else None


def _first_usable(wanted: str, preferences: Sequence[str], pool: Sequence[str]) -> str | None:
    """Like :func:`pick_family`, but tests coverage lazily, stopping at the first hit."""
    installed = set(pool)
    declared = set(QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese))
    declared |= set(QFontDatabase.families(QFontDatabase.WritingSystem.TraditionalChinese))
    tried: set[str] = set()
    for family in (wanted, *preferences, *pool):
        if not family or family in tried or family not in installed or family not in declared:
            continue
        tried.add(family)
        if covers_han(family):
            return family
    return None


def check_fonts(
    poem_family: str = "",
    ui_family: str = "",
    *,
    families: Iterable[str] | None = None,
) -> FontCheck:
    """Choose the poem and interface faces; ``families`` limits the search (tests)."""
    pool = list(QFontDatabase.families() if families is None else families)
    poem = _first_usable(poem_family, POEM_FAMILIES, pool)
    if ui_family and _first_usable(ui_family, (), [ui_family]) and ui_family in pool:
        ui: str | None = ui_family
    elif poem is None or covers_han(QFont().family()):
        ui = None  # the system's interface font draws Han characters (or nothing does)
    else:
        ui = _first_usable("", UI_FAMILIES, pool)
    return FontCheck(poem, ui, tuple(pool) if families is not None else None)


def poem_font(check: FontCheck, size: int) -> QFont:
    """The poem font: the chosen face at ``size`` points (the default face when none)."""
    font = QFont(check.poem_family) if check.poem_family else QFont()
    font.setPointSize(size)
    font.setStyleHint(QFont.StyleHint.Serif)
    return font


def missing_fonts_text(tr: Tr) -> str:
    """What to tell the user when no installed font draws Han characters, with the fix."""
    return tr(
        "系统里没有能显示汉字的字体，诗句会显示成空白方框。请安装中文字体后重新启动诗笺：\n"
        "• Debian / Ubuntu：sudo apt-get install fonts-noto-cjk（楷体可再装 fonts-lxgw-wenkai）\n"
        "• Fedora：sudo dnf install google-noto-serif-cjk-fonts\n"
        "• Windows：设置 → 时间和语言 → 语言 → 添加“中文（简体）”语言包，或安装霞鹜文楷\n"
        "• macOS：系统自带中文字体；若被移除，请在“字体册”中恢复“宋体-简”或“楷体-简”",
        "No installed font can draw Chinese characters, so poems would show as empty boxes. "
        "Install a Chinese font and restart 诗笺:\n"
        "• Debian / Ubuntu: sudo apt-get install fonts-noto-cjk (and fonts-lxgw-wenkai for a "
        "楷 face)\n"
        "• Fedora: sudo dnf install google-noto-serif-cjk-fonts\n"
        "• Windows: Settings → Time & language → Language → add Chinese (Simplified), or "
        "install LXGW WenKai\n"
        "• macOS: Chinese fonts come with the system; if removed, restore Songti SC or "
        "Kaiti SC in Font Book",
    )
