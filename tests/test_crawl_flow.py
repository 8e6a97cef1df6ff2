"""Polite, incremental, hostile-proof crawling through the real collect flow and `kommundialog run`.

Real Prefect runs (the session's test API), real DuckDB files, demo sites and
fault-injecting servers on 127.0.0.1.
"""

from __future__ import annotations

import socket
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.faulty_server import faulty_server

pytestmark = pytest.mark.integration

GOOD_ID = "nordmaling-socialtjansten"
# Small limits so the hostile servers cost the suite seconds, not minutes.
QUICK_FETCH = {
    "connect_timeout": 1,
    "read_timeout": 0.3,
    "total_deadline": 1,
    "max_bytes": 100_000,
    "retries": 1,
    "backoff_seconds": 0.02,
    "host_failure_limit": 100,  # every fault below is on one host: show each one's own outcome
}


def run_collect(registry: Path, workdir: Path):
    from flows.collect import collect

    return collect(
        sources_file=str(registry), db_path=str(workdir / "kd.duckdb"), out_dir=str(workdir / "catalogue")
    )


def query(workdir: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(workdir / "kd.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def write_registry(
    path: Path, demo_registry_file: Path, sources: list[dict], fetch: dict | None = None
) -> Path:
    data = yaml.safe_load(demo_registry_file.read_text(encoding="utf-8"))
    data["sources"] = sources
    if fetch:
        data["settings"]["fetch"] = fetch
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def demo_source(demo_registry_file: Path, source_id: str) -> dict:
    data = yaml.safe_load(demo_registry_file.read_text(encoding="utf-8"))
    return next(s for s in data["sources"] if s["id"] == source_id)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- incremental: a second run over an unchanged site ------------------------------------------------


@pytest.fixture(scope="module")
def two_runs(prefect_server, demo_registry_file, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("incremental")
    sources = [demo_source(demo_registry_file, i) for i in (GOOD_ID, "helsingborg-oppnasoc")]
    registry = write_registry(workdir / "two.yaml", demo_registry_file, sources)
    first = run_collect(registry, workdir)
    seen_after_first = query(
        workdir, "SELECT meeting_id, first_seen_at, last_seen_at FROM meetings ORDER BY 1"
    )
    second = run_collect(registry, workdir)
    return workdir, first, second, seen_after_first


def test_second_run_sends_conditional_requests_and_gets_304s(two_runs) -> None:
    workdir, first, second, _ = two_runs
    rows = query(
        workdir,
        "SELECT outcome, http_status, count(*) FROM fetch_log WHERE run_id = ? AND purpose = 'page' GROUP BY ALL",
        [second.run_id],
    )
    pages = sum(c.pages for c in first.crawl_counts.values())
    assert rows == [("unchanged", 304, pages)]
    assert all(c.unchanged == c.pages and c.fetched == 0 for c in second.crawl_counts.values())


def test_second_run_re_extracts_and_reloads_nothing(two_runs) -> None:
    workdir, first, second, seen_after_first = two_runs
    assert query(workdir, "SELECT count(*) FROM pages WHERE run_id = ?", [second.run_id]) == [(0,)]
    assert query(workdir, "SELECT count(*) FROM meetings WHERE run_id = ?", [second.run_id]) == [(0,)]
    assert (second.meetings, second.summaries) == (first.meetings, first.summaries) == (6, 1)
    now = query(workdir, "SELECT meeting_id, first_seen_at, last_seen_at FROM meetings ORDER BY 1")
    assert [(m, f) for m, f, _ in now] == [(m, f) for m, f, _ in seen_after_first]
    assert all(after > before for (_, _, after), (_, _, before) in zip(now, seen_after_first, strict=True))


def test_run_summary_per_source_is_stored(two_runs) -> None:
    workdir, _, second, _ = two_runs
    rows = query(
        workdir,
        "SELECT source_id, pages, fetched, unchanged, skipped_by_robots, out_of_scope, failed "
        "FROM crawl_summaries WHERE run_id = ? ORDER BY 1",
        [second.run_id],
    )
    assert [r[0] for r in rows] == ["helsingborg-oppnasoc", GOOD_ID]
    assert all(r[2] == 0 and r[3] == r[1] and r[4:] == (0, 0, 0) for r in rows)
    assert (
        "0 fetched, 5 unchanged, 0 skipped by robots, 0 out of scope, 0 failed" in second.per_source[GOOD_ID]
    )


def test_after_an_extractor_change_pages_are_read_again_from_the_archive_not_refetched(two_runs) -> None:
    workdir, first, _, _ = two_runs
    with duckdb.connect(str(workdir / "kd.duckdb")) as con:
        con.execute("UPDATE pages SET extractor_version = 'an-older-extractor'")
    third = run_collect(workdir / "two.yaml", workdir)
    rows = query(
        workdir,
        "SELECT http_status, outcome, count(*) FROM fetch_log WHERE run_id = ? AND purpose = 'page' GROUP BY ALL",
        [third.run_id],
    )
    pages = sum(c.pages for c in first.crawl_counts.values())
    assert rows == [(304, "fetched", pages)]  # no body downloaded, every page extracted again
    assert query(
        workdir,
        "SELECT count(*) FROM pages WHERE run_id = ? AND extractor_version <> 'an-older-extractor'",
        [third.run_id],
    ) == [(pages,)]
    assert (third.meetings, third.summaries) == (6, 1)


# -- `kommundialog run`: one unreachable host, one robots-forbidden host, one good host ----------------


def test_run_command_publishes_the_good_host_and_reports_the_others_plainly(
    prefect_server, demo_registry_file, tmp_path, capsys
) -> None:
    from flows.cli import main

    good = demo_source(demo_registry_file, GOOD_ID)
    with faulty_server(robots="User-agent: *\nDisallow: /\n") as (forbidden_origin, forbidden):
        sources = [
            {**good, "id": "unreachable", "start_urls": [f"http://127.0.0.1:{_closed_port()}/nyheter.html"]},
            {**good, "id": "robots-forbidden", "start_urls": [forbidden_origin + "/nyheter.html"]},
            good,
        ]
        registry = write_registry(tmp_path / "mixed.yaml", demo_registry_file, sources, QUICK_FETCH)
        code = main(
            [
                "run",
                "--sources",
                str(registry),
                "--db",
                str(tmp_path / "kd.duckdb"),
                "--out",
                str(tmp_path / "catalogue"),
            ]
        )
    out = capsys.readouterr().out
    assert code == 1  # partial: two of the three sources are broken
    assert "health unreachable: broken (fetch failures: all 1 pages failed (connection failed: 1))" in out
    assert "health robots-forbidden: broken (no page could be read (1 skipped by robots.txt or scope))" in out
    assert f"health {GOOD_ID}: ok" in out
    assert (
        "unreachable: 1 pages: 0 fetched, 0 unchanged, 0 skipped by robots, 0 out of scope, 1 failed (connection failed: 1)"
        in out
    )
    assert (
        "robots-forbidden: 1 pages: 0 fetched, 0 unchanged, 1 skipped by robots, 0 out of scope, 0 failed"
        in out
    )
    assert f"{GOOD_ID}: 5 pages: 5 fetched" in out
    assert (
        "error: unreachable: http://127.0.0.1:" in out
        and "host unreachable: robots.txt could not be fetched" in out
    )
    assert f"error: robots-forbidden: {forbidden_origin}/nyheter.html: robots.txt disallows this URL" in out
    assert forbidden.hits["/nyheter.html"] == 0
    assert "2024-05-28" in (tmp_path / "catalogue" / "meetings.csv").read_text(encoding="utf-8-sig")
    assert query(tmp_path, "SELECT source_id, meeting_date FROM meetings") == [(GOOD_ID, date(2024, 5, 28))]


# -- a hostile site: every fault is recorded, the run goes on ------------------------------------------

FAULTS = [
    "/slow-first-byte",
    "/slow-body",
    "/slow-headers",
    "/rate-limited",
    "/flaky-500",
    "/missing",
    "/gone",
    "/loop",
    "/to-other-host",
    "/to-private",
    "/huge",
    "/gzip-bomb",
    "/binary-html",
    "/image",
    "/wrong-charset",
    "/private/page",
    "/reset-mid-body",
    "/close-at-once",
    "/not-http",
]


def test_hostile_site_faults_are_logged_and_the_run_goes_on(
    prefect_server, demo_registry_file, tmp_path
) -> None:
    good = demo_source(demo_registry_file, GOOD_ID)
    links = "".join(f'<li><a href="{f}">dialog {f}</a></li>' for f in FAULTS)
    listing = f'<html><body><ul class="news">{links}</ul></body></html>'
    with faulty_server(pages={"/nyheter.html": listing}) as (origin, _):
        hostile = {
            **good,
            "id": "hostile",
            "start_urls": [origin + "/nyheter.html"],
            "follow": {"links": "ul.news a"},
            "min_delay_seconds": 0,
            "max_concurrency": 4,
        }
        registry = write_registry(tmp_path / "hostile.yaml", demo_registry_file, [hostile, good], QUICK_FETCH)
        summary = run_collect(registry, tmp_path)
    logged = dict(
        query(
            tmp_path,
            "SELECT url, outcome || ': ' || coalesce(error, 'ok') FROM fetch_log WHERE source_id = 'hostile' AND purpose = 'page'",
        )
    )
    assert set(logged) == {origin + p for p in ["/nyheter.html", *FAULTS]}
    for path in (
        "/slow-first-byte",
        "/slow-body",
        "/loop",
        "/to-private",
        "/huge",
        "/binary-html",
        "/reset-mid-body",
    ):
        assert logged[origin + path].startswith(("failed: ", "out_of_scope: ")), logged[origin + path]
    assert logged[origin + "/private/page"] == "robots: robots.txt disallows this URL"
    assert logged[origin + "/rate-limited"] == logged[origin + "/flaky-500"] == "fetched: ok"
    assert summary.meetings == 1 and query(tmp_path, "SELECT status FROM runs") == [("partial",)]
    assert any(e.startswith(f"hostile: {origin}/slow-body: no complete response") for e in summary.errors)
