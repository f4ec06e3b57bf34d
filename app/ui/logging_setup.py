"""Structured log: one JSON object per line, for people reading a log and for tests.

Every line names an ``event`` (``started``, ``window_shown``, ``first_idle``,
``library_ready``, ``draft_saved``, ``draft_restored``, ``db_recovered``,
``poem_saved``, ``exited`` …) with a UTC time, the milliseconds since the app
started (``t_ms``), the CPU time the process has used so far (``cpu_ms``, all
threads; a load-independent measure of start-up work) and event fields. Lines
go to ``AppPaths.logs/shijian.log`` (rotated at 1 MB, three old files kept)
and, when ``SHIJIAN_LOG_STDERR=1``, also to stderr, flushed per line, so
end-to-end tests can follow the app as it runs.

The logger is an unregistered :class:`logging.Logger` owned by the
:class:`EventLog` object that the composition root hands to whoever needs it;
nothing here is global.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

LOG_STDERR_ENV = "SHIJIAN_LOG_STDERR"
LOG_FILE_NAME = "shijian.log"
_MAX_BYTES = 1_000_000
_BACKUPS = 3


class _JsonLines(logging.Formatter):
    def __init__(self, t0: float) -> None:
        super().__init__()
        self._t0 = t0

    def format(self, record: logging.LogRecord) -> str:
        fields: Mapping[str, Any] = getattr(record, "fields", {})
        body: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "t_ms": round((record.created - self._t0) * 1000, 1),
            "cpu_ms": round(time.process_time() * 1000, 1),
            "level": record.levelname.lower(),
            "event": getattr(record, "event", record.getMessage()),
        }
        body.update(fields)
        if record.exc_info:
            body["traceback"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False, default=str)


class _FlushingStream(logging.StreamHandler):  # type: ignore[type-arg]
    def emit(self, record: logging.LogRecord) -> None:
        super().emit(record)
        self.flush()


class EventLog:
    """Write structured events. Cheap to call; never raises into the caller."""

    def __init__(self, logger: logging.Logger, *, t0: float, file: Path | None) -> None:
        self._logger = logger
        self._t0 = t0
        self.file = file

    @property
    def t0(self) -> float:
        """``time.time()`` when the app started (the zero of ``t_ms``)."""
        return self._t0

    def elapsed_ms(self) -> float:
        return round((time.time() - self._t0) * 1000, 1)

    def event(self, name: str, /, *, level: int = logging.INFO, **fields: Any) -> None:
        try:
            self._logger.log(level, name, extra={"event": name, "fields": fields})
        except Exception:  # logging must never take the app down
            return

    def warn_event(self, name: str, /, **fields: Any) -> None:
        self.event(name, level=logging.WARNING, **fields)

    def error_event(self, name: str, /, **fields: Any) -> None:
        self.event(name, level=logging.ERROR, **fields)

    def failure(self, name: str, exc: BaseException, /, **fields: Any) -> None:
        try:
            self._logger.error(
                name,
                exc_info=(type(exc), exc, exc.__traceback__),
                extra={"event": name, "fields": {"error": repr(exc), **fields}},
            )
        except Exception:
            return

    def close(self) -> None:
        """Close the log file; what is logged afterwards (a late callback of a closed
        window) is dropped rather than printed to stderr by Python's last-resort handler."""
        for handler in list(self._logger.handlers):
            handler.close()
            self._logger.removeHandler(handler)
        self._logger.addHandler(logging.NullHandler())


def stderr_wanted(environ: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if environ is None else environ).get(LOG_STDERR_ENV, "")
    return value.strip().lower() in {"1", "true", "yes", "on"}


def setup_logging(
    logs: Path | None,
    *,
    stderr: bool | None = None,
    t0: float | None = None,
    stream: TextIO | None = None,
) -> EventLog:
    """An :class:`EventLog` writing to ``logs/shijian.log`` (when given) and maybe stderr.

    ``stderr=None`` follows ``$SHIJIAN_LOG_STDERR``. A log folder that cannot be
    written is not fatal: the app runs without a log file.
    """
    start = time.time() if t0 is None else t0
    logger = logging.Logger("shijian", logging.INFO)  # unregistered: owned by this EventLog
    logger.propagate = False
    formatter = _JsonLines(start)
    path: Path | None = None
    if logs is not None:
        try:
            logs.mkdir(parents=True, exist_ok=True)
            path = logs / LOG_FILE_NAME
            handler: logging.Handler = logging.handlers.RotatingFileHandler(
                path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8"
            )
            handler.setFormatter(formatter)
            logger.addHandler(handler)
        except OSError:
            path = None
    if stderr_wanted() if stderr is None else stderr:
        err = _FlushingStream(stream if stream is not None else sys.stderr)
        err.setFormatter(formatter)
        logger.addHandler(err)
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return EventLog(logger, t0=start, file=path)


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every event in a log file (lines that are not JSON objects are skipped)."""
    events: list[dict[str, Any]] = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return events
    for line in text.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            events.append(value)
    return events
