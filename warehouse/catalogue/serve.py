"""Serve a published catalogue folder on 127.0.0.1 for a look (`kommundialog serve-catalogue`).

A plain static file server with the media types the catalogue's files need;
production hosting is any static web server pointed at the same folder.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import ClassVar

MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".ics": "text/calendar; charset=utf-8",
    ".jsonl": "application/jsonl; charset=utf-8",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".parquet": "application/vnd.apache.parquet",
    ".rdf": "application/rdf+xml",
    ".ttl": "text/turtle; charset=utf-8",
    ".atom": "application/atom+xml",
    ".md": "text/markdown; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    "": "text/plain; charset=utf-8",
}


class CatalogueHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with catalogue media types; quiet, and never cached while you look."""

    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        **MEDIA_TYPES,
    }

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def catalogue_server(folder: Path, port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A server bound to 127.0.0.1 only (port 0 picks a free one)."""
    handler = partial(CatalogueHandler, directory=str(folder))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


@contextmanager
def serving(folder: Path, port: int = 0) -> Iterator[str]:
    """Serve `folder` in a background thread; yields its base URL."""
    server = catalogue_server(folder, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
