"""Screenshots of the poem editor (light and dark) with its findings list, for the docs.

    python bench/editor_screenshot.py [--out DIR] [--lang zh|en]

Writes ``editor-light.png`` and ``editor-dark.png`` into ``--out`` (default: the
current folder). Needs a CJK font (Debian: fonts-noto-cjk) or Qt draws empty boxes.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

from app.prosody.checker import Checker
from app.prosody.rhymebook import RhymeBook
from app.prosody.suggest import Suggester
from app.ui.editor import FindingsPanel, PoemEditorPane, connect_findings
from app.ui.i18n import Tr

POEM = (
    "床前明月光，疑是地上霜。\n举头望明月，低头思故人。\n\n"
    "昔人已乘黄鹤去，此地空余黄鹤楼。\n黄鹤一去不复返，白云千载空悠悠。\n"
    "晴川历历汉阳树，芳草萋萋鹦鹉洲。\n日暮乡关何处是？烟波江上使人愁。"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("."))
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    book = RhymeBook.load()
    tr = Tr(args.lang)
    window = QWidget()
    row = QHBoxLayout(window)
    pane = PoemEditorPane(Checker(book), Suggester(book), book, tr)
    panel = FindingsPanel(tr)
    connect_findings(pane, panel)
    row.addWidget(pane, 3)
    row.addWidget(panel, 2)
    families = QFontDatabase.families()
    face = next((f for f in ("LXGW WenKai", "Noto Serif CJK SC") if f in families), "")
    font = QFont(face)
    font.setPointSize(22)
    pane.set_poem_font(font)
    window.resize(1400, 560)
    window.show()
    pane.set_text(POEM)
    pane.analyze_now()
    args.out.mkdir(parents=True, exist_ok=True)
    for dark in (False, True):
        pane.set_dark(dark)
        panel.set_dark(dark)
        sheet = "QWidget { background: #1e1e1e; color: #dddddd; }" if dark else ""
        window.setStyleSheet(sheet)
        app.processEvents()
        path = args.out / f"editor-{'dark' if dark else 'light'}.png"
        window.grab().save(str(path), "PNG")
        print(path)
    pane.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
