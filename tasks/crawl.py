"""Crawling one source: start pages, the pages their follow rule finds, sitemaps and feeds.

Breadth first, one link level at a time up to the source's max_depth, never
more than max_pages pages. Pages seen before are revalidated with conditional
requests; an unchanged listing page is read from the raw archive, so its links
are still followed without downloading it again.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from tasks.charset import decode_text
from tasks.discovery import DiscoveredUrl, parse_feed, parse_sitemap
from tasks.fetch import FEED_TYPES, HTML_TYPES, SITEMAP_TYPES, Fetcher
from tasks.links import candidate_links
from tasks.records import FetchedPage, PreviousFetch
from tasks.registry import Source
from tasks.scope import allowed_hosts, clean_url, scope_refusal
from tasks.site_index import gunzip_capped

log = logging.getLogger(__name__)

# Sitemap and feed files read per source (an index may name many), and sitemap index nesting.
MAX_DISCOVERY_DOCUMENTS = 10
MAX_SITEMAP_NESTING = 2
# Fetch threads per source, even where max_concurrency allows more: municipal sites are crawled
# gently, and on a fast site more threads only contend for the GIL (a no-change national run on
# loopback: 32 crawl threads took 23 s, 16 took 19 s; benchmarks/bench_national.py).
MAX_WORKERS_PER_SOURCE = 2

StoredBody = Callable[[str], bytes | None]


@dataclass
class CrawlResult:
    """Everything a source's crawl did: pages tried, discovery documents, links left aside."""

    source_id: str
    pages: list[FetchedPage] = field(default_factory=list)
    documents: list[FetchedPage] = field(default_factory=list)  # robots.txt, sitemaps, feeds
    links_out_of_scope: int = 0
    links_over_limit: int = 0
    # For sources that discover their pages: what the site's indexes offered (tasks/site_discovery.py).
    discovery: Any = None

    @property
    def fetches(self) -> list[FetchedPage]:
        """Every URL the crawl asked for (or decided about), for the fetch log."""
        return [*self.documents, *self.pages]

    def handed_over(self) -> CrawlResult:
        """A copy that takes this result's pages and documents; this one is left without any.

        A finished Prefect task future is a reference cycle (the future and its
        done-callback) that holds its result until Python's cyclic collector
        happens to run: on a national run, hundreds of sources' page bodies. The
        flow works with the copy, so a source's bodies go as soon as it is loaded.
        """
        taken = replace(self)
        self.pages, self.documents = [], []
        return taken


@dataclass(frozen=True)
class CrawlCounts:
    """A source's run summary: what became of its pages."""

    pages: int
    fetched: int
    unchanged: int
    duplicate: int
    robots: int
    out_of_scope: int
    failed: dict[str, int]
    over_limit: int

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())


@dataclass(frozen=True)
class _Candidate:
    url: str
    depth: int
    lastmod: datetime | None = None


def count_outcomes(result: CrawlResult) -> CrawlCounts:
    """Tally a crawl's pages by outcome, failures by reason."""
    outcomes = Counter(p.outcome for p in result.pages)
    failed = Counter(p.reason or "unknown" for p in result.pages if p.outcome == "failed")
    return CrawlCounts(
        pages=len(result.pages),
        fetched=outcomes["fetched"],
        unchanged=outcomes["unchanged"],
        duplicate=outcomes["duplicate"],
        robots=outcomes["robots"],
        out_of_scope=outcomes["out_of_scope"] + result.links_out_of_scope,
        failed=dict(sorted(failed.items())),
        over_limit=result.links_over_limit,
    )


def describe_counts(counts: CrawlCounts) -> str:
    """One line for people: '12 pages: 2 fetched, 10 unchanged, 0 skipped by robots, ...'."""
    failed = f"{counts.failed_total} failed"
    if counts.failed:
        failed += " (" + ", ".join(f"{reason}: {n}" for reason, n in counts.failed.items()) + ")"
    parts = [
        f"{counts.fetched} fetched",
        f"{counts.unchanged} unchanged",
        f"{counts.robots} skipped by robots",
        f"{counts.out_of_scope} out of scope",
        failed,
    ]
    if counts.duplicate:
        parts.append(f"{counts.duplicate} duplicate")
    if counts.over_limit:
        parts.append(f"{counts.over_limit} over the page limit")
    return f"{counts.pages} pages: " + ", ".join(parts)


def crawl_source(
    source: Source,
    fetcher: Fetcher,
    previous: Mapping[str, PreviousFetch] | None = None,
    stored_body: StoredBody | None = None,
) -> CrawlResult:
    """Crawl a source within its limits; `previous` turns refetches into conditional requests."""
    if source.discover:
        from tasks.site_discovery import DiscoveringCrawl  # it builds on _SourceCrawl below

        crawl: _SourceCrawl = DiscoveringCrawl(
            source, fetcher, previous or {}, stored_body or (lambda _h: None)
        )
    else:
        crawl = _SourceCrawl(source, fetcher, previous or {}, stored_body or (lambda _hash: None))
    try:
        return crawl.run()
    finally:
        crawl.close()


class _SourceCrawl:
    """The state of one source's crawl: what was seen, what is left, what was set aside."""

    def __init__(
        self, source: Source, fetcher: Fetcher, previous: Mapping[str, PreviousFetch], stored: StoredBody
    ) -> None:
        self.source = source
        self.fetcher = fetcher
        self.previous = previous
        self.stored = stored
        self.hosts = allowed_hosts(source.start_urls)
        self.result = CrawlResult(source.id)
        self.seen: set[str] = set()
        self.final_urls: set[str] = set()
        self.workers = min(MAX_WORKERS_PER_SOURCE, source.max_concurrency * len(self.hosts))
        self._pool: ThreadPoolExecutor | None = None

    def run(self) -> CrawlResult:
        level = [_Candidate(clean_url(u), 0) for u in self.source.start_urls]
        discovered = self._discover_from_documents()
        depth = 0
        while level:
            level = self._unseen(level)
            room = self.source.max_pages - len(self.result.pages)
            if len(level) > room:
                self.result.links_over_limit += len(level) - room
                level = level[: max(room, 0)]
            pages = self._fetch_level(level)
            next_level = [c for page, c in zip(pages, level, strict=True) for c in self._links_from(page, c)]
            if depth == 0:
                next_level += [_Candidate(d.url, 1, d.lastmod) for d in discovered]
            level, depth = next_level, depth + 1
        self.result.documents.extend(self.fetcher.take_robots_records(self.hosts))
        if self.result.links_over_limit:
            log.warning(
                "[%s] page limit %d reached; %d links not fetched",
                self.source.id,
                self.source.max_pages,
                self.result.links_over_limit,
            )
        return self.result

    # -- fetching ------------------------------------------------------------------------------
    def _unseen(self, candidates: list[_Candidate]) -> list[_Candidate]:
        fresh = []
        for candidate in candidates:
            if candidate.url not in self.seen and candidate.url not in self.final_urls:
                self.seen.add(candidate.url)
                fresh.append(candidate)
        return fresh

    def _fetch_level(self, level: list[_Candidate]) -> list[FetchedPage]:
        """Fetch one link level, in parallel across hosts when the source allows it."""
        if self.workers <= 1 or len(level) <= 1:
            fetched = [self._fetch_page(c) for c in level]
        else:
            fetched = list(self._threads().map(self._fetch_page, level))
        pages = [self._mark_duplicate(p) for p in fetched]
        self.result.pages.extend(pages)
        return pages

    def _threads(self) -> ThreadPoolExecutor:
        """The source's fetch threads, started once for all its levels (not once per level)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self.workers, thread_name_prefix=f"crawl-{self.source.id}"
            )
        return self._pool

    def close(self) -> None:
        """Stop the source's fetch threads."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _fetch_page(self, candidate: _Candidate) -> FetchedPage:
        previous = self.previous.get(candidate.url)
        if previous and self._sitemap_says_unchanged(candidate, previous):
            return _unchanged_by_lastmod(candidate, previous)
        page = self.fetcher.fetch(candidate.url, self.source, HTML_TYPES, previous)
        needs_body = self._needs_body(candidate) or (previous is not None and not previous.extracted)
        if page.status == 304 and needs_body and self._body(page) is None:
            # Unchanged, but its bytes are needed and the archive lacks them: download it once more.
            page = self.fetcher.fetch(candidate.url, self.source, HTML_TYPES, previous, conditional=False)
        if previous is not None and not previous.extracted:
            page = self._for_new_extractor(page, previous)
        log.info("[%s] %s %s %s", self.source.id, candidate.url, page.outcome, page.error or page.status)
        return page

    def _for_new_extractor(self, page: FetchedPage, previous: PreviousFetch) -> FetchedPage:
        """Unchanged content that an older extractor read goes to extraction again, from the archive.

        It keeps the time it was first fetched: year inference must see the page as it was then.
        """
        body = self._body(page)
        if page.outcome != "unchanged" or body is None:
            return page
        return replace(
            page,
            body=body,
            outcome="fetched",
            reason="extractor changed: read again from the archive",
            fetched_at=previous.content_fetched_at or page.fetched_at,
        )

    def _mark_duplicate(self, page: FetchedPage) -> FetchedPage:
        """A page redirected to one this crawl already has is kept only once."""
        if page.outcome not in ("fetched", "unchanged"):
            return page
        if page.final_url in self.final_urls:
            return replace(page, outcome="duplicate", reason="same page as another URL", body=b"")
        self.final_urls.add(page.final_url)
        return page

    def _sitemap_says_unchanged(self, candidate: _Candidate, previous: PreviousFetch) -> bool:
        """A sitemap/feed date older than our last good copy means no request is needed."""
        return (
            candidate.lastmod is not None
            and previous.extracted
            and not self._needs_body(candidate)
            and candidate.lastmod < previous.checked_at
        )

    # -- following links -----------------------------------------------------------------------
    def _needs_body(self, candidate: _Candidate) -> bool:
        return self.source.follow is not None and candidate.depth < self.source.max_depth

    def _body(self, page: FetchedPage) -> bytes | None:
        """The page's bytes: downloaded now, or from the raw archive when it was unchanged."""
        if page.body:
            return page.body
        if page.outcome == "unchanged" and page.content_hash:
            return self.stored(page.content_hash)
        return None

    def _links_from(self, page: FetchedPage, candidate: _Candidate) -> list[_Candidate]:
        if not self._needs_body(candidate) or page.outcome not in ("fetched", "unchanged"):
            return []
        body = self._body(page)
        if not body or self.source.follow is None:
            return []
        links = candidate_links(decode_text(body, page.content_type), page.final_url, self.source.follow)
        return [_Candidate(u, candidate.depth + 1) for u in self._in_scope(links)]

    def _in_scope(self, urls: list[str]) -> list[str]:
        """The URLs inside the source; the others are only counted."""
        inside = [u for u in urls if scope_refusal(u, self.hosts, self.source.path_prefixes) is None]
        self.result.links_out_of_scope += len(urls) - len(inside)
        return inside

    # -- sitemaps and feeds --------------------------------------------------------------------
    def _discover_from_documents(self) -> list[DiscoveredUrl]:
        """Pages named by the source's sitemaps (indexes followed) and feeds, newest first."""
        found: list[DiscoveredUrl] = []
        queue = [(u, 0) for u in self.source.sitemaps]
        read = 0
        while queue and read < MAX_DISCOVERY_DOCUMENTS:
            url, nesting = queue.pop(0)
            read += 1
            document = self._fetch_document(url, SITEMAP_TYPES, "sitemap")
            body = gunzip_capped(document.body) if document.ok else None
            content = parse_sitemap(body, document.final_url) if body else None
            if content is None:
                continue
            found.extend(content.pages)
            if nesting < MAX_SITEMAP_NESTING:
                queue.extend((child.url, nesting + 1) for child in _newest_first(list(content.sitemaps)))
        for url in self.source.feeds[: max(0, MAX_DISCOVERY_DOCUMENTS - read)]:
            document = self._fetch_document(url, FEED_TYPES, "feed")
            if document.ok:
                found.extend(parse_feed(document.body, document.final_url))
        return self._wanted(found)

    def _fetch_document(self, url: str, accept: tuple[str, ...], purpose: str) -> FetchedPage:
        document = self.fetcher.fetch(url, self.source, accept, purpose=purpose)
        log.info("[%s] %s %s %s", self.source.id, url, purpose, document.error or document.status)
        self.result.documents.append(replace(document, body=b""))
        return document

    def _wanted(self, found: list[DiscoveredUrl]) -> list[DiscoveredUrl]:
        """Discovered pages inside the source that match its follow pattern, each once, newest first."""
        pattern = self.source.follow.match if self.source.follow else None
        matcher = re.compile(pattern, re.IGNORECASE) if pattern else None
        unique: dict[str, DiscoveredUrl] = {}
        for entry in found:
            url = clean_url(entry.url)
            if matcher is None or matcher.search(url):
                unique.setdefault(url, replace(entry, url=url))
        inside = set(self._in_scope(list(unique)))
        return _newest_first([e for u, e in unique.items() if u in inside])


def _newest_first(entries: list[DiscoveredUrl]) -> list[DiscoveredUrl]:
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(entries, key=lambda e: e.lastmod or oldest, reverse=True)


def _unchanged_by_lastmod(candidate: _Candidate, previous: PreviousFetch) -> FetchedPage:
    """A page not requested because its sitemap/feed date is older than our copy."""
    return FetchedPage(
        url=candidate.url,
        final_url=previous.final_url,
        status=None,
        fetched_at=datetime.now(UTC),
        content_type=None,
        body=b"",
        content_hash=previous.content_hash,
        outcome="unchanged",
        reason="sitemap lastmod",
        etag=previous.etag,
        last_modified=previous.last_modified,
        attempts=0,
    )
