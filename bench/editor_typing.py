"""How the poem editor keeps up with typing: per-keystroke cost, debounce-to-paint, big pastes.

Runs the real pane (offscreen) with the real checker and reports:

1. per-keystroke handler time while typing a 七律 character by character (each
   character committed by the input method, as a poet's IME does): the time the
   key event takes to return — contents-change handlers, pin tracking, the
   block's re-highlighting from the rhyme book;
2. for the same 七律, the time from the debounce firing to the highlight applied
   (analysis, block records, re-highlighting of the blocks that changed, header,
   template column), and to the viewport repainted;
3. a 1,000-line paste: the paste itself, the background analysis until its result
   is shown (visible blocks painted, findings list filled), the longest stall of
   the event loop meanwhile (a 2 ms timer records its gaps), the per-keystroke
   time typing at the end of that text, and painting every block (a flush).

The pane runs as in the app: with a FindingsPanel connected beside it.

    python bench/editor_typing.py [--rounds 20]

Timings are figures for docs/editor.md, never pass/fail tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QInputMethodEvent, QTextCursor
from PySide6.QtWidgets import QApplication

from app.prosody.checker import Checker
from app.prosody.rhymebook import RhymeBook
from app.prosody.suggest import Suggester
from app.ui.editor import FindingsPanel, PoemEditorPane, connect_findings
from app.ui.i18n import Tr

QILV = (
    "昔人已乘黄鹤去，此地空余黄鹤楼。\n黄鹤一去不复返，白云千载空悠悠。\n"
    "晴川历历汉阳树，芳草萋萋鹦鹉洲。\n日暮乡关何处是？烟波江上使人愁。"
)


def commit(widget: object, ch: str) -> None:
    event = QInputMethodEvent("", [])
    event.setCommitString(ch)
    QApplication.sendEvent(widget, event)  # type: ignore[arg-type]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def summary(samples: list[float]) -> str:
    s = sorted(samples)
    p95 = s[min(len(s) - 1, int(len(s) * 0.95))]
    return f"median {ms(statistics.median(s))}, p95 {ms(p95)}, max {ms(s[-1])} (n={len(s)})"


def make_pane(app: QApplication, services: tuple[RhymeBook, Checker, Suggester]) -> PoemEditorPane:
    book, checker, suggester = services
    pane = PoemEditorPane(checker, suggester, book, Tr("zh"), analysis_delay_ms=150)
    families = QFontDatabase.families()
    font = QFont("Noto Serif CJK SC" if "Noto Serif CJK SC" in families else "")
    font.setPointSize(20)
    pane.set_poem_font(font)
    pane.resize(1000, 700)
    pane.show()
    panel = FindingsPanel(Tr("zh"), pane)
    connect_findings(pane, panel)
    app.processEvents()
    return pane


def type_poem(app: QApplication, pane: PoemEditorPane, text: str) -> list[float]:
    """Type ``text`` (Return for newlines); the debounce never fires in between."""
    pane.set_analysis_delay(60_000)
    per_key: list[float] = []
    editor = pane.editor
    editor.setFocus()
    for ch in text:
        t = time.perf_counter()
        if ch == "\n":
            editor.textCursor().insertText("\n")
        else:
            commit(editor, ch)
        per_key.append(time.perf_counter() - t)
    app.processEvents()
    return per_key


def debounce_to_paint(
    app: QApplication, pane: PoemEditorPane, rounds: int
) -> tuple[list[float], list[float], list[float]]:
    """Edit one character, then time what the debounce's timeout does: until the
    highlighter has applied the analysis, until every listener (header, findings list)
    is done, and until the viewport is repainted."""
    applied: list[float] = []
    shown: list[float] = []
    painted: list[float] = []
    editor = pane.editor
    highlighter = pane.highlighter
    real_apply = highlighter.apply
    done_at = [0.0]

    def timed_apply(*args: object) -> int:
        n = real_apply(*args)  # type: ignore[arg-type]
        done_at[0] = time.perf_counter()
        return n

    highlighter.apply = timed_apply  # type: ignore[method-assign, assignment]
    for i in range(rounds):
        cursor = editor.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.deletePreviousChar()
        cursor.insertText("愁" if i % 2 else "秋")
        app.processEvents()
        t = time.perf_counter()
        pane._analyze_scheduled()  # what the timer's timeout runs
        shown.append(time.perf_counter() - t)
        applied.append(done_at[0] - t)
        editor.viewport().repaint()
        painted.append(time.perf_counter() - t)
    highlighter.apply = real_apply  # type: ignore[method-assign]
    return applied, shown, painted


def big_paste(app: QApplication, pane: PoemEditorPane) -> dict[str, object]:
    big = "\n".join([QILV] * 250)  # 1,000 lines, 16,000 characters
    pane.set_analysis_delay(150)
    pane.set_text("")
    app.processEvents()
    QApplication.clipboard().setText(big)
    editor = pane.editor
    editor.setFocus()
    t = time.perf_counter()
    editor.paste()
    paste = time.perf_counter() - t
    # record event-loop gaps until the analysis has painted every block
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def tick() -> None:
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e9)
        last[0] = now

    timer = QTimer()
    timer.setInterval(2)
    timer.timeout.connect(tick)
    timer.start()
    start = time.perf_counter()
    while pane.analysis_pending() or not pane.analysis_is_current():
        app.processEvents()
        time.sleep(0.0005)
        if time.perf_counter() - start > 120:
            break
    settled = time.perf_counter() - start
    timer.stop()
    cursor = editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    per_key = type_poem(app, pane, "\n春风又绿江南岸")
    t = time.perf_counter()
    pane.analyze_now()  # paints every block
    flush = time.perf_counter() - t
    return {
        "flush": flush,
        "paste": paste,
        "settled": settled,
        "max_gap": max(gaps) if gaps else 0.0,
        "gaps_over_50ms": sum(1 for g in gaps if g > 0.05),
        "per_key": per_key,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    t = time.perf_counter()
    book = RhymeBook.load()
    services = (book, Checker(book), Suggester(book))
    print(f"services loaded in {ms(time.perf_counter() - t)}")

    pane = make_pane(app, services)
    cold = type_poem(app, pane, QILV)
    pane.analyze_now()
    pane.set_text("")
    warm = type_poem(app, pane, QILV)
    print(f"七律 typed, per keystroke (first time, cold caches): {summary(cold)}")
    print(f"七律 typed, per keystroke (warm): {summary(warm)}")
    pane.analyze_now()
    applied, shown, painted = debounce_to_paint(app, pane, args.rounds)
    print(f"七律 debounce fired → highlight applied: {summary(applied)}")
    print(f"七律 debounce fired → header, findings list updated: {summary(shown)}")
    print(f"七律 debounce fired → viewport repainted: {summary(painted)}")

    result = big_paste(app, pane)
    print(f"1,000-line paste (16,000 characters): paste returns in {ms(result['paste'])}")  # type: ignore[arg-type]
    print(
        f"  background analysis until shown: {ms(result['settled'])}; "  # type: ignore[arg-type]
        f"longest event-loop stall {ms(result['max_gap'])}, "  # type: ignore[arg-type]
        f"stalls over 50 ms: {result['gaps_over_50ms']}"
    )
    print(f"  typing at the end of it, per keystroke: {summary(result['per_key'])}")  # type: ignore[arg-type]
    print(f"  analyze_now() then painting all 1,001 blocks: {ms(result['flush'])}")  # type: ignore[arg-type]
    pane.shutdown()
    pane.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
