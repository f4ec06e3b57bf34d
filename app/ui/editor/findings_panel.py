"""The findings list beside the editor, grouped by line.

Each row: a severity icon (a coloured shape — ✕ error, △ warning, ○ note, · hint —
so it reads without colour), the rule's name and the message. Clicking a row or
pressing Enter on it emits ``finding_activated``; :func:`connect_findings` wires
that to the pane (cursor to the character, focus to the editor) and the pane's
analyses to the panel.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.prosody.analysis import PoemAnalysis
from app.prosody.findings import Finding, Severity
from app.ui.editor.formats import severity_color
from app.ui.editor.palette import TonePalette, palette_for
from app.ui.editor.tooltips import SEVERITY_MARK, severity_label
from app.ui.i18n import Tr

if TYPE_CHECKING:
    from app.ui.editor.pane import PoemEditorPane

MAX_ROWS = 500  # a 1,000-line paste can hold thousands of findings; the rest are counted
_ROLE = Qt.ItemDataRole.UserRole


def severity_icon(severity: Severity, palette: TonePalette, size: int = 16) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    color = QColor(severity_color(palette, int(severity)))
    painter.setPen(color)
    font = QFont()
    font.setPixelSize(int(size * 0.9))
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter,
                     SEVERITY_MARK[severity])  # fmt: skip
    painter.end()
    return QIcon(pix)


class FindingsPanel(QWidget):
    finding_activated = Signal(object)  # Finding

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("findingsPanel")
        self._tr = tr
        self._palette = palette_for(False)
        self._icons: dict[Severity, QIcon] = {}
        self._findings: tuple[Finding, ...] = ()
        self._analysis: PoemAnalysis | None = None
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        box.addWidget(self.summary)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("findingsTree")
        self.tree.setAccessibleName(tr("问题列表", "Findings"))
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels([tr("规则", "Rule"), tr("说明", "Message")])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setWordWrap(False)
        self.tree.itemClicked.connect(self._on_item)
        self.tree.itemActivated.connect(self._on_item)
        box.addWidget(self.tree)
        self.set_analysis(None, ())

    def set_dark(self, dark: bool) -> None:
        self._palette = palette_for(dark)
        self._icons = {}
        self.set_analysis(self._analysis, self._findings)

    def findings(self) -> tuple[Finding, ...]:
        return self._findings

    def set_analysis(self, a: PoemAnalysis | None, findings: Sequence[Finding]) -> None:
        tr = self._tr
        lang = "en" if tr.is_en else "zh"
        self._analysis = a
        self._findings = tuple(findings)
        tree = self.tree
        tree.setUpdatesEnabled(False)
        try:
            tree.clear()
            if a is None or not a.chars:
                self.summary.setText(tr("输入诗句后在此列出问题。",
                                        "Findings appear here as you write."))  # fmt: skip
                return
            self.summary.setText(a.summary_en if tr.is_en else a.summary_zh)
            if not self._findings:
                item = QTreeWidgetItem([tr("合律", "Clean"), tr("未发现问题。", "No findings.")])
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                tree.addTopLevelItem(item)
                return
            if not self._icons:
                self._icons = {s: severity_icon(s, self._palette) for s in Severity}
            icons = self._icons
            groups: dict[int, QTreeWidgetItem] = {}
            n_lines = len(a.lines)

            def order(f: Finding) -> tuple[int, int, int]:
                return (_line_key(f, n_lines), -1 if f.pos is None else f.pos, -f.severity)

            total = len(self._findings)
            if total <= MAX_ROWS * 4:
                ordered = sorted(self._findings, key=order)[:MAX_ROWS]
            else:
                ordered = heapq.nsmallest(MAX_ROWS, self._findings, key=order)
            for f in ordered:
                line = _line_key(f, n_lines)
                parent = groups.get(line)
                if parent is None:
                    title = (
                        tr(f"第{line + 1}句", f"Line {line + 1}")
                        if line < n_lines
                        else tr("全诗", "Whole poem")
                    )
                    parent = groups[line] = QTreeWidgetItem([title, ""])
                    parent.setFlags(Qt.ItemFlag.ItemIsEnabled)
                    first = a.lines[line].text.chars if line < n_lines else ""
                    parent.setText(1, first)
                    tree.addTopLevelItem(parent)
                message = f.message(lang)
                row = QTreeWidgetItem([tr(f.rule.zh, f.rule.en), message])
                row.setIcon(0, icons[f.severity])
                row.setToolTip(0, severity_label(f.severity, tr))
                row.setToolTip(1, message)
                row.setData(0, _ROLE, f)
                parent.addChild(row)
            if total > MAX_ROWS:
                rest = total - MAX_ROWS
                more = QTreeWidgetItem(
                    ["…", tr(f"另有 {rest} 条未列出", f"{rest} more not listed")]
                )
                more.setFlags(Qt.ItemFlag.ItemIsEnabled)
                tree.addTopLevelItem(more)
            tree.expandAll()
            tree.resizeColumnToContents(0)
        finally:
            tree.setUpdatesEnabled(True)

    def rows(self) -> list[QTreeWidgetItem]:
        """The finding rows, in display order."""
        out: list[QTreeWidgetItem] = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            if top is None:
                continue
            for j in range(top.childCount()):
                child = top.child(j)
                if child is not None:
                    out.append(child)
        return out

    def activate(self, finding: Finding) -> None:
        """Select ``finding``'s row and emit ``finding_activated`` (as a click does)."""
        for row in self.rows():
            if row.data(0, _ROLE) is finding:
                self.tree.setCurrentItem(row)
                break
        self.finding_activated.emit(finding)

    def _on_item(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        data = item.data(0, _ROLE)
        if isinstance(data, Finding):
            self.finding_activated.emit(data)


def _line_key(f: Finding, n_lines: int) -> int:
    """The group a finding is listed under: its line, or the whole poem (``n_lines``) when
    it points at no character at all (a missing image, the number of lines)."""
    if f.pos is None and not f.marks and f.offset is None:
        return n_lines
    return f.line if 0 <= f.line < n_lines else n_lines


def connect_findings(pane: PoemEditorPane, panel: FindingsPanel) -> None:
    """Wire both ways: each analysis fills the panel; activating a finding moves the cursor
    to its character and focuses the editor."""

    def show(analysis: object) -> None:
        panel.set_analysis(pane.analysis(), pane.findings())

    pane.analysis_ready.connect(show)
    pane.dark_changed.connect(panel.set_dark)
    panel.finding_activated.connect(pane.go_to_finding)
    if pane.analysis() is not None:
        show(pane.analysis())
