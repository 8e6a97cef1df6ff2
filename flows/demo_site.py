"""The bundled demo site: replicas of the seed pages served from 127.0.0.1, one port per site.

Each site directory under demo/sites/ is the web root of its own origin, so
per-host logic (robots.txt, politeness, scope) is exercised for real.
"""

from __future__ import annotations

import http.server
import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEMO_SITES_DIR = PROJECT_ROOT / "demo" / "sites"
DEMO_REGISTRY = PROJECT_ROOT / "config" / "demo-sources.yaml"
# The ports config/demo-sources.yaml names; used when free.
DEMO_PORTS = {"nordmaling": 8701, "ovanaker": 8702, "norrkoping": 8703, "oppnasoc": 8704}
TEMPLATED = (".xml", ".txt")


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves one site's files; fills '{origin}' in sitemaps and robots.txt."""

    def __init__(self, *args, origin: str, **kwargs) -> None:
        self.origin = origin
        super().__init__(*args, **kwargs)

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.suffix in TEMPLATED and path.is_file():
            body = path.read_text(encoding="utf-8").replace("{origin}", self.origin).encode("utf-8")
            self.send_response(200)
            kind = "application/xml" if path.suffix == ".xml" else "text/plain; charset=utf-8"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            from io import BytesIO

            return BytesIO(body)
        return super().send_head()

    def guess_type(self, path):
        kind = super().guess_type(path)
        return "text/html; charset=utf-8" if kind == "text/html" else kind

    def log_message(self, format, *args):
        pass


@dataclass
class DemoSites:
    """Running demo servers; `origins` maps site name to 'http://127.0.0.1:PORT'."""

    origins: dict[str, str]
    servers: list[http.server.ThreadingHTTPServer]

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> DemoSites:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _bind(site: str, port: int) -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), None)  # handler set below
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    server.RequestHandlerClass = partial(_SiteHandler, directory=str(DEMO_SITES_DIR / site), origin=origin)
    return server


def serve_demo_sites(fixed_ports: bool = True) -> DemoSites:
    """Start one server per site: on the registry's ports if free, else on free ports."""
    servers: list[http.server.ThreadingHTTPServer] = []
    origins: dict[str, str] = {}
    for site, port in DEMO_PORTS.items():
        try:
            server = _bind(site, port if fixed_ports else 0)
        except OSError:
            server = _bind(site, 0)
        servers.append(server)
        origins[site] = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, name=f"demo-{site}", daemon=True).start()
    return DemoSites(origins=origins, servers=servers)


def registry_origins(sites: DemoSites) -> dict[str, str]:
    """Map the registry's fixed origins to the ones actually serving."""
    return {f"http://127.0.0.1:{DEMO_PORTS[s]}": origin for s, origin in sites.origins.items()}
