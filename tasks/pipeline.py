"""Extraction off the flow's critical path: one batch per source, in worker processes.

The extractor is pure CPU work (lxml, BeautifulSoup, regular expressions) and
holds the GIL; run on the flow's thread it stalls the crawl threads and uses
one core. Here each source's changed pages go as one batch to a process pool
with a worker per core, while the crawl keeps fetching and the flow's thread
loads finished sources. The flow keeps only a few sources in hand at a time,
so bodies and results never pile up.

Plain Python (no Prefect): the flow (flows/collect.py) and the coarse tasks in
tasks/steps.py call it.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from tasks.charset import decode_text
from tasks.extract.page import extract_page
from tasks.records import STOCKHOLM, FetchedPage, PageContext, PageExtraction
from tasks.registry import Source

# A source with fewer changed pages than this is extracted in the caller's thread:
# shipping a handful of pages to a process costs more than reading them here ...
SMALL_BATCH = 8
# ... until the run has read this many pages in the caller's thread: past that, a
# run of many small batches (a national run where a few pages per site changed)
# starts the workers and sends them everything, so the flow's thread stays free.
IN_THREAD_PAGES = 32


@dataclass
class BatchExtraction:
    """A source's extractions, and the pages that could not be read (as 'url: error' lines)."""

    extractions: list[PageExtraction] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def extract_batch(source: Source, pages: list[FetchedPage]) -> BatchExtraction:
    """Run the pure extractor over every new or changed page (unchanged ones keep their records).

    Each page is read as of the Stockholm day its content was fetched. One
    unreadable page never costs the source its other pages.
    """
    batch = BatchExtraction()
    for page in pages:
        if not page.changed:
            continue
        context = PageContext(
            url=page.final_url,
            fetched_at=page.fetched_at.astimezone(STOCKHOLM).date(),
            municipality=source.municipality,
            profile=source.profile,
            source_id=source.id,
        )
        try:
            batch.extractions.append(extract_page(decode_text(page.body, page.content_type), context))
        except Exception as exc:
            batch.failures.append(f"{page.url}: extraction failed: {type(exc).__name__}: {exc}")
    return batch


def default_workers() -> int:
    """One extracting process per core."""
    return max(1, os.cpu_count() or 1)


class ExtractionPool:
    """Extract sources' batches in worker processes (started on first need); a small run's in-thread."""

    def __init__(
        self,
        workers: int | None = None,
        small_batch: int = SMALL_BATCH,
        in_thread_pages: int = IN_THREAD_PAGES,
    ) -> None:
        self.workers = workers or default_workers()
        self.small_batch = small_batch
        self.in_thread_pages = in_thread_pages
        self._read_in_thread = 0
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, source: Source, pages: list[FetchedPage]) -> Future[BatchExtraction]:
        """The source's extraction, running (or done, when read in the calling thread)."""
        changed = [p for p in pages if p.changed]  # only these bodies travel to a worker
        if not changed or self._stays_in_thread(len(changed)):
            return _done(extract_batch, source, changed)
        try:
            return self._processes().submit(extract_batch, source, changed)
        except BrokenProcessPool:  # a worker died (killed, out of memory): start afresh for this batch
            self.close()
            return self._processes().submit(extract_batch, source, changed)

    def _stays_in_thread(self, count: int) -> bool:
        """A small batch while the workers are not running and the run has read few pages here."""
        if self._pool is not None or count >= self.small_batch:
            return False
        if self._read_in_thread + count > self.in_thread_pages:
            return False
        self._read_in_thread += count
        return True

    def _processes(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # 'spawn': the flow's process has threads (crawl, Prefect); forking it is unsafe.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        return self._pool

    @property
    def started(self) -> bool:
        """Did any batch go to a worker process?"""
        return self._pool is not None

    def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _done(function: Callable[..., BatchExtraction], *args: object) -> Future[BatchExtraction]:
    """A future already holding function(*args)'s result (or its exception)."""
    future: Future[BatchExtraction] = Future()
    try:
        future.set_result(function(*args))
    except Exception as exc:
        future.set_exception(exc)
    return future
