"""Parsing less changes nothing: the lean tree and lxml's listing links read every page as before.

The reference is the full BeautifulSoup tree (lean cutting switched off) and
BeautifulSoup's own select(); the pages are every corpus, demo and shared page
at hand, each read under every CMS profile.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

import tasks.extract.document as document
from tasks.charset import decode_text
from tasks.extract.lean import lean_html
from tasks.extract.page import extract_page
from tasks.extract.vocabulary import default_profiles
from tasks.links import candidate_links
from tasks.records import PageContext, to_jsonable
from tasks.registry import FollowRule
from tests.conftest import PROJECT_ROOT

SHARED = PROJECT_ROOT.parent / "shared"
PROFILES = ("generic", "sitevision", "wordpress", "episerver")
RULES = (
    FollowRule("a"),
    FollowRule("ul.sv-channel li.sv-channel-item a"),
    FollowRule("article.c-card h2 a, .c-card__title a", "dialog|medborgar|korthet"),
    FollowRule("main a[href]"),
    FollowRule("nav > ul > li > a", "omsorg"),
    FollowRule("[class*=news] a[href$=html]"),
)


def project_pages() -> list[Path]:
    return sorted(
        [
            *(PROJECT_ROOT / "tests" / "corpus").glob("*.html"),
            *(PROJECT_ROOT / "tests" / "holdout").glob("*.html"),
            *(PROJECT_ROOT / "demo" / "sites").rglob("*.html"),
        ]
    )


def shared_pages() -> list[Path]:
    return sorted([*(SHARED / "real-pages" / "pages").glob("*"), *(SHARED / "seeds").glob("*.txt")])


def extract_all(pages: list[Path]) -> list[object]:
    results = []
    for path in pages:
        html = decode_text(path.read_bytes())
        for profile in PROFILES:
            context = PageContext(
                url=f"https://www.example.se/{path.name}",
                fetched_at=date(2026, 11, 27),
                municipality="Nordmaling",
                profile=profile,
            )
            results.append((path.name, profile, to_jsonable(extract_page(html, context))))
    return results


def full_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch the lean cut off: BeautifulSoup parses every page whole, as it did before."""
    monkeypatch.setattr(document, "lean_html", lambda *args: None)


def test_the_lean_tree_extracts_exactly_what_the_full_tree_does(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = project_pages()
    assert len(pages) > 100
    lean = extract_all(pages)
    full_tree(monkeypatch)
    assert extract_all(pages) == lean


def test_real_pages_and_seeds_read_the_same_lean_or_full(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = shared_pages()
    if not pages:
        pytest.skip(f"{SHARED} has no real pages or seeds here")
    lean = extract_all(pages)
    full_tree(monkeypatch)
    assert extract_all(pages) == lean


def test_the_lean_cut_removes_chrome_and_keeps_what_is_read_before_dropping() -> None:
    html = """<html><head><title>Dialogmöte | Kommun</title><script>var x = 1;</script>
    <script type="application/ld+json">{"@type": "Event"}</script></head><body>
    <nav class="menu"><ul><li><a href="/a">Omsorg</a></li></ul></nav>
    <nav class="crumbs"><h1>Rubrik i menyn</h1></nav>
    <svg class="sprite"><symbol id="i"><path d="M0"/></symbol></svg>
    <div class="cookie-banner"><p>Vi använder kakor.</p></div>
    <div class="sv-text-portlet-content"><p>Text<script>y()</script> efter skriptet.</p></div>
    </body></html>"""
    profile = default_profiles()["sitevision"]
    lean = lean_html(html, profile.drop, profile.title)
    assert lean is not None
    soup = BeautifulSoup(lean, "lxml")
    assert soup.find("nav", class_="menu") is None
    assert soup.find("svg") is None
    assert soup.find(class_="cookie-banner") is None
    assert soup.find("h1").get_text() == "Rubrik i menyn"  # a title candidate stays
    assert soup.find("script", type="application/ld+json") is not None
    paragraph = soup.find("div", class_="sv-text-portlet-content").p
    assert [str(s) for s in paragraph.strings] == ["Text", " efter skriptet."]


def test_a_published_line_next_to_chrome_keeps_the_chrome() -> None:
    html = "<html><body><p>Publicerad 9 maj<span class='cookie-x'>kakor</span> 2024</p></body></html>"
    profile = default_profiles()["generic"]
    assert lean_html(html, profile.drop, profile.title) is None


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.links)
def test_listing_links_from_lxml_match_beautifulsoups_select(rule: FollowRule) -> None:
    found_any = False
    for path in project_pages():
        html = decode_text(path.read_bytes())
        base = "https://www.example.se/nyheter/lista.html"
        links = candidate_links(html, base, rule)
        found_any = found_any or bool(links)
        assert links == links_by_beautifulsoup(html, base, rule), path.name
    assert found_any


def links_by_beautifulsoup(html: str, base: str, rule: FollowRule) -> list[str]:
    """The reference: what candidate_links gave when it always used BeautifulSoup's select()."""
    import re
    from urllib.parse import urljoin

    from tasks.scope import clean_url

    pattern = re.compile(rule.match, re.IGNORECASE) if rule.match else None
    found: dict[str, None] = {}
    for anchor in BeautifulSoup(html, "lxml").select(rule.links):
        href = anchor.get("href") if anchor.name == "a" else None
        if not isinstance(href, str) or not href.strip():
            continue
        try:
            url = clean_url(urljoin(base, href.strip()))
        except ValueError:
            continue
        if pattern and not (pattern.search(url) or pattern.search(anchor.get_text(" "))):
            continue
        found.setdefault(url)
    return list(found)
