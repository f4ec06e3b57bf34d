"""Assignments in the UI: the step-by-step assignment wizard, writing against an
assignment in the editor, and the grading dialog.

Public API: :class:`AssignmentWizard`, :func:`write_against` / :class:`AssignmentSession`
with :class:`RequirementsPanel`, :class:`GradingDialog`.
"""

from __future__ import annotations

from app.ui.assignments.grading_dialog import GradingDialog
from app.ui.assignments.wizard import AssignmentWizard
from app.ui.assignments.writing import AssignmentSession, RequirementsPanel, write_against

__all__ = [
    "AssignmentSession",
    "AssignmentWizard",
    "GradingDialog",
    "RequirementsPanel",
    "write_against",
]
