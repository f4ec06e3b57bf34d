"""One HTTP GET with a ``Range`` header, on the standard library's ``http.client``.

Why not huggingface-hub's own client for the bytes: we need to stop a read that is
blocked on a silent server the moment the user presses cancel (``abort()`` shuts the
socket down from another thread), to see exactly what the server did with our Range
request (206, or 200 from the start), and to control redirects so the token is never
sent to another host (signed CDN URLs carry their own authorisation).

Proxies come from the usual environment variables (``https_proxy``, ``http_proxy``,
``no_proxy``) through :func:`urllib.request.getproxies`; an HTTPS target goes through
an HTTP proxy with ``CONNECT``.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import re
import socket
import ssl
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

from app.models.hub import origin

_REDIRECTS = (301, 302, 303, 307, 308)
_CONTENT_RANGE_RE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
MAX_REDIRECTS = 5


class TooManyRedirectsError(Exception):
    pass


@dataclass(frozen=True)
class ContentRange:
    start: int
    end: int  # inclusive
    total: int | None


def parse_content_range(value: str | None) -> ContentRange | None:
    if not value:
        return None
    match = _CONTENT_RANGE_RE.match(value)
    if not match:
        return None
    total = None if match.group(3) == "*" else int(match.group(3))
    return ContentRange(int(match.group(1)), int(match.group(2)), total)


class RangeResponse:
    """An open response; ``read()`` returns what has arrived (b"" at the end)."""

    def __init__(
        self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse, url: str
    ) -> None:
        self._conn = conn
        self._response = response
        self.url = url
        self.status = response.status
        self.headers = response.headers
        self._lock = threading.Lock()
        self.aborted = False

    def header(self, name: str) -> str | None:
        value = self._response.getheader(name)
        return value if value is None else str(value)

    @property
    def content_length(self) -> int | None:
        value = self.header("Content-Length")
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None

    @property
    def content_range(self) -> ContentRange | None:
        return parse_content_range(self.header("Content-Range"))

    def read(self, n: int) -> bytes:
        return self._response.read1(n)

    def body_text(self, limit: int = 2048) -> str:
        with contextlib.suppress(Exception):
            return self._response.read(limit).decode("utf-8", "replace")
        return ""

    def abort(self) -> None:
        """Stop a blocked read from another thread."""
        with self._lock:
            self.aborted = True
            sock = self._conn.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._response.close()
        with contextlib.suppress(Exception):
            self._conn.close()


def _proxy_for(scheme: str, host: str) -> str | None:
    proxies = urllib.request.getproxies()
    proxy = proxies.get(scheme)
    if not proxy:
        return None
    if urllib.request.proxy_bypass(host):
        return None
    return proxy


def _connect(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str, dict[str, str]]:
    """A connection for ``url`` (through a proxy if one is set), the request target, and
    headers the proxy needs."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if scheme not in ("http", "https") or not host:
        raise ValueError(f"unsupported URL: {url}")
    port = parts.port or (443 if scheme == "https" else 80)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    extra: dict[str, str] = {}
    proxy = _proxy_for(scheme, host)
    proxy_auth: dict[str, str] = {}
    if proxy:
        pparts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
        if pparts.username:
            token = f"{unquote(pparts.username)}:{unquote(pparts.password or '')}"
            proxy_auth["Proxy-Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
        phost, pport = pparts.hostname or "", pparts.port or 8080
        if scheme == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                phost, pport, timeout=timeout, context=ssl.create_default_context()
            )
            conn.set_tunnel(host, port, headers=proxy_auth or None)
        else:
            conn = http.client.HTTPConnection(phost, pport, timeout=timeout)
            target = url
            extra.update(proxy_auth)
    elif scheme == "https":
        conn = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    return conn, target, extra


def open_range(
    url: str,
    headers: dict[str, str],
    offset: int,
    timeout: float,
    on_connection: Callable[[RangeResponse], None] | None = None,
) -> RangeResponse:
    """GET ``url`` from byte ``offset`` (no Range header when 0), following redirects.

    ``Authorization`` is dropped as soon as a redirect leaves the original origin.
    ``on_connection`` is told about each response as soon as it exists, so a cancel can
    abort it. Network failures raise ``OSError``/``http.client.HTTPException``.
    """
    current = url
    send = dict(headers)
    send["Accept-Encoding"] = "identity"
    if offset > 0:
        send["Range"] = f"bytes={offset}-"
    first_origin = origin(url)
    for _ in range(MAX_REDIRECTS + 1):
        conn, target, extra = _connect(current, timeout)
        request_headers = {**send, **extra}
        try:
            conn.request("GET", target, headers=request_headers)
            raw = conn.getresponse()
        except BaseException:
            conn.close()
            raise
        response = RangeResponse(conn, raw, current)
        if on_connection is not None:
            on_connection(response)
        if response.status in _REDIRECTS:
            location = response.header("Location")
            response.close()
            if not location:
                raise http.client.HTTPException(f"redirect without Location from {current}")
            current = urljoin(current, location)
            if origin(current) != first_origin:
                send.pop("Authorization", None)
                send.pop("authorization", None)
            continue
        return response
    raise TooManyRedirectsError(f"more than {MAX_REDIRECTS} redirects from {url}")
