"""The wire protocol between the window's client and the engine process.

The engine is ``python -m app.engine.worker``. It speaks **JSON Lines**: one
UTF-8 JSON object per line on its stdin (commands) and its stdout (replies).
Its stderr carries logs (llama.cpp's own and ours); the client keeps the last
lines of it to explain a crash. The worker moves its real stdout to a private
descriptor at start-up and points descriptor 1 at stderr, so a stray ``printf``
inside native code can never corrupt the protocol.

Commands (client → engine), each with ``"op"``:

=============  ==============================================================
``load``       ``{"op":"load","id":…,"config":LoadConfig}`` → ``loaded`` or
               ``load_error``. Replaces a model already loaded.
``generate``   ``{"op":"generate","id":…,"request":GenerateRequest}`` →
               ``tok``\\* then ``done`` or ``error``. Requests run one at a
               time, in order; the model stays loaded between them.
``cancel``     ``{"op":"cancel","id":…}``: the running (or queued) request
               ends with ``done`` whose ``finish_reason`` is ``cancelled``.
               Handled by the engine's reader thread at once, also while
               llama.cpp is inside a batch (an abort callback, on CPU).
``unload``     ``{"op":"unload"}`` → ``unloaded``.
``ping``       ``{"op":"ping","id":…}`` → ``pong``.
``shutdown``   ``{"op":"shutdown"}``: the engine exits (code 0).
=============  ==============================================================

Replies (engine → client), each with ``"ev"``:

=============  ==============================================================
``ready``      first line: ``{"ev":"ready","pid":…,"protocol":1,
               "llama_cpp":"0.3.36","gpu_offload":bool}``
``loaded``     ``{"ev":"loaded","id":…,"info":LoadedInfo}``
``load_error`` ``{"ev":"load_error","id":…,"code":…,"zh":…,"en":…}``
``started``    ``{"ev":"started","id":…,"prompt_tokens":…,"cached":…,"think":bool}``:
               the request was taken; the prompt is being processed; ``think``:
               the output starts inside ``<think>``
``tok``        ``{"ev":"tok","id":…,"t":"text","n":1}`` (short keys: one per
               token); ``"f":"think_budget"`` when the engine wrote the tokens
               itself (the thinking budget closed ``</think>``)
``done``       ``{"ev":"done","id":…,"stats":GenerationStats}``
``error``      ``{"ev":"error","id":…,"code":…,"zh":…,"en":…}``
``unloaded``   ``{"ev":"unloaded"}``
``pong``       ``{"ev":"pong","id":…}``
=============  ==============================================================

The engine never batches token lines: one ``os.write`` per token costs a few
microseconds, far below a token's time, and keeps the first token's latency
low. The GUI batches for painting (every ~40 ms).

A dead engine is seen by the client as end-of-file on stdout; it then reads the
exit status (``-9`` SIGKILL, ``-6`` SIGABRT …) and ends every open request with
an :class:`~app.engine.events.EngineCrashed` event.
"""

from __future__ import annotations

import json
from typing import Any

from app.engine.events import Done, EngineError, EngineEvent, GenerationStats, Started, Token

__all__ = ["PROTOCOL_VERSION", "ProtocolError", "decode", "encode", "request_event"]

PROTOCOL_VERSION = 1


class ProtocolError(ValueError):
    """A line that is not a JSON object."""


def encode(message: dict[str, Any]) -> bytes:
    """One protocol line."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def decode(line: bytes | str) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"not JSON: {line[:200]!r}") from exc
    if not isinstance(obj, dict):
        raise ProtocolError(f"not a JSON object: {line[:200]!r}")
    return obj


def request_event(message: dict[str, Any]) -> EngineEvent | None:
    """The request-level event a reply carries (``started``/``tok``/``done``/``error``)."""
    ev = message.get("ev")
    rid = str(message.get("id", ""))
    if ev == "tok":
        return Token(
            rid, str(message.get("t", "")), int(message.get("n", 1)), str(message.get("f", ""))
        )
    if ev == "started":
        return Started(
            rid,
            int(message.get("prompt_tokens", 0)),
            int(message.get("cached", 0)),
            bool(message.get("think", False)),
        )
    if ev == "done":
        return Done(rid, GenerationStats.from_dict(message.get("stats") or {}))
    if ev == "error":
        return EngineError(
            rid,
            str(message.get("code", "error")),
            str(message.get("zh", "")),
            str(message.get("en", "")),
        )
    return None
