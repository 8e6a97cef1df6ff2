"""Prefect tasks: thin wrappers over the fetcher, the extractor and the warehouse.

Coarse on purpose (one task per source and step, never one per page): each
task call costs Prefect bookkeeping, and parsing stays out of the task bodies.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from tasks.crawl import crawl_source
from tasks.extract.document import decode_html
from tasks.extract.page import EXTRACTOR_VERSION, extract_page
from tasks.fetch import Fetcher
from tasks.records import FetchedPage, PageContext, PageExtraction
from tasks.registry import Source
from warehouse.db import LoadCounts, load_source_batch, open_warehouse
from warehouse.publish import publish_catalogue
from warehouse.raw import archive_raw_page


@task(name="crawl-source", cache_policy=NO_CACHE)
def crawl(source: Source, fetcher: Fetcher, raw_dir: str) -> list[FetchedPage]:
    """Fetch a source's pages and keep each body in the raw archive."""
    logger = get_run_logger()
    pages = crawl_source(source, fetcher)
    for page in pages:
        if page.ok and page.content_hash:
            archive_raw_page(Path(raw_dir), page.content_hash, page.body)
        else:
            logger.warning("[%s] %s: %s", source.id, page.url, page.error)
    return pages


@task(name="extract-pages", cache_policy=NO_CACHE)
def extract_pages(source: Source, pages: list[FetchedPage], fetched_on: date) -> list[PageExtraction]:
    """Run the pure extractor over every page fetched without error."""
    extractions = []
    for page in pages:
        if not page.ok:
            continue
        context = PageContext(
            url=page.final_url,
            fetched_at=fetched_on,
            municipality=source.municipality,
            profile=source.profile,
        )
        extraction = extract_page(decode_html(page.body, page.content_type), context)
        extractions.append(extraction)
    return extractions


@task(name="load-source", cache_policy=NO_CACHE)
def load_source(
    db_path: str,
    source: Source,
    pages: list[FetchedPage],
    extractions: list[PageExtraction],
    run_id: str,
    now: datetime,
) -> LoadCounts:
    """Load one source's batch into the warehouse in one transaction."""
    with open_warehouse(db_path) as con:
        return load_source_batch(con, source, pages, extractions, run_id, now, EXTRACTOR_VERSION)


@task(name="publish-catalogue", cache_policy=NO_CACHE)
def publish(db_path: str, out_dir: str, today: date, now: datetime) -> dict[str, int]:
    """Rebuild the open-data catalogue from the warehouse."""
    with open_warehouse(db_path) as con:
        return publish_catalogue(con, out_dir, today, now)
