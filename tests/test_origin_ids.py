"""Ids that survive a change of origin: the same page under another port, scheme or 'www.'.

Real extractor, real DuckDB file, the real loader; no HTTP (the origin is only
the address the page is said to come from). The whole demo on other ports is in
tests/test_demo_other_ports.py.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest

from tasks.charset import decode_text
from tasks.extract.page import extract_page
from tasks.records import FetchedPage, PageContext, PageExtraction
from tasks.registry import Source
from tests.conftest import SEEDS, SITES
from warehouse.db import open_warehouse
from warehouse.load import load_source_run

SOURCE = Source(
    id="helsingborg-oppnasoc",
    municipality="Helsingborg",
    municipality_code="1283",
    profile="wordpress",
    start_urls=("https://oppnasoc.helsingborg.se/aktuellt/",),
)
PAGES = ("003", "004")  # four meetings on one page; a committee summary and its next meeting on another
FIRST = datetime(2024, 6, 1, 6, 0, tzinfo=UTC)


def at_origin(seed: str, origin: str) -> str:
    return origin + urlsplit(SEEDS[seed][1]).path


def page_and_extraction(seed: str, origin: str, when: datetime) -> tuple[FetchedPage, PageExtraction]:
    url = at_origin(seed, origin)
    body = (SITES / SEEDS[seed][0]).read_bytes()
    page = FetchedPage(url, url, 200, when, "text/html", body, hashlib.sha256(body).hexdigest())
    context = PageContext(url, date(2024, 6, 1), SOURCE.municipality, SOURCE.profile, SOURCE.id)
    return page, extract_page(decode_text(body), context)


def load(db: Path, origin: str, when: datetime, run_id: str, legacy_ids: bool = False) -> dict[str, int]:
    pairs = [page_and_extraction(seed, origin, when) for seed in PAGES]
    pages = [p for p, _ in pairs]
    extractions = [as_before_the_change(e) if legacy_ids else e for _, e in pairs]
    with open_warehouse(db) as con:
        result = load_source_run(con, SOURCE, pages, extractions, run_id, when, "test")
    return result.changes


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def legacy_meeting_id(url: str, day: date | None, month_day: str | None) -> str:
    """The id as it was before: host and port hashed in (the scheme that doubled the demo)."""
    parts = urlsplit(url)
    key = f"{parts.netloc.lower()}{parts.path.rstrip('/')}|{day.isoformat() if day else month_day}"
    return "m-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def as_before_the_change(extraction: PageExtraction) -> PageExtraction:
    meetings = tuple(
        replace(m, id=legacy_meeting_id(extraction.url, m.date, m.month_day)) for m in extraction.meetings
    )
    return replace(extraction, meetings=meetings)


@pytest.mark.parametrize(
    "other",
    ["http://127.0.0.1:41234", "http://oppnasoc.helsingborg.se", "https://www.oppnasoc.helsingborg.se:8443"],
)
def test_the_same_pages_from_another_origin_are_the_same_records(tmp_path: Path, other: str) -> None:
    db = tmp_path / "kd.duckdb"
    first = load(db, "https://oppnasoc.helsingborg.se", FIRST, "run-1")
    assert first["new"] == 5
    before = rows(db, "SELECT meeting_id, version, first_seen_at FROM meetings ORDER BY 1")
    summaries = rows(db, "SELECT summary_id, first_seen_at FROM summaries")
    items = rows(db, "SELECT position, title FROM agenda_items ORDER BY 1")

    again = load(db, other, FIRST + timedelta(days=1), "run-2")

    assert again == {**{k: 0 for k in again}, "unchanged": 5}
    assert rows(db, "SELECT meeting_id, version, first_seen_at FROM meetings ORDER BY 1") == before
    assert rows(db, "SELECT count(*) FROM meeting_versions") == [(5,)]
    assert rows(db, "SELECT summary_id, first_seen_at FROM summaries") == summaries
    assert rows(db, "SELECT position, title FROM agenda_items ORDER BY 1") == items != []
    # The meetings now point at the address they were read from, so a later removal there is seen.
    urls = {u for (u,) in rows(db, "SELECT DISTINCT page_url FROM meetings")}
    assert urls and all(u.startswith(other + "/") for u in urls)


def test_a_meeting_gone_from_the_page_at_its_new_origin_is_marked_disappeared(tmp_path: Path) -> None:
    db = tmp_path / "kd.duckdb"
    load(db, "http://127.0.0.1:8704", FIRST, "run-1")
    load(db, "http://127.0.0.1:41234", FIRST + timedelta(days=1), "run-2")
    page, extraction = page_and_extraction("003", "http://127.0.0.1:41234", FIRST + timedelta(days=2))
    dropped = extraction.meetings[0]
    with open_warehouse(db) as con:
        changes = load_source_run(
            con,
            SOURCE,
            [page],
            [replace(extraction, meetings=extraction.meetings[1:])],
            "run-3",
            FIRST + timedelta(days=2),
            "test",
        ).changes
    assert changes["disappeared"] == 1
    assert rows(db, f"SELECT state FROM meetings WHERE meeting_id = '{dropped.id}'") == [("disappeared",)]


def test_a_warehouse_with_ids_from_before_keeps_them(tmp_path: Path) -> None:
    """Ids stored before ids ignored the origin stay the meetings' ids (published UIDs follow them)."""
    db = tmp_path / "kd.duckdb"
    load(db, "http://127.0.0.1:8704", FIRST, "run-1", legacy_ids=True)
    legacy_summary = (
        "s-" + hashlib.sha256(at_origin("004", "http://127.0.0.1:8704").encode()).hexdigest()[:16]
    )
    with duckdb.connect(str(db)) as con:  # as the loader stored a summary before
        (old_id,) = con.execute("SELECT summary_id FROM summaries").fetchone()
        con.execute("UPDATE agenda_items SET summary_id = ? WHERE summary_id = ?", [legacy_summary, old_id])
        con.execute("UPDATE summaries SET summary_id = ? WHERE summary_id = ?", [legacy_summary, old_id])
    stored = rows(db, "SELECT meeting_id FROM meetings ORDER BY 1")
    (summary_first_seen,) = rows(db, "SELECT first_seen_at FROM summaries")
    items = rows(db, "SELECT position, title FROM agenda_items ORDER BY 1")

    again = load(db, "http://127.0.0.1:41234", FIRST + timedelta(days=1), "run-2")

    assert again == {**{k: 0 for k in again}, "unchanged": 5}
    assert rows(db, "SELECT meeting_id FROM meetings ORDER BY 1") == stored
    assert rows(db, "SELECT count(*) FROM meeting_versions") == [(5,)]
    assert rows(db, "SELECT first_seen_at FROM summaries") == [summary_first_seen]
    assert rows(db, f"SELECT count(*) FROM summaries WHERE summary_id = '{legacy_summary}'") == [(0,)]
    assert rows(db, "SELECT position, title FROM agenda_items ORDER BY 1") == items != []
