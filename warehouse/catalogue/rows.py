"""Where each published table's rows come from: one small function per table.

Rows leave here in their published form: ISO 8601 strings for dates and times,
UTC for timestamps, lists for topics, and scraped prose with personal e-mail
addresses and direct phone numbers removed. Speaker names are never read.
Only meetings still stated on their pages (state 'active') are published;
cancelled ones stay, with their status. Agenda items come from the
agenda_items table, municipality names from the municipalities reference table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import duckdb

from tasks.extract.fields import redact_personal_contacts
from tasks.records import DIALOGUE_ACTIVITIES, STOCKHOLM
from warehouse.catalogue.schema import AGENDA_ITEMS, INVITATIONS, MEETINGS, MUNICIPALITIES, SUMMARIES, Table

Row = dict[str, Any]

MEETINGS_SQL = """
SELECT m.meeting_id, s.municipality, m.municipality_code, m.title, coalesce(m.activity, 'other') AS activity,
       m.meeting_date AS date, m.month_day, m.start_time AS start, m.end_time AS "end",
       m.place, m.address, m.attendance, m.status, m.topics, m.theme, m.organiser,
       m.page_url, m.source_id, m.year_basis, m.first_seen_at
FROM meetings m JOIN sources s USING (source_id)
WHERE m.state = 'active'
ORDER BY m.meeting_date NULLS LAST, m.start_time NULLS LAST, m.meeting_id
"""
SUMMARIES_SQL = """
SELECT su.summary_id, s.municipality, su.municipality_code, su.body,
       su.meeting_date AS date, su.start_time AS start, su.end_time AS "end",
       su.item_count, su.confidential_item_count, su.next_meeting_date,
       su.page_url, su.source_id, su.year_basis, su.first_seen_at,
       (SELECT to_json(list(struct_pack(title := a.title, confidential := a.confidential) ORDER BY a.position))
        FROM agenda_items a WHERE a.summary_id = su.summary_id)::VARCHAR AS items_json
FROM summaries su JOIN sources s USING (source_id)
ORDER BY su.meeting_date NULLS LAST, su.summary_id
"""
INVITATIONS_SQL = """
SELECT i.invitation_id, s.municipality, i.municipality_code, i.title, i.topics, i.channels, i.mailbox,
       i.deadline, i.published, i.page_url, i.source_id, i.first_seen_at
FROM invitations i JOIN sources s USING (source_id)
WHERE i.deadline IS NULL OR i.deadline >= $as_of_day
ORDER BY i.municipality_code, i.published DESC NULLS LAST, i.invitation_id
"""
MUNICIPALITIES_SQL = """
SELECT DISTINCT s.municipality_code, coalesce(mu.municipality, s.municipality) AS municipality
FROM sources s LEFT JOIN municipalities mu USING (municipality_code) ORDER BY s.municipality_code
"""


@dataclass(frozen=True)
class Snapshot:
    """Everything the catalogue publishes, read from the warehouse in one go."""

    meetings: list[Row]
    summaries: list[Row]
    agenda_items: list[Row]
    municipalities: list[Row]
    sources: list[Row]
    coverage: list[Row] = field(default_factory=list)  # the national registry's coverage (issue 13)
    invitations: list[Row] = field(default_factory=list)


def iso_utc(value: datetime) -> str:
    """A timestamp as UTC ISO 8601 with 'Z': the same text on every machine."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, tuple):
        return list(value)
    return value


def public_row(row: Row, table: Table) -> Row:
    """Plain published values; free-text columns pass the personal-contact filter."""
    clean = {name: _plain(value) for name, value in row.items()}
    for column in table.columns:
        if column.free_text and isinstance(clean.get(column.name), str):
            clean[column.name] = redact_personal_contacts(clean[column.name])
    return clean


def _query(con: duckdb.DuckDBPyConnection, sql: str, parameters: dict[str, Any] | None = None) -> list[Row]:
    cursor = con.execute(sql, parameters or {})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def local_datetime(day: str | None, clock: str | None) -> str | None:
    """'2024-05-28' + '17:30' -> '2024-05-28T17:30:00+02:00' (Swedish time, with its offset)."""
    if not day or not clock:
        return None
    moment = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=STOCKHOLM)
    return moment.isoformat()


def meeting_rows(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """Meetings as published, without the calendar bookkeeping (uid, revision) added later."""
    rows = []
    for raw in _query(con, MEETINGS_SQL):
        row = public_row(raw, MEETINGS)
        row["topics"] = list(row.get("topics") or [])
        row["start_at"] = local_datetime(row["date"], row["start"])
        row["end_at"] = local_datetime(row["date"], row["end"])
        rows.append(row)
    return rows


def summary_rows(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """Committee summaries; their agenda items travel as `items_json` to agenda_item_rows."""
    return [public_row(raw, SUMMARIES) for raw in _query(con, SUMMARIES_SQL)]


def invitation_rows(con: duckdb.DuckDBPyConnection, as_of_day: date) -> list[Row]:
    """Invitations still open on the data's day: no deadline, or a deadline not yet passed."""
    rows = []
    for raw in _query(con, INVITATIONS_SQL, {"as_of_day": as_of_day}):
        row = public_row(raw, INVITATIONS)
        row["topics"] = list(row.get("topics") or [])
        row["channels"] = list(row.get("channels") or [])
        rows.append(row)
    return rows


def is_dialogue_activity(meeting: Row) -> bool:
    """Whether a meeting counts as dialogue activity (DIALOGUE_ACTIVITIES) in counts and charts."""
    return meeting.get("activity") in DIALOGUE_ACTIVITIES


def agenda_item_rows(summaries: Sequence[Row]) -> list[Row]:
    """Agenda items, unpacked from each summary's items_json in the page's order."""
    rows = []
    for summary in summaries:
        for position, item in enumerate(json.loads(summary.get("items_json") or "[]"), start=1):
            row = {
                "agenda_item_id": f"{summary['summary_id']}-{position:02d}",
                "summary_id": summary["summary_id"],
                "municipality_code": summary["municipality_code"],
                "date": summary.get("date"),
                "position": position,
                "title": item.get("title") or "",
                "confidential": bool(item.get("confidential")),
            }
            rows.append(public_row(row, AGENDA_ITEMS))
    return rows


def municipality_rows(
    con: duckdb.DuckDBPyConnection,
    meetings: Sequence[Row],
    summaries: Sequence[Row],
    base_url: str,
    invitations: Sequence[Row] = (),
) -> list[Row]:
    """Municipalities named by the sources table (code, name), with counts and catalogue links."""
    rows = []
    for raw in _query(con, MUNICIPALITIES_SQL):
        code = raw["municipality_code"]
        own = [m for m in meetings if m["municipality_code"] == code]
        row = {
            "municipality_code": code,
            "municipality": raw["municipality"],
            "meetings": len(own),
            "dialogue_meetings": sum(1 for m in own if is_dialogue_activity(m)),
            "invitations": sum(1 for i in invitations if i["municipality_code"] == code),
            "summaries": sum(1 for s in summaries if s["municipality_code"] == code),
            "page_url": f"{base_url}{municipality_page(code)}",
            "calendar_url": f"{base_url}{municipality_calendar(code)}",
        }
        rows.append(public_row(row, MUNICIPALITIES))
    return rows


def source_rows(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """The crawled sources, for the README's provenance section."""
    rows = _query(
        con,
        "SELECT source_id, municipality, municipality_code, start_urls FROM sources ORDER BY source_id",
    )
    return [{**row, "start_urls": list(row["start_urls"] or [])} for row in rows]


def municipality_page(code: str) -> str:
    return f"kommun/{code}/index.html"


def municipality_calendar(code: str) -> str:
    return f"kommun/{code}/meetings.ics"


def read_snapshot(con: duckdb.DuckDBPyConnection, base_url: str) -> Snapshot:
    """Read every published table from the warehouse (no clock, no network).

    Invitations are open as of the data's day (Swedish date of the data's time), never the clock's.
    """
    meetings = meeting_rows(con)
    summaries = summary_rows(con)
    as_of = data_as_of(con)
    as_of_day = as_of.astimezone(STOCKHOLM).date() if as_of else date.min
    invitations = invitation_rows(con, as_of_day)
    return Snapshot(
        meetings=meetings,
        summaries=summaries,
        agenda_items=agenda_item_rows(summaries),
        municipalities=municipality_rows(con, meetings, summaries, base_url, invitations),
        sources=source_rows(con),
        coverage=_coverage_rows(con),
        invitations=invitations,
    )


def _coverage_rows(con: duckdb.DuckDBPyConnection) -> list[Row]:
    from warehouse.catalogue.coverage import coverage_rows  # it builds on this module

    return coverage_rows(con)


def data_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The time of the data: the start of the latest run that read a page, else the latest sighting of a record.

    A run whose every source failed (status `failed`), or that crawled and
    read no page at all, confirms nothing, so it does not move the time.
    """
    latest_run = con.execute(
        "SELECT max(r.started_at) FROM runs r WHERE r.status <> 'failed' AND ("
        "NOT EXISTS (SELECT 1 FROM crawl_summaries c WHERE c.run_id = r.run_id) OR EXISTS ("
        "SELECT 1 FROM crawl_summaries c WHERE c.run_id = r.run_id AND c.fetched + c.unchanged + c.duplicate > 0))"
    ).fetchone()[0]
    if latest_run is not None:
        return latest_run
    seen = con.execute(
        "SELECT greatest((SELECT max(last_seen_at) FROM meetings), (SELECT max(last_seen_at) FROM summaries), "
        "(SELECT max(last_seen_at) FROM invitations))"
    ).fetchone()[0]
    return seen
