"""What restoring a revision would change, character by character."""

from __future__ import annotations

from app.ui.library.diff import Change, Run, text_changes


def test_changes_take_the_current_text_back_to_the_revision() -> None:
    revision = "春眠不觉晓\n花落知多少"
    current = "春眠不觉晓\n花落知几何"
    runs = text_changes(revision, current)
    assert runs == [
        Run(Change.SAME, "春眠不觉晓\n花落知"),
        Run(Change.CURRENT, "几何"),
        Run(Change.REVISION, "多少"),
    ]
    # the revision is the kept runs plus its own; the current text, the kept plus its own
    assert "".join(r.text for r in runs if r.change is not Change.CURRENT) == revision
    assert "".join(r.text for r in runs if r.change is not Change.REVISION) == current


def test_a_line_added_since_is_one_run() -> None:
    runs = text_changes("白日依山尽", "白日依山尽\n黄河入海流")
    assert runs == [Run(Change.SAME, "白日依山尽"), Run(Change.CURRENT, "\n黄河入海流")]
    assert text_changes("同", "同") == [Run(Change.SAME, "同")]
