"""Incremental crawling: how much a second run over an unchanged site costs compared with the first.

Serves a synthetic municipal site on 127.0.0.1 (a listing page and --pages news
pages built from the demo seed pages), then runs the flow's own crawl, extract
and load steps twice into a fresh DuckDB file and reports both times, their
ratio, requests, bytes and pages extracted. The server sleeps --latency
seconds per request, 200 and 304 alike, to stand in for a real network.

Run: .venv/bin/python benchmarks/bench_incremental.py [--pages 150] [--latency 0.02] [--flow] [--smoke]
--flow also times two runs of the real `collect` flow, after a warm-up run
that starts Prefect's temporary server (its bookkeeping is part of both times).
Not part of the test suite: it measures, it does not assert.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from flows.environment import PREFECT_DEFAULTS  # noqa: E402  (imports no Prefect)

for _key, _value in {**PREFECT_DEFAULTS, "PREFECT_LOGGING_LEVEL": "ERROR"}.items():
    os.environ.setdefault(_key, _value)  # the command line's defaults, quieter; before Prefect loads

SEEDS = sorted((ROOT / "demo" / "sites").rglob("*.html"))


def build_site(root: Path, pages: int) -> None:
    """A listing page linking `pages` news pages, each a demo page made unique."""
    links = []
    for i in range(pages):
        body = SEEDS[i % len(SEEDS)].read_bytes() + f"\n<!-- page {i} -->\n".encode()
        (root / "nyheter").mkdir(parents=True, exist_ok=True)
        (root / "nyheter" / f"sida-{i}.html").write_bytes(body)
        links.append(f'<li class="sv-channel-item"><a href="/nyheter/sida-{i}.html">Nyhet {i}</a></li>')
    listing = f'<html><body><ul class="sv-channel">{"".join(links)}</ul></body></html>'
    (root / "nyheter.html").write_text(listing, encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")


class _SlowHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with Last-Modified and 304s (the standard handler), plus a fixed latency."""

    latency = 0.0

    def send_head(self):
        time.sleep(self.latency)
        return super().send_head()

    def log_message(self, format, *args):
        pass


def serve(root: Path, latency: float) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = type("Handler", (_SlowHandler,), {"latency": latency})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def registry_text(origin: str, pages: int, delay: float, concurrency: int) -> str:
    return f"""settings:
  user_agent: "kommundialog-benchmark (+http://127.0.0.1)"
sources:
  - id: bench
    municipality: Nordmaling
    municipality_code: "2401"
    profile: sitevision
    start_urls: ["{origin}/nyheter.html"]
    follow: {{links: "ul.sv-channel li.sv-channel-item a"}}
    allow_private_network: true
    max_pages: {pages + 1}
    min_delay_seconds: {delay}
    max_concurrency: {concurrency}
"""


def run_steps(registry_file: Path, db: Path) -> tuple[float, dict[str, int]]:
    """The collect flow's crawl, extract and load steps for one source, without Prefect's engine."""
    from prefect.logging import disable_run_logger

    from tasks.extract.page import EXTRACTOR_VERSION
    from tasks.fetch import Fetcher
    from tasks.pipeline import extract_batch
    from tasks.registry import load_registry
    from tasks.steps import crawl, load_source
    from warehouse.db import open_warehouse
    from warehouse.fetch_log import previous_fetches

    registry = load_registry(registry_file)
    (source,) = registry.sources
    now = datetime.now(UTC)
    started = time.perf_counter()
    fetcher = Fetcher(registry.user_agent)
    with open_warehouse(db) as con, disable_run_logger():
        previous = previous_fetches(con, EXTRACTOR_VERSION).get(source.id, {})
        crawled = crawl.fn(source, fetcher, str(db.parent / "raw"), previous)
        extractions = extract_batch(source, crawled.pages).extractions
        load_source(con, source, crawled, extractions, now.strftime("%H%M%S%f"), now)
    fetcher.close()
    elapsed = time.perf_counter() - started
    facts = {
        "requests": sum(p.attempts for p in crawled.fetches),
        "bytes": sum(p.size for p in crawled.fetches),
        "304s": sum(1 for p in crawled.pages if p.status == 304),
        "extracted": len(extractions),
    }
    return elapsed, facts


def run_flow(registry_file: Path, workdir: Path) -> float:
    from flows.collect import collect

    started = time.perf_counter()
    collect(str(registry_file), str(workdir / "kd.duckdb"), str(workdir / "catalogue"))
    return time.perf_counter() - started


def time_flow(registry_file: Path, workdir: Path) -> tuple[float, float]:
    """Two flow runs into one warehouse, after a warm-up run into another (Prefect's server start)."""
    run_flow(registry_file, workdir / "warm-up")
    return run_flow(registry_file, workdir / "flow"), run_flow(registry_file, workdir / "flow")


def report(label: str, first: float, second: float) -> None:
    print(f"{label}: first run {first:.2f} s, second run {second:.2f} s, ratio {second / first:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=150, help="news pages on the site")
    parser.add_argument("--latency", type=float, default=0.02, help="server seconds per request")
    parser.add_argument("--delay", type=float, default=0.0, help="politeness delay per host (registry's)")
    parser.add_argument("--concurrency", type=int, default=1, help="requests at once per host")
    parser.add_argument("--flow", action="store_true", help="also time the real collect flow")
    parser.add_argument(
        "--smoke", action="store_true", help="a tiny site (5 pages, no latency): checks it runs"
    )
    args = parser.parse_args()
    if args.smoke:
        args.pages, args.latency = 5, 0.0

    with tempfile.TemporaryDirectory(prefix="kommundialog-bench-") as temp:
        workdir = Path(temp)
        os.environ.setdefault("PREFECT_HOME", str(workdir / "prefect"))
        build_site(workdir / "site", args.pages)
        server, origin = serve(workdir / "site", args.latency)
        registry = workdir / "bench.yaml"
        registry.write_text(registry_text(origin, args.pages, args.delay, args.concurrency), encoding="utf-8")
        try:
            first, first_facts = run_steps(registry, workdir / "steps" / "kd.duckdb")
            second, second_facts = run_steps(registry, workdir / "steps" / "kd.duckdb")
            print(
                f"site: {args.pages + 1} pages, {args.latency * 1000:.0f} ms server latency, delay {args.delay} s"
            )
            print(f"first run:  {first_facts}")
            print(f"second run: {second_facts}")
            report("crawl + extract + load", first, second)
            if args.flow:
                report("collect flow (with Prefect)", *time_flow(registry, workdir))
        finally:
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    main()
