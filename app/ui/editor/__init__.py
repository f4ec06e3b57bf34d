"""The poem editor: tone-painted text, template column, findings, suggestions.

Public API: :class:`PoemEditorPane` (editor + header + template column + legend),
:class:`FindingsPanel` with :func:`connect_findings`, and :class:`ToneLegend`.
"""

from __future__ import annotations

from app.ui.editor.findings_panel import FindingsPanel, connect_findings
from app.ui.editor.legend import ToneLegend
from app.ui.editor.pane import PoemEditorPane

__all__ = ["FindingsPanel", "PoemEditorPane", "ToneLegend", "connect_findings"]
