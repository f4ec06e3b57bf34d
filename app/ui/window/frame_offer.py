"""Lines of the text that are not verse — a title, an author, a note — offered to the
fields they belong in.

The checker already reads only the verse (:mod:`app.prosody.frame`). When the text
in the editor has such lines, a notice about this poem names them —
「「静夜思」像是题目，「李白」像是作者，不算作诗句。」 — with **移到题目/作者/附注**: the
title and author go into their fields (when those are empty; a different value already
there is kept and the line goes to 附注 instead), notes are added to 附注, and the lines
leave the text in one edit (one Ctrl+Z brings them back). Dismissed, the same lines are
not offered again for this poem.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from app.prosody.analysis import PoemAnalysis
from app.prosody.frame import FramePart, PoemFrame, frame_lines

if TYPE_CHECKING:
    from app.ui.window.main_window import MainWindow

NOTICE = "frame"
_KIND_ZH = {"title": "题目", "author": "作者", "note": "附注"}
_KIND_EN = {"title": "the title", "author": "the author", "note": "a note"}


def without_parts(text: str, parts: tuple[FramePart, ...]) -> str:
    """``text`` with the parts cut out, and the lines they leave empty removed."""
    out = text
    for part in sorted(parts, key=lambda p: p.start, reverse=True):
        out = out[: part.start] + out[part.end :]
    lines = [line.rstrip() for line in re.split(r"\r\n|[\n\r\u2028\u2029]", out)]
    kept = [line for line in lines if line.strip()]
    return "\n".join(kept)


class FrameOffer:
    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self._declined: dict[int, set[tuple[str, ...]]] = {}  # id(document) -> dismissed
        self.frame: PoemFrame | None = None
        window.pane.analysis_ready.connect(self._analysed)

    def _analysed(self, _analysis: PoemAnalysis) -> None:
        w = self.w
        text = w.pane.text()
        frame = frame_lines(text) if "\n" in text or "（" in text or "(" in text else None
        if frame is None or not frame.parts:
            self.frame = None
            w.notices.dismiss(NOTICE)
            return
        key = tuple(f"{p.kind}:{p.text}" for p in frame.parts)
        if key in self._declined.get(id(w.doc), set()):
            return
        if self.frame is not None and self.frame.parts == frame.parts and w.notices.notice(NOTICE):
            return
        self.frame = frame
        tr = w.tr_
        said_zh = "，".join(f"「{p.text}」像是{_KIND_ZH[p.kind]}" for p in frame.parts[:4])
        said_en = "; ".join(f"“{p.text}” looks like {_KIND_EN[p.kind]}" for p in frame.parts[:4])
        notice = w.notices.show_notice(
            NOTICE,
            tr(
                f"{said_zh}：不算作诗句，检查时已略去。",
                f"{said_en}: not verse, so the check leaves it out.",
            ),
            actions=[(tr("移到题目/作者/附注", "Move to title/author/notes"), self.move)],
            document=w.doc,
        )
        doc_id = id(w.doc)
        notice.closed.connect(lambda _key: self._declined.setdefault(doc_id, set()).add(key))

    def move(self) -> None:
        """Put the parts into their fields and take them out of the text (one undo step)."""
        w = self.w
        frame = frame_lines(w.pane.text())
        if not frame.parts:
            return
        title, author, _tags, notes = w.meta.values()
        extra: list[str] = []
        for part in frame.parts:
            if part.kind == "title":
                if not title.strip():
                    title = part.text
                elif title.strip() != part.text:
                    extra.append(part.text)
            elif part.kind == "author":
                if not author.strip():
                    author = part.text
                elif author.strip() != part.text:
                    extra.append(part.text)
            else:
                extra.append(part.text)
        if extra:
            notes = "\n".join(x for x in (notes.rstrip(), *extra) if x)
        w.meta.title_edit.setText(title)
        w.meta.author_edit.setText(author)
        if notes != w.meta.notes_edit.toPlainText():
            w.meta.notes_edit.setPlainText(notes)
            w.meta.notes_button.setChecked(True)
        w.meta.edited.emit()  # (setText is not an edit by itself)
        w.pane.replace_all(without_parts(w.pane.text(), frame.parts))
        w.log.event("frame_moved", kinds=[p.kind for p in frame.parts])
        w.notices.dismiss(NOTICE)
        self.frame = None
