"""Start-up, once the library is open: report what opening did, bring drafts back.

Drafts newer than their poem (and drafts of new poems never saved) are what a
crash, a kill or a power cut leaves behind. The newest one is shown in the
editor at once — unless the user has already started typing in the fresh
window, whose text is never replaced — and the rest are offered under
文件 → 恢复的草稿. Each restore is logged (``draft_restored``) and told.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from app.storage.errors import StorageError
from app.storage.records import DraftRecord, PoemRecord
from app.ui.document import PoemDocument
from app.ui.library import ops
from app.ui.window.autosave import text_digest

if TYPE_CHECKING:
    from app.ui.window.main_window import MainWindow


def error_text(exc: BaseException, lang: str) -> str:
    """A storage error's message in ``lang``; anything else by its text."""
    if isinstance(exc, StorageError):
        return exc.message.text(lang)
    return f"{type(exc).__name__}: {exc}"


class StartupRecovery:
    def __init__(self, window: MainWindow) -> None:
        self.w = window

    def library_opened(self, report: Any) -> None:
        w = self.w
        w.log.event(
            "library_ready",
            database=str(report.database),
            created=report.created,
            schema=report.schema_version,
        )
        w.support.report_open(report)
        w.library.call(ops.drafts_to_restore, on_result=self.offer, on_error=w.show_error)
        w.library_panel.refresh_now()

    def library_failed(self, exc: BaseException) -> None:
        w = self.w
        w.log.failure("library_failed", exc)
        w.notices.show_notice(
            "library",
            w.tr_("诗库无法打开：", "The library could not be opened: ")
            + error_text(exc, w.tr_.language)
            + w.tr_(
                "\n现在写的内容不能自动保存，请先复制到别处。",
                "\nWhat you write now cannot be autosaved; copy it somewhere safe.",
            ),
            level="error",
        )

    def offer(self, found: list[tuple[DraftRecord, PoemRecord | None]]) -> None:
        w = self.w
        untouched = w.doc.poem_id is None and not w.is_dirty()
        restored: DraftRecord | None = None
        if found and untouched:
            draft, record = found[0]
            self.restore(draft, record)
            restored = draft
        others = [(d, r) for d, r in found if d is not restored]
        w.support.list_drafts(others)
        if others:
            w.notices.show_notice(
                "drafts",
                w.tr_(
                    f"另有 {len(others)} 份未保存的草稿，可在“文件 → 恢复的草稿”中打开。",
                    f"{len(others)} more unsaved draft(s): open them from File → Recovered drafts.",
                ),
            )
        w.log.event("drafts_checked", found=len(found), restored=restored is not None)
        w.drafts_checked.emit([d for d, _ in found])

    def restore(self, draft: DraftRecord, record: PoemRecord | None) -> None:
        w = self.w
        w.leave_document()
        if record is not None and draft.poem_id is not None:
            w.show_poem(record, draft)
        else:
            base = replace(draft.poem, title="", text="", author="", notes="", tags=())
            doc = PoemDocument(slot=draft.slot, saved=base, restored_draft=True)
            w.load_document(doc, draft.poem)
            when = f"{draft.updated_at.astimezone():%Y-%m-%d %H:%M}"
            w.notices.show_notice(
                "draft",
                w.tr_(
                    f"已恢复上次未保存的新诗（草稿保存于 {when}）。按 Ctrl+S 存入诗库。",
                    f"An unsaved new poem was restored (draft of {when}). Press Ctrl+S to "
                    "keep it in the library.",
                ),
                actions=[(w.tr_("放弃草稿", "Discard draft"), w.revert_to_saved)],
                document=doc,
            )
        w.log.event(
            "draft_restored",
            slot=draft.slot,
            poem_id=draft.poem_id,
            chars=len(draft.poem.text),
            sha=text_digest(draft.poem.text),
            spooled=draft.spooled,
        )
