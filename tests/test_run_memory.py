"""A run holds only the page bodies of the sources in hand: loaded sources' bodies are freed at once.

Memory itself is measured by benchmarks/bench_national.py; these tests check
the mechanisms that keep it low: no page body outlives its source's load
(not in Prefect's finished futures, not in the run's health outcomes), and the
extraction workers (spawned processes that import the CLI module again) do
not load the warehouse's or Prefect's libraries.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow

from flows.collect import _SourcePlan
from flows.health_report import SourceOutcome
from tasks.crawl import CrawlResult
from tasks.fetch import content_hash, limits_from_settings
from tasks.records import FetchedPage
from tasks.registry import load_registry

ROOT = Path(__file__).resolve().parent.parent


@flow(name="crawl-and-drop")
def crawl_and_drop(registry_file: str, raw_dir: str) -> tuple[int, int]:
    """Crawl and extract every source through the run's pipeline; count the bodies still alive once dropped.

    Python's cyclic collector is off meanwhile: a body that survives here is
    held by something, not merely waiting for a collection.
    """
    registry = load_registry(registry_file)
    limits = limits_from_settings(registry.extra.get("fetch"))
    plan = _SourcePlan(registry.sources, registry.user_agent, limits, raw_dir, {}, "threads")
    bodies = alive = 0
    gc.disable()
    try:
        for _source, work in plan.results():
            crawled, batch = work()
            references = [weakref.ref(page) for page in crawled.pages if page.body]
            del crawled, batch, work
            bodies += len(references)
            alive += sum(reference() is not None for reference in references)
    finally:
        gc.enable()
        plan.close()
    return bodies, alive


def test_a_loaded_sources_bodies_are_freed_at_once(prefect_server, demo_registry_file, tmp_path) -> None:
    bodies, alive = crawl_and_drop(str(demo_registry_file), str(tmp_path / "raw"))
    assert bodies > 10
    assert alive == 0


def test_handing_over_a_crawl_leaves_the_original_without_pages() -> None:
    body = b"<html><body>Dialogm\xc3\xb6te</body></html>"
    page = FetchedPage("http://127.0.0.1/a", "http://127.0.0.1/a", 200, datetime.now(UTC), "text/html", body,
                       content_hash(body))  # fmt: skip
    original = CrawlResult("s", pages=[page], documents=[page], links_out_of_scope=2)
    taken = original.handed_over()
    assert taken.pages == [page] and taken.documents == [page] and taken.links_out_of_scope == 2
    assert original.pages == [] and original.documents == []


def test_a_sources_health_outcome_keeps_counts_not_pages() -> None:
    fetched = datetime.now(UTC)
    read = FetchedPage(
        "http://127.0.0.1/a", "http://127.0.0.1/a", 200, fetched, "text/html", b"x" * 1000, "h"
    )
    failed = FetchedPage("http://127.0.0.1/b", "http://127.0.0.1/b", 500, fetched, None, b"", None,
                         error="HTTP 500", outcome="failed", reason="http_5xx")  # fmt: skip
    crawled = CrawlResult("s", pages=[read, failed])
    reference = weakref.ref(read)
    outcome = SourceOutcome()
    outcome.record_crawl(crawled)
    del crawled, read
    assert reference() is None
    assert outcome.pages_read == 1
    assert outcome.counts is not None and outcome.counts.failed == {"http_5xx": 1}


def test_the_cli_module_loads_no_warehouse_or_prefect_libraries() -> None:
    """Each extraction worker imports the CLI module again (it is the spawned process's `__main__`)."""
    probe = "import sys, flows.cli; print(' '.join(m for m in ('duckdb', 'pyarrow', 'prefect') if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.split() == []
