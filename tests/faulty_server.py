"""A small HTTP server on 127.0.0.1 whose paths misbehave on purpose, for fetcher tests."""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

PAGE = "<html><head><meta charset='utf-8'><title>Dialog</title></head><body><p>Välkommen på dialogmöte</p></body></html>"


class FaultyHandler(http.server.BaseHTTPRequestHandler):
    hits: Counter[str]
    times: dict[str, list[float]]
    robots: str = "User-agent: *\nDisallow: /private/\n"

    def log_message(self, format, *args):
        pass

    def _send(
        self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8", **headers: str
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        # The client may give up (timeouts, size limits): that is the point of those tests.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        self.hits[path] += 1
        self.times.setdefault(path, []).append(time.monotonic())
        count = self.hits[path]
        if path == "/robots.txt":
            self._send(200, self.robots.encode(), "text/plain")
        elif path in ("/ok", "/ok2", "/private/page"):
            self._send(200, PAGE.encode("utf-8"))
        elif path == "/flaky-500":
            self._send(500, b"oops") if count == 1 else self._send(200, PAGE.encode())
        elif path == "/rate-limited":
            self._send(429, b"slow down", Retry_After="1") if count == 1 else self._send(200, PAGE.encode())
        elif path == "/gone":
            self._send(410, b"gone")
        elif path == "/missing":
            self._send(404, b"not found")
        elif path == "/slow-first-byte":
            time.sleep(1)
            self._send(200, PAGE.encode())
        elif path == "/loop":
            self._send(302, b"", Location="/loop")
        elif path == "/to-other-host":
            self._send(302, b"", Location="http://example.org/")
        elif path == "/huge":
            self._send(200, b"<p>" + b"x" * 300_000 + b"</p>")
        elif path == "/image":
            self._send(200, b"\x89PNG\r\n", "image/png")
        elif path == "/latin1":
            self._send(200, "<p>Dialogmöte på Åsgården</p>".encode("cp1252"), "text/html")
        else:
            self._send(404, b"no such path")


@contextmanager
def faulty_server(robots: str | None = None) -> Iterator[tuple[str, type[FaultyHandler]]]:
    """Serve FaultyHandler on a free port; yield its origin and the handler class (hit counters)."""
    handler = type("Handler", (FaultyHandler,), {"hits": Counter(), "times": {}})
    if robots is not None:
        handler.robots = robots
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
