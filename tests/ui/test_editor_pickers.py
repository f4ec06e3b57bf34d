"""The header: detected form and group, the pickers, locking, checker settings."""

from __future__ import annotations

from app.prosody.findings import Rule, Severity
from app.prosody.forms import Form
from app.prosody.groups import GROUPS, PING_GROUPS, group_by_name
from app.prosody.settings import CheckSettings
from tests.support.editor_pane import (
    JINGYESI,
)


def test_header_shows_what_was_detected(pane):
    pane.set_text(JINGYESI)
    a = pane.analyze_now()
    h = pane.header
    assert h.form_label.text() == "五绝"
    assert h.qi_label.text() == a.qi == "平起"
    assert h.first_label.text() == "首句入韵"
    assert h.group_label.text() == "押下平七阳"
    assert "错误" in h.verdict_label.text()
    assert h.toolTip() == a.summary_zh


def test_pinned_form_changes_the_analysis(pane):
    pane.set_text(JINGYESI)
    pane.set_pinned_form(Form.QIJUE)
    a = pane.analyze_now()
    assert a.form is Form.QIJUE and a.form_pinned
    assert pane.pinned_form() is Form.QIJUE
    assert any(f.rule is Rule.LENGTH for f in a.findings)  # five characters where seven belong
    assert pane.header.form_combo.currentData() == Form.QIJUE.value
    assert "（指定）" in pane.header.form_label.text()
    pane.set_pinned_form(None)
    assert pane.analyze_now().form is Form.WUJUE


def test_pinned_group_changes_the_analysis(pane):
    pane.set_text(JINGYESI)
    dong = group_by_name("东")
    pane.set_pinned_group(dong)
    a = pane.analyze_now()
    assert a.rhyme_group is dong and a.group_pinned
    assert any(f.rule is Rule.CHU_YUN for f in a.findings)
    assert pane.header.group_combo.currentData() == dong.id


def test_the_pickers_pin_what_the_poet_picks(pane):
    pane.set_text(JINGYESI)
    pane.analyze_now()
    picked: list[int] = []
    pane.pinned_changed.connect(lambda: picked.append(1))
    combo = pane.header.form_combo
    combo.setCurrentIndex(combo.findData(Form.WULV.value))
    assert pane.pinned_form() is Form.WULV
    assert pane.analysis().form is Form.WULV
    gcombo = pane.header.group_combo
    # 平声 first: the 30 level-tone groups follow 自动, then a separator, then the rest
    assert [gcombo.itemData(i) for i in range(1, 31)] == [g.id for g in PING_GROUPS]
    assert gcombo.count() == 1 + len(GROUPS) + 1
    yang = group_by_name("阳")
    assert yang is not None
    gcombo.setCurrentIndex(gcombo.findData(yang.id))
    assert pane.pinned_group() is yang
    assert picked == [1, 1]
    gcombo.setCurrentIndex(0)
    assert pane.pinned_group() is None


def test_set_locked_pins_and_disables_the_controls(pane):
    pane.set_text(JINGYESI)
    yang = group_by_name("阳")
    pane.set_locked(Form.WUJUE, yang)
    assert pane.is_locked()
    assert not pane.header.form_combo.isEnabled()
    assert not pane.header.group_combo.isEnabled()
    a = pane.analyze_now()
    assert a.form_pinned and a.group_pinned and a.rhyme_group is yang
    # a programmatic change of the combo while locked does not unpin
    pane.header.form_combo.setCurrentIndex(pane.header.form_combo.findData(Form.QILV.value))
    assert pane.pinned_form() is Form.WUJUE
    pane.unlock()
    assert pane.header.form_combo.isEnabled() and pane.header.group_combo.isEnabled()
    assert pane.pinned_form() is Form.WUJUE  # unlocking keeps the pins


def test_check_settings_change_the_verdict(pane):
    pane.set_text(JINGYESI)
    assert any(f.rule is Rule.SHI_NIAN for f in pane.analyze_now().findings)
    pane.set_check_settings(CheckSettings(zheyao_as_note=True))
    a = pane.analyze_now()
    assert not any(f.rule is Rule.SHI_NIAN for f in a.findings)
    assert any(f.rule is Rule.ZHEYAO and f.severity is Severity.NOTE for f in a.findings)
    assert pane.check_settings().zheyao_as_note


def test_live_analysis_is_partial_and_check_final_is_not(pane):
    pane.set_text("床前明月光\n疑是地")  # still typing line 2
    live = pane.analyze_now()
    assert not any(f.rule is Rule.LENGTH for f in live.findings)
    final = pane.check_final()
    assert any(f.rule is Rule.LENGTH for f in final.findings)
