"""What restoring a revision would change: the revision set against the current version.

:func:`text_changes` splits two texts into runs — kept, only in the revision
(restoring brings it back), only in the current version (restoring takes it
away) — character by character (``difflib``; poems are short). :func:`changes_html`
renders them for a read-only rich-text view: the revision's own characters in
green and underlined, the current version's in red and struck through, line
breaks kept. Title, author and tags that differ are listed above the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import Enum
from html import escape

from app.storage.records import RevisionRecord
from app.ui.i18n import Tr

__all__ = ["ADDED_COLOR", "REMOVED_COLOR", "Change", "Run", "changes_html", "text_changes"]

ADDED_COLOR = "#1b7a2f"  # in the revision, not in the current version
REMOVED_COLOR = "#b3261e"  # in the current version, not in the revision


class Change(Enum):
    SAME = "same"
    REVISION = "revision"  # only in the revision: restoring brings it back
    CURRENT = "current"  # only in the current version: restoring takes it away


@dataclass(frozen=True, slots=True)
class Run:
    change: Change
    text: str


def text_changes(revision: str, current: str) -> list[Run]:
    """The runs that take ``current`` back to ``revision``, in reading order."""
    runs: list[Run] = []
    matcher = SequenceMatcher(None, current, revision, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            runs.append(Run(Change.SAME, current[i1:i2]))
            continue
        if i2 > i1:
            runs.append(Run(Change.CURRENT, current[i1:i2]))
        if j2 > j1:
            runs.append(Run(Change.REVISION, revision[j1:j2]))
    return runs


def _html_text(text: str) -> str:
    return escape(text).replace("\n", "<br/>")


def _run_html(run: Run) -> str:
    body = _html_text(run.text)
    if run.change is Change.REVISION:
        return f'<span style="color:{ADDED_COLOR}; text-decoration: underline;">{body}</span>'
    if run.change is Change.CURRENT:
        return f'<span style="color:{REMOVED_COLOR}; text-decoration: line-through;">{body}</span>'
    return body


def changes_html(revision: RevisionRecord, current: RevisionRecord, tr: Tr) -> str:
    """The difference between ``revision`` and ``current`` as rich text."""
    if revision.id == current.id:
        return escape(tr("这是当前版本。", "This is the current version."))
    parts: list[str] = []
    fields = (
        (tr("题目", "Title"), revision.title, current.title),
        (tr("作者", "Author"), revision.author, current.author),
        (tr("标签", "Tags"), "，".join(revision.tags), "，".join(current.tags)),
        (tr("附注", "Notes"), revision.notes, current.notes),
    )
    for label, old, new in fields:
        if old != new:
            runs = "".join(_run_html(r) for r in text_changes(old, new))
            parts.append(f"<p><b>{escape(label)}</b>：{runs}</p>")
    if revision.text == current.text:
        parts.append(f"<p>{escape(tr('正文与当前版本相同。', 'The text is as it is now.'))}</p>")
    else:
        runs = "".join(_run_html(r) for r in text_changes(revision.text, current.text))
        parts.append(f'<p style="font-size: large;">{runs}</p>')
    legend = tr(
        f'<span style="color:{ADDED_COLOR}; text-decoration: underline;">绿色</span>'
        "是此版本有、当前没有的（恢复后回来）；"
        f'<span style="color:{REMOVED_COLOR}; text-decoration: line-through;">红色删除线</span>'
        "是当前有、此版本没有的（恢复后去掉）。",
        f'<span style="color:{ADDED_COLOR}; text-decoration: underline;">Green</span>: in this '
        "version, not now (restoring brings it back); "
        f'<span style="color:{REMOVED_COLOR}; text-decoration: line-through;">red, struck '
        "through</span>: there now, not in this version (restoring takes it away).",
    )
    parts.append(f'<p style="color:#666666; font-size: small;">{legend}</p>')
    return "".join(parts)
