"""Meetings carry their activity and open invitations are data: warehouse, published files, page.

Real DuckDB files, the real loader and the real publisher; the seed pages
through the real extractor (the Ovanåker invitation is seed 001).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import icalendar
import pyarrow.parquet as pq
import pytest

from tasks.records import ACTIVITIES, PageExtraction, Registration
from tasks.registry import load_registry
from tests.catalogue_support import (
    LOADED_AT,
    REGISTRY,
    catalogue_config,
    load_extraction,
    load_seed_pages,
    make_meeting,
)
from tests.conftest import PERSONAL_DATA, SEEDS
from warehouse.catalogue.privacy import find_in_release
from warehouse.catalogue.publish import publish_catalogue
from warehouse.catalogue.rows import invitation_rows
from warehouse.db import open_warehouse
from warehouse.migrate import load_migrations, migrate

OVANAKER_URL = SEEDS["001"][1]
LATER = datetime(2024, 6, 2, 6, 0, tzinfo=UTC)
PAGE = "https://www.nordmaling.se/nyheter/nyheter/2024-06-01-radet.html"


def _source(code: str = "2401"):
    return next(s for s in load_registry(REGISTRY).sources if s.municipality_code == code)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seed pages plus a council meeting and a committee meeting, published once."""
    root = tmp_path_factory.mktemp("activity")
    db = root / "kd.duckdb"
    load_seed_pages(db)
    meetings = (
        make_meeting(PAGE, date(2024, 9, 3), activity="council", title="Rådet för funktionshinderfrågor"),
        make_meeting(PAGE, date(2024, 9, 10), activity="committee", title="Socialnämnden sammanträder"),
    )
    extraction = PageExtraction(url=PAGE, title="Möten", kind="meeting", published=None, meetings=meetings)
    load_extraction(db, _source(), extraction, LOADED_AT, "run-activity")
    out = root / "catalogue"
    with open_warehouse(db) as con:
        publish_catalogue(con, out, LOADED_AT, catalogue_config())
    return out


# --- Warehouse --------------------------------------------------------------------------------------


def test_meetings_loaded_before_schema_2_become_other(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    with duckdb.connect(str(db)) as con:
        migrate(con, LOADED_AT, load_migrations()[:1])
        con.execute(
            "INSERT INTO meetings (meeting_id, extracted_id, source_id, municipality_code, page_url, status, "
            "state, version, last_change, first_seen_at, last_seen_at, last_changed_at, run_id) "
            "VALUES ('m-1', 'm-1', 's', '2401', 'https://x.se/', 'scheduled', 'active', 1, 'new', "
            "$t, $t, $t, 'r')",
            {"t": LOADED_AT},
        )
        con.execute(
            "INSERT INTO meeting_versions (meeting_id, version, valid_from, change_kind, extracted_id, "
            "page_url, status, state, run_id) VALUES ('m-1', 1, $t, 'new', 'm-1', 'https://x.se/', "
            "'scheduled', 'active', 'r')",
            {"t": LOADED_AT},
        )
    with open_warehouse(db) as con:
        assert con.execute("SELECT activity FROM meetings").fetchall() == [("other",)]
        assert con.execute("SELECT activity FROM meeting_versions").fetchall() == [("other",)]
        assert con.execute("SELECT count(*) FROM invitations").fetchone() == (0,)


def test_the_loader_stores_the_activity_and_a_new_activity_is_a_new_version(tmp_path: Path) -> None:
    db = tmp_path / "kd.duckdb"
    meeting = make_meeting(PAGE, date(2024, 9, 3), activity="other")
    extraction = PageExtraction(url=PAGE, title="Råd", kind="meeting", published=None, meetings=(meeting,))
    load_extraction(db, _source(), extraction, LOADED_AT, "run-1")
    reread = replace(extraction, meetings=(replace(meeting, activity="council"),))
    load_extraction(db, _source(), reread, LATER, "run-2")
    with open_warehouse(db) as con:
        assert con.execute("SELECT activity, version FROM meetings").fetchall() == [("council", 2)]
        versions = con.execute(
            "SELECT version, activity, change_kind, changed_fields FROM meeting_versions ORDER BY version"
        ).fetchall()
    assert versions == [(1, "other", "new", []), (2, "council", "updated", ["activity"])]


def test_an_invitation_page_is_a_row_until_it_no_longer_invites(tmp_path: Path) -> None:
    db = tmp_path / "kd.duckdb"
    load_seed_pages(db)
    with open_warehouse(db) as con:
        (row,) = con.execute(
            "SELECT municipality_code, title, topics, channels, mailbox, deadline FROM invitations"
        ).fetchall()
    assert row[0] == "2121" and row[1] == "Vi vill gärna ha dialog med dig!"
    assert set(row[2]) == {"children_young_people", "addiction", "mental_health"}
    assert set(row[3]) == {"e_service", "phone", "sms", "email"}
    assert row[4] == "socialtjansten@ovanaker.se" and row[5] is None
    no_longer = PageExtraction(url=OVANAKER_URL, title="Nyheter", kind="other", published=None)
    load_extraction(db, _source("2121"), no_longer, LATER, "run-2")
    with open_warehouse(db) as con:
        assert con.execute("SELECT count(*) FROM invitations").fetchone() == (0,)


def test_a_personal_mailbox_and_a_passed_deadline_are_not_published(tmp_path: Path) -> None:
    db = tmp_path / "kd.duckdb"
    url = "https://www.nordmaling.se/nyheter/nyheter/anmal-dig.html"
    extraction = PageExtraction(
        url=url,
        title="Anmäl dig till dialog",
        kind="invitation",
        published=date(2024, 5, 1),
        registration=Registration(("email",), "anna.svensson@nordmaling.se", date(2024, 5, 31)),
        contact_mailbox="anna.svensson@nordmaling.se",
    )
    load_extraction(db, _source(), extraction, LOADED_AT, "run-1")
    with open_warehouse(db) as con:
        assert con.execute("SELECT mailbox, deadline FROM invitations").fetchall() == [
            (None, date(2024, 5, 31))
        ]
        assert [r["invitation_id"] for r in invitation_rows(con, date(2024, 5, 31))]
        assert invitation_rows(con, date(2024, 6, 1)) == []


# --- Published files and page -------------------------------------------------------------------


def test_every_published_meeting_carries_its_activity(published: Path) -> None:
    csv_rows = _csv_rows(published / "meetings.csv")
    jsonl = [json.loads(line) for line in (published / "meetings.jsonl").read_text("utf-8").splitlines()]
    parquet = pq.read_table(published / "meetings.parquet").column("activity").to_pylist()
    assert len(csv_rows) == len(jsonl) == len(parquet) >= 8
    assert all(r["activity"] in ACTIVITIES for r in csv_rows)
    assert [r["activity"] for r in csv_rows] == [r["activity"] for r in jsonl] == parquet
    assert {"council", "committee"} <= set(parquet)

    calendar = icalendar.Calendar.from_ical((published / "meetings.ics").read_bytes())
    vevents = calendar.walk("VEVENT")
    assert len(vevents) == len([r for r in jsonl if r["date"]])
    assert all("X-KOMMUNDIALOG-ACTIVITY" in e and "CATEGORIES" in e for e in vevents)
    council = next(e for e in vevents if str(e["X-KOMMUNDIALOG-ACTIVITY"]) == "council")
    assert [list(c.cats) for c in council["CATEGORIES"]] == [["Råd"], ["Ekonomiskt stöd"]]

    events = json.loads((published / "events.jsonld").read_text("utf-8"))["@graph"]
    dated = [r for r in jsonl if r["date"]]
    assert sorted(e["additionalType"] for e in events) == sorted(r["activity"] for r in dated)


def test_dialogue_counts_use_dialogue_and_council_only(published: Path) -> None:
    meetings = _csv_rows(published / "meetings.csv")
    municipalities = {r["municipality_code"]: r for r in _csv_rows(published / "municipalities.csv")}
    nordmaling = [m for m in meetings if m["municipality_code"] == "2401"]
    assert int(municipalities["2401"]["meetings"]) == len(nordmaling)
    dialogue = sum(1 for m in nordmaling if m["activity"] in ("dialogue", "council"))
    assert int(municipalities["2401"]["dialogue_meetings"]) == dialogue
    assert int(municipalities["2401"]["meetings"]) > dialogue  # the committee sitting is not dialogue


def test_the_ovanaker_invitation_is_published_and_on_the_pages(published: Path) -> None:
    (invitation,) = _csv_rows(published / "invitations.csv")
    assert invitation["municipality"] == "Ovanåker" and invitation["municipality_code"] == "2121"
    assert invitation["page_url"] == OVANAKER_URL
    assert set(invitation["channels"].split(";")) == {"e_service", "phone", "sms", "email"}
    assert invitation["mailbox"] == "socialtjansten@ovanaker.se"
    assert len(pq.read_table(published / "invitations.parquet")) == 1
    assert json.loads((published / "invitations.jsonl").read_text("utf-8"))["title"] == invitation["title"]
    municipalities = {r["municipality_code"]: r for r in _csv_rows(published / "municipalities.csv")}
    assert municipalities["2121"]["invitations"] == "1"
    for page in ("index.html", "kommun/2121/index.html"):
        html = (published / page).read_text("utf-8")
        section = html.split('id="h-invitations"')[1].split("</section>")[0]
        assert "Vi vill gärna ha dialog med dig!" in section and OVANAKER_URL in section, page
    assert find_in_release(published, PERSONAL_DATA) == {}
