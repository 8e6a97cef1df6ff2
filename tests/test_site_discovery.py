"""Discovery's pure parts (CMS, indexes, ranking), the national registry, and `kommundialog discover URL`."""

from __future__ import annotations

import csv
import gzip
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from benchmarks.national_web import NationalWeb, render_page
from tasks.extract.page import extract_page
from tasks.national import bodies, coverage_counts
from tasks.records import PageContext
from tasks.registry import RegistryError, load_registry, parse_registry
from tasks.site_index import (
    Candidate,
    declared_feeds,
    default_discovery_vocabulary,
    detect_cms,
    gunzip_capped,
    score_candidate,
    search_form,
)
from tests.conftest import PROJECT_ROOT, SITES

NOW = datetime(2026, 3, 1, tzinfo=UTC)
VOCAB = default_discovery_vocabulary()


@pytest.mark.parametrize(
    ("page", "cms"),
    [
        (
            "nordmaling/nyheter/nyheter/2024-05-09-inbjudan-till-dialogmote-med-socialtjansten.html",
            "sitevision",
        ),
        ("oppnasoc/2017/06/22/socialnamnden-21-juni-i-korthet/index.html", "wordpress"),
    ],
)
def test_the_cms_of_the_demo_pages_is_detected(page: str, cms: str) -> None:
    assert detect_cms((SITES / page).read_text(encoding="utf-8"), VOCAB) == cms


def test_every_synthetic_markup_is_detected_and_read_with_its_profile() -> None:
    web = NationalWeb(sites=12, pages=20, seed=3)
    for site in web.sites:
        page = next(p for p in site.pages if p.relevant)
        html = render_page(site, page)
        assert detect_cms(html, VOCAB) == site.cms
        extraction = extract_page(html, PageContext(url="https://x.se" + page.path, profile="auto"))
        assert extraction.profile == site.cms
        assert extraction.title == page.title


def test_a_page_without_markers_is_generic() -> None:
    assert (
        detect_cms("<html><head><title>Kommun</title></head><body><p>Hej</p></body></html>", VOCAB)
        == "generic"
    )


def test_gzip_sitemaps_are_inflated_within_a_cap() -> None:
    body = b"<urlset>" + b"<url><loc>https://x.se/a</loc></url>" * 10 + b"</urlset>"
    assert gunzip_capped(gzip.compress(body)) == body
    assert gunzip_capped(body) == body
    assert gunzip_capped(gzip.compress(b"a" * 5000), limit=1000) is None
    assert gunzip_capped(b"\x1f\x8b broken") is None


def test_feeds_and_search_are_read_off_the_home_page() -> None:
    html = (
        '<html><head><link rel="alternate" type="application/rss+xml" href="/nyheter.rss"></head><body>'
        '<form method="get" action="/sok.html" role="search"><input type="search" name="query"></form></body></html>'
    )
    assert declared_feeds(html, "https://www.x.se/") == ["https://www.x.se/nyheter.rss"]
    search = search_form(html, "https://www.x.se/")
    assert (
        search is not None
        and search.url("https://www.x.se", "i korthet") == "https://www.x.se/sok.html?query=i+korthet"
    )


@pytest.mark.parametrize(
    ("url", "texts", "fetched"),
    [
        (
            "https://x.se/kommun-och-politik/kommunala-rad/pensionarsradet/sammantradesdatum-2026.html",
            (),
            True,
        ),
        ("https://x.se/2025/05/05/socialnamnden-12-maj-i-korthet/", (), True),
        ("https://x.se/4.1234.html", ("Medborgardialog om trygghet i centrum",), True),
        (
            "https://x.se/nyheter/biblioteket-far-nya-oppettider.html",
            ("Biblioteket får nya öppettider",),
            False,
        ),
        ("https://x.se/bygga-bo-och-miljo/bygglov.html", ("Bygglov",), False),
    ],
)
def test_candidates_are_ranked_on_url_and_titles(url: str, texts: tuple[str, ...], fetched: bool) -> None:
    candidate = Candidate(url, lastmod=NOW - timedelta(days=30), texts=set(texts))
    assert (score_candidate(candidate, VOCAB, NOW) >= VOCAB.min_score) is fetched


def test_an_old_page_ranks_below_a_recent_one() -> None:
    url = "https://x.se/nyheter/medborgardialog-om-parken.html"
    recent = score_candidate(Candidate(url, lastmod=NOW - timedelta(days=10)), VOCAB, NOW)
    old = score_candidate(Candidate(url, lastmod=NOW - timedelta(days=2000)), VOCAB, NOW)
    assert recent > old


# -- the national registry ---------------------------------------------------------------------
def test_every_municipality_and_region_is_registered_with_a_source_for_its_origin() -> None:
    municipalities = [b for b in bodies() if b.kind == "municipality"]
    regions = [b for b in bodies() if b.kind == "region"]
    assert len(municipalities) == 290 and len({b.code for b in municipalities}) == 290
    assert len(regions) == 21 and len({b.code for b in regions}) == 21
    for body in bodies():
        assert body.origin_source.strip(), body
        if body.origin:
            assert re.match(r"^https?://[a-z0-9.-]+\.se$", body.origin), body.origin
        else:
            assert body.origin_source.startswith("not confirmed"), body


def test_the_readme_states_the_count_of_confirmed_origins() -> None:
    counts = coverage_counts()
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert f"{counts['municipalities_with_origin']} of the 290 municipalities" in readme
    assert f"{counts['regions_with_origin']} of the 21 regions" in readme


def test_a_national_registry_adds_every_municipality_with_an_origin_and_keeps_hand_tuned_entries() -> None:
    registry = load_registry(PROJECT_ROOT / "config" / "sources.yaml")
    by_code: dict[str, list] = {}
    for source in registry.sources:
        by_code.setdefault(source.municipality_code, []).append(source)
    with (PROJECT_ROOT / "config" / "municipalities.csv").open(encoding="utf-8", newline="") as handle:
        with_origin = {r["municipality_code"] for r in csv.DictReader(handle) if r["origin"]}
    assert with_origin <= set(by_code)
    assert all(len(sources) == 1 for sources in by_code.values())
    assert not by_code["2401"][0].discover  # Nordmaling keeps its hand-tuned entry
    auto = [s for s in registry.sources if s.discover]
    assert auto and all(s.profile == "auto" and s.follow is None for s in auto)


def test_the_demo_registry_stays_hand_tuned_and_local() -> None:
    registry = load_registry(PROJECT_ROOT / "config" / "demo-sources.yaml")
    assert len(registry.sources) == 4
    assert all(not s.discover and s.start_urls[0].startswith("http://127.0.0.1:") for s in registry.sources)


def test_discovery_and_a_follow_rule_exclude_each_other() -> None:
    entry = {
        "id": "x",
        "municipality": "Nordmaling",
        "municipality_code": "2401",
        "start_urls": ["https://www.nordmaling.se/"],
        "discover": "auto",
        "follow": {"links": "a"},
    }
    with pytest.raises(RegistryError, match="remove the follow rule"):
        parse_registry({"sources": [entry]}, "r.yaml")
    with pytest.raises(RegistryError, match="discover must be one of"):
        parse_registry({"sources": [{**entry, "discover": "yes", "follow": None}]}, "r.yaml")


# -- the site inspector --------------------------------------------------------------------------
def test_discover_prints_cms_candidates_and_an_entry_run_accepts(demo_sites, tmp_path: Path) -> None:
    origin = demo_sites.origins["nordmaling"]
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "discover", origin + "/"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "CMS: sitevision" in out
    assert f"{origin}/sitemap.xml" in out
    assert re.search(
        r"\*\s+\d+\.\d\s+2024-05-09\s+\S+\s+" + re.escape(origin) + r"/nyheter/nyheter/2024-05-09-inbjudan",
        out,
    )
    entry = out.split("Registry entry", 1)[1].split("\n", 1)[1]
    registry_file = tmp_path / "found.yaml"
    registry_file.write_text("sources:\n" + entry, encoding="utf-8")
    (source,) = load_registry(registry_file).sources
    assert source.discover and source.municipality == "Nordmaling" and source.start_urls == (origin + "/",)
    assert yaml.safe_load(registry_file.read_text(encoding="utf-8"))["sources"][0]["discover"] == "auto"


def test_discover_says_plainly_when_a_site_does_not_answer() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "discover", "http://127.0.0.1:9/"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 2
    assert "did not answer" in result.stderr and "Traceback" not in result.stderr
