"""LibraryWorker: one thread owns the library; calls from any thread are serialised."""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import pytest

from app.paths import AppPaths
from app.storage.errors import LibraryClosedError, NewerSchemaError, PoemNotFoundError
from app.storage.records import PoemData, PoemRecord
from app.storage.repository import Library
from app.storage.sqlite_tools import APPLICATION_ID
from app.storage.worker import LibraryWorker
from tests.support.storage_options import library_options


def _worker(tmp_path: Path) -> LibraryWorker:
    return LibraryWorker(AppPaths.under(tmp_path), library_options(tmp_path))


def test_calls_from_many_threads_run_one_at_a_time_on_one_thread(tmp_path: Path) -> None:
    worker = _worker(tmp_path)
    assert worker.opened.result(timeout=30).created
    seen_threads: set[int] = set()
    running = [0]
    overlaps = [0]

    def save(library: Library, title: str) -> PoemRecord:
        running[0] += 1
        if running[0] > 1:
            overlaps[0] += 1
        seen_threads.add(threading.get_ident())
        time.sleep(0.001)  # widen the window in which an overlap would show
        try:
            return library.save_poem(PoemData(title=title, text="甲"))
        finally:
            running[0] -= 1

    futures: list[Future[PoemRecord]] = []
    lock = threading.Lock()

    def submitter(n: int) -> None:
        for i in range(10):
            future = worker.submit(save, f"t{n}-{i}")
            with lock:
                futures.append(future)

    threads = [threading.Thread(target=submitter, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = [f.result(timeout=30) for f in futures]
    assert overlaps[0] == 0
    assert len(seen_threads) == 1 and threading.get_ident() not in seen_threads
    assert len({r.id for r in records}) == 60
    assert worker.submit(Library.count).result(timeout=30) == 60
    worker.shutdown()


def test_shutdown_runs_everything_submitted_and_leaves_one_checkpointed_file(
    tmp_path: Path,
) -> None:
    worker = _worker(tmp_path)
    futures = [
        worker.submit(Library.save_poem, PoemData(title=f"t{i}", text="乙" * 50)) for i in range(40)
    ]
    worker.shutdown()
    assert all(f.done() and f.exception() is None for f in futures)
    database = AppPaths.under(tmp_path).database
    wal = Path(str(database) + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    conn = sqlite3.connect(database)
    assert conn.execute("SELECT count(*) FROM poems").fetchone()[0] == 40
    conn.close()
    with pytest.raises(LibraryClosedError):
        worker.submit(Library.count)
    worker.shutdown()  # a second shutdown is harmless


def test_errors_come_back_through_the_future_and_the_worker_goes_on(tmp_path: Path) -> None:
    with _worker(tmp_path) as worker:
        failed = worker.submit(Library.get, 999)
        with pytest.raises(PoemNotFoundError):
            failed.result(timeout=30)
        saved = worker.submit(Library.save_poem, PoemData(text="丙")).result(timeout=30)
        assert worker.submit(Library.get, saved.id).result(timeout=30).text == "丙"


def test_the_library_itself_stays_on_the_worker_thread(tmp_path: Path) -> None:
    with _worker(tmp_path) as worker:
        library = worker.submit(lambda lib: lib).result(timeout=30)
        with pytest.raises(RuntimeError, match="confined"):
            library.count()


def test_a_failure_to_open_is_reported_by_every_call(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    paths.data.mkdir(parents=True)
    conn = sqlite3.connect(paths.database)
    conn.execute("PRAGMA user_version = 42")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")  # a library of a later 诗笺
    conn.close()
    with _worker(tmp_path) as worker:
        with pytest.raises(NewerSchemaError):
            worker.opened.result(timeout=30)
        with pytest.raises(NewerSchemaError):
            worker.submit(Library.count).result(timeout=30)
