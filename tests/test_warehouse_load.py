"""The loader on a real DuckDB file, batch by batch: history edge cases found in review."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tasks.records import FetchedPage, Meeting, PageExtraction
from tasks.registry import Source
from warehouse.db import open_warehouse
from warehouse.fetch_log import previous_fetches
from warehouse.load import load_source_run, record_sources

SOURCE = Source(
    id="exempel", municipality="Nordmaling", municipality_code="2401", start_urls=("https://www.exempel.se/",)
)
PAGE = "https://www.exempel.se/dialog.html"
T0 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


def meeting(day: int) -> Meeting:
    return Meeting(
        id=f"m-{day:016d}", title="Dialogmöte", date=date(2026, 3, day), month_day=None, year_basis="text",
        start=None, end=None, place="Stadshuset", address=None, attendance="in_person", status="scheduled",
    )  # fmt: skip


def load(db: Path, run: int, days: list[int] | None, status: int = 200) -> object:
    """Load one run: the page with meetings on `days`, or a failed fetch when days is None."""
    now = T0 + timedelta(days=run)
    body = f"<p>{days}</p>".encode()
    if days is None:
        page = FetchedPage(PAGE, PAGE, status, now, None, b"", None, error=f"HTTP {status}", outcome="failed")
        extractions = []
    else:
        page = FetchedPage(PAGE, PAGE, 200, now, "text/html", body, hashlib.sha256(body).hexdigest())
        extractions = [
            PageExtraction(PAGE, "Dialog", "meeting", None, meetings=tuple(meeting(d) for d in days))
        ]
    with open_warehouse(db) as con:
        return load_source_run(con, SOURCE, [page], extractions, f"run-{run}", now, "v1")


def rows(db: Path, sql: str) -> list[tuple]:
    with open_warehouse(db, read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_meeting_that_comes_back_keeps_its_history(tmp_path: Path) -> None:
    db = tmp_path / "kd.duckdb"
    load(db, 1, [2, 9])
    load(db, 2, [2])
    result = load(db, 3, [2, 9])
    assert result.changes["updated"] == 1
    history = rows(
        db,
        f"SELECT version, change_kind, changed_fields, state FROM meeting_versions WHERE meeting_id = '{meeting(9).id}' ORDER BY version",
    )
    assert history == [
        (1, "new", [], "active"),
        (2, "disappeared", [], "disappeared"),
        (3, "updated", ["state"], "active"),
    ]
    assert rows(db, f"SELECT first_seen_at FROM meetings WHERE meeting_id = '{meeting(9).id}'") == [
        (T0 + timedelta(days=1),)
    ]


def test_a_suspect_batch_leaves_its_pages_to_be_read_again(tmp_path: Path) -> None:
    db = tmp_path / "kd.duckdb"
    load(db, 1, [2, 9, 16, 23])
    result = load(db, 2, [2])
    assert result.suspect
    assert rows(db, "SELECT count(*) FROM meetings WHERE state = 'active'") == [(4,)]
    with open_warehouse(db) as con:
        con.execute(
            "INSERT INTO fetch_log (run_id, source_id, url, final_url, purpose, requested_at, outcome, content_hash) "
            "SELECT run_id, source_id, url, final_url, 'page', fetched_at, 'fetched', content_hash FROM pages"
        )
        remembered = previous_fetches(con, "v1")
    assert PAGE not in remembered.get(SOURCE.id, {})  # no validators: the next run fetches and extracts it


def test_a_passing_fetch_failure_keeps_the_page_row(tmp_path: Path) -> None:
    db = tmp_path / "kd.duckdb"
    load(db, 1, [2])
    before = rows(db, "SELECT content_hash, kind, extractor_version FROM pages")
    load(db, 2, None, status=503)
    assert rows(db, "SELECT content_hash, kind, extractor_version FROM pages") == before
    assert rows(db, "SELECT state FROM meetings") == [("active",)]


def test_a_gone_page_is_recorded_and_its_meetings_disappear(tmp_path: Path) -> None:
    db = tmp_path / "kd.duckdb"
    load(db, 1, [2])
    load(db, 2, None, status=410)
    assert rows(db, "SELECT http_status, content_hash FROM pages") == [(410, None)]
    assert rows(db, "SELECT state, last_seen_at FROM meetings") == [("disappeared", T0 + timedelta(days=1))]


def test_sources_are_written_once_per_run_and_only_when_their_entry_changed(tmp_path: Path) -> None:
    db = tmp_path / "kd.duckdb"
    other = Source(id="annat", municipality="Umeå", municipality_code="2480", start_urls=("https://u.se/",))
    with open_warehouse(db) as con:
        assert record_sources(con, [SOURCE, other], T0) == 2
        assert record_sources(con, [SOURCE, other], T0 + timedelta(days=1)) == 0
        moved = replace(other, start_urls=("https://u.se/", "https://u.se/dialog/"))
        assert record_sources(con, [SOURCE, moved], T0 + timedelta(days=2)) == 1
        stored = con.execute("SELECT source_id, start_urls, updated_at FROM sources ORDER BY 1").fetchall()
    assert stored == [
        ("annat", ["https://u.se/", "https://u.se/dialog/"], T0 + timedelta(days=2)),
        ("exempel", ["https://www.exempel.se/"], T0),
    ]


def test_a_run_where_every_page_came_back_unchanged_only_moves_last_seen(tmp_path: Path) -> None:
    db = tmp_path / "kd.duckdb"
    load(db, 1, [2, 9])
    later = T0 + timedelta(days=2)
    before = rows(db, "SELECT * EXCLUDE (last_seen_at, run_id) FROM meetings ORDER BY meeting_id")
    unchanged = FetchedPage(PAGE, PAGE, 304, later, None, b"", None, outcome="unchanged")
    with open_warehouse(db) as con:
        result = load_source_run(con, SOURCE, [unchanged], [], "run-2", later, "v1", source_recorded=True)
    assert (result.meetings, result.changes["new"], result.changes["disappeared"]) == (2, 0, 0)
    assert rows(db, "SELECT * EXCLUDE (last_seen_at, run_id) FROM meetings ORDER BY meeting_id") == before
    assert rows(db, "SELECT DISTINCT last_seen_at FROM meetings") == [(later,)]
    assert rows(db, "SELECT count(*) FROM meeting_versions") == [(2,)]


def test_unchanged_sources_loaded_together_leave_the_warehouse_as_loading_each_alone(tmp_path: Path) -> None:
    from tasks.crawl import CrawlResult
    from tasks.records import Summary
    from tasks.steps import load_source, load_unchanged_sources

    sources = [SOURCE, replace(SOURCE, id="annan", start_urls=("https://www.annan.se/",))]
    url = {s.id: s.start_urls[0] + "dialog.html" for s in sources}
    summary = Summary("Nämnden beslutade om stöd.", date(2026, 2, 3), "text", None, None)

    def read(source: Source, when: datetime) -> tuple[CrawlResult, list[PageExtraction]]:
        body = f"<p>{source.id}</p>".encode()
        page = FetchedPage(
            url[source.id], url[source.id], 200, when, "text/html", body, hashlib.sha256(body).hexdigest()
        )
        extraction = PageExtraction(
            url[source.id], "Dialog", "meeting", None, meetings=(meeting(2), meeting(9)), summary=summary
        )
        return CrawlResult(source.id, pages=[page]), [extraction]

    def unchanged(source: Source, when: datetime) -> CrawlResult:
        return CrawlResult(
            source.id,
            pages=[
                FetchedPage(url[source.id], url[source.id], 304, when, None, b"", None, outcome="unchanged")
            ],
        )

    alone, together = tmp_path / "alone.duckdb", tmp_path / "together.duckdb"
    with open_warehouse(alone) as con:
        record_sources(con, sources, T0)
        for source in sources:
            load_source(con, source, *read(source, T0), "run-1", T0)
    together.write_bytes(alone.read_bytes())
    later = T0 + timedelta(days=1)
    with open_warehouse(alone) as con:
        one_by_one = {s.id: load_source(con, s, unchanged(s, later), [], "run-2", later) for s in sources}
    with open_warehouse(together) as con:
        at_once = load_unchanged_sources(con, [(s, unchanged(s, later)) for s in sources], "run-2", later)

    assert at_once == one_by_one
    assert one_by_one["annan"].meetings == 2
    with open_warehouse(alone, read_only=True) as con:
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
    for table in tables:
        contents = f"SELECT * FROM {table} ORDER BY ALL"
        assert rows(together, contents) == rows(alone, contents), table
    assert rows(together, "SELECT DISTINCT last_seen_at FROM meetings") == [(later,)]
    assert rows(together, "SELECT count(*) FROM fetch_log WHERE run_id = 'run-2'") == [(2,)]
    assert rows(together, "SELECT count(*) FROM source_coverage WHERE run_id = 'run-2'") == [(2,)]
