"""One thread owns the library; everyone else submits work to it.

The UI never touches a :class:`~app.storage.repository.Library` directly: it
submits functions that receive the library as their first argument and gets a
:class:`concurrent.futures.Future` back (Anki's one-executor-per-collection
pattern). Work runs in submission order on one thread, so calls from any
number of threads are serialised. The UI layer turns futures into signals.

.. code-block:: python

    worker = LibraryWorker(paths)
    report = worker.opened.result()
    future = worker.submit(Library.save_poem, PoemData(title="春晓", text=...))
    record = future.result()
    worker.shutdown()  # runs everything already submitted, then closes the library
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Concatenate, ParamSpec, TypeVar

from app.paths import AppPaths
from app.storage.db import LibraryOptions, OpenReport, open_library
from app.storage.errors import LibraryClosedError
from app.storage.repository import Library

P = ParamSpec("P")
T = TypeVar("T")

Opener = Callable[[AppPaths, LibraryOptions | None], tuple[Library, OpenReport]]


class LibraryWorker:
    """A single-thread executor that opens, owns and finally closes the library."""

    def __init__(
        self,
        paths: AppPaths,
        options: LibraryOptions | None = None,
        *,
        opener: Opener = open_library,
    ) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shijian-library")
        self._library: Library | None = None
        self._lock = threading.Lock()
        self._closing = False
        self.opened: Future[OpenReport] = self._executor.submit(self._open, opener, paths, options)

    def _open(self, opener: Opener, paths: AppPaths, options: LibraryOptions | None) -> OpenReport:
        library, report = opener(paths, options)
        self._library = library
        return report

    def _run(
        self,
        fn: Callable[Concatenate[Library, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        if self._library is None:
            # Opening failed: every call fails with the reason (or the library is closed).
            failure = self.opened.exception() if self.opened.done() else None
            if failure is not None:
                raise failure
            raise LibraryClosedError
        return fn(self._library, *args, **kwargs)

    def submit(
        self,
        fn: Callable[Concatenate[Library, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Future[T]:
        """Run ``fn(library, *args, **kwargs)`` on the library's thread.

        Raises :class:`LibraryClosedError` once :meth:`shutdown` has begun.
        """
        with self._lock:
            if self._closing:
                raise LibraryClosedError
            return self._executor.submit(self._run, fn, *args, **kwargs)

    def _close(self) -> None:
        library, self._library = self._library, None
        if library is not None:
            library.close()

    def shutdown(self) -> None:
        """Finish everything already submitted, close the library (checkpointing its log), stop.

        Safe to call more than once. Any error from closing is raised here.
        """
        with self._lock:
            if self._closing:
                return
            self._closing = True
            closed = self._executor.submit(self._close)
        self._executor.shutdown(wait=True)
        closed.result()

    def __enter__(self) -> LibraryWorker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
