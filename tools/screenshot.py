"""Save a screenshot of the main window with a famous poem and its findings.

Builds the real window (offscreen Qt unless a display is given) on a temporary
data folder, stores a few poems in its library, opens one in the editor and
saves ``QWidget.grab()`` of the whole window as a PNG.

    .venv/bin/python tools/screenshot.py [--out docs/screenshots/main.png] [--dark] [--lang en]
        [--size 1366x768] [--compose]

``--compose`` opens the assistant dock with the compose panel (体裁 and 韵部 following
the poem in the editor), as a poet sees it on a laptop:

    .venv/bin/python tools/screenshot.py --size 1366x768 --compose \
        --out docs/screenshots/window-1366x768-zh.png
    .venv/bin/python tools/screenshot.py --size 1366x768 --compose --lang en \
        --out docs/screenshots/window-1366x768-en.png
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# 王翰《凉州词》keeps the rules; this altered draft of it shows what the editor paints
# and lists: two 出韵 (杯 and 还 outside 上平四支) and a 重字 hint (人).
SHOWN_TITLE = "塞下曲（习作）"
SHOWN = "葡萄美酒夜光杯\n欲饮琵琶马上吹\n醉卧沙场人莫笑\n古来征战几人还"
LIBRARY = (
    ("凉州词", "王翰", "葡萄美酒夜光杯\n欲饮琵琶马上催\n醉卧沙场君莫笑\n古来征战几人回"),
    ("登高", "杜甫", "风急天高猿啸哀\n渚清沙白鸟飞回\n无边落木萧萧下\n不尽长江滚滚来\n"
                     "万里悲秋常作客\n百年多病独登台\n艰难苦恨繁霜鬓\n潦倒新停浊酒杯"),
    ("春晓", "孟浩然", "春眠不觉晓\n处处闻啼鸟\n夜来风雨声\n花落知多少"),
    ("登鹳雀楼", "王之涣", "白日依山尽\n黄河入海流\n欲穷千里目\n更上一层楼"),
    ("静夜思", "李白", "床前明月光\n疑是地上霜\n举头望明月\n低头思故乡"),
)  # fmt: skip


def _pump(app: object, seconds: float) -> None:
    from PySide6.QtCore import QCoreApplication

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots" / "main.png")
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--size", default="1440x900")
    parser.add_argument("--compose", action="store_true", help="open the compose dock")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    from PySide6.QtWidgets import QApplication

    from app.paths import AppPaths
    from app.settings import SettingsStore
    from app.storage.records import PoemData
    from app.ui.fonts import check_fonts
    from app.ui.library import ops
    from app.ui.logging_setup import setup_logging
    from app.ui.services import build_services
    from app.ui.theme import apply_theme
    from app.ui.window.main_window import MainWindow
    from app.ui.window.rescore import scores_of

    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="shijian-screenshot-") as tmp:
        paths = AppPaths.under(Path(tmp)).ensure()
        store = SettingsStore(paths.settings_file)
        settings = store.load().settings
        dark = apply_theme(app, "dark" if args.dark else "light")
        fonts = check_fonts()
        if not fonts.ok:
            print("warning: no CJK font installed; the screenshot will show boxes", file=sys.stderr)
        log = setup_logging(paths.logs, stderr=False)
        services = build_services(paths, store, settings, lang=args.lang, log=log)
        window = MainWindow(services, font_check=fonts, dark=dark)
        window.resize(width, height)
        window.show()
        services.library.start()
        services.library.wait_opened(60)
        for title, author, text in LIBRARY:
            analysis = services.checker.analyze(text)
            form = analysis.form.value if analysis.form else None
            data = PoemData(
                title=title,
                author=author,
                text=text,
                form=form if form in ("五绝", "七绝", "五律", "七律") else None,
                rhyme_group=analysis.rhyme_group.name if analysis.rhyme_group else None,
                tags=("唐诗",),
                scores=scores_of(analysis, services.checker.lexicon),  # as a save scores
            )
            services.library.submit(ops.save_poem, data, None, None).result(30)
        _pump(app, 1.0)
        window.meta.title_edit.setText(SHOWN_TITLE)
        window.meta.author_edit.setText("学生")
        window.pane.set_text(SHOWN)
        window.pane.analyze_now()
        window.library_panel.refresh_now()
        if args.compose:
            panel = window.compose.show()
            panel.form.theme.setText("塞上秋思" if args.lang == "zh" else "autumn at the frontier")
            window.pane.editor.setFocus()
        _pump(app, 1.5)
        if window.size().width() != width or window.size().height() != height:
            print(
                f"warning: the window is {window.size().width()}×{window.size().height()}, "
                f"not {width}×{height} (its minimum size is larger)",
                file=sys.stderr,
            )
        args.out.parent.mkdir(parents=True, exist_ok=True)
        ok = window.grab().save(str(args.out), "PNG")
        print(f"{'saved' if ok else 'FAILED to save'} {args.out} ({width}×{height})")
        window.close()
        services.library.shutdown()
        log.close()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
