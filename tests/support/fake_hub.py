"""A local model hub on 127.0.0.1 that speaks the routes huggingface-hub 2.4 calls.

Routes (read from the installed huggingface_hub source: ``HfApi.list_models``,
``HfApi.model_info``, ``get_hf_file_metadata`` and the download GET):

* ``GET /api/models?filter=…&search=…&sort=…&limit=…`` — a JSON list, paginated with
  a ``Link: <…>; rel="next"`` header like the real hub;
* ``GET /api/models/{owner}/{name}[/revision/{rev}]?blobs=True`` — ``id``, ``sha``,
  ``tags`` and ``siblings`` (with ``size``, ``blobId`` and ``lfs`` when blobs=True);
* ``HEAD|GET /{owner}/{name}/resolve/{rev}/{path}`` — ``X-Repo-Commit``,
  ``X-Linked-Etag``, ``X-Linked-Size``, ``ETag``, ``Content-Length``,
  ``Accept-Ranges``; with ``cdn=True`` (the default, like the real hub for LFS files)
  a 302 to a second server on another port, so the metadata comes from the redirect
  and huggingface-hub does not follow it;
* ``GET /cdn/{sha256}?sig=…`` on the "CDN" server — the bytes, with ``Range``/206.

Errors carry ``X-Error-Code`` (RepoNotFound, RevisionNotFound, EntryNotFound,
GatedRepo) as the real hub does. Per-file :class:`Faults` make the byte server drop
the connection after N bytes, ignore Range, serve wrong bytes, go slow, stall, or
answer a fixed status. Every request is logged for assertions and measurements.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

_RANGE_RE = re.compile(r"^bytes=(\d+)-(\d*)$")


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound for a moment, then let go): a
    hub address there is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def make_bytes(size: int, seed: int = 0) -> bytes:
    """Deterministic pseudo-random bytes (not a real model)."""
    return random.Random(seed).randbytes(size)


@dataclass
class Faults:
    drop_after: int | None = None  # close the connection after this many body bytes
    drop_times: int | None = None  # ... on this many responses (None: every time)
    ignore_range: bool = False  # answer 200 with the whole file to a Range request
    corrupt: bool = False  # flip one byte in what is served (metadata stays right)
    delay_per_chunk_s: float = 0.0  # slow: sleep between chunks
    stall_after: int | None = None  # stop sending (keep the socket open) after N bytes
    status: int | None = None  # answer this status to GET/HEAD of the file ...
    status_times: int | None = None  # ... this many times (None: every time)
    cdn_forbidden_times: int = 0  # the signed URL is refused this many times (403)
    chunk: int = 64 * 1024
    drops_done: int = 0


@dataclass
class FakeFile:
    path: str
    data: bytes
    lfs: bool = True

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def blob_id(self) -> str:
        """The git blob id, as the real hub reports it (``blobId``, the ETag of a
        file that is not in LFS)."""
        return hashlib.sha1(b"blob %d\0" % len(self.data) + self.data).hexdigest()


@dataclass
class FakeRepo:
    repo_id: str
    files: dict[str, FakeFile]
    tags: list[str]
    downloads: int = 0
    sha: str = ""
    token: str | None = None  # requests must carry "Bearer <token>"
    gated: bool = False


@dataclass
class Request:
    server: str  # "hub" or "cdn"
    method: str
    path: str
    range: str | None
    status: int
    sent: int  # body bytes actually written
    authorized: bool


@dataclass
class FakeHub:
    cdn: bool = True
    page_size: int = 50
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    faults: dict[str, Faults] = field(default_factory=dict)  # by file path in repo
    log: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._active = 0  # byte responses being written
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []
        self.url = ""
        self.cdn_url = ""

    # ------------------------------------------------------------ setup
    def add_repo(
        self,
        repo_id: str,
        files: dict[str, bytes],
        *,
        tags: list[str] | None = None,
        downloads: int = 0,
        token: str | None = None,
        gated: bool = False,
        lfs: bool | Callable[[str], bool] = True,
    ) -> FakeRepo:
        """``lfs``: every file in LFS (True), none (False), or those a predicate picks
        (the real hub keeps large files in LFS and small JSON files in git)."""
        digest = hashlib.sha1(repo_id.encode())
        for name in sorted(files):
            digest.update(name.encode() + hashlib.sha256(files[name]).digest())
        sha = digest.hexdigest()
        repo = FakeRepo(
            repo_id=repo_id,
            files={p: FakeFile(p, d, lfs(p) if callable(lfs) else lfs) for p, d in files.items()},
            tags=list(tags or []),
            downloads=downloads,
            sha=sha,
            token=token,
            gated=gated,
        )
        self.repos[repo_id] = repo
        return repo

    def fault(self, path: str, **kwargs: Any) -> Faults:
        faults = Faults(**kwargs)
        self.faults[path] = faults
        return faults

    def file_by_sha(self, sha: str) -> tuple[FakeRepo, FakeFile] | None:
        for repo in self.repos.values():
            for f in repo.files.values():
                if f.sha256 == sha:
                    return repo, f
        return None

    def bytes_served(self, path_part: str = "") -> int:
        self.wait_idle()
        with self._lock:
            return sum(
                r.sent
                for r in self.log
                if r.method == "GET"
                and path_part in r.path
                and (r.path.startswith("/cdn/") or "/resolve/" in r.path)
            )

    def requests(self, server: str | None = None, method: str | None = None) -> list[Request]:
        """Logged requests (after waiting for responses still being sent)."""
        self.wait_idle()
        with self._lock:
            return [
                r
                for r in self.log
                if (server is None or r.server == server) and (method is None or r.method == method)
            ]

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no response body is being sent (a cancelled client's response is
        logged only when the server notices)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._active == 0:
                    return True
            time.sleep(0.01)
        return False

    def record(self, req: Request) -> None:
        with self._lock:
            self.log.append(req)

    # ------------------------------------------------------------ life cycle
    def start(self) -> FakeHub:
        hub = self._serve("hub")
        self.url = f"http://127.0.0.1:{hub.server_address[1]}"
        cdn = self._serve("cdn")
        self.cdn_url = f"http://127.0.0.1:{cdn.server_address[1]}"
        return self

    def _serve(self, role: str) -> ThreadingHTTPServer:
        owner = self

        class Handler(_Handler):
            hub = owner
            server_role = role

        server = _QuietServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-hub-{role}",
            daemon=True,
        )
        thread.start()
        self._servers.append(server)
        self._threads.append(thread)
        return server

    def stop(self) -> None:
        self._stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (cancel, abort) is normal here, not worth a traceback."""
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    hub: FakeHub
    server_role: str
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # ------------------------------------------------------------ helpers
    def _auth(self) -> str | None:
        value = self.headers.get("Authorization")
        if value and value.startswith("Bearer "):
            return value[len("Bearer ") :]
        return None

    def _record(self, status: int, sent: int = 0) -> None:
        self.hub.record(
            Request(
                server=self.server_role,
                method=self.command,
                path=self.path,
                range=self.headers.get("Range"),
                status=status,
                sent=sent,
                authorized=self._auth() is not None,
            )
        )

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        # logged first, so a client that has its answer always finds it in the log
        self._record(status, len(body) if self.command != "HEAD" else 0)
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _json(self, data: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(data).encode()
        self._send(200, body, {"Content-Type": "application/json", **(headers or {})})

    def _error(self, status: int, code: str | None, message: str) -> None:
        headers = {"Content-Type": "application/json", "X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        self._send(status, json.dumps({"error": message}).encode(), headers)

    def _repo_access(self, repo_id: str) -> FakeRepo | None:
        """The repo, or None after answering 404/401/403 as the hub would."""
        repo = self.hub.repos.get(repo_id)
        if repo is None:
            self._error(404, "RepoNotFound", "Repository not found")
            return None
        if repo.token is not None:
            given = self._auth()
            if given is None:
                code = "GatedRepo" if repo.gated else "RepoNotFound"
                self._error(401, code, "Access to this model is restricted")
                return None
            if given != repo.token:
                self._error(403, "GatedRepo" if repo.gated else None, "Forbidden")
                return None
        return repo

    # ------------------------------------------------------------ dispatch
    def do_HEAD(self) -> None:
        self._dispatch()

    def do_GET(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        try:
            parts = urlsplit(self.path)
            path = unquote(parts.path)
            query = parse_qs(parts.query)
            if self.server_role == "cdn":
                match = re.match(r"^/cdn/([0-9a-f]{64})$", path)
                if match:
                    return self._cdn(match.group(1), query)
                return self._error(404, None, "Not found")
            if path == "/api/models":
                return self._list_models(query)
            match = re.match(r"^/api/models/([^/]+/[^/]+?)(?:/revision/([^/]+))?$", path)
            if match:
                return self._model_info(match.group(1), match.group(2), query)
            match = re.match(r"^/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$", path)
            if match:
                return self._resolve(match.group(1), match.group(2), match.group(3))
            self._error(404, None, "Not found")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # ------------------------------------------------------------ API routes
    def _list_models(self, query: dict[str, list[str]]) -> None:
        filters = [f.lower() for f in query.get("filter", [])]
        search = (query.get("search") or [""])[0].lower()
        author = (query.get("author") or [""])[0].lower()
        repos = [
            r
            for r in self.hub.repos.values()
            if all(f in [t.lower() for t in r.tags] for f in filters)
            and search in r.repo_id.lower()
            and (not author or r.repo_id.lower().startswith(author + "/"))
        ]
        if (query.get("sort") or [""])[0] == "downloads":
            repos.sort(key=lambda r: -r.downloads)
        limit = int((query.get("limit") or ["0"])[0] or 0)
        if limit:
            repos = repos[:limit]
        cursor = int((query.get("cursor") or ["0"])[0])
        page = repos[cursor : cursor + self.hub.page_size]
        headers = {}
        if cursor + self.hub.page_size < len(repos):
            rest = {k: v for k, v in query.items() if k != "cursor"}
            qs = "&".join(f"{k}={quote(x)}" for k, vs in rest.items() for x in vs)
            nxt = f"{self.hub.url}/api/models?{qs}&cursor={cursor + self.hub.page_size}"
            headers["Link"] = f'<{nxt}>; rel="next"'
        items = [
            {
                "id": r.repo_id,
                "modelId": r.repo_id,
                "tags": r.tags,
                "downloads": r.downloads,
                "likes": 0,
                "private": r.token is not None and not r.gated,
            }
            for r in page
        ]
        self._json(items, headers)

    def _model_info(self, repo_id: str, revision: str | None, query: dict[str, list[str]]) -> None:
        repo = self._repo_access(repo_id)
        if repo is None:
            return
        if revision is not None and revision not in ("main", repo.sha):
            return self._error(404, "RevisionNotFound", "Revision not found")
        blobs = (query.get("blobs") or [""])[0].lower() == "true"
        siblings = []
        for f in repo.files.values():
            item: dict[str, Any] = {"rfilename": f.path}
            if blobs:
                item["size"] = f.size
                item["blobId"] = f.blob_id
                if f.lfs:
                    item["lfs"] = {"size": f.size, "sha256": f.sha256, "pointerSize": 134}
            siblings.append(item)
        self._json(
            {
                "id": repo.repo_id,
                "modelId": repo.repo_id,
                "sha": repo.sha,
                "tags": repo.tags,
                "downloads": repo.downloads,
                "private": False,
                "gated": repo.gated,
                "siblings": siblings,
            }
        )

    def _resolve(self, repo_id: str, revision: str, path: str) -> None:
        repo = self._repo_access(repo_id)
        if repo is None:
            return
        if revision not in ("main", repo.sha):
            return self._error(404, "RevisionNotFound", "Revision not found")
        f = repo.files.get(path)
        if f is None:
            return self._error(404, "EntryNotFound", "Entry not found")
        faults = self.hub.faults.get(path, Faults())
        if faults.status is not None:
            with self.hub._lock:
                forced = faults.status_times is None or faults.status_times > 0
                if forced and faults.status_times is not None:
                    faults.status_times -= 1
            if forced:
                code = "GatedRepo" if faults.status in (401, 403) else None
                return self._error(faults.status, code, "forced status")
        common = {
            "X-Repo-Commit": repo.sha,
            "ETag": f'"{f.sha256 if f.lfs else f.blob_id}"',
            "Accept-Ranges": "bytes",
        }
        if f.lfs:
            common["X-Linked-Etag"] = f'"{f.sha256}"'
            common["X-Linked-Size"] = str(f.size)
        if self.hub.cdn and f.lfs:
            location = f"{self.hub.cdn_url}/cdn/{f.sha256}?sig={int(time.time())}"
            return self._send(302, b"", {**common, "Location": location})
        self._serve_bytes(f, faults, common)

    # ------------------------------------------------------------ bytes
    def _cdn(self, sha: str, query: dict[str, list[str]]) -> None:
        found = self.hub.file_by_sha(sha)
        if found is None or not query.get("sig"):
            return self._error(404 if found is None else 403, None, "Not found")
        _, f = found
        faults = self.hub.faults.get(f.path, Faults())
        with self.hub._lock:
            if faults.cdn_forbidden_times > 0:
                faults.cdn_forbidden_times -= 1
                forbidden = True
            else:
                forbidden = False
        if forbidden:
            return self._error(403, None, "Request has expired")
        self._serve_bytes(f, faults, {"ETag": f'"{f.sha256}"', "Accept-Ranges": "bytes"})

    def _serve_bytes(self, f: FakeFile, faults: Faults, headers: dict[str, str]) -> None:
        data = f.data
        if faults.corrupt and data:
            flip = len(data) // 2
            data = data[:flip] + bytes([data[flip] ^ 0xFF]) + data[flip + 1 :]
        start, end = 0, len(data) - 1
        status = 200
        wanted = self.headers.get("Range")
        if wanted and not faults.ignore_range:
            match = _RANGE_RE.match(wanted.strip())
            if not match or int(match.group(1)) >= len(data):
                return self._error(416, None, "Range not satisfiable")
            start = int(match.group(1))
            if match.group(2):
                end = min(end, int(match.group(2)))
            status = 206
        body_len = end - start + 1
        if self.command == "HEAD":
            self._record(status)
            self._send_headers(status, headers, body_len, start, end, len(data))
            return
        with self.hub._lock:  # in flight until logged (see wait_idle)
            self.hub._active += 1
            drop = faults.drop_after is not None and (
                faults.drop_times is None or faults.drops_done < faults.drop_times
            )
            if drop:
                faults.drops_done += 1
        sent = 0
        position = start
        try:
            self._send_headers(status, headers, body_len, start, end, len(data))
            while position <= end:
                if self.hub._stopping.is_set():
                    break
                n = min(faults.chunk, end - position + 1)
                if drop and faults.drop_after is not None:
                    n = min(n, faults.drop_after - sent)
                    if n <= 0:
                        break
                if faults.stall_after is not None and sent >= faults.stall_after:
                    self.hub._stopping.wait(30)
                    break
                if faults.stall_after is not None:
                    n = min(n, faults.stall_after - sent)
                self.wfile.write(data[position : position + n])
                sent += n
                position += n
                if faults.delay_per_chunk_s:
                    time.sleep(faults.delay_per_chunk_s)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            if position <= end:  # cut short: drop the connection like a failing network
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
            self._record(status, sent)
            with self.hub._lock:
                self.hub._active -= 1

    def _send_headers(
        self, status: int, headers: dict[str, str], length: int, start: int, end: int, total: int
    ) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(length))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{total}")
        self.end_headers()
