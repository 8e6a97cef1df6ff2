"""The `collect` flow: crawl every source, extract, load, publish. Reads like a table of contents."""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.futures import PrefectFuture
from prefect.task_runners import ThreadPoolTaskRunner

from tasks.crawl import CrawlCounts, CrawlResult, count_outcomes, describe_counts
from tasks.extract.page import EXTRACTOR_VERSION
from tasks.fetch import Fetcher, FetchLimits, limits_from_settings
from tasks.pipeline import BatchExtraction, ExtractionPool
from tasks.records import PreviousFetch
from tasks.registry import Source, load_registry
from tasks.steps import crawl, crawl_and_extract, load_source, log_extraction_failures, publish, snapshot
from warehouse.db import finish_run, open_warehouse, start_run, table_counts
from warehouse.fetch_log import previous_fetches
from warehouse.load import LoadResult

# Sources crawled at once; each host still gets one request at a time.
MAX_PARALLEL_SOURCES = 4
# Sources crawling, crawled or extracting, not yet loaded: bounds the bodies held in memory.
MAX_SOURCES_IN_HAND = 8
# On a Dask cluster the work is spread wider; results wait in the workers' memory, not here.
MAX_SOURCES_IN_HAND_DASK = 32


@dataclass
class RunSummary:
    """What a run did, for the CLI's closing lines and for tests."""

    run_id: str
    sources: int = 0
    pages: int = 0
    failed_pages: int = 0
    meetings: int = 0
    summaries: int = 0
    errors: list[str] = field(default_factory=list)
    per_source: dict[str, str] = field(default_factory=dict)
    crawl_counts: dict[str, CrawlCounts] = field(default_factory=dict)
    outputs: dict[str, int] = field(default_factory=dict)
    table_counts: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    snapshot: str | None = None


@flow(name="collect", task_runner=ThreadPoolTaskRunner(max_workers=MAX_PARALLEL_SOURCES))
def collect(
    sources_file: str,
    db_path: str,
    out_dir: str,
    snapshot_dir: str | None = None,
    task_runner: str = "threads",
) -> RunSummary:
    """Crawl the registry's sources, load what they say into DuckDB, publish the catalogue and a snapshot.

    One failing source is logged and counted; the others go on. The analysts'
    read-only snapshot goes to `snapshot_dir` (default: 'snapshot' beside the catalogue).
    `task_runner` says where sources are crawled and extracted: 'threads' (crawl
    threads and local extraction processes) or 'dask' (the flow runs with a
    DaskTaskRunner, see flows/runners.py); either way the load stays here.
    """
    logger = get_run_logger()
    registry = load_registry(sources_file)
    limits = limits_from_settings(registry.extra.get("fetch"))  # a bad setting fails before any work
    now = datetime.now(UTC)
    run_id = f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    raw_dir = str(Path(db_path).parent / "raw")
    summary = RunSummary(run_id=run_id, sources=len(registry.sources))
    with open_warehouse(db_path) as con:
        start_run(con, run_id, now)
        previous = previous_fetches(con, EXTRACTOR_VERSION)  # validators for conditional requests

    plan = _SourcePlan(registry.sources, registry.user_agent, limits, raw_dir, previous, task_runner)
    try:
        for source, work in plan.results():
            try:
                crawled, batch = work()
                log_extraction_failures(source, batch)
                counts = load_source(db_path, source, crawled, batch.extractions, run_id, now)
            except Exception as exc:  # one broken source must not stop the others
                message = f"{source.id}: {type(exc).__name__}: {exc}"
                summary.errors.append(message)
                summary.per_source[source.id] = f"failed: {exc}"
                logger.error("source %s failed: %s", source.id, exc)
                continue
            _account(summary, source, crawled, counts, logger)
    finally:
        plan.close()

    try:
        summary.outputs = publish(db_path, out_dir, now)
    except Exception as exc:  # the data is loaded; the served catalogue stays as it was
        summary.errors.append(f"catalogue not published (the previous release is still served): {exc}")
        logger.error("catalogue not published: %s", exc)
    with open_warehouse(db_path) as con:
        status = "ok" if not summary.errors else "partial"
        totals = {
            "sources": summary.sources,
            "pages": summary.pages,
            "meetings": summary.meetings,
            "summaries": summary.summaries,
        }
        finish_run(con, run_id, datetime.now(UTC), status, totals, summary.errors)
        summary.table_counts = table_counts(con)
    try:
        summary.snapshot = snapshot(db_path, snapshot_dir or str(Path(out_dir).parent / "snapshot"))
    except Exception as exc:  # analysts keep the previous snapshot; the warehouse is complete
        summary.errors.append(f"snapshot not published (the previous one stays): {exc}")
        logger.error("snapshot not published: %s", exc)
    return summary


def _account(summary: RunSummary, source: Source, crawled: CrawlResult, counts: LoadResult, logger) -> None:
    """Add a loaded source to the run's summary and log its line."""
    not_read = [p for p in crawled.pages if p.outcome not in ("fetched", "unchanged", "duplicate")]
    crawl_counts = summary.crawl_counts[source.id] = count_outcomes(crawled)
    summary.pages += counts.pages
    summary.failed_pages += crawl_counts.failed_total
    summary.meetings += counts.meetings
    summary.summaries += counts.summaries
    summary.errors.extend(f"{source.id}: {p.url}: {p.error}" for p in not_read)
    for kind, number in counts.changes.items():
        summary.changes[kind] = summary.changes.get(kind, 0) + number
    changed = ", ".join(f"{n} {k}" for k, n in counts.changes.items() if n and k != "unchanged")
    summary.per_source[source.id] = (
        f"{describe_counts(crawl_counts)}; {counts.meetings} meetings, {counts.summaries} summaries"
        + (f"; changes: {changed}" if changed else "")
    )
    if counts.suspect:
        summary.warnings.append(f"{source.id}: suspect, nothing marked disappeared: {counts.suspect_reason}")
        logger.warning("source %s is suspect: %s", source.id, counts.suspect_reason)
    logger.info("source %s: %s", source.id, summary.per_source[source.id])


SourceWork = Callable[[], tuple[CrawlResult, BatchExtraction]]


class _SourcePlan:
    """Sources through crawl and extraction as a pipeline, handed to the loader in registry order.

    At most MAX_SOURCES_IN_HAND sources (MAX_SOURCES_IN_HAND_DASK on Dask) are
    crawling, crawled or extracting at once, so bodies and extractions never
    pile up while the loader catches up.
    With threads, crawls run on the flow's task runner and extraction in local
    processes; with Dask, one task per source does both on a worker.
    """

    def __init__(
        self,
        sources: Sequence[Source],
        user_agent: str,
        limits: FetchLimits,
        raw_dir: str,
        previous: dict[str, dict[str, PreviousFetch]],
        task_runner: str,
    ) -> None:
        self.waiting = deque(sources)
        self.user_agent, self.limits, self.raw_dir, self.previous = user_agent, limits, raw_dir, previous
        self.remote = task_runner == "dask"
        self.fetcher = None if self.remote else Fetcher(user_agent, limits)
        self.pool = ExtractionPool()
        self.crawling: deque[tuple[Source, PrefectFuture]] = deque()
        self.extracting: deque[tuple[Source, SourceWork]] = deque()

    def results(self) -> Iterator[tuple[Source, SourceWork]]:
        """Each source with the call that gives its crawl and extraction (raising what failed)."""
        while self.waiting or self.crawling or self.extracting:
            self._top_up()
            if self.crawling and len(self.extracting) <= self.pool.workers:
                self.extracting.append(self._extract(*self.crawling.popleft()))
                continue
            yield self.extracting.popleft()

    def _top_up(self) -> None:
        limit = MAX_SOURCES_IN_HAND_DASK if self.remote else MAX_SOURCES_IN_HAND
        while self.waiting and len(self.crawling) + len(self.extracting) < limit:
            source = self.waiting.popleft()
            previous = self.previous.get(source.id, {})
            if self.remote:
                args = (source, self.user_agent, self.limits, self.raw_dir, previous)
                future = crawl_and_extract.submit(*args)
            else:
                future = crawl.submit(source, self.fetcher, self.raw_dir, previous)
            self.crawling.append((source, future))

    def _extract(self, source: Source, future: PrefectFuture) -> tuple[Source, SourceWork]:
        """Wait for the source's crawl; start its extraction (a failed crawl raises when its turn comes)."""
        try:
            outcome = future.result()
        except Exception as exc:
            return source, partial(_raise, exc)
        if self.remote:
            return source, lambda: outcome
        extraction = self.pool.submit(source, outcome.pages)
        return source, lambda: (outcome, extraction.result())

    def close(self) -> None:
        self.pool.close()
        if self.fetcher is not None:
            self.fetcher.close()


def _raise(exc: Exception) -> tuple[CrawlResult, BatchExtraction]:
    raise exc
