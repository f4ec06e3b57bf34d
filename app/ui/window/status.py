"""The status bar: form · 平起/仄起 · 韵部 · errors · the model · saved state."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from PySide6.QtWidgets import QLabel, QStatusBar

from app.prosody.analysis import PoemAnalysis
from app.ui.i18n import Tr

SaveState = Literal["new", "saved", "modified", "draft", "saving", "failed", "restored"]


class StatusView:
    """Labels in the window's status bar, updated from analyses and save events."""

    def __init__(self, bar: QStatusBar, tr: Tr) -> None:
        self._tr = tr
        self.form = self._label(bar, "status-form")
        self.qi = self._label(bar, "status-qi")
        self.group = self._label(bar, "status-group")
        self.errors = self._label(bar, "status-errors")
        self.engine = QLabel()  # the model line (app.ui.models.controller), shown once used
        self.engine.setObjectName("status-engine")
        self.engine.setContentsMargins(4, 0, 8, 0)
        self.engine.hide()
        bar.addPermanentWidget(self.engine)
        self.saved = QLabel()
        self.saved.setObjectName("status-saved")
        bar.addPermanentWidget(self.saved)
        self.state: SaveState = "new"
        self.show_analysis(None)
        self.set_save_state("new")

    @staticmethod
    def _label(bar: QStatusBar, name: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setContentsMargins(4, 0, 8, 0)
        bar.addWidget(label)
        return label

    def show_analysis(self, analysis: PoemAnalysis | None) -> None:
        tr = self._tr
        if analysis is None or not analysis.chars:
            self.form.setText(tr("未定体", "No form yet"))
            self.qi.setText("")
            self.group.setText("")
            self.errors.setText("")
            return
        form = analysis.form
        pinned = tr("（锁定）", " (pinned)") if analysis.form_pinned else ""
        self.form.setText((tr(form.value, form.en) if form else tr("未定体", "No form")) + pinned)
        qi = analysis.qi
        self.qi.setText(tr(qi, "level start" if qi == "平起" else "oblique start") if qi else "")
        if analysis.ze_yun:
            self.group.setText(tr("仄韵", "oblique rhyme"))
        elif analysis.rhyme_group is not None:
            self.group.setText(analysis.rhyme_group.name)
        else:
            self.group.setText(tr("韵部未定", "rhyme group unknown"))
        n = len(analysis.errors)
        warnings = sum(1 for f in analysis.findings if f.severity.name == "WARNING")
        text = tr(f"{n} 处错误", f"{n} error(s)") if n else tr("合律", "keeps the rules")
        if warnings:
            text += tr(f"，{warnings} 处警告", f", {warnings} warning(s)")
        self.errors.setText(text)
        self.errors.setStyleSheet("color: #b3261e; font-weight: bold;" if n else "")

    def set_save_state(self, state: SaveState, when: datetime | None = None) -> None:
        tr = self._tr
        self.state = state
        at = when.astimezone().strftime("%H:%M:%S") if when is not None else ""
        texts = {
            "new": tr("新诗，未保存", "New poem, not saved"),
            "saved": tr(f"已保存 {at}", f"Saved {at}"),
            "modified": tr("有改动，未保存", "Modified, not saved"),
            "draft": tr(f"草稿已自动保存 {at}", f"Draft autosaved {at}"),
            "saving": tr("正在保存……", "Saving…"),
            "failed": tr("保存失败", "Save failed"),
            "restored": tr("已恢复草稿，未保存", "Draft restored, not saved"),
        }
        self.saved.setText(texts[state].strip())
