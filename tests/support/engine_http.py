"""HTTP servers on 127.0.0.1 for testing the remote backend.

* :func:`start_llama_server` runs llama-cpp-python's own OpenAI-compatible
  server (``python -m llama_cpp.server``) on a model file; it needs the
  ``llama-cpp-python[server]`` extras (fastapi, uvicorn, sse-starlette,
  starlette-context, pydantic-settings).
* :class:`ScriptedServer` answers ``/v1/chat/completions`` the way misbehaving
  or differently-shaped servers do (an Ollama-style 404 for an unknown model,
  a malformed stream, a stream cut short, a server that never answers, a
  vLLM-style ``reasoning_content`` stream), so each error path is exercised
  over a real socket.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SERVER_EXTRAS = ("fastapi", "uvicorn", "sse_starlette", "starlette_context", "pydantic_settings")


def have_server_extras() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in SERVER_EXTRAS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def start_llama_server(
    model: Path, *, api_key: str | None = None, n_ctx: int = 2048, log: Path | None = None
) -> Iterator[str]:
    """Run ``python -m llama_cpp.server`` on ``model``; yield its base URL."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--model_alias",
        "tiny",
    ]
    if api_key:
        cmd += ["--api_key", api_key]
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {proc.returncode}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/v1/models", headers={"Authorization": f"Bearer {api_key}"})
                if conn.getresponse().status in (200, 401):
                    conn.close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("llama_cpp.server did not come up in 60 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        if log:
            out.close()  # type: ignore[union-attr]


def sse(obj: Any) -> bytes:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n".encode()


def delta_chunk(**delta: str) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


FINISH = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}


class ScriptedServer:
    """A threaded HTTP server whose ``/v1/chat/completions`` follows a named script.

    Scripts: ``model_404``, ``malformed``, ``cut_short``, ``hang``, ``reasoning``,
    ``not_streaming``, ``sse_comments``, ``poem`` (a whole <think>/<answer> reply in
    small pieces, tags cut across them, like a reasoning model through llama.cpp).
    """

    POEM_REPLY = (
        "用户要一首五言绝句，押下平七阳。先定韵脚：光、霜、乡。\n</think>\n\n<answer>\n"
        "床前明月光\n疑是地上霜\n举头望明月\n低头思故乡\n</answer>"
    )

    def __init__(self, script: str) -> None:
        self.script = script
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._release = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                owner.requests.append(json.loads(self.rfile.read(length) or b"{}"))
                owner.headers.append(dict(self.headers))
                owner._answer(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def _stream_head(self, h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()

    def _answer(self, h: BaseHTTPRequestHandler) -> None:
        s = self.script
        w = h.wfile
        if s == "model_404":
            body = json.dumps(
                {"error": {"message": 'model "nope" not found, try pulling it first'}}
            )
            h.send_response(404)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            w.write(body.encode())
        elif s == "not_streaming":
            body = json.dumps({"choices": [{"message": {"content": "hi"}}]})
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            w.write(body.encode())
        elif s == "malformed":
            self._stream_head(h)
            w.write(sse(delta_chunk(content="白日")))
            w.write(b"data: {this is not json\n\n")
        elif s == "cut_short":
            self._stream_head(h)
            w.write(sse(delta_chunk(content="白日")))
            w.write(sse(delta_chunk(content="依山")))
        elif s == "hang":
            self._stream_head(h)
            w.flush()
            self._release.wait(30)
        elif s == "reasoning":
            self._stream_head(h)
            for piece in ("用户要", "一首诗。"):
                w.write(sse(delta_chunk(reasoning_content=piece)))
            w.write(sse(delta_chunk(content="白日依山尽\n")))
            w.write(sse(delta_chunk(content="黄河入海流")))
            w.write(sse({**FINISH, "usage": {"prompt_tokens": 42, "completion_tokens": 9}}))
            w.write(b"data: [DONE]\n\n")
        elif s == "poem":
            self._stream_head(h)
            text = self.POEM_REPLY
            for i in range(0, len(text), 3):
                w.write(sse(delta_chunk(content=text[i : i + 3])))
                w.flush()
                time.sleep(0.002)
            w.write(sse(FINISH))
            w.write(b"data: [DONE]\n\n")
        elif s == "sse_comments":
            self._stream_head(h)
            w.write(b": keep-alive\n\nevent: message\nid: 1\n")
            w.write(sse(delta_chunk(content="一")))
            w.write(b'data: {"choices": [{"delta": {"content": "\\u4e8c"},\n')
            w.write(b'data:  "finish_reason": "length"}]}\n\n')
            w.write(b"data: [DONE]\n\n")
        else:
            raise ValueError(f"unknown script {s}")
        w.flush()
