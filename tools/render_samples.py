"""Render sample PDFs to PNG for the docs: an assignment sheet and a vertical poem page.

    .venv/bin/python tools/render_samples.py [--out docs/screenshots] [--dpi 70]

Writes ``sheet.png`` (a 七律 assignment sheet, first page) and ``poem_vertical.png``
(杜甫《登高》 in 竖排 with 平仄 marks) — and the PDFs beside them when ``--keep-pdf``.
Needs a CJK font and poppler's ``pdftoppm``; runs Qt offscreen.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DENGGAO = (
    "风急天高猿啸哀，渚清沙白鸟飞回。\n无边落木萧萧下，不尽长江滚滚来。\n"
    "万里悲秋常作客，百年多病独登台。\n艰难苦恨繁霜鬓，潦倒新停浊酒杯。"
)


def _png(pdf: Path, out: Path, dpi: int) -> Path:
    stem = out.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(stem)], check=True)  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--dpi", type=int, default=70)
    parser.add_argument("--keep-pdf", action="store_true")
    args = parser.parse_args(argv)
    if shutil.which("pdftoppm") is None:
        print("pdftoppm not found: apt-get install poppler-utils", file=sys.stderr)
        return 2

    from PySide6.QtGui import QGuiApplication

    from app.assign.model import Assignment, FirstLine, Qi, RhymeRequirement
    from app.export.fonts import NoCjkFontError
    from app.export.options import PdfOptions, PoemDoc
    from app.export.poem.pdf import PoemExporter
    from app.export.sheet_pdf import SheetExporter
    from app.prosody.checker import Checker
    from app.prosody.forms import Form
    from app.prosody.groups import group_by_name
    from app.prosody.rhymebook import RhymeBook

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    book = RhymeBook.load()
    group = group_by_name("下平十一尤")
    assert group is not None
    assignment = Assignment(
        title="秋日登临",
        form=Form.QILV,
        instructions="登高望远，写一首七言律诗，抒写秋日情怀。颔联、颈联须对仗。",
        rhyme=RhymeRequirement(group.id, FirstLine.REQUIRED),
        qi=Qi.PING,
        theme="秋日登高",
        imagery=("秋风", "落叶", "归雁", "长江"),
        imagery_min=2,
        forbidden_chars="愁",
        due=date(2025, 10, 10),
    )
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="samples-"))
    try:
        try:
            sheet = SheetExporter(book).export(assignment, work / "sheet.pdf").path
            poem = (
                PoemExporter(Checker(book))
                .export(
                    [PoemDoc("登高", DENGGAO, "杜甫", "七六七年")],
                    work / "poem_vertical.pdf",
                    PdfOptions(layout="vertical", marks=True, font_pt=20),
                )
                .path
            )
        except NoCjkFontError as exc:
            print(exc.message.text("en"), file=sys.stderr)
            return 2
        for pdf, name in ((sheet, "sheet.png"), (poem, "poem_vertical.png")):
            print(_png(pdf, args.out / name, args.dpi))
            if args.keep_pdf:
                shutil.copy(pdf, args.out / pdf.name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
