"""Poems to the trash from the window: the poem on screen, a notice naming what went, 撤销.

The library panel moves the selected rows to the trash (asking when they are not
the poem on screen); :class:`TrashFlow` is the window's side of it: the open
poem's unsaved edits are saved before it goes (a revision, so 撤销 brings it back
whole), the editor then shows a new poem, and a notice says which poems went,
with 撤销 — which takes them out of the trash and reopens the one that was on
screen if the editor still holds an untouched new poem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.storage.records import PoemRecord
from app.ui.document import PoemDocument
from app.ui.library import ops
from app.ui.library.table_model import poem_name

if TYPE_CHECKING:
    from app.ui.window.main_window import MainWindow


class TrashFlow:
    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self._trashed_open: int | None = None  # the open poem a delete closed (for 撤销)
        panel = window.library_panel
        panel.poem_deleted.connect(self._poem_deleted)
        panel.trashed.connect(self._poems_trashed)
        panel.trash_emptied.connect(lambda n: window.log.event("trash_emptied", poems=n))
        panel.before_delete = self._before_delete

    def delete_current(self) -> None:
        """文件 → 把这首诗移到回收站: the poem on screen (never a row highlighted elsewhere)."""
        w = self.w
        if w.doc.poem_id is None:
            w.show_status(
                w.tr_("这首诗还没有存入诗库。", "This poem is not in the library yet."), 5000
            )
            return
        w.library_panel.delete_poems([w.doc.poem_id])

    def _before_delete(self, poem_ids: list[int]) -> None:
        w = self.w
        if w.doc.poem_id in poem_ids and w.is_dirty():
            w.save()  # queued on the library's thread before the delete

    def _poem_deleted(self, poem_id: int) -> None:
        w = self.w
        if w.doc.poem_id == poem_id:
            w.finish_pending_save()
            w.autosaver.cancel()
            w.library.call(ops.clear_draft, w.doc.slot)
            self._trashed_open = poem_id
            w.load_document(PoemDocument.new())

    def _poems_trashed(self, records: list[PoemRecord]) -> None:
        w = self.w
        tr = w.tr_
        names = "".join(f"《{r.title.strip() or poem_name(r.text, tr)}》" for r in records[:5])
        more = len(records) - 5
        ids = [r.id for r in records]
        reopen = self._trashed_open if self._trashed_open in ids else None
        self._trashed_open = None
        w.log.event("poems_trashed", poem_ids=ids)
        w.notices.show_notice(
            "trashed",
            tr(
                f"{names}{f'等 {len(records)} 首' if more > 0 else ''}已移到回收站。",
                f"{names}{f' and {more} more' if more > 0 else ''} moved to the trash.",
            ),
            actions=[(tr("撤销", "Undo"), lambda: self.undo(ids, reopen))],
            timeout_ms=60_000,
        )

    def undo(self, poem_ids: list[int], reopen: int | None) -> None:
        """Take ``poem_ids`` out of the trash; reopen ``reopen`` if nothing else was begun."""
        w = self.w

        def done() -> None:
            w.log.event("poems_untrashed", poem_ids=poem_ids)
            untouched = w.doc.poem_id is None and not w.is_dirty()
            if reopen is not None and untouched:
                w.open_poem(reopen)

        w.library_panel.undelete_poems(poem_ids, then=done)
