"""Crawling a source against real servers on 127.0.0.1: discovery, limits, revalidation, politeness."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tasks.crawl import CrawlResult, count_outcomes, crawl_source, describe_counts
from tasks.fetch import Fetcher, FetchLimits
from tasks.records import PreviousFetch
from tasks.registry import FollowRule, Source
from tests.faulty_server import faulty_server

LIMITS = FetchLimits(
    connect_timeout=1, read_timeout=0.5, total_deadline=1, max_bytes=100_000, retries=1, backoff_seconds=0.02
)
XML = "application/xml"

LISTING = """<html><body><ul class="news">
<li><a href="/a">Inbjudan till dialogmöte</a></li>
<li><a href="/b#top">Medborgardialog om äldreomsorgen</a></li>
<li><a href="/b">Medborgardialog igen</a></li>
<li><a href="http://example.org/dialog">Extern dialog</a></li>
<li><a href="/c">Biblioteket får nya öppettider</a></li>
</ul><a href="/d">Kontakt: dialog</a></body></html>"""
DEEPER = '<html><body><ul class="news"><li><a href="/a1">Dialog, del 2</a></li></ul></body></html>'
SITE = {
    "/list": LISTING,
    "/a": DEEPER,
    "/b": "<p>Medborgardialog</p>",
    "/c": "<p>Bibliotek</p>",
    "/a1": "<p>Dialog del 2</p>",
    "/s-new-dialog": "<p>Ny</p>",
    "/s-old-dialog": "<p>Gammal</p>",
    "/s-other": "<p>Annat</p>",
    "/feed-dialog-1": "<p>RSS</p>",
    "/atom-dialog-1": "<p>Atom</p>",
}


def sitemap_pages(origin: str) -> dict[str, tuple[str, str]]:
    urlset = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>{origin}/s-old-dialog</loc><lastmod>2020-01-01</lastmod></url>
  <url><loc>{origin}/s-new-dialog</loc><lastmod>2024-06-01T10:00:00+02:00</lastmod></url>
  <url><loc>{origin}/s-other</loc></url>
  <url><loc>http://example.org/s-dialog</loc></url>
</urlset>"""
    index = f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{origin}/sitemap-news.xml</loc></sitemap>
</sitemapindex>"""
    rss = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Nyheter</title>
<item><title>Dialog</title><link>{origin}/feed-dialog-1</link><pubDate>Tue, 14 May 2024 08:00:00 GMT</pubDate></item>
</channel></rss>"""
    atom = f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<entry><title>Dialog</title><link rel="alternate" href="{origin}/atom-dialog-1"/><updated>2024-05-20T12:00:00Z</updated></entry>
</feed>"""
    return {
        "/sitemap.xml": (XML, index),
        "/sitemap-news.xml": (XML, urlset),
        "/feed.rss": ("application/rss+xml", rss),
        "/atom.xml": ("application/atom+xml", atom),
    }


def make_source(origin: str, **changes: object) -> Source:
    values: dict[str, object] = {
        "id": "exempelby",
        "municipality": "Exempelby",
        "municipality_code": "9999",
        "start_urls": (origin + "/list",),
        "follow": FollowRule(links="ul.news a", match="dialog"),
        "allow_private_network": True,
        "min_delay_seconds": 0.0,
        **changes,
    }
    return Source(**values)


def crawl(source: Source, **kw: object) -> CrawlResult:
    fetcher = Fetcher("kommundialog-test/1.0", LIMITS)
    try:
        return crawl_source(source, fetcher, **kw)
    finally:
        fetcher.close()


def paths(result: CrawlResult, origin: str, outcome: str | None = None) -> list[str]:
    return [p.url.removeprefix(origin) for p in result.pages if outcome is None or p.outcome == outcome]


@pytest.fixture
def site():
    with faulty_server(pages=SITE) as (origin, handler):
        handler.pages.update(sitemap_pages(origin))
        yield origin, handler


def test_listing_page_links_are_followed_once_within_scope(site) -> None:
    origin, handler = site
    result = crawl(make_source(origin))
    assert paths(result, origin) == ["/list", "/a", "/b"]
    assert result.links_out_of_scope == 1  # example.org
    assert handler.hits["/c"] == 0 and handler.hits["/b"] == 1


def test_depth_limit_decides_how_far_links_are_followed(site) -> None:
    origin, _ = site
    assert paths(crawl(make_source(origin, max_depth=2)), origin) == ["/list", "/a", "/b", "/a1"]
    assert paths(crawl(make_source(origin, max_depth=0)), origin) == ["/list"]


def test_page_limit_caps_the_crawl_and_counts_what_was_left(site) -> None:
    origin, _ = site
    result = crawl(make_source(origin, max_pages=2))
    assert paths(result, origin) == ["/list", "/a"]
    assert result.links_over_limit == 1


def test_sitemap_index_and_feeds_add_matching_pages_newest_first(site) -> None:
    origin, handler = site
    source = make_source(
        origin,
        max_depth=0,
        sitemaps=(origin + "/sitemap.xml",),
        feeds=(origin + "/feed.rss", origin + "/atom.xml"),
    )
    result = crawl(source)
    assert paths(result, origin) == [
        "/list",
        "/s-new-dialog",
        "/atom-dialog-1",
        "/feed-dialog-1",
        "/s-old-dialog",
    ]
    assert handler.hits["/s-other"] == 0  # does not match the follow pattern
    assert result.links_out_of_scope == 1  # the sitemap's example.org entry
    kinds = [(d.purpose, d.url.removeprefix(origin)) for d in result.documents]
    assert kinds[:4] == [
        ("sitemap", "/sitemap.xml"),
        ("sitemap", "/sitemap-news.xml"),
        ("feed", "/feed.rss"),
        ("feed", "/atom.xml"),
    ]
    assert ("robots", "/robots.txt") in kinds


def test_sitemap_lastmod_older_than_our_copy_skips_the_request(site) -> None:
    origin, handler = site
    now = datetime.now(UTC)
    previous = {
        origin + "/s-old-dialog": PreviousFetch(
            origin + "/s-old-dialog", origin + "/s-old-dialog", "h1", None, None, now
        ),
        origin + "/s-new-dialog": PreviousFetch(
            origin + "/s-new-dialog",
            origin + "/s-new-dialog",
            "h2",
            None,
            None,
            datetime(2024, 1, 1, tzinfo=UTC),
        ),
    }
    result = crawl(
        make_source(origin, max_depth=0, sitemaps=(origin + "/sitemap-news.xml",)), previous=previous
    )
    old = next(p for p in result.pages if p.url.endswith("/s-old-dialog"))
    assert (old.outcome, old.reason, old.content_hash) == ("unchanged", "sitemap lastmod", "h1")
    assert handler.hits["/s-old-dialog"] == 0 and handler.hits["/s-new-dialog"] == 1


def _previous_and_archive(result: CrawlResult) -> tuple[dict[str, PreviousFetch], dict[str, bytes]]:
    previous, archive = {}, {}
    for page in result.pages:
        previous[page.url] = PreviousFetch(
            page.url, page.final_url, page.content_hash, page.etag, page.last_modified, page.fetched_at
        )
        archive[page.content_hash] = page.body
    return previous, archive


def test_second_crawl_revalidates_and_follows_links_from_the_archive(site) -> None:
    origin, handler = site
    source = make_source(origin)
    first = crawl(source)
    previous, archive = _previous_and_archive(first)
    second = crawl(source, previous=previous, stored_body=archive.get)
    assert paths(second, origin, "unchanged") == ["/list", "/a", "/b"]
    assert {p.status for p in second.pages} == {304}
    assert handler.hits["/list"] == 2 and "If-None-Match" in handler.seen_headers["/list"][1]
    counts = count_outcomes(second)
    assert (counts.fetched, counts.unchanged) == (0, 3)


def test_unchanged_listing_missing_from_the_archive_is_downloaded_again(site) -> None:
    origin, handler = site
    source = make_source(origin)
    previous, _ = _previous_and_archive(crawl(source))
    second = crawl(source, previous=previous, stored_body=lambda digest: None)
    listing = second.pages[0]
    assert (listing.status, listing.outcome, listing.reason) == (200, "unchanged", "same content")
    assert paths(second, origin) == ["/list", "/a", "/b"]
    assert handler.hits["/list"] == 3  # first crawl, the 304, the download for its links


def test_two_urls_for_one_page_are_kept_once() -> None:
    listing = '<ul class="news"><li><a href="/to-ok">Ett</a></li><li><a href="/ok">Två</a></li></ul>'
    with faulty_server(pages={"/list": listing}) as (origin, _):
        result = crawl(make_source(origin, follow=FollowRule(links="ul.news a")))
        assert [p.outcome for p in result.pages] == ["fetched", "fetched", "duplicate"]


def test_a_hostile_listing_never_stops_the_crawl() -> None:
    faults = ["/slow-body", "/huge", "/reset-mid-body", "/binary-html", "/to-private", "/loop", "/missing"]
    links = "".join(f'<li><a href="{f}">dialog {f}</a></li>' for f in [*faults, "/ok"])
    with faulty_server(pages={"/list": f'<ul class="news">{links}</ul>'}) as (origin, _):
        result = crawl(make_source(origin, max_concurrency=4))
    by_path = {p.url.removeprefix(origin): p for p in result.pages}
    assert by_path["/ok"].outcome == "fetched"
    assert all(by_path[f].outcome in ("failed", "out_of_scope") and by_path[f].error for f in faults)
    line = describe_counts(count_outcomes(result))
    assert line.startswith("9 pages: 2 fetched, 0 unchanged, 0 skipped by robots, 1 out of scope, 6 failed (")
    assert "deadline: 1" in line and "HTTP 404: 1" in line and "too large: 1" in line


def test_robots_forbidden_site_is_reported_as_skipped_by_robots() -> None:
    with faulty_server(robots="User-agent: *\nDisallow: /\n", pages=SITE) as (origin, handler):
        result = crawl(make_source(origin))
    assert [(p.outcome, p.error) for p in result.pages] == [("robots", "robots.txt disallows this URL")]
    assert count_outcomes(result).robots == 1 and handler.hits["/list"] == 0


# -- politeness while two hosts are crawled at once ------------------------------------------------------


def _starts(handler) -> list[float]:
    return sorted(itertools.chain.from_iterable(handler.times.values()))


def test_per_host_delay_and_concurrency_hold_while_two_hosts_are_crawled_in_parallel() -> None:
    pages = {
        "/list": '<ul class="news">'
        + "".join(f'<li><a href="/p{i}">p{i}</a></li>' for i in range(6))
        + "</ul>"
    }
    pages |= {f"/p{i}": f"<p>{i}</p>" for i in range(6)}
    with (
        faulty_server(pages=pages, page_delay=0.15) as (origin_a, host_a),
        faulty_server(pages=pages, page_delay=0.15) as (origin_b, host_b),
    ):
        follow = FollowRule(links="ul.news a")
        source_a = make_source(origin_a, id="a", follow=follow, max_concurrency=2, min_delay_seconds=0.05)
        source_b = make_source(origin_b, id="b", follow=follow, max_concurrency=1, min_delay_seconds=0.1)
        fetcher = Fetcher("kommundialog-test/1.0", LIMITS)  # shared, as in the flow
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda s: crawl_source(s, fetcher), [source_a, source_b]))
    assert all(len(r.pages) == 7 and all(p.ok for p in r.pages) for r in results)
    # Concurrency per host: never above the source's limit (and host a did use its two).
    assert host_a.in_flight[1] == 2 and host_b.in_flight[1] == 1
    # Delay per host: request starts are min_delay_seconds apart. The server sees arrivals, which a
    # loaded machine delays unevenly: each gap keeps at least half the delay (none is skipped), and
    # the whole span, where that jitter cancels out, keeps all of them.
    for handler, delay in ((host_a, 0.05), (host_b, 0.1)):
        starts = _starts(handler)
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        assert min(gaps) >= delay / 2, (delay, gaps)
        assert starts[-1] - starts[0] >= delay * len(gaps) - 0.01, (delay, gaps)
    # The two hosts were crawled at the same time, not one after the other.
    a, b = _starts(host_a), _starts(host_b)
    assert max(a[0], b[0]) < min(a[-1], b[-1])


def test_content_an_older_extractor_read_is_extracted_again_from_the_archive(site) -> None:
    origin, handler = site
    source = make_source(origin)
    previous, archive = _previous_and_archive(crawl(source))
    stale = {url: replace(p, extracted=False) for url, p in previous.items()}
    second = crawl(source, previous=stale, stored_body=archive.get)
    assert [(p.status, p.outcome) for p in second.pages] == [(304, "fetched")] * 3
    assert all(p.changed and p.body == archive[p.content_hash] for p in second.pages)
    assert second.pages[0].reason == "extractor changed: read again from the archive"
    assert handler.hits["/a"] == 2  # revalidated, not downloaded: the bytes came from the archive


def test_content_read_again_from_the_archive_keeps_the_time_it_was_first_fetched(site) -> None:
    origin, _handler = site
    source = make_source(origin)
    previous, archive = _previous_and_archive(crawl(source))
    first_fetched = datetime(2024, 5, 9, 6, 0, tzinfo=UTC)
    stale = {
        url: replace(p, extracted=False, content_fetched_at=first_fetched) for url, p in previous.items()
    }
    second = crawl(source, previous=stale, stored_body=archive.get)
    assert {p.fetched_at for p in second.pages} == {first_fetched}
