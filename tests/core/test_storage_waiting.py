"""A library that cannot be opened at start-up for a while: a lock held by another program,
a read-only data folder. The worker keeps trying, drafts go to the spool meanwhile, and
whoever listens hears when the library becomes available. (It used to stay closed until
the app was restarted, and nothing typed was autosaved.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.paths import AppPaths
from app.storage.db import open_library
from app.storage.errors import DatabaseLockedError, LibraryClosedError, ReadOnlyError
from app.storage.records import DraftData, PoemData, new_poem_slot
from app.storage.repository import Library
from app.storage.worker import LibraryWorker, WorkerState
from tests.support.storage_options import hold_lock, library_options
from tests.support.unprivileged import without_privileges


def _library_with_a_poem(paths: AppPaths, tmp_path: Path) -> None:
    library, _ = open_library(paths, library_options(tmp_path))
    library.save_poem(PoemData(title="旧作", text="白日依山尽"))
    library.close()


def state_of(worker: LibraryWorker) -> WorkerState:
    return worker.state  # (read again: not narrowed by an earlier assert)


class Heard:
    """What a listener was told, in order, with a way to wait for a state."""

    def __init__(self) -> None:
        self.states: list[tuple[WorkerState, BaseException | None]] = []
        self._changed = threading.Condition()

    def __call__(self, state: WorkerState, reason: BaseException | None) -> None:
        with self._changed:
            self.states.append((state, reason))
            self._changed.notify_all()

    def wait_for(self, state: WorkerState, timeout: float = 30.0) -> BaseException | None:
        with self._changed:
            assert self._changed.wait_for(
                lambda: any(s == state for s, _ in self.states), timeout
            ), f"never {state}: {self.states}"
            return next(r for s, r in self.states if s == state)


def test_a_lock_held_at_start_up_is_waited_out_with_drafts_spooled(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path / "base")
    _library_with_a_poem(paths, tmp_path)
    holder = hold_lock(paths.database)  # another program's
    heard = Heard()
    worker = LibraryWorker(
        paths, library_options(tmp_path, busy_timeout_ms=50), retry_delays_s=(0.05, 0.1)
    )
    worker.add_listener(heard)
    try:
        reason = heard.wait_for("waiting")
        assert isinstance(reason, DatabaseLockedError) and worker.state == "waiting"
        assert not worker.opened.done()
        # the autosave keeps working: the draft goes to the spool
        typed = DraftData(slot=new_poem_slot(), poem=PoemData(title="新作", text="黄河入海流"))
        record = worker.save_draft(typed).result(timeout=30)
        assert record.spooled and list((tmp_path / "spool").iterdir())
        # other calls answer at once with the reason
        with pytest.raises(DatabaseLockedError):
            worker.submit(Library.count).result(timeout=30)
        attempts = worker.attempts
    finally:
        holder.close()  # the other program lets go
    report = worker.opened.result(timeout=30)
    assert state_of(worker) == "open" and worker.attempts >= attempts >= 1
    assert heard.states[-1] == ("open", None) and report.recovery is None
    [draft] = worker.submit(Library.load_drafts).result(timeout=30)
    assert (draft.poem.text, draft.spooled) == ("黄河入海流", True)
    saved = worker.submit(Library.save_poem, draft.poem, draft_slot=draft.slot).result(30)
    assert worker.submit(Library.count).result(30) == 2 and saved.title == "新作"
    assert list((tmp_path / "spool").iterdir()) == []  # the library holds it now
    worker.shutdown()
    assert heard.states[-1] == ("closed", None)


def test_shutting_down_while_waiting_ends_the_wait(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path / "base")
    _library_with_a_poem(paths, tmp_path)
    holder = hold_lock(paths.database, write=False)
    try:
        worker = LibraryWorker(
            paths, library_options(tmp_path, busy_timeout_ms=50), retry_delays_s=(0.05,)
        )
        heard = Heard()
        worker.add_listener(heard)
        heard.wait_for("waiting")
        worker.shutdown()
        with pytest.raises(LibraryClosedError):
            worker.opened.result(timeout=5)
        assert worker.state == "closed"
    finally:
        holder.close()


_READ_ONLY_WAIT = """
import json, sys, threading
from pathlib import Path
from app.paths import AppPaths
from app.storage.records import DraftData, PoemData, new_poem_slot
from app.storage.repository import Library
from app.storage.worker import LibraryWorker
from tests.support.storage_options import library_options

waiting = threading.Event()
worker = LibraryWorker(
    AppPaths.under(Path(sys.argv[1])), library_options(Path(sys.argv[2])),
    retry_delays_s=(0.05, 0.1),
)
worker.add_listener(lambda state, reason: state == "waiting" and waiting.set())
waiting.wait(30)
draft = DraftData(slot=new_poem_slot(), poem=PoemData(text="欲穷千里目"))
record = worker.save_draft(draft).result(30)
print(json.dumps({"state": worker.state, "reason": type(worker.reason).__name__,
                  "spooled": record.spooled}), flush=True)
sys.stdin.readline()  # the folder is writable again
worker.opened.result(30)
drafts = worker.submit(Library.load_drafts).result(30)
print(json.dumps({"state": worker.state, "drafts": [d.poem.text for d in drafts]}), flush=True)
worker.shutdown()
"""


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_read_only_data_folder_is_waited_out_with_drafts_spooled(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path / "base")
    _library_with_a_poem(paths, tmp_path)
    os.chmod(paths.database, 0o444)
    os.chmod(paths.data, 0o555)
    command = [sys.executable, "-c", _READ_ONLY_WAIT, str(paths.data.parent), str(tmp_path)]
    child = subprocess.Popen(
        without_privileges(command),
        cwd=Path(__file__).resolve().parents[2],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    try:
        first = json.loads(child.stdout.readline() or "{}")
        assert first == {
            "state": "waiting",
            "reason": ReadOnlyError.__name__,
            "spooled": True,
        }, first or child.stderr.read()
    finally:
        os.chmod(paths.data, 0o755)
        os.chmod(paths.database, 0o644)
    child.stdin.write("go\n")
    child.stdin.flush()
    second = json.loads(child.stdout.readline() or "{}")
    child.wait(30)
    assert second == {"state": "open", "drafts": ["欲穷千里目"]}, second
