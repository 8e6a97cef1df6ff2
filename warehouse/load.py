"""Loading one source's run into the warehouse: pages, meetings with history, summaries.

Everything a source's run writes goes in one transaction, from Arrow batches
(never row by row). Meetings are compared with what the warehouse held
(warehouse/history.py) and every change becomes a version; a crash before the
COMMIT leaves the previous state as it was, and loading the same batch again
changes nothing but last-seen times.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import duckdb
import pyarrow as pa

from tasks.records import STOCKHOLM, FetchedPage, PageExtraction
from tasks.registry import Source
from warehouse.db import insert_rows
from warehouse.history import Change, ChangeSet, changed_fields, classify
from warehouse.ids import earlier_summary_ids, follow_moved_pages, origin_free_aliases, summary_id
from warehouse.invitations import load_invitations

# HTTP statuses that mean a page is gone (its meetings may disappear), not merely unreachable.
GONE_STATUSES = (404, 410)
# The warning the extractor gives when a CMS profile's selectors found nothing.
FALLBACK_WARNING = "content selectors matched nothing"
# A source whose pages mostly fell back to generic reading has changed its markup.
FALLBACK_SHARE = 0.5

MEETING_COLUMNS = (
    "meeting_id", "extracted_id", "source_id", "municipality_code", "page_url", "title", "meeting_date",
    "month_day", "year_basis", "start_time", "end_time", "starts_at", "ends_at", "place", "address",
    "attendance", "status", "topics", "theme", "organiser", "state", "version", "last_change",
    "previous_starts_at", "content_hash", "fetched_at", "extractor_version", "first_seen_at", "last_seen_at",
    "last_changed_at", "run_id", "activity",
)  # fmt: skip
VERSION_COLUMNS = (
    "meeting_id", "version", "valid_from", "valid_to", "change_kind", "changed_fields", "extracted_id",
    "page_url", "title", "meeting_date", "month_day", "year_basis", "start_time", "end_time", "starts_at",
    "ends_at", "place", "address", "attendance", "status", "topics", "theme", "organiser", "state",
    "content_hash", "fetched_at", "extractor_version", "run_id", "activity",
)  # fmt: skip
_TYPES: dict[str, pa.DataType] = {
    "meeting_date": pa.date32(),
    "start_time": pa.time64("us"),
    "end_time": pa.time64("us"),
    "starts_at": pa.timestamp("us", tz="UTC"),
    "ends_at": pa.timestamp("us", tz="UTC"),
    "previous_starts_at": pa.timestamp("us", tz="UTC"),
    "fetched_at": pa.timestamp("us", tz="UTC"),
    "first_seen_at": pa.timestamp("us", tz="UTC"),
    "last_seen_at": pa.timestamp("us", tz="UTC"),
    "last_changed_at": pa.timestamp("us", tz="UTC"),
    "valid_from": pa.timestamp("us", tz="UTC"),
    "valid_to": pa.timestamp("us", tz="UTC"),
    "topics": pa.list_(pa.string()),
    "changed_fields": pa.list_(pa.string()),
    "version": pa.int32(),
}


CHANGE_KINDS = ("new", "unchanged", "updated", "rescheduled", "cancelled", "disappeared")


def _schema(columns: Sequence[str]) -> pa.Schema:
    return pa.schema([(c, _TYPES.get(c, pa.string())) for c in columns])


@dataclass(frozen=True)
class LoadResult:
    """What one source's load did: for the run summary and for tests."""

    pages: int
    meetings: int
    summaries: int
    changes: dict[str, int]
    suspect: bool
    suspect_reason: str | None
    collapsed_pages: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Batch:
    """One source's run as the loader sees it: the pages fetched and what extraction made of them."""

    source: Source
    pages: Sequence[FetchedPage]
    extractions: Sequence[PageExtraction]
    run_id: str
    now: datetime
    extractor_version: str

    @property
    def page_by_url(self) -> dict[str, FetchedPage]:
        return {p.final_url: p for p in self.pages}

    @property
    def examined_pages(self) -> set[str]:
        return _examined_pages(self.pages, self.extractions)

    @property
    def gone_pages(self) -> set[str]:
        return {u for p in self.pages if p.status in GONE_STATUSES for u in (p.url, p.final_url)}


def local_moment(day: date | None, clock: time | None) -> datetime | None:
    """A date and Stockholm wall-clock time as a time-zone-aware moment."""
    if day is None or clock is None:
        return None
    return datetime.combine(day, clock, tzinfo=STOCKHOLM)


def _examined_pages(pages: Sequence[FetchedPage], extractions: Sequence[PageExtraction]) -> set[str]:
    """Pages whose meetings can be compared: read again this run, or gone (404/410)."""
    examined = {e.url for e in extractions}
    examined |= {p.final_url for p in pages if p.status in GONE_STATUSES}
    examined |= {p.url for p in pages if p.status in GONE_STATUSES}
    return examined


def _fallback_reason(source: Source, extractions: Sequence[PageExtraction]) -> str | None:
    if source.profile == "generic" or not extractions:
        return None
    fell_back = sum(1 for e in extractions if any(FALLBACK_WARNING in w for w in e.warnings))
    if fell_back / len(extractions) > FALLBACK_SHARE:
        return f"{source.profile} selectors matched nothing on {fell_back} of {len(extractions)} pages read"
    return None


def _current_rows(
    source: Source,
    extractions: Sequence[PageExtraction],
    pages: Mapping[str, FetchedPage],
    aliases: Mapping[str, str],
    extractor_version: str,
) -> dict[str, dict[str, Any]]:
    """This run's meetings, keyed by stable id (extractor ids mapped through known aliases)."""
    rows: dict[str, dict[str, Any]] = {}
    for extraction in extractions:
        page = pages.get(extraction.url)
        for meeting in extraction.meetings:
            rows[aliases.get(meeting.id, meeting.id)] = {
                "extracted_id": meeting.id,
                "source_id": source.id,
                "municipality_code": source.municipality_code,
                "page_url": extraction.url,
                "title": meeting.title,
                "meeting_date": meeting.date,
                "month_day": meeting.month_day,
                "year_basis": meeting.year_basis,
                "start_time": meeting.start,
                "end_time": meeting.end,
                "starts_at": local_moment(meeting.date, meeting.start),
                "ends_at": local_moment(meeting.date, meeting.end),
                "place": meeting.place,
                "address": meeting.address,
                "attendance": meeting.attendance,
                "status": meeting.status,
                "topics": list(meeting.topics),
                "theme": meeting.theme,
                "organiser": meeting.organiser,
                "activity": meeting.activity,
                "content_hash": page.content_hash if page else None,
                "fetched_at": page.fetched_at if page else None,
                "extractor_version": extractor_version,
            }
    return rows


def _fetch_dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: list[dict[str, Any]],
    columns: Sequence[str],
    keep_existing: bool = False,
) -> None:
    """Insert rows through one Arrow batch: replacing rows with the same key, or leaving those alone."""
    if not rows:
        return
    batch = pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows], schema=_schema(columns))
    verb = "INSERT OR IGNORE" if keep_existing else "INSERT OR REPLACE"
    con.register("load_batch", batch)
    try:
        con.execute(f"{verb} INTO {table} ({', '.join(columns)}) SELECT * FROM load_batch")
    finally:
        con.unregister("load_batch")


def _apply(
    change: Change,
    previous: Mapping[str, dict[str, Any]],
    current: Mapping[str, dict[str, Any]],
    run_id: str,
    now: datetime,
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The meeting row and version row a change writes (None for what it leaves alone)."""
    old = previous.get(change.meeting_id)
    if change.kind == "unchanged":
        return None, None
    if change.kind == "disappeared":
        row = {**old, "state": "disappeared", "version": old["version"] + 1, "last_change": "disappeared"}
        row.update(meeting_id=change.meeting_id, last_changed_at=now, run_id=run_id)  # last seen stays
    else:
        new = current[change.meeting_id if change.kind != "rescheduled" else change.extracted_id]
        row = {**(old or {}), **new, "state": "active"}
        row["version"] = old["version"] + 1 if old else 1
        row["last_change"] = change.kind
        row["first_seen_at"] = old["first_seen_at"] if old else now
        row["previous_starts_at"] = (
            old["starts_at"] if change.kind == "rescheduled" else (old or {}).get("previous_starts_at")
        )
        row.update(meeting_id=change.meeting_id, last_seen_at=now, last_changed_at=now, run_id=run_id)
    version = {
        **row,
        "valid_from": now,
        "valid_to": None,
        "change_kind": change.kind,
        "changed_fields": list(change.changed_fields),
    }
    return row, version


def _reappeared(
    change: Change, known: Mapping[str, dict[str, Any]], current: Mapping[str, dict[str, Any]]
) -> Change:
    """A 'new' meeting the warehouse knows as disappeared is back: an update of its state, history kept."""
    old = known.get(change.meeting_id)
    if change.kind != "new" or old is None:
        return change
    fields = tuple(dict.fromkeys((*changed_fields(old, current[change.meeting_id]), "state")))
    return Change(change.meeting_id, "updated", change.extracted_id, fields, old)


def _load_meetings(con: duckdb.DuckDBPyConnection, batch: Batch) -> tuple[ChangeSet, int]:
    """Compare the batch's meetings with the warehouse's and write every change as a version."""
    source, extractions = batch.source, batch.extractions
    run_id, now, extractor_version = batch.run_id, batch.now, batch.extractor_version
    known = {
        r["meeting_id"]: r
        for r in _fetch_dicts(con, "SELECT * FROM meetings WHERE source_id = ?", [source.id])
    }
    aliases = {
        **origin_free_aliases(known.values()),  # ids stored before ids ignored the page's origin
        **dict(con.execute("SELECT extracted_id, meeting_id FROM meeting_aliases").fetchall()),
    }
    current = _current_rows(source, extractions, batch.page_by_url, aliases, extractor_version)
    previous = {i: r for i, r in known.items() if r["state"] == "active"}
    changes = classify(
        previous, current, batch.examined_pages, _fallback_reason(source, extractions), batch.gone_pages
    )
    changes.changes = [_reappeared(c, known, current) for c in changes.changes]
    rows, versions = [], []
    for change in changes.changes:
        row, version = _apply(change, known, current, run_id, now)
        if row is not None:
            rows.append(row)
            versions.append(version)
    seen_again = [c.meeting_id for c in changes.changes if c.kind == "unchanged"]
    if seen_again:
        con.execute(
            "UPDATE meetings SET last_seen_at = ?, run_id = ? WHERE list_contains(?, meeting_id)",
            [now, run_id, seen_again],
        )
        follow_moved_pages(con, changes.changes, known, current)
    if versions:
        con.execute(
            "UPDATE meeting_versions SET valid_to = ? WHERE valid_to IS NULL AND list_contains(?, meeting_id)",
            [now, [v["meeting_id"] for v in versions]],
        )
    _insert(con, "meetings", rows, MEETING_COLUMNS)
    _insert(con, "meeting_versions", versions, VERSION_COLUMNS)
    new_aliases = [
        {"extracted_id": c.extracted_id, "meeting_id": c.meeting_id}
        for c in changes.changes
        if c.kind == "rescheduled"
    ]
    _insert(con, "meeting_aliases", new_aliases, ("extracted_id", "meeting_id"))
    return changes, len(current)


def _summary_rows(batch: Batch) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    source, run_id, now, extractor_version = batch.source, batch.run_id, batch.now, batch.extractor_version
    pages = batch.page_by_url
    summaries, items = [], []
    for extraction in batch.extractions:
        summary = extraction.summary
        if summary is None:
            continue
        page = pages.get(extraction.url)
        identifier = summary_id(extraction.url, source.id)
        summaries.append(
            {
                "summary_id": identifier,
                "source_id": source.id,
                "municipality_code": source.municipality_code,
                "page_url": extraction.url,
                "body": summary.body,
                "meeting_date": summary.date,
                "year_basis": summary.year_basis,
                "start_time": summary.start,
                "end_time": summary.end,
                "item_count": summary.item_count,
                "confidential_item_count": summary.confidential_item_count,
                "next_meeting_date": summary.next_meeting_date,
                "content_hash": page.content_hash if page else None,
                "fetched_at": page.fetched_at if page else None,
                "extractor_version": extractor_version,
                "first_seen_at": now,
                "last_seen_at": now,
                "run_id": run_id,
            }
        )
        items.extend(
            {"summary_id": identifier, "position": n, "title": item.title, "confidential": item.confidential}
            for n, item in enumerate(summary.items, start=1)
        )
    return summaries, items


SUMMARY_COLUMNS = (
    "summary_id", "source_id", "municipality_code", "page_url", "body", "meeting_date", "year_basis",
    "start_time", "end_time", "item_count", "confidential_item_count", "next_meeting_date", "content_hash",
    "fetched_at", "extractor_version", "first_seen_at", "last_seen_at", "run_id",
)  # fmt: skip
_TYPES.update(
    {"item_count": pa.int32(), "confidential_item_count": pa.int32(), "next_meeting_date": pa.date32(),
     "position": pa.int32(), "confidential": pa.bool_(), "http_status": pa.int32(), "published": pa.date32(),
     "bytes": pa.int64()}
)  # fmt: skip


def _load_summaries(con: duckdb.DuckDBPyConnection, batch: Batch) -> int:
    """Replace the summaries of pages read again (first_seen kept); a page no longer a summary loses its row."""
    rows, items = _summary_rows(batch)
    now = batch.now
    read_again = [summary_id(e.url, batch.source.id) for e in batch.extractions]
    earlier = earlier_summary_ids(con, batch.source.id, set(read_again))
    first_seen = {new_id: seen for new_id, seen in earlier.values()}
    first_seen.update(
        con.execute(
            "SELECT summary_id, first_seen_at FROM summaries WHERE list_contains(?, summary_id)",
            [[r["summary_id"] for r in rows]],
        ).fetchall()
    )
    for row in rows:
        row["first_seen_at"] = first_seen.get(row["summary_id"], now)
    read_again += list(earlier)  # the same pages' summaries under the ids of an earlier origin
    con.execute("DELETE FROM agenda_items WHERE list_contains(?, summary_id)", [read_again])
    con.execute("DELETE FROM summaries WHERE list_contains(?, summary_id)", [read_again])
    _insert(con, "summaries", rows, SUMMARY_COLUMNS)
    _insert(con, "agenda_items", items, ("summary_id", "position", "title", "confidential"))
    return len(rows)


PAGE_COLUMNS = (
    "url", "source_id", "final_url", "fetched_at", "http_status", "content_type", "content_hash", "error",
    "kind", "title", "published", "extractor_version", "run_id", "profile",
)  # fmt: skip


def _load_pages(
    con: duckdb.DuckDBPyConnection, batch: Batch, extracted: bool, unused: Collection[str] = ()
) -> None:
    """Pages read or failed this run are rewritten; unchanged pages keep their row (the fetch log has the check).

    Records on unchanged pages are still stated there: their last_seen_at moves on.
    A failed fetch leaves a page's earlier row alone (the fetch log has the failure).
    When the batch was not used (a suspect source), pages are stored without an
    extractor version, so the next run fetches and extracts them again; so are
    the `unused` pages (collapsed ones whose meetings were kept).
    """
    source, pages, extractions = batch.source, batch.pages, batch.extractions
    run_id, now, extractor_version = batch.run_id, batch.now, batch.extractor_version
    by_url = {e.url: e for e in extractions}
    still_stated = [p.final_url for p in pages if p.outcome == "unchanged"]
    fresh = [p for p in pages if p.outcome not in ("unchanged", "duplicate")]
    replace_rows, new_only_rows = [], []
    for page in fresh:
        extraction = by_url.get(page.final_url)
        row = {
            "url": page.url,
            "source_id": source.id,
            "final_url": page.final_url,
            "fetched_at": page.fetched_at,
            "http_status": page.status,
            "content_type": page.content_type,
            "content_hash": page.content_hash,
            "error": page.error,
            "kind": extraction.kind if extraction else None,
            "title": extraction.title if extraction else None,
            "published": extraction.published if extraction else None,
            "extractor_version": (
                extractor_version if extraction and extracted and page.final_url not in unused else None
            ),
            "run_id": run_id,
            "profile": extraction.profile if extraction else None,
        }
        passing_fault = page.outcome == "failed" and page.status not in GONE_STATUSES
        (new_only_rows if passing_fault else replace_rows).append(row)
    _insert(con, "pages", replace_rows, PAGE_COLUMNS)
    _insert(con, "pages", new_only_rows, PAGE_COLUMNS, keep_existing=True)
    _mark_stated_again(con, [(source.id, url) for url in still_stated], now)
    snapshots = [
        {
            "content_hash": p.content_hash,
            "bytes": len(p.body),
            "first_seen_at": p.fetched_at,
            "first_url": p.url,
        }
        for p in fresh
        if p.content_hash and p.body
    ]
    if snapshots:
        batch = pa.Table.from_pylist(
            snapshots, schema=_schema(("content_hash", "bytes", "first_seen_at", "first_url"))
        )
        con.register("snapshot_batch", batch)
        try:
            con.execute("INSERT INTO raw_snapshots SELECT * FROM snapshot_batch ON CONFLICT DO NOTHING")
        finally:
            con.unregister("snapshot_batch")


def _mark_stated_again(
    con: duckdb.DuckDBPyConnection, stated: Sequence[tuple[str, str]], now: datetime
) -> None:
    """Meetings, summaries and invitations on pages that came back unchanged are still stated: seen now."""
    if not stated:
        return
    pairs = pa.table({"source_id": [s for s, _ in stated], "url": [u for _, u in stated]})
    con.register("stated_batch", pairs)
    try:
        for table, active_only in (("meetings", True), ("summaries", False), ("invitations", False)):
            con.execute(
                f"UPDATE {table} SET last_seen_at = $now FROM (SELECT DISTINCT source_id, url FROM stated_batch) s "
                f"WHERE {table}.source_id = s.source_id AND {table}.page_url = s.url"
                + (f" AND {table}.state = 'active'" if active_only else ""),
                {"now": now},
            )
    finally:
        con.unregister("stated_batch")


def _without_pages(batch: Batch, urls: Collection[str]) -> Batch:
    """The batch without the extractions of some pages (collapsed ones keep what they had)."""
    if not urls:
        return batch
    kept = [e for e in batch.extractions if e.url not in urls]
    return Batch(batch.source, batch.pages, kept, batch.run_id, batch.now, batch.extractor_version)


def _source_row(source: Source, now: datetime) -> list[Any]:
    return [
        source.id,
        source.municipality,
        source.municipality_code,
        source.profile,
        list(source.start_urls),
        now,
    ]


def record_sources(con: duckdb.DuckDBPyConnection, sources: Sequence[Source], now: datetime) -> int:
    """Write the registry's sources whose entry is new or changed, in one call; returns how many.

    A run calls this once, before its loads, so a source with nothing new
    costs its load no reference-data write; `updated_at` stays the time the
    entry last changed.
    """
    stored = {
        row[0]: row
        for row in con.execute(
            "SELECT source_id, municipality, municipality_code, profile, start_urls FROM sources"
        ).fetchall()
    }
    changed = [
        _source_row(s, now)
        for s in sources
        if stored.get(s.id) != (s.id, s.municipality, s.municipality_code, s.profile, list(s.start_urls))
    ]
    if changed:
        con.executemany("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?)", changed)
    return len(changed)


def _source_run_row(
    source: Source, run_id: str, examined: int, extracted: int, changes: ChangeSet, now: datetime
) -> list[Any]:
    counts = [changes.count(kind) for kind in CHANGE_KINDS]
    return [run_id, source.id, examined, extracted, *counts, changes.suspect, changes.suspect_reason, now]


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction: committed when the block ends, rolled back if it raises (Ctrl-C included)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def load_quiet_sources(
    con: duckdb.DuckDBPyConnection,
    quiet: Sequence[tuple[Source, Sequence[FetchedPage]]],
    run_id: str,
    now: datetime,
    before_commit: Any = None,
) -> dict[str, LoadResult]:
    """Sources whose every page came back unchanged, in one transaction for them all.

    Nothing was read, so no meeting, summary or invitation can have changed:
    what the pages still state is seen again, and each source gets its run row.
    A national no-change run has hundreds of such sources; a transaction each
    cost more than the statements in it. `before_commit(con)` runs last inside it.
    """
    if not quiet:
        return {}
    stated = [(s.id, p.final_url) for s, pages in quiet for p in pages if p.outcome == "unchanged"]
    with _transaction(con):
        _mark_stated_again(con, stated, now)
        rows = [_source_run_row(source, run_id, 0, 0, ChangeSet(), now) for source, _pages in quiet]
        insert_rows(con, "INSERT OR REPLACE INTO source_runs", rows)
        if before_commit is not None:
            before_commit(con)
    held = _held_records(con, [s.id for s, _ in quiet])
    return {
        source.id: LoadResult(
            pages=len(pages),
            meetings=held.get(source.id, (0, 0))[0],
            summaries=held.get(source.id, (0, 0))[1],
            changes=dict.fromkeys(CHANGE_KINDS, 0),
            suspect=False,
            suspect_reason=None,
        )
        for source, pages in quiet
    }


def _held_records(con: duckdb.DuckDBPyConnection, source_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Per source: the active meetings and the summaries the warehouse holds."""
    rows = con.execute(
        "SELECT id, (SELECT count(*) FROM meetings m WHERE m.source_id = id AND m.state = 'active'), "
        "(SELECT count(*) FROM summaries s WHERE s.source_id = id) FROM unnest($ids) AS t(id)",
        {"ids": list(source_ids)},
    ).fetchall()
    return {source_id: (active, summaries) for source_id, active, summaries in rows}


def load_source_run(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    pages: Sequence[FetchedPage],
    extractions: Sequence[PageExtraction],
    run_id: str,
    now: datetime,
    extractor_version: str,
    before_commit: Any = None,
    source_recorded: bool = False,
) -> LoadResult:
    """Load everything one source's run found, in one transaction.

    `before_commit(con)` runs inside the transaction last (the fetch log and
    crawl summary go in with the data they describe). `source_recorded` says
    the caller wrote the sources table for the whole run (`record_sources`).
    A source whose pages all came back unchanged writes only what says they
    were seen again: no page was read, so no meeting, summary or invitation
    can have changed.
    """
    batch = Batch(source, pages, extractions, run_id, now, extractor_version)
    something_read = bool(batch.examined_pages)
    with _transaction(con):
        if not source_recorded:
            con.execute("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?)", _source_row(source, now))
        changes, extracted = _load_meetings(con, batch) if something_read else (ChangeSet(), 0)
        _load_pages(con, batch, extracted=not changes.suspect, unused=changes.collapsed_pages)
        if something_read and not changes.suspect:
            kept = _without_pages(batch, changes.collapsed_pages)
            _load_summaries(con, kept)
            load_invitations(con, kept)
        run_row = _source_run_row(source, run_id, len(batch.examined_pages), extracted, changes, now)
        insert_rows(con, "INSERT OR REPLACE INTO source_runs", [run_row])
        if before_commit is not None:
            before_commit(con)
    active, held_summaries = _held_records(con, [source.id]).get(source.id, (0, 0))
    return LoadResult(
        pages=len(pages),
        meetings=active,
        summaries=held_summaries,
        changes={k: changes.count(k) for k in CHANGE_KINDS},
        suspect=changes.suspect,
        suspect_reason=changes.suspect_reason,
        collapsed_pages=changes.collapsed_pages,
    )
