"""A small HTTP server on 127.0.0.1 whose paths misbehave on purpose, for fetcher and crawler tests.

Each path is one fault: slow first byte, trickled headers or body, 429 with
Retry-After, 5xx then success, redirect loops and escapes, oversized and
compressed-bomb bodies, binary bodies labelled text/html, wrong charsets,
validators and 304s, connections reset mid-body. The handler class counts
hits, request start times, request headers and requests in flight, so tests
can check what the crawler actually sent and when.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.server
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

PAGE = "<html><head><meta charset='utf-8'><title>Dialog</title></head><body><p>Välkommen på dialogmöte</p></body></html>"
SWEDISH = "<html><body><p>Dialogmöte på Åsgården i Älvdalen</p></body></html>"
ETAG = '"v1-dialog"'
LAST_MODIFIED = "Wed, 15 May 2024 08:00:00 GMT"
# A gzip body that inflates to 6 MB from a few kB.
BOMB = gzip.compress(b"<p>" + b"a" * 6_000_000 + b"</p>", mtime=0)


class FaultyHandler(http.server.BaseHTTPRequestHandler):
    hits: Counter[str]
    times: dict[str, list[float]]
    seen_headers: dict[str, list[dict[str, str]]]
    in_flight: list[int]  # [now, most ever]
    robots: str = "User-agent: *\nDisallow: /private/\n"
    robots_status: int = 200
    pages: dict[str, str | tuple[str, str]]  # extra pages by path (HTML, or content type and body)
    page_delay: float = 0.0  # seconds each of those pages takes, to make concurrency visible
    guard: threading.Lock

    def log_message(self, format, *args):
        pass

    def _send(
        self, status: int, body: bytes, content_type: str | None = "text/html; charset=utf-8", **headers: str
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if "Content_Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        # The client may give up (timeouts, size limits): that is the point of those tests.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def _reset(self) -> None:
        """Abort the connection with a TCP reset (SO_LINGER 0), as a crashing server does."""
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _trickle(self, head: bytes, piece: bytes, every: float, times: int) -> None:
        """Send `head`, then `piece` every `every` seconds: each read is quick, the whole is endless."""
        with contextlib.suppress(OSError):
            self.wfile.write(head)
            self.wfile.flush()
            for _ in range(times):
                time.sleep(every)
                self.wfile.write(piece)
                self.wfile.flush()
        self.close_connection = True

    def _conditional(self, path: str) -> None:
        """Serve PAGE with validators; answer 304 when the client presents them."""
        if path == "/etag" and self.headers.get("If-None-Match") == ETAG:
            self._send(304, b"", None, ETag=ETAG)
        elif path == "/last-modified" and self.headers.get("If-Modified-Since") == LAST_MODIFIED:
            self._send(304, b"", None, Last_Modified=LAST_MODIFIED)
        else:
            self._send(200, PAGE.encode(), ETag=ETAG, Last_Modified=LAST_MODIFIED)

    def do_GET(self) -> None:
        path = self.path
        with self.guard:
            self.hits[path] += 1
            self.times.setdefault(path, []).append(time.monotonic())
            self.seen_headers.setdefault(path, []).append(dict(self.headers))
            self.in_flight[0] += 1
            self.in_flight[1] = max(self.in_flight)
        try:
            self._route(path, self.hits[path])
        finally:
            with self.guard:
                self.in_flight[0] -= 1

    def _route(self, path: str, count: int) -> None:
        routes: dict[str, Callable[[], None]] = {
            "/robots.txt": lambda: self._send(self.robots_status, self.robots.encode(), "text/plain"),
            "/flaky-500": lambda: self._send(500, b"oops") if count == 1 else self._send(200, PAGE.encode()),
            "/always-503": lambda: self._send(503, b"down for maintenance"),
            "/rate-limited": lambda: (
                self._send(429, b"slow down", Retry_After="1")
                if count == 1
                else self._send(200, PAGE.encode())
            ),
            "/rate-limited-long": lambda: self._send(429, b"come back tomorrow", Retry_After="86400"),
            "/gone": lambda: self._send(410, b"gone"),
            "/missing": lambda: self._send(404, b"not found"),
            "/forbidden": lambda: self._send(403, b"no"),
            "/slow-first-byte": lambda: (time.sleep(0.5), self._send(200, PAGE.encode())),
            "/slow-body": lambda: self._trickle(
                b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n<p>",
                b"x",
                0.05,
                200,
            ),
            "/slow-headers": lambda: self._trickle(b"HTTP/1.0 200 OK\r\n", b"X-Slow: 1\r\n", 0.05, 90),
            "/loop": lambda: self._send(302, b"", Location="/loop"),
            "/to-other-host": lambda: self._send(302, b"", Location="http://example.org/"),
            "/to-private": lambda: self._send(302, b"", Location="http://10.0.0.1/admin"),
            "/to-link-local": lambda: self._send(
                301, b"", Location="http://169.254.169.254/latest/meta-data/"
            ),
            "/to-localhost": lambda: self._send(
                302, b"", Location=f"http://localhost:{self.server.server_port}/ok"
            ),
            "/to-ftp": lambda: self._send(302, b"", Location="ftp://127.0.0.1/file"),
            "/to-disallowed": lambda: self._send(307, b"", Location="/private/page"),
            "/to-ok": lambda: self._send(301, b"", Location="/ok"),
            "/bad-redirect": lambda: self._send(302, b"", Location="http://[::1/broken"),
            "/no-location": lambda: self._send(302, b"moved, somewhere"),
            "/huge": lambda: self._send(200, b"<p>" + b"x" * 300_000 + b"</p>"),
            "/huge-unannounced": lambda: self._trickle(
                b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n", b"<p>" + b"x" * 65536, 0, 10
            ),
            "/gzip-bomb": lambda: self._send(200, BOMB, Content_Encoding="gzip"),
            "/image": lambda: self._send(200, b"\x89PNG\r\n", "image/png"),
            "/binary-html": lambda: self._send(200, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)),
            "/nul-html": lambda: self._send(200, b"<html>\x00\x01\x02\x03" * 50),
            "/no-content-type": lambda: self._send(200, PAGE.encode(), None),
            "/latin1": lambda: self._send(200, SWEDISH.encode("cp1252"), "text/html"),
            "/wrong-charset": lambda: self._send(200, SWEDISH.encode("cp1252"), "text/html; charset=utf-8"),
            "/utf8-labelled-latin1": lambda: self._send(
                200, SWEDISH.encode(), "text/html; charset=iso-8859-1"
            ),
            "/bogus-charset": lambda: self._send(200, SWEDISH.encode(), "text/html; charset=klingon"),
            "/etag": lambda: self._conditional("/etag"),
            "/last-modified": lambda: self._conditional("/last-modified"),
            "/reset-mid-body": lambda: self._reset_mid_body(),
            "/reset-once": lambda: self._reset_mid_body() if count == 1 else self._send(200, PAGE.encode()),
            "/close-at-once": lambda: self._reset(),
            "/not-http": lambda: (self.wfile.write(b"SSH-2.0-OpenSSH_9.6\r\n"), self._reset()),
            "/slow-ok": lambda: (time.sleep(0.15), self._send(200, PAGE.encode())),
        }
        if path in routes:
            routes[path]()
        elif path in ("/ok", "/ok2", "/ok3", "/private/page"):
            self._send(200, PAGE.encode("utf-8"))
        elif path in self.pages:
            time.sleep(self.page_delay)
            self._send_page(self.pages[path])
        else:
            self._send(404, b"no such path")

    def _send_page(self, page: str | tuple[str, str]) -> None:
        """An extra page, with an ETag of its content: 304 when the client already has it."""
        content_type, text = page if isinstance(page, tuple) else ("text/html; charset=utf-8", page)
        body = text.encode("utf-8")
        etag = '"' + hashlib.sha1(body).hexdigest()[:12] + '"'
        if self.headers.get("If-None-Match") == etag:
            self._send(304, b"", None, ETag=etag)
        else:
            self._send(200, body, content_type, ETag=etag)

    def _reset_mid_body(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "10000")
        self.end_headers()
        self.wfile.write(b"<p>" + b"x" * 100)
        self._reset()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address) -> None:
        pass  # aborted connections are what these tests are about


@contextmanager
def faulty_server(
    robots: str | None = None,
    robots_status: int = 200,
    pages: dict[str, str | tuple[str, str]] | None = None,
    page_delay: float = 0.0,
) -> Iterator[tuple[str, type[FaultyHandler]]]:
    """Serve FaultyHandler on a free port; yield its origin and the handler class (hit counters)."""
    attributes = {
        "hits": Counter(),
        "times": {},
        "seen_headers": {},
        "in_flight": [0, 0],
        "guard": threading.Lock(),
        "robots_status": robots_status,
        "pages": pages or {},
        "page_delay": page_delay,
    }
    handler = type("Handler", (FaultyHandler,), attributes)
    if robots is not None:
        handler.robots = robots
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
