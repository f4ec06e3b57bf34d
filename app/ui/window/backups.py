"""Backups while the app runs: after a bounded amount of change, on quit, and on demand.

The storage layer takes a backup at start-up (:mod:`app.storage.db`); this keeps
the rest of a session covered. Every ``check_ms`` (a minute, less for short
intervals) the window asks the library thread for :meth:`Library.backup_if_due`
with the interval of the settings (``library.backup_minutes``, 5 by default): a
backup is taken when anything was committed (a save, a draft, an assignment …)
since the last one and that one is at least the interval old. So a damaged library
file costs at most the interval plus one check of work. Closing the window takes
one more if anything changed since (``backup_if_changed``), and 文件 → 立即备份
takes one at once and says where it went.

Events logged: ``backup_taken`` (``reason``: interval, quit, manual; ``path``,
``unchanged``, ``removed``), ``backup_failed``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, QUrl
from PySide6.QtGui import QDesktopServices

from app.ui.library import ops
from app.ui.window.startup import error_text

if TYPE_CHECKING:
    from app.storage.backup import BackupResult
    from app.ui.window.main_window import MainWindow


def open_folder(folder: Path) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def check_interval_ms(minutes: float) -> int:
    """How often to ask whether a backup is due: a fifth of the interval, 5–60 s."""
    return round(min(60.0, max(5.0, minutes * 60 / 5)) * 1000)


class BackupKeeper(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self._minutes = window.services.settings.library.backup_minutes
        self._timer = QTimer(self)
        self._timer.setInterval(check_interval_ms(self._minutes))
        self._timer.timeout.connect(self.check)
        self._in_flight = False
        self._warned = False
        window.library.opened.connect(lambda _report: self._timer.start())
        window.poem_saved.connect(lambda _record: self.check())

    def set_minutes(self, minutes: float) -> None:
        self._minutes = minutes
        self._timer.setInterval(check_interval_ms(minutes))

    @property
    def every_s(self) -> float:
        return self._minutes * 60

    def check(self) -> None:
        """Take a backup now if one is due (changes since the last, which is old enough)."""
        library = self.w.library
        if self._in_flight or not library.ready or library.failure is not None:
            return
        self._in_flight = True

        def landed(result: BackupResult | None) -> None:
            self._in_flight = False
            if result is not None:
                self._log(result, "interval")

        def failed(exc: BaseException) -> None:
            self._in_flight = False
            self._failed(exc, "interval")

        library.call(ops.backup_if_due, self.every_s, on_result=landed, on_error=failed)

    def backup_now(self) -> Any:
        """文件 → 立即备份: a backup at once; a notice says where it is."""
        w = self.w
        tr = w.tr_

        def landed(result: BackupResult) -> None:
            self._log(result, "manual")
            folder = result.backup.path.parent
            w.notices.show_notice(
                "backup",
                tr(
                    f"诗库已备份：{result.backup.path.name}"
                    + ("（与上一份备份相同，未重复保存）" if result.unchanged else "")
                    + f"，在 {folder}。",
                    f"The library was backed up: {result.backup.path.name}"
                    + (" (the same as the last backup, not kept twice)" if result.unchanged else "")
                    + f", in {folder}.",
                ),
                actions=[
                    (
                        tr("打开备份文件夹", "Open the backups folder"),
                        lambda: open_folder(folder),
                    )
                ],
                timeout_ms=30_000,
            )

        def failed(exc: BaseException) -> None:
            self._failed(exc, "manual")
            w.show_error(exc, prefix=tr("备份失败：", "The backup failed: "))

        return w.library.call(ops.backup_now, on_result=landed, on_error=failed)

    def on_quit(self, timeout_s: float = 60.0) -> bool:
        """Closing: back up what changed since the last backup, and wait. True if done."""
        self._timer.stop()
        library = self.w.library
        if not library.ready or library.failure is not None:
            return False
        try:
            result = library.submit(ops.backup_if_changed).result(timeout_s)
        except BaseException as exc:
            self._failed(exc, "quit")
            return False
        if result is not None:
            self._log(result, "quit")
        return True

    def _log(self, result: BackupResult, reason: str) -> None:
        self.w.log.event(
            "backup_taken",
            reason=reason,
            path=str(result.backup.path),
            unchanged=result.unchanged,
            removed=len(result.removed),
        )

    def _failed(self, exc: BaseException, reason: str) -> None:
        w = self.w
        w.log.failure("backup_failed", exc, reason=reason)
        if reason == "interval" and not self._warned:
            self._warned = True  # said once; the next check tries again quietly
            w.notices.show_notice(
                "backup",
                w.tr_("自动备份没有成功：", "The automatic backup did not succeed: ")
                + error_text(exc, w.tr_.language),
                level="warning",
            )
