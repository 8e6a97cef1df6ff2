"""Crawling one source: start pages, then the candidate pages they link to."""

from __future__ import annotations

import logging

from tasks.extract.document import decode_html
from tasks.fetch import Fetcher
from tasks.links import discover_links
from tasks.records import FetchedPage
from tasks.registry import Source

log = logging.getLogger(__name__)


def crawl_source(source: Source, fetcher: Fetcher) -> list[FetchedPage]:
    """Fetch the source's start pages and the pages its follow rule finds, up to max_pages."""
    pages: list[FetchedPage] = []
    queue = list(source.start_urls)
    seen: set[str] = set()
    while queue and len(pages) < source.max_pages:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        page = fetcher.fetch(url, source)
        pages.append(page)
        log.info("[%s] %s %s", source.id, url, page.error or page.status)
        if page.ok and source.follow and url in source.start_urls:
            queue.extend(
                discover_links(
                    decode_html(page.body, page.content_type), page.final_url, source.follow, source.hosts
                )
            )
    skipped = [u for u in queue if u not in seen]
    if skipped:
        log.warning(
            "[%s] page limit %d reached; %d links not fetched", source.id, source.max_pages, len(skipped)
        )
    return pages
