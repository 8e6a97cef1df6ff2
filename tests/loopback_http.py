"""Small real HTTP servers on 127.0.0.1 for tests: start one, answer a request."""

from __future__ import annotations

import http.server
import threading


def send(handler: http.server.BaseHTTPRequestHandler, status: int, content_type: str, body: bytes) -> None:
    """Answer the request with a whole body and its length."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def serve_on_loopback(
    handler: type[http.server.BaseHTTPRequestHandler],
) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve `handler` on a free port of 127.0.0.1 in a daemon thread; return the server and its origin."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
