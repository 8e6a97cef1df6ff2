"""Discovery: finding a site's dialogue pages from its own indexes, then fetching only those.

For a `discover: auto` source the crawl reads robots.txt (its Sitemap lines),
sitemaps and sitemap indexes (gzip too), the feeds the home page declares,
the CMS's search page asked a few Swedish questions, and the news listings
and calendars the home page links to. Every URL these name becomes a
candidate, ranked by the vocabulary in config/discovery.yaml on its URL, the
titles and link texts it appears under, and its lastmod. The best candidates,
at most max_pages, are fetched like any page: conditionally, and not at all
when the sitemap says they have not changed since our last copy.

I/O edge: it uses the Fetcher (scope, robots, politeness) and no Prefect.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from tasks.charset import decode_text
from tasks.crawl import _Candidate, _SourceCrawl
from tasks.discovery import parse_feed, parse_sitemap
from tasks.fetch import FEED_TYPES, HTML_TYPES, SITEMAP_TYPES, Fetcher
from tasks.records import FetchedPage
from tasks.registry import Source
from tasks.scope import allowed_hosts, clean_url, scope_refusal
from tasks.site_index import (
    Candidate,
    DiscoveryVocabulary,
    Link,
    SearchEndpoint,
    declared_feeds,
    default_discovery_vocabulary,
    detect_cms,
    gunzip_capped,
    listing_links,
    next_page_link,
    page_links,
    rank_candidates,
    search_form,
    site_name,
)

log = logging.getLogger(__name__)

MAX_SITEMAP_FILES = 12
MAX_SITEMAP_NESTING = 2
MAX_FEEDS = 3
MAX_LISTING_PAGES = 2  # per listing: the first page and the next
NOT_PAGES = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".jpg", ".jpeg", ".png", ".gif", ".svg",
             ".zip", ".mp3", ".mp4", ".ics", ".xml", ".gz", ".css", ".js")  # fmt: skip


@dataclass
class SiteIndex:
    """What a site's indexes offered: its CMS, where it lists pages, and every candidate page ranked."""

    origin: str
    cms: str = "generic"
    name: str = ""  # what the home page calls the site
    sitemaps: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    search: str | None = None
    listings: list[str] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    documents: list[FetchedPage] = field(default_factory=list)

    def chosen(self, min_score: float) -> list[Candidate]:
        """The candidates worth fetching, best first."""
        return [c for c in self.candidates if c.score >= min_score]


@dataclass(frozen=True)
class DiscoverySummary:
    """A discovering crawl in numbers, for the coverage table."""

    cms: str
    candidates: int
    relevant: int
    selected: int
    sitemaps: int
    feeds: int
    search: bool


class SiteIndexer:
    """Reads one site's indexes within the source's rules and collects ranked candidates."""

    def __init__(self, source: Source, fetcher: Fetcher, vocab: DiscoveryVocabulary, now: datetime) -> None:
        self.source = source
        self.fetcher = fetcher
        self.vocab = vocab
        self.now = now
        start = source.start_urls[0]
        parts = urlsplit(start)
        self.index = SiteIndex(origin=f"{parts.scheme}://{parts.netloc}")
        self.hosts = allowed_hosts(source.start_urls)
        self.found: dict[str, Candidate] = {}

    def run(self) -> SiteIndex:
        home = self._document(self.source.start_urls[0], HTML_TYPES, "index")
        html = decode_text(home.body, home.content_type) if home.ok else ""
        search: SearchEndpoint | None = None
        if html:
            self.index.cms = detect_cms(html, self.vocab)
            self.index.name = site_name(html)
            links = page_links(html, home.final_url)
            self._add_links(links, "home")
            self.index.feeds = declared_feeds(html, home.final_url)
            self.index.listings = listing_links(links, self.index.origin, self.vocab)
            search = search_form(html, home.final_url)
        search = search or self.vocab.search_endpoints.get(self.index.cms)
        self._read_sitemaps()
        self._read_feeds()
        if search is not None:
            self._ask_search(search)
        self._read_listings()
        self.index.candidates = rank_candidates(self.found.values(), self.vocab, self.now)
        return self.index

    # -- documents -----------------------------------------------------------------------------
    def _document(self, url: str, accept: tuple[str, ...], purpose: str) -> FetchedPage:
        document = self.fetcher.fetch(url, self.source, accept, purpose=purpose)
        log.info("[%s] %s %s %s", self.source.id, url, purpose, document.error or document.status)
        self.index.documents.append(replace(document, body=b""))
        return document

    def _read_sitemaps(self) -> None:
        rules = self.fetcher.robots_rules(self.index.origin + "/", self.source)
        named = [urljoin(self.index.origin + "/", u) for u in (rules.sitemaps() if rules else [])]
        declared = [*named, *self.source.sitemaps]
        queue = [(u, 0) for u in dict.fromkeys(declared)]
        if not queue:
            queue = self._first_answering_guess()
        read = 0
        while queue and read < MAX_SITEMAP_FILES:
            url, nesting = queue.pop(0)
            read += 1
            content = self._sitemap(url)
            if content is None:
                continue
            self.index.sitemaps.append(url)
            for entry in content.pages:
                self._add(entry.url, "sitemap", lastmod=entry.lastmod)
            if nesting < MAX_SITEMAP_NESTING:
                queue.extend((child.url, nesting + 1) for child in content.sitemaps)

    def _first_answering_guess(self) -> list[tuple[str, int]]:
        """No sitemap declared: try the usual places, stop at the first that is a sitemap."""
        for path in self.vocab.sitemap_guesses:
            url = self.index.origin + path
            if self._sitemap(url, probe=True) is not None:
                return [(url, 0)]
        return []

    def _sitemap(self, url: str, probe: bool = False):
        if scope_refusal(url, self.hosts) is not None:
            return None
        document = self._document(url, SITEMAP_TYPES, "sitemap")
        body = gunzip_capped(document.body) if document.ok else None
        if not body:
            return None
        content = parse_sitemap(body, document.final_url)
        if not content.pages and not content.sitemaps:
            return None
        if probe:
            self.index.documents.pop()  # read again by the caller; log it once
        return content

    def _read_feeds(self) -> None:
        for url in list(dict.fromkeys([*self.index.feeds, *self.source.feeds]))[:MAX_FEEDS]:
            document = self._document(url, FEED_TYPES, "feed")
            if not document.ok:
                continue
            for entry in parse_feed(document.body, document.final_url):
                self._add(entry.url, "feed", lastmod=entry.lastmod, text=entry.title)

    def _ask_search(self, search: SearchEndpoint) -> None:
        self.index.search = search.url(self.index.origin, "")
        for query in self.vocab.search_queries:
            document = self._document(search.url(self.index.origin, query), HTML_TYPES, "search")
            if document.ok:
                self._add_links(
                    page_links(decode_text(document.body, document.content_type), document.final_url),
                    "search",
                )

    def _read_listings(self) -> None:
        for url in self.index.listings:
            for _ in range(MAX_LISTING_PAGES):
                document = self._document(url, HTML_TYPES, "index")
                if not document.ok:
                    break
                html = decode_text(document.body, document.content_type)
                self._add_links(page_links(html, document.final_url), "listing")
                following = next_page_link(html, document.final_url)
                if not following or scope_refusal(following, self.hosts) is not None:
                    break
                url = following

    # -- candidates ----------------------------------------------------------------------------
    def _add_links(self, links: list[Link], via: str) -> None:
        for link in links:
            self._add(link.url, via, text=link.text)

    def _add(self, url: str, via: str, lastmod: datetime | None = None, text: str | None = None) -> None:
        url = clean_url(url)
        path = urlsplit(url).path.lower()
        if path.endswith(NOT_PAGES) or scope_refusal(url, self.hosts, self.source.path_prefixes) is not None:
            return
        if url.rstrip("/") == self.index.origin:
            return
        candidate = self.found.setdefault(url, Candidate(url))
        candidate.via.add(via)
        if text:
            candidate.texts.add(text.strip()[:300])
        if lastmod is not None and (candidate.lastmod is None or lastmod > candidate.lastmod):
            candidate.lastmod = lastmod


def index_site(
    source: Source, fetcher: Fetcher, vocab: DiscoveryVocabulary | None = None, now: datetime | None = None
) -> SiteIndex:
    """Read a site's indexes and rank every page they name (nothing but index documents is fetched)."""
    return SiteIndexer(
        source, fetcher, vocab or default_discovery_vocabulary(), now or datetime.now(UTC)
    ).run()


class DiscoveringCrawl(_SourceCrawl):
    """A source's crawl whose pages come from the site's indexes instead of a follow rule."""

    def run(self):
        vocab = default_discovery_vocabulary()
        index = index_site(self.source, self.fetcher, vocab)
        self.result.documents.extend(index.documents)
        chosen = index.chosen(vocab.min_score)
        self.result.links_over_limit = max(0, len(chosen) - self.source.max_pages)
        level = self._unseen([_Candidate(c.url, 1, c.lastmod) for c in chosen[: self.source.max_pages]])
        self._fetch_level(level)
        self.result.documents.extend(self.fetcher.take_robots_records(self.hosts))
        self.result.discovery = DiscoverySummary(
            cms=index.cms,
            candidates=len(index.candidates),
            relevant=len(chosen),
            selected=len(level),
            sitemaps=len(index.sitemaps),
            feeds=len(index.feeds),
            search=index.search is not None,
        )
        return self.result


def describe_index(index: SiteIndex, min_score: float, limit: int = 25) -> list[str]:
    """The inspector's report: CMS, indexes found, and the candidates with their scores."""
    chosen = index.chosen(min_score)
    lines = [
        f"Site: {index.origin}" + (f"  ({index.name})" if index.name else ""),
        f"CMS: {index.cms}",
        f"Sitemaps read: {len(index.sitemaps)}" + "".join(f"\n  {u}" for u in index.sitemaps),
        f"Feeds: {len(index.feeds)}" + "".join(f"\n  {u}" for u in index.feeds),
        f"Search: {index.search or 'none found'}",
        f"Listings: {len(index.listings)}" + "".join(f"\n  {u}" for u in index.listings),
        f"Candidates: {len(index.candidates)} named by the site's indexes, "
        f"{len(chosen)} reach the threshold ({min_score:g}) and would be fetched:",
    ]
    for candidate in index.candidates[:limit]:
        mark = "*" if candidate.score >= min_score else " "
        stamp = candidate.lastmod.date().isoformat() if candidate.lastmod else "-"
        via = ",".join(sorted(candidate.via))
        lines.append(f" {mark}{candidate.score:5.1f}  {stamp:10}  {via:22}  {candidate.url}")
    if len(index.candidates) > limit:
        lines.append(f"  ... {len(index.candidates) - limit} more with lower scores")
    return lines
