"""The synthetic national web: deterministic, indexed in every advertised way, honest about changes."""

from __future__ import annotations

import gzip
import statistics
from datetime import UTC, datetime

import lxml.html
import pytest
import requests

from benchmarks.bench_national import DEFAULT_FOLLOW, FOLLOW
from benchmarks.national_web import NationalWeb, render_page
from tasks.discovery import parse_feed, parse_sitemap
from tasks.extract.page import extract_page
from tasks.links import candidate_links
from tasks.records import PageContext
from tasks.registry import FollowRule
from tasks.site_discovery import Candidate
from tasks.site_index import (
    default_discovery_vocabulary,
    detect_cms,
    listing_links,
    page_links,
    score_candidate,
    search_form,
)


@pytest.fixture(scope="module")
def web():
    with NationalWeb(sites=12, pages=30, seed=5) as served:
        yield served


def test_two_instances_with_the_same_seed_describe_the_same_web() -> None:
    first, second = NationalWeb(sites=12, pages=30, seed=5), NationalWeb(sites=12, pages=30, seed=5)
    assert first.manifest() == second.manifest()
    assert NationalWeb(sites=12, pages=30, seed=6).manifest() != first.manifest()


def test_about_five_percent_of_pages_are_relevant_and_name_their_meetings(web) -> None:
    pages = [p for s in web.manifest()["sites"] for p in s["pages"]]
    relevant = [p for p in pages if p["relevant"]]
    assert len(relevant) == round(len(pages) * 0.05)
    assert all(p["meetings"] and p["meetings"][0]["date"] for p in relevant)
    assert not any(p["meetings"] for p in pages if not p["relevant"])


def test_article_pages_weigh_what_real_ones_do_and_answer_conditional_requests(web) -> None:
    site = web.sites[0]
    page = site.pages[0]
    response = requests.get(site.origin + page.path, timeout=5)
    assert response.status_code == 200
    assert 40_000 <= len(response.content) <= 100_000
    again = requests.get(
        site.origin + page.path, headers={"If-None-Match": response.headers["ETag"]}, timeout=5
    )
    assert again.status_code == 304


def test_every_page_is_reachable_from_the_sites_declared_or_standard_indexes(web) -> None:
    for site in web.sites:
        if site.sitemap_style == "none":
            continue
        found: set[str] = set()
        for path in site.sitemap_paths:
            body = requests.get(site.origin + path, timeout=5).content
            if path.endswith(".gz"):
                body = gzip.decompress(body)
            content = parse_sitemap(body, site.origin)
            found |= {u.url for u in content.pages}
        assert {site.origin + p.path for p in site.pages} <= found, site.sitemap_style
        robots = requests.get(site.origin + "/robots.txt", timeout=5).text
        for declared in site.declared_sitemaps:
            assert f"Sitemap: {site.origin}{declared}" in robots


def test_feeds_and_search_pages_name_relevant_pages(web) -> None:
    site = next(s for s in web.sites if s.feed_path and any(p.kind == "dialogue" for p in s.pages))
    feed = parse_feed(requests.get(site.origin + site.feed_path, timeout=5).content, site.origin)
    assert feed
    dialogue = next(p for p in site.pages if p.kind == "dialogue")
    hits = requests.get(site.origin + site.search_path, params={site.search_param: "dialogmöte"}, timeout=5)
    assert dialogue.path.replace("&", "&amp;") in hits.text


def test_changing_pages_changes_their_etag_and_lastmod_only(web) -> None:
    before = {p["url"]: p for s in web.manifest()["sites"] for p in s["pages"]}
    changed = web.change_pages(0.1, seed=3)
    after = {p["url"]: p for s in web.manifest()["sites"] for p in s["pages"]}
    assert len(changed) == round(0.1 * len(before))
    assert {u for u in before if before[u]["version"] != after[u]["version"]} == set(changed)
    web.reset_counts()
    site = web.sites[0]
    for page in site.pages:
        requests.get(site.origin + page.path, timeout=5)
    assert web.pages_served() == len(site.pages)


@pytest.fixture(scope="module")
def rendered():
    """A 12 x 20 web at fixed origins, every content page rendered, and each site's home and listings."""
    built = NationalWeb(sites=12, pages=20, seed=5)
    for site in built.sites:
        site.origin = f"https://www.kommun{site.code}.se"
    pages = [(site, page, render_page(site, page)) for site in built.sites for page in site.pages]
    listings = []
    for site in built.sites:
        targets = [
            "/",
            site.news_listing,
            f"{site.search_path}?{site.search_param}=dialogm%C3%B6te",
            "/finns-inte/",
        ]
        targets += [site.calendar_path] if site.calendar else []
        listings += [(site, target, built.respond(site, target, {}).body.decode()) for target in targets]
    return built, pages, listings


def _elements(html: str) -> int:
    return sum(1 for element in lxml.html.fromstring(html.encode()).iter() if isinstance(element.tag, str))


def test_pages_weigh_and_branch_like_real_municipal_pages(rendered) -> None:
    """40-100 KB and about 1,000 elements (the corpus' pages: 56-92 KB, 650-1,050, median 990)."""
    _web, pages, listings = rendered
    documents = [html for _s, _p, html in pages] + [html for _s, _t, html in listings]
    sizes = [len(html.encode()) for html in documents]
    counts = [_elements(html) for html in documents]
    assert 40 * 1024 <= min(sizes) <= max(sizes) <= 100_000
    assert 600 <= min(counts) <= max(counts) <= 1_700
    assert 850 <= statistics.median(counts) <= 1_150


def test_the_same_arguments_render_the_same_bytes(rendered) -> None:
    _web, pages, _listings = rendered
    again = NationalWeb(sites=12, pages=20, seed=5)
    for site, page, html in pages[::7]:
        twin = next(s for s in again.sites if s.code == site.code)
        twin.origin = site.origin
        assert render_page(twin, twin.by_path[page.path]) == html


def test_the_chrome_gives_discovery_nothing_to_mistake_for_a_dialogue_page(rendered) -> None:
    """Menu and footer links never rank as candidates; listings, search and the CMS read as before."""
    _web, _pages, listings = rendered
    vocabulary = default_discovery_vocabulary()
    now = datetime(2026, 1, 15, tzinfo=UTC)
    for site, target, html in listings:
        if target != "/":
            continue
        content = {site.origin + p.path for p in site.pages}
        links = page_links(html, site.origin + "/")
        assert len(links) > 150  # the menus are there
        for link in links:
            if link.url not in content:
                candidate = Candidate(link.url)
                candidate.texts.add(link.text)
                assert score_candidate(candidate, vocabulary, now) < vocabulary.min_score, link
        expected = {site.origin + site.news_listing} | (
            {site.origin + site.calendar_path} if site.calendar else set()
        )
        assert set(listing_links(links, site.origin, vocabulary)) == expected
        search = search_form(html, site.origin + "/")
        assert search is not None and (search.path, search.param) == (site.search_path, site.search_param)
        assert detect_cms(html, vocabulary) == site.cms


def test_a_listing_page_links_exactly_its_articles_through_the_benchmarks_selectors(rendered) -> None:
    _web, _pages, listings = rendered
    for site, target, html in listings:
        if target != site.news_listing:
            continue
        rule = FollowRule(links=FOLLOW.get(site.cms, DEFAULT_FOLLOW))
        newest = sorted(
            (p for p in site.pages if p.kind != "service"), key=lambda p: p.published, reverse=True
        )
        expected = list(dict.fromkeys(site.origin + p.path for p in newest[:20]))
        assert candidate_links(html, site.origin + target, rule) == expected


def test_the_chrome_leaves_the_article_as_the_only_thing_extraction_reads(rendered) -> None:
    """One h1, no microdata or JSON-LD, the CMS detected, and every meeting the generator wrote found."""
    web, pages, _listings = rendered
    vocabulary = default_discovery_vocabulary()
    for site, page, html in pages:
        assert html.count("<h1") == 1 and html.count("<main") <= 1 and html.count("<article") <= 1, page.path
        assert "itemprop" not in html and "ld+json" not in html
        assert detect_cms(html, vocabulary) == site.cms
        if not page.relevant:
            continue
        extraction = extract_page(
            html, PageContext(url=site.origin + page.path, fetched_at=web.base_date, profile=site.cms)
        )
        assert extraction.title == page.title
        assert {m.date for m in page.meetings} <= {str(m.date) for m in extraction.meetings}, page.path
