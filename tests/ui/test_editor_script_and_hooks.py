"""简↔繁 conversion as an undoable edit; the extra-findings hook paints and lists."""

from __future__ import annotations

from PySide6.QtGui import QTextCharFormat

from app.prosody.analysis import PoemAnalysis
from app.prosody.findings import Finding, Rule, Severity
from app.ui.editor import FindingsPanel, connect_findings
from app.ui.editor.palette import LIGHT
from tests.support.editor_pane import (
    HUANGHELOU,
    JINGYESI,
    char_format,
)

Wave = QTextCharFormat.UnderlineStyle.WaveUnderline


def test_convert_to_traditional_and_back_is_undoable(pane, editor_services):
    book = editor_services.book
    pane.set_text(HUANGHELOU)
    simplified = pane.analyze_now()
    edited: list[int] = []
    pane.text_edited.connect(lambda: edited.append(1))
    cursor = pane.editor.textCursor()
    cursor.setPosition(5)
    pane.editor.setTextCursor(cursor)
    pane.convert_script("traditional")
    assert pane.text() == book.to_traditional(HUANGHELOU)
    assert "黃鶴樓" in pane.text()
    assert pane.editor.textCursor().position() == 5  # the caret stays
    assert edited
    traditional = pane.analyze_now()
    assert traditional.rhyme_group == simplified.rhyme_group
    assert [f.rule for f in traditional.findings] == [f.rule for f in simplified.findings]
    pane.editor.undo()  # one step
    assert pane.text() == HUANGHELOU
    pane.editor.redo()
    pane.convert_script("simplified")
    assert pane.text() == HUANGHELOU
    pane.convert_script("simplified")  # nothing to do: no edit
    assert pane.text() == HUANGHELOU


def test_header_buttons_convert(pane, editor_services):
    pane.set_text(JINGYESI)
    pane.header.traditional_button.click()
    assert pane.text() == editor_services.book.to_traditional(JINGYESI)
    pane.header.simplified_button.click()
    assert pane.text() == JINGYESI


def test_extra_findings_are_painted_and_listed(qtbot, pane):
    """A provider like the assignments' (forbidden character 月): painted and listed."""
    panel = FindingsPanel(pane._tr)
    qtbot.addWidget(panel)
    connect_findings(pane, panel)
    calls: list[str] = []

    def forbid_moon(text: str, analysis: PoemAnalysis) -> list[Finding]:
        calls.append(text)
        out = []
        for c in analysis.chars:
            if c.char == "月":
                out.append(
                    Finding(Rule.REQUIREMENT, Severity.ERROR, c.line, c.pos, c.char, c.offset,
                            "", c.char, detail=(("zh", "禁用字「月」"), ("en", "forbidden: 月")),
                            marks=((c.line, c.pos),))
                )  # fmt: skip
        out.append(
            Finding(Rule.REQUIREMENT, Severity.HINT, 0, None, "", None, "", "",
                    detail=(("zh", "尚缺意象「风」"), ("en", "missing image: 风")))
        )  # fmt: skip
        return out

    pane.set_text(JINGYESI)
    pane.set_extra_findings(forbid_moon)
    a = pane.analyze_now()
    assert calls and calls[-1] == JINGYESI
    moon = JINGYESI.index("月")
    fmt = char_format(pane, moon)
    assert fmt.underlineStyle() == Wave
    assert fmt.underlineColor().name().upper() == LIGHT.error
    extra = pane.extra_findings()
    assert len(extra) == 3
    assert pane.findings() == a.findings + extra
    messages = [r.text(1) for r in panel.rows()]
    assert "禁用字「月」" in messages and "尚缺意象「风」" in messages
    tree = panel.tree
    titles = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]  # type: ignore[union-attr]
    assert titles[-1] == "全诗"  # a finding that points at no character
    assert "禁用字「月」" in pane.tooltip_at(moon)
    # removing the hook removes its marks
    pane.set_extra_findings(None)
    pane.analyze_now()
    assert char_format(pane, moon).underlineStyle() != Wave
    assert pane.extra_findings() == ()


def test_a_failing_hook_does_not_break_the_editor(pane, caplog):
    def broken(text, analysis):
        raise RuntimeError("hook bug")

    pane.set_text(JINGYESI)
    pane.set_extra_findings(broken)
    a = pane.analyze_now()
    assert a.text == JINGYESI and pane.extra_findings() == ()
    assert "extra findings provider failed" in caplog.text


def test_set_text_is_quiet_and_replace_all_is_an_undoable_edit(qtbot, pane):
    edited: list[int] = []
    pane.text_edited.connect(lambda: edited.append(1))
    pane.set_text(JINGYESI)
    assert edited == []
    assert not pane.editor.document().isUndoAvailable()  # loading starts a fresh history
    pane.replace_all(HUANGHELOU)
    assert edited
    assert pane.analysis() is not None and pane.analysis().text == HUANGHELOU
    pane.editor.undo()
    assert pane.text() == JINGYESI
    edited.clear()
    pane.set_text(HUANGHELOU, undoable=True)
    assert edited == [] and pane.text() == HUANGHELOU
    pane.editor.undo()
    assert pane.text() == JINGYESI


def test_line_separators_become_lines(pane):
    pane.set_text("床前明月光\u2028疑是地上霜\r\n举头望明月\r低头思故乡")
    assert pane.text() == "床前明月光\n疑是地上霜\n举头望明月\n低头思故乡"
    assert pane.editor.document().blockCount() == 4
    assert len(pane.analyze_now().lines) == 4
