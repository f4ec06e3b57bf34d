"""The streamed reasoning view: batched appends at the end, auto-scroll unless scrolled up."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.ui.compose.reasoning import ReasoningPanel, StreamingText
from app.ui.i18n import Tr


def make_view(qtbot: QtBot, flush_ms: int = 30) -> StreamingText:
    view = StreamingText(flush_ms=flush_ms)
    qtbot.addWidget(view)
    view.resize(300, 200)
    view.show()
    return view


def test_appends_are_batched_and_only_ever_inserted_at_the_end(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    changes: list[tuple[int, int, int]] = []
    view.document().contentsChange.connect(
        lambda pos, removed, added: changes.append((pos, removed, added))
    )
    pieces = [f"第{i}段思考。" for i in range(400)]
    for piece in pieces:
        view.append_text(piece)
    assert view.toPlainText() == ""  # nothing painted per token
    assert view.text() == "".join(pieces)
    qtbot.waitUntil(lambda: view.toPlainText() == "".join(pieces), timeout=3000)
    assert 1 <= view.flush_count <= 5
    # Every change inserted at the then-end of the text and removed nothing.
    length = 0
    for pos, removed, added in changes:
        assert removed == 0 and pos == length
        length += added


def test_streaming_over_time_keeps_the_text_whole(qtbot: QtBot) -> None:
    view = make_view(qtbot, flush_ms=20)
    sent: list[str] = []
    for i in range(30):
        piece = f"{i}、"
        sent.append(piece)
        view.append_text(piece)
        qtbot.wait(3)
    qtbot.waitUntil(lambda: view.pending == "", timeout=2000)
    assert view.toPlainText() == "".join(sent)
    assert view.flush_count < 30  # several tokens per flush


def test_follows_the_end_unless_scrolled_up(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    for i in range(200):
        view.append_text(f"第{i}行\n")
    view.flush()
    bar = view.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == bar.maximum()

    view.append_text("更多\n" * 20)
    view.flush()
    assert bar.value() == bar.maximum()  # still following

    bar.setValue(0)  # the reader scrolls up to re-read
    view.append_text("再多\n" * 20)
    view.flush()
    assert bar.value() == 0 and bar.maximum() > 0

    bar.setValue(bar.maximum())  # back at the end: follow again
    view.append_text("最后\n" * 20)
    view.flush()
    assert bar.value() == bar.maximum()


def test_panel_heading_counts_characters_and_clears(qtbot: QtBot) -> None:
    panel = ReasoningPanel(Tr("en"), flush_ms=10)
    qtbot.addWidget(panel)
    panel.start("candidate 2")
    panel.append("abc")
    panel.append("de")
    panel.finish()
    assert panel.text() == "abcde"
    assert "candidate 2" in panel.heading.text() and "5 chars" in panel.heading.text()
    panel.start()
    assert panel.text() == "" and panel.heading.text() == "Reasoning"


def test_every_character_the_model_wrote_is_shown_a_leading_bom_included(qtbot: QtBot) -> None:
    # Qt reads a leading U+FEFF of a string as a byte-order mark and drops it; the model's
    # text is what it is, whichever batch a U+FEFF happens to start.
    view = make_view(qtbot)
    pieces = ["\ufeff思考", "\ufeff", "\n", "\ufeff下一行", "中\ufeff间"]
    for piece in pieces:
        view.append_text(piece)
        view.flush()
    assert view.toPlainText() == "".join(pieces)
    assert view.text() == "".join(pieces)
