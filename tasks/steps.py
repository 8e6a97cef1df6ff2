"""Prefect tasks: thin wrappers over the fetcher, the extractor and the warehouse.

Coarse on purpose (one task per source and step, never one per page): each
task call costs Prefect bookkeeping, and parsing stays out of the task bodies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from functools import partial
from pathlib import Path

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from tasks.crawl import CrawlResult, count_outcomes, crawl_source
from tasks.extract.page import EXTRACTOR_VERSION
from tasks.fetch import Fetcher, FetchLimits
from tasks.pipeline import BatchExtraction, extract_batch
from tasks.records import PageExtraction, PreviousFetch
from tasks.registry import Source
from warehouse.coverage import record_coverage
from warehouse.fetch_log import record_crawl_summaries, record_fetches
from warehouse.load import LoadResult, load_quiet_sources, load_source_run
from warehouse.publish import publish_catalogue
from warehouse.raw import archive_raw_page, stored_raw_page
from warehouse.snapshot import publish_snapshot


@task(name="crawl-source", task_run_name="crawl-{source.id}", cache_policy=NO_CACHE)
def crawl(
    source: Source, fetcher: Fetcher, raw_dir: str, previous: dict[str, PreviousFetch] | None = None
) -> CrawlResult:
    """Fetch a source's pages (conditionally when seen before) and keep each new body in the raw archive."""
    return _crawl_and_archive(source, fetcher, raw_dir, previous)


def _crawl_and_archive(
    source: Source, fetcher: Fetcher, raw_dir: str, previous: dict[str, PreviousFetch] | None
) -> CrawlResult:
    logger = get_run_logger()
    result = crawl_source(source, fetcher, previous, partial(stored_raw_page, Path(raw_dir)))
    for page in result.pages:
        if page.ok and page.content_hash and page.body:
            archive_raw_page(Path(raw_dir), page.content_hash, page.body)
        elif page.error:
            logger.warning("[%s] %s: %s", source.id, page.url, page.error)
    return result


def log_extraction_failures(source: Source, batch: BatchExtraction) -> None:
    """One error line per page the extractor could not read (the source's other pages still load)."""
    for failure in batch.failures:
        get_run_logger().error("[%s] %s", source.id, failure)


@task(name="crawl-and-extract", task_run_name="crawl-and-extract-{source.id}", cache_policy=NO_CACHE)
def crawl_and_extract(
    source: Source,
    user_agent: str,
    limits: FetchLimits,
    raw_dir: str,
    previous: dict[str, PreviousFetch] | None = None,
) -> tuple[CrawlResult, BatchExtraction]:
    """A source's crawl and extraction where the task runs (a Dask worker): its own fetcher, its result back.

    Only the load stays with the flow (DuckDB has one writer). The raw archive
    directory must be reachable from the worker (a shared file system for a remote cluster).
    """
    fetcher = Fetcher(user_agent, limits)
    try:
        crawled = _crawl_and_archive(source, fetcher, raw_dir, previous)
    finally:
        fetcher.close()
    return crawled, extract_batch(source, crawled.pages)  # the flow logs the batch's failures


def load_source(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    crawled: CrawlResult,
    extractions: list[PageExtraction],
    run_id: str,
    now: datetime,
) -> LoadResult:
    """Load the source's run in one transaction: pages, meetings with history, summaries, fetch log.

    Unchanged pages are not re-extracted: their records stay and are marked as
    seen again. Counts are what the warehouse now holds for the source. `con`
    is the run's one connection (opened once per run, never per step). Not a
    Prefect task: it runs on the flow's thread (the flow logs its outcome), and
    a task run per source costs the flow and the API server more CPU than an
    unchanged source's load itself.
    """

    def log_fetches(con: duckdb.DuckDBPyConnection) -> None:
        _log_crawls(con, [(source, crawled)], run_id, now)

    return load_source_run(
        con, source, crawled.pages, extractions, run_id, now, EXTRACTOR_VERSION,
        before_commit=log_fetches, source_recorded=True,
    )  # fmt: skip


def load_unchanged_sources(
    con: duckdb.DuckDBPyConnection, quiet: Sequence[tuple[Source, CrawlResult]], run_id: str, now: datetime
) -> dict[str, LoadResult]:
    """Load the sources whose every page came back unchanged, all in one transaction (see load_quiet_sources).

    What they say is already held; each still gets its fetch log, crawl summary
    and coverage for the run, as a source loaded alone does.
    """
    return load_quiet_sources(
        con,
        [(source, crawled.pages) for source, crawled in quiet],
        run_id,
        now,
        before_commit=lambda con: _log_crawls(con, quiet, run_id, now),
    )


def _log_crawls(
    con: duckdb.DuckDBPyConnection, crawls: Sequence[tuple[Source, CrawlResult]], run_id: str, now: datetime
) -> None:
    """The fetch log, crawl summary and coverage of crawled sources (inside their load's transaction)."""
    record_fetches(con, run_id, [(source.id, crawled.fetches) for source, crawled in crawls])
    counted = [(source, crawled, count_outcomes(crawled)) for source, crawled in crawls]
    record_crawl_summaries(con, run_id, [(source.id, asdict(counts)) for source, _, counts in counted])
    record_coverage(con, run_id, counted, now)


@task(name="publish-catalogue", cache_policy=NO_CACHE)
def publish(con: duckdb.DuckDBPyConnection, out_dir: str, now: datetime) -> dict[str, int]:
    """Rebuild the open-data catalogue from the warehouse; `now` (the run's start) dates a changed release."""
    return publish_catalogue(con, out_dir, now)


@task(name="publish-snapshot", cache_policy=NO_CACHE)
def snapshot(con: duckdb.DuckDBPyConnection, db_path: str, snapshot_dir: str) -> str:
    """Copy the warehouse for analysts, so their queries never wait on the writer's lock."""
    return str(publish_snapshot(db_path, snapshot_dir, con))
