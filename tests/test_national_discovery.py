"""Discovery on the synthetic national web, through real collect flow runs on 127.0.0.1.

The sites are found from their origins alone (`discover: auto`): no follow
rule, no profile. The manifest says which pages are relevant; the servers
count what was downloaded, so recall and cost are measured, not assumed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from benchmarks.national_web import NationalWeb

pytestmark = pytest.mark.integration


def run_collect(registry: Path, workdir: Path) -> object:
    from flows.collect import collect

    return collect(
        sources_file=str(registry), db_path=str(workdir / "kd.duckdb"), out_dir=str(workdir / "catalogue")
    )


def served_pages(web: NationalWeb) -> set[str]:
    """Content pages the servers answered with a body (200), as URLs."""
    content = {(s.origin, p.path) for s in web.sites for p in s.pages}
    return {o + p for (o, p, status) in web.requests if status == 200 and (o, p) in content}


@pytest.fixture(scope="module")
def national_runs(prefect_server, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("national")
    with NationalWeb(sites=20, pages=30, seed=11) as web:
        registry = workdir / "national.yaml"
        registry.write_text(web.registry_yaml(min_delay_seconds=0.0), encoding="utf-8")
        first = run_collect(registry, workdir)
        first_pages = served_pages(web)
        web.reset_counts()
        changed = set(web.change_pages(0.05, seed=2))
        second = run_collect(registry, workdir)
        second_pages = served_pages(web)
        yield {
            "web": web,
            "workdir": workdir,
            "first": first,
            "second": second,
            "first_pages": first_pages,
            "second_pages": second_pages,
            "changed": changed,
            "relevant": web.relevant_urls(),
        }


def test_discovery_finds_the_relevant_pages_and_little_else(national_runs) -> None:
    relevant, fetched = national_runs["relevant"], national_runs["first_pages"]
    recall = len(relevant & fetched) / len(relevant)
    assert recall >= 0.95, sorted(relevant - fetched)
    assert len(fetched) <= 2 * len(relevant)
    assert national_runs["first"].errors == []


def test_a_second_run_downloads_only_changed_pages(national_runs) -> None:
    changed, second = national_runs["changed"], national_runs["second_pages"]
    assert second <= changed
    found_before = national_runs["first_pages"]
    assert changed & found_before <= second  # every changed page discovery had found is read again


def test_the_cms_is_detected_and_recorded_per_page(national_runs) -> None:
    web = national_runs["web"]
    cms_of = {s.origin: s.cms for s in web.sites}
    with duckdb.connect(str(national_runs["workdir"] / "kd.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT url, profile FROM pages WHERE profile IS NOT NULL").fetchall()
        by_source = dict(
            con.execute("SELECT source_id, cms FROM source_coverage WHERE cms IS NOT NULL").fetchall()
        )
    assert rows
    for url, profile in rows:
        origin = url.split("/", 3)[:3]
        assert profile == cms_of["/".join(origin)], url
    assert set(by_source.values()) <= {"sitevision", "wordpress", "episerver", "generic"}
    assert len(by_source) == len(web.sites)


def test_meetings_of_relevant_pages_reach_the_warehouse(national_runs) -> None:
    manifest = national_runs["web"].manifest()
    expected = {
        (m["date"], p["url"])
        for s in manifest["sites"]
        for p in s["pages"]
        if p["relevant"] and p["kind"] != "summary"
        for m in p["meetings"]
    }
    with duckdb.connect(str(national_runs["workdir"] / "kd.duckdb"), read_only=True) as con:
        found = {
            (str(d), u) for d, u in con.execute("SELECT meeting_date, page_url FROM meetings").fetchall()
        }
    assert len(expected & found) / len(expected) >= 0.8


def test_coverage_names_every_body_and_what_was_found(national_runs) -> None:
    web = national_runs["web"]
    with duckdb.connect(str(national_runs["workdir"] / "kd.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT body_code, kind, status, sources, pages_fetched FROM coverage").fetchall()
    assert sum(1 for r in rows if r[1] == "municipality") == 290
    assert sum(1 for r in rows if r[1] == "region") == 21
    crawled = {r[0]: r for r in rows if r[3]}
    assert set(crawled) == {s.code for s in web.sites}
    assert {r[2] for r in crawled.values()} <= {"publishes", "nothing found"}
    assert any(r[2] == "publishes" for r in crawled.values())
    not_crawled = [r for r in rows if r[0] not in crawled and r[1] == "municipality"]
    assert {r[2] for r in not_crawled} <= {"not crawled", "not covered"}
    assert any(r[2] == "not covered" for r in not_crawled)


def test_the_catalogue_publishes_coverage(national_runs) -> None:
    catalogue = national_runs["workdir"] / "catalogue"
    csv_text = (catalogue / "coverage.csv").read_text(encoding="utf-8-sig")
    assert len(csv_text.strip().splitlines()) == 1 + 290 + 21
    page = (catalogue / "index.html").read_text(encoding="utf-8")
    assert page.count('class="cell publishes"') >= 1
    assert 'id="h-coverage"' in page
    assert page.count('<li class="cell ') == 290
