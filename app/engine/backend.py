"""The one interface the window uses for any model: local engine or remote server.

``backend.generate(request)`` returns an :class:`EventStream`: iterate it (from a
worker thread) to receive :mod:`app.engine.events`, ending with exactly one
terminal event; ``stream.cancel()`` (from any thread) asks it to stop early, and
the stream still ends with a terminal event (``Done`` with ``finish_reason``
``"cancelled"``). ``close()`` cancels a stream that has not ended, so a worker
that drops its generator does not leave a generation running.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Protocol, runtime_checkable

from app.engine.events import EngineEvent, is_terminal
from app.engine.requests import GenerateRequest

__all__ = ["Backend", "EventStream", "QueueStream"]


@runtime_checkable
class EventStream(Protocol):
    request_id: str

    def __iter__(self) -> Iterator[EngineEvent]: ...

    def __next__(self) -> EngineEvent: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class Backend(Protocol):
    """Something that turns a :class:`GenerateRequest` into a stream of events."""

    @property
    def model_id(self) -> str:
        """What is answering: a file name, or ``model@url`` for a server."""
        ...

    def generate(self, request: GenerateRequest) -> EventStream: ...

    def cancel(self, request_id: str) -> None: ...


class QueueStream:
    """An :class:`EventStream` fed through a queue by another thread.

    ``on_cancel`` is called (once) by :meth:`cancel`; ``alive`` is asked while
    waiting, so a producer that died without a word still ends the stream
    (with the event ``on_dead`` makes).
    """

    def __init__(
        self,
        request_id: str,
        on_cancel: Callable[[str], None],
        *,
        alive: Callable[[], bool] | None = None,
        on_dead: Callable[[str], EngineEvent] | None = None,
        poll_s: float = 0.5,
    ) -> None:
        self.request_id = request_id
        self.queue: queue.Queue[EngineEvent] = queue.Queue()
        self._on_cancel = on_cancel
        self._alive = alive
        self._on_dead = on_dead
        self._poll_s = poll_s
        self._finished = False
        self._cancelled = threading.Event()

    def put(self, event: EngineEvent) -> None:
        self.queue.put(event)

    @property
    def finished(self) -> bool:
        return self._finished

    def __iter__(self) -> Iterator[EngineEvent]:
        return self

    def __next__(self) -> EngineEvent:
        if self._finished:
            raise StopIteration
        while True:
            try:
                event = self.queue.get(timeout=self._poll_s)
                break
            except queue.Empty:
                if self._alive is not None and not self._alive():
                    try:  # the producer may have posted just before it was seen dead
                        event = self.queue.get_nowait()
                    except queue.Empty:
                        if self._on_dead is None:
                            raise StopIteration from None
                        event = self._on_dead(self.request_id)
                    break
        if is_terminal(event):
            self._finished = True
        return event

    def drain(self) -> list[EngineEvent]:
        """Every event until the end (blocking); for tests and scripts."""
        return list(self)

    def cancel(self) -> None:
        if self._finished or self._cancelled.is_set():
            return
        self._cancelled.set()
        self._on_cancel(self.request_id)

    def close(self) -> None:
        if not self._finished:
            self.cancel()
