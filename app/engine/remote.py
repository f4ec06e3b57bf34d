"""A remote OpenAI-compatible chat endpoint as a :class:`~app.engine.backend.Backend`.

Works with llama.cpp's server, vLLM, Ollama (``/v1``) and anything else that
speaks ``POST /v1/chat/completions`` with ``"stream": true`` (Server-Sent
Events). Standard library only (``http.client``). Yields the same events as
the local engine. Reasoning that a server splits out of the text
(``delta.reasoning_content`` or ``delta.reasoning``) is wrapped back into
``<think>…</think>`` so the same stream parser handles every backend.

Failures become one :class:`EngineError` with a plain message: connection
refused, unknown host, timeout, 401/403 (API key), 404 (model or URL), other
HTTP errors (with the server's own message), a malformed stream.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from app.engine.events import (
    Done,
    EngineError,
    EngineEvent,
    FinishReason,
    GenerationStats,
    Token,
    is_terminal,
)
from app.engine.requests import GenerateRequest

if TYPE_CHECKING:
    from app.compose.constraint.grammar import RemoteMode
    from app.prosody.books.shelf import Shelf
    from app.prosody.rhymebook import RhymeBook

__all__ = ["Endpoint", "RemoteBackend", "RemoteStream"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    scheme: str
    host: str
    port: int
    base_path: str  # ends with /v1

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        if "://" not in url:
            url = "http://" + url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        path = parts.path.rstrip("/")
        if not path.endswith("/v1"):
            path += "/v1"
        return cls(parts.scheme, parts.hostname, port, path)

    @property
    def display(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{self.base_path}"


def _error(rid: str, code: str, zh: str, en: str) -> EngineError:
    return EngineError(rid, code, zh, en)


def _malformed(rid: str, data: str | None = None) -> EngineError:
    """The server's stream is not what an OpenAI-style stream is (``data``: the piece that
    is not JSON)."""
    if data is None:
        zh, en = "服务器发来的流格式有误", "malformed stream from the server"
        return _error(rid, "bad_stream", zh, en)
    return _error(
        rid,
        "bad_stream",
        f"服务器发来的流格式有误：{data[:120]!r}",
        f"malformed stream from the server: {data[:120]!r}",
    )


def _server_message(body: bytes) -> str:
    """The human part of an error body (OpenAI style ``{"error": {"message": …}}``)."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            msg = err.get("message") or err.get("detail") or err
            return str(msg)[:300]
        if isinstance(err, str):
            return err[:300]
        if "detail" in data:
            return str(data["detail"])[:300]
    return text[:300]


class RemoteBackend:
    """An OpenAI-compatible server: ``RemoteBackend("http://127.0.0.1:8080", "qpm")``."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 300.0,
        send_extra_sampling: bool = True,
        constraint_mode: RemoteMode = "off",
        rhyme_book: RhymeBook | None = None,
    ) -> None:
        self.endpoint = Endpoint.parse(base_url)
        self.model = model
        self.api_key = api_key or None
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
        # top_k / min_p / repeat_penalty: understood by llama.cpp, vLLM and Ollama,
        # refused by some hosted APIs; turn off for those.
        self.send_extra_sampling = send_extra_sampling
        # Strict metre on a server: "gbnf" (llama.cpp's `grammar`), "vllm-grammar" /
        # "vllm-regex" (vLLM's `structured_outputs`), "vllm-guided-regex" (vLLM < 0.10.2);
        # "off" refuses constrained requests. See app.compose.constraint.grammar.
        self.constraint_mode: RemoteMode = constraint_mode
        self.rhyme_book = rhyme_book
        self._shelf: Shelf | None = None  # every rhyme book, made from rhyme_book on first use
        self._grammar_tables: dict[object, Any] = {}
        self._grammar_fields: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._streams: dict[str, RemoteStream] = {}

    @property
    def model_id(self) -> str:
        return f"{self.model}@{self.endpoint.host}:{self.endpoint.port}"

    # ------------------------------------------------------------------ HTTP
    def _connection(self) -> http.client.HTTPConnection:
        ep = self.endpoint
        if ep.scheme == "https":
            return http.client.HTTPSConnection(
                ep.host,
                ep.port,
                timeout=self.connect_timeout_s,
                context=ssl.create_default_context(),
            )
        return http.client.HTTPConnection(ep.host, ep.port, timeout=self.connect_timeout_s)

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def body_for(self, request: GenerateRequest) -> tuple[str, dict[str, Any]]:
        """The path and JSON body of a request."""
        s = request.sampling
        body: dict[str, Any] = {
            "model": self.model,
            "stream": True,
            "temperature": s.temperature,
            "top_p": s.top_p,
            "max_tokens": s.max_tokens,
        }
        if request.stop:
            body["stop"] = list(request.stop)[:4]
        if s.seed is not None:
            body["seed"] = s.seed
        if s.presence_penalty:
            body["presence_penalty"] = s.presence_penalty
        if s.frequency_penalty:
            body["frequency_penalty"] = s.frequency_penalty
        if self.send_extra_sampling:
            body["top_k"] = s.top_k
            if s.min_p:
                body["min_p"] = s.min_p
            if s.repeat_penalty != 1.0:
                body["repeat_penalty"] = s.repeat_penalty
        if request.constraint is not None and self.constraint_mode != "off":
            body.update(self.constraint_fields(request.constraint))
        if request.prompt is not None:
            body["prompt"] = request.prompt
            return self.endpoint.base_path + "/completions", body
        body["messages"] = [m.to_dict() for m in request.messages]
        return self.endpoint.base_path + "/chat/completions", body

    def constraint_fields(self, spec: dict[str, Any]) -> dict[str, Any]:
        """The body fields that make the server follow the metre ``spec`` (built from the
        same automaton as the local masks; cached per spec). Raises the constraint
        module's ``ConstraintError`` for a request that cannot be met."""
        from app.compose.constraint.grammar import remote_constraint_fields

        key = json.dumps([self.constraint_mode, spec], sort_keys=True, ensure_ascii=False)
        with self._lock:
            got = self._grammar_fields.get(key)
        if got is None:
            if self._shelf is None:
                from app.prosody.books.shelf import Shelf

                if self.rhyme_book is None:
                    from app.prosody.rhymebook import RhymeBook

                    self.rhyme_book = RhymeBook.load()
                self._shelf = Shelf(self.rhyme_book)
            got = remote_constraint_fields(
                spec, self._shelf, self.constraint_mode, tables=self._grammar_tables
            )
            with self._lock:
                self._grammar_fields[key] = got
        return got

    def list_models(self) -> list[str]:
        """Model ids the server offers (``GET /v1/models``); raises OSError on failure."""
        conn = self._connection()
        try:
            conn.request("GET", self.endpoint.base_path + "/models", headers=self._headers())
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                raise OSError(f"HTTP {resp.status}: {_server_message(body)}")
            data = json.loads(body)
            return [str(m.get("id")) for m in data.get("data", []) if isinstance(m, dict)]
        finally:
            conn.close()

    # ------------------------------------------------------------------ Backend
    def generate(self, request: GenerateRequest) -> RemoteStream:
        stream = RemoteStream(self, request)
        with self._lock:
            self._streams[request.id] = stream
        return stream

    def cancel(self, request_id: str) -> None:
        with self._lock:
            stream = self._streams.get(request_id)
        if stream is not None:
            stream.cancel()

    def _forget(self, request_id: str) -> None:
        with self._lock:
            self._streams.pop(request_id, None)


class RemoteStream:
    """One streamed request. Iterate from one thread; cancel from any."""

    def __init__(self, backend: RemoteBackend, request: GenerateRequest) -> None:
        self.request_id = request.id
        self._backend = backend
        self._request = request
        self._cancel = threading.Event()
        # The socket, kept apart from the connection: http.client drops the
        # connection's reference when a response says "Connection: close".
        self._sock: socket.socket | None = None
        self._conn_lock = threading.Lock()
        self._events: Generator[EngineEvent, None, None] | None = None
        self._finished = False

    def __iter__(self) -> Iterator[EngineEvent]:
        return self

    def __next__(self) -> EngineEvent:
        if self._finished:
            raise StopIteration
        if self._events is None:
            self._events = self._run()
        try:
            event = next(self._events)
        except StopIteration:  # _run always ends with a terminal event; belt and braces
            self._finished = True
            raise
        if is_terminal(event):
            self._finished = True
            self._backend._forget(self.request_id)
        return event

    def cancel(self) -> None:
        self._cancel.set()
        with self._conn_lock:
            sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked read

    def close(self) -> None:
        if not self._finished:
            self.cancel()
            if self._events is not None:
                self._events.close()
            self._finished = True
            self._backend._forget(self.request_id)

    # ------------------------------------------------------------------ the exchange
    def _cancelled(self, stats: GenerationStats | None = None) -> Done:
        return Done(self.request_id, stats or GenerationStats(finish_reason="cancelled"))

    def _run(self) -> Generator[EngineEvent, None, None]:
        rid = self.request_id
        backend = self._backend
        ep = backend.endpoint
        where = ep.display
        if self._request.constraint is not None and backend.constraint_mode == "off":
            yield _error(
                rid,
                "constraint_unsupported",
                "远程服务器不支持严格格律约束解码（可在服务器设置中改用语法约束）",
                "a remote server cannot apply the metre constraint (unless a grammar mode "
                "is set for it)",
            )
            return
        try:
            path, body = backend.body_for(self._request)
        except ValueError as exc:  # a ConstraintError: the request cannot be met
            code = str(getattr(exc, "code", "constraint_failed"))
            zh = str(getattr(exc, "zh", "") or f"格律约束无法建立：{exc}")
            en = str(getattr(exc, "en", "") or f"could not build the metre constraint: {exc}")
            yield _error(rid, code, zh, en)
            return
        started = time.perf_counter()
        conn = backend._connection()
        try:
            try:
                conn.connect()
                with self._conn_lock:
                    self._sock = conn.sock
                if conn.sock is not None:
                    conn.sock.settimeout(backend.read_timeout_s)
                if self._cancel.is_set():
                    yield self._cancelled()
                    return
                conn.request(
                    "POST", path, body=json.dumps(body).encode("utf-8"), headers=backend._headers()
                )
                resp = conn.getresponse()
            except ConnectionRefusedError:
                yield _error(
                    rid,
                    "connection_refused",
                    f"无法连接到 {where}：连接被拒绝（服务器没有运行？）",
                    f"cannot connect to {where}: connection refused (is the server running?)",
                )
                return
            except socket.gaierror:
                yield _error(
                    rid, "host_not_found", f"找不到主机 {ep.host}", f"host not found: {ep.host}"
                )
                return
            except TimeoutError:
                yield _error(
                    rid, "timeout", f"连接 {where} 超时", f"timed out connecting to {where}"
                )
                return
            except ssl.SSLError as exc:
                yield _error(
                    rid,
                    "tls",
                    f"与 {where} 的 TLS 握手失败：{exc}",
                    f"TLS handshake with {where} failed: {exc}",
                )
                return
            except OSError as exc:
                if self._cancel.is_set():
                    yield self._cancelled()
                    return
                yield _error(
                    rid,
                    "connection",
                    f"连接 {where} 失败：{exc}",
                    f"connection to {where} failed: {exc}",
                )
                return
            if resp.status != 200:
                yield self._http_error(resp.status, resp.read())
                return
            yield from self._read_stream(resp, started)
        finally:
            with self._conn_lock:
                self._sock = None
            conn.close()

    def _http_error(self, status: int, body: bytes) -> EngineError:
        rid = self.request_id
        msg = _server_message(body)
        model = self._backend.model
        where = self._backend.endpoint.display
        if status in (401, 403):
            return _error(
                rid,
                f"http_{status}",
                f"服务器拒绝访问（{status}）：API 密钥缺失或无效。{msg}",
                f"access denied ({status}): the API key is missing or wrong. {msg}",
            )
        if status == 404:
            return _error(
                rid,
                "http_404",
                f"找不到（404）：服务器上没有模型「{model}」或地址 {where} 不对。{msg}",
                f"not found (404): no model '{model}' on the server, or {where} "
                f"is not an OpenAI-compatible endpoint. {msg}",
            )
        return _error(
            rid,
            f"http_{status}",
            f"服务器返回错误 {status}：{msg}",
            f"the server answered {status}: {msg}",
        )

    def _read_stream(self, resp: http.client.HTTPResponse, started: float) -> Iterator[EngineEvent]:
        rid = self.request_id
        ctype = (resp.getheader("Content-Type") or "").lower()
        if "text/event-stream" not in ctype:
            body = resp.read(2000)
            yield _error(
                rid,
                "bad_stream",
                f"服务器没有以流的形式回答（Content-Type: {ctype or '无'}）："
                f"{_server_message(body)}",
                f"the server did not stream (Content-Type: {ctype or 'none'}): "
                f"{_server_message(body)}",
            )
            return
        n_tokens = 0
        t_first: float | None = None
        t_last = started
        finish: FinishReason | None = None
        usage: dict[str, Any] = {}
        in_reasoning = False
        data_lines: list[str] = []
        done = False
        try:
            while not done:
                try:
                    raw = resp.readline()
                except TimeoutError:
                    if self._cancel.is_set():
                        break
                    yield _error(
                        rid, "timeout", "等待服务器回答超时", "timed out waiting for the server"
                    )
                    return
                except (OSError, http.client.HTTPException, ValueError):
                    if self._cancel.is_set():
                        break
                    raise
                if not raw:
                    break
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if line.startswith(":"):
                    continue
                if line.startswith("data:"):
                    data_lines.append(line[5:].lstrip(" "))
                    continue
                if line or not data_lines:
                    continue  # other SSE fields (event:, id:, retry:) or a stray blank line
                data = "\n".join(data_lines)
                data_lines = []
                if data.strip() == "[DONE]":
                    done = True
                    break
                try:
                    chunk = json.loads(data)
                except ValueError:
                    yield _malformed(rid, data)
                    return
                if not isinstance(chunk, dict):
                    yield _malformed(rid)
                    return
                if "error" in chunk:
                    msg = _server_message(json.dumps(chunk).encode())
                    yield _error(rid, "server_error", f"服务器报错：{msg}", f"server error: {msg}")
                    return
                if isinstance(chunk.get("usage"), dict):
                    usage = chunk["usage"]
                choices = chunk.get("choices") or []
                if not isinstance(choices, list):
                    yield _malformed(rid)
                    return
                for choice in choices[:1]:
                    if not isinstance(choice, dict):
                        continue
                    delta = choice.get("delta")
                    text = ""
                    if isinstance(delta, dict):
                        reasoning = delta.get("reasoning_content") or delta.get("reasoning") or ""
                        content = delta.get("content") or ""
                        if reasoning:
                            text += ("" if in_reasoning else "<think>") + str(reasoning)
                            in_reasoning = True
                        if content:
                            text += ("</think>" if in_reasoning else "") + str(content)
                            in_reasoning = False
                    else:  # /v1/completions
                        text = str(choice.get("text") or "")
                    if text:
                        now = time.perf_counter()
                        t_first = t_first or now
                        t_last = now
                        n_tokens += 1
                        yield Token(rid, text, 1)
                    reason = choice.get("finish_reason")
                    if reason:
                        finish = "length" if reason == "length" else "stop"
                if self._cancel.is_set():
                    break
        except (OSError, http.client.HTTPException) as exc:
            if not self._cancel.is_set():
                yield _error(
                    rid,
                    "connection",
                    f"与服务器的连接中断：{exc}",
                    f"the connection to the server broke: {exc}",
                )
                return
        if in_reasoning:
            yield Token(rid, "</think>", 0)
        first = t_first if t_first is not None else t_last
        stats = GenerationStats(
            prompt_tokens=int(usage.get("prompt_tokens", 0) or 0),
            completion_tokens=int(usage.get("completion_tokens", 0) or n_tokens),
            prompt_ms=(first - started) * 1000.0,
            generation_ms=(t_last - first) * 1000.0,
            finish_reason="stop",
        )
        if self._cancel.is_set():
            yield self._cancelled(replace(stats, finish_reason="cancelled"))
            return
        if not done and finish is None:
            yield _error(
                rid,
                "bad_stream",
                "服务器的流意外中断（没有结束标记）",
                "the server's stream ended early (no end marker)",
            )
            return
        yield Done(rid, replace(stats, finish_reason=finish or "stop"))
