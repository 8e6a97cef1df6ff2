"""Extraction in worker processes gives what extraction in the flow's thread gives, and never loses a page."""

from __future__ import annotations

import os
import signal
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime

from tasks.fetch import content_hash
from tasks.pipeline import ExtractionPool, extract_batch
from tasks.records import FetchedPage
from tasks.registry import Source
from tests.conftest import SITES

SOURCE = Source(
    id="nordmaling-test",
    municipality="Nordmaling",
    municipality_code="2401",
    start_urls=("https://www.nordmaling.se/",),
    profile="sitevision",
)


def demo_pages() -> list[FetchedPage]:
    """Every demo page of one site as a freshly fetched page, plus one unchanged page (no body)."""
    fetched = datetime(2024, 5, 10, 8, 0, tzinfo=UTC)
    pages = []
    for path in sorted((SITES / "nordmaling").rglob("*.html")):
        url = f"https://www.nordmaling.se/{path.relative_to(SITES / 'nordmaling')}"
        body = path.read_bytes()
        pages.append(
            FetchedPage(url, url, 200, fetched, "text/html; charset=utf-8", body, content_hash(body))
        )
    unchanged = FetchedPage(
        "https://www.nordmaling.se/x.html", "https://www.nordmaling.se/x.html", 304, fetched,
        None, b"", "0" * 64, outcome="unchanged",
    )  # fmt: skip
    return [*pages, unchanged]


def test_worker_processes_extract_what_the_calling_thread_extracts() -> None:
    pages = demo_pages()
    inline = extract_batch(SOURCE, pages)
    with ExtractionPool(workers=2, small_batch=1) as pool:
        halves = [pool.submit(SOURCE, pages[::2]), pool.submit(SOURCE, pages[1::2])]
        assert pool.started
        results = [h.result(timeout=120) for h in halves]
    in_processes = sorted(
        (e for r in results for e in r.extractions), key=lambda e: [p.final_url for p in pages].index(e.url)
    )
    assert len(inline.extractions) == len(pages) - 1  # the unchanged page is not read again
    assert in_processes == inline.extractions
    assert any(e.meetings for e in inline.extractions)


def test_a_small_batch_stays_in_the_calling_thread() -> None:
    pages = demo_pages()[:3]
    with ExtractionPool(workers=2, small_batch=8) as pool:
        batch = pool.submit(SOURCE, pages).result()
        assert not pool.started
    assert [e.url for e in batch.extractions] == [p.final_url for p in pages]


def test_a_killed_worker_costs_its_batch_not_the_run() -> None:
    """A worker process that dies fails the batch it held at most; later batches get a fresh pool."""
    pages = demo_pages()
    with ExtractionPool(workers=1, small_batch=1) as pool:
        first = pool.submit(SOURCE, pages).result(timeout=120)
        for pid in list(pool._pool._processes):  # the pool's own worker, started by this test
            os.kill(pid, signal.SIGKILL)
        recovered = None
        for _attempt in range(2):  # the batch in flight when the pool notices may fail
            try:
                recovered = pool.submit(SOURCE, pages).result(timeout=120)
                break
            except BrokenProcessPool:
                continue
    assert recovered is not None
    assert recovered.extractions == first.extractions


def test_a_run_of_many_small_batches_moves_to_the_workers() -> None:
    """A few changed pages on each of many sites: past the in-thread budget the workers take over."""
    pages = demo_pages()[:3]
    with ExtractionPool(workers=1, small_batch=8, in_thread_pages=6) as pool:
        first, second = pool.submit(SOURCE, pages).result(), pool.submit(SOURCE, pages).result()
        assert not pool.started
        third = pool.submit(SOURCE, pages).result(timeout=120)
        assert pool.started
        fourth = pool.submit(SOURCE, pages[:1]).result(timeout=120)  # once running, the workers get all
    assert first == second == third
    assert fourth.extractions == first.extractions[:1]
