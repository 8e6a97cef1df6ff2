"""The synthetic national web: deterministic, indexed in every advertised way, honest about changes."""

from __future__ import annotations

import gzip

import pytest
import requests

from benchmarks.national_web import NationalWeb
from tasks.discovery import parse_feed, parse_sitemap


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
