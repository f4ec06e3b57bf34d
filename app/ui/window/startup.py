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
        self.waited = False  # the library could not be opened at first

    def library_waiting(self, reason: BaseException) -> None:
        """The library cannot be opened yet (locked by another program, a read-only
        folder …): say why, and that what is typed is kept meanwhile."""
        w = self.w
        self.waited = True
        w.log.warn_event("library_waiting", error=repr(reason))
        w.notices.show_notice(
            "library",
            w.tr_("诗库暂时打不开：", "The library cannot be opened just now: ")
            + error_text(reason, w.tr_.language)
            + w.tr_(
                "\n诗笺会一直重试。这期间写的内容照常自动保存为草稿（放在备用文件夹里），"
                "诗库可用时会自动收回。",
                "\n诗笺 keeps trying. Meanwhile what you write is still autosaved as drafts "
                "(in a fallback folder) and taken back once the library is available.",
            ),
            level="warning",
        )

    def library_opened(self, report: Any) -> None:
        w = self.w
        w.log.event(
            "library_ready",
            database=str(report.database),
            created=report.created,
            schema=report.schema_version,
        )
        if self.waited:
            self.waited = False
            w.notices.show_notice(
                "library",
                w.tr_(
                    "诗库已可用；这期间的草稿都在，照常可以恢复。",
                    "The library is available now; the drafts written meanwhile are kept.",
                ),
                timeout_ms=10000,
            )
        w.support.report_open(report)
        w.library.call(ops.drafts_to_restore, on_result=self.offer, on_error=w.show_error)
        w.library_panel.refresh_now()
        w.rescore.start()  # scores kept under an older scoring rule are made again

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
