"""The DuckDB warehouse: schema, bulk idempotent loads and run bookkeeping.

One writer per file (DuckDB locks it): the flow opens the file, loads each
source's batch in its own transaction, and closes it. Analysts read the
published catalogue, not this file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from tasks.records import FetchedPage, PageExtraction
from tasks.registry import Source

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status VARCHAR NOT NULL,
    sources INTEGER,
    pages INTEGER,
    meetings INTEGER,
    summaries INTEGER,
    errors INTEGER,
    error_messages VARCHAR[]
);
CREATE TABLE IF NOT EXISTS sources (
    source_id VARCHAR PRIMARY KEY,
    municipality VARCHAR NOT NULL,
    municipality_code VARCHAR NOT NULL,
    profile VARCHAR NOT NULL,
    start_urls VARCHAR[] NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS pages (
    url VARCHAR PRIMARY KEY,
    source_id VARCHAR NOT NULL,
    final_url VARCHAR,
    fetched_at TIMESTAMPTZ NOT NULL,
    http_status INTEGER,
    content_type VARCHAR,
    content_hash VARCHAR,
    error VARCHAR,
    kind VARCHAR,
    title VARCHAR,
    published DATE,
    extractor_version VARCHAR,
    run_id VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS meetings (
    meeting_id VARCHAR PRIMARY KEY,
    source_id VARCHAR NOT NULL,
    municipality_code VARCHAR NOT NULL,
    page_url VARCHAR NOT NULL,
    title VARCHAR,
    meeting_date DATE,
    month_day VARCHAR,
    year_basis VARCHAR,
    start_time TIME,
    end_time TIME,
    place VARCHAR,
    address VARCHAR,
    attendance VARCHAR,
    status VARCHAR NOT NULL,
    topics VARCHAR[],
    theme VARCHAR,
    organiser VARCHAR,
    content_hash VARCHAR,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS summaries (
    summary_id VARCHAR PRIMARY KEY,
    source_id VARCHAR NOT NULL,
    municipality_code VARCHAR NOT NULL,
    page_url VARCHAR NOT NULL,
    body VARCHAR,
    meeting_date DATE,
    year_basis VARCHAR,
    start_time TIME,
    end_time TIME,
    item_count INTEGER,
    confidential_item_count INTEGER,
    items_json VARCHAR,
    next_meeting_date DATE,
    content_hash VARCHAR,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);
-- One row per URL the crawler asked for or decided about (warehouse/fetch_log.py).
CREATE TABLE IF NOT EXISTS fetch_log (
    run_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    final_url VARCHAR,
    purpose VARCHAR NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    http_status INTEGER,
    bytes BIGINT,
    elapsed_ms INTEGER,
    attempts INTEGER,
    outcome VARCHAR NOT NULL,
    reason VARCHAR,
    error VARCHAR,
    etag VARCHAR,
    last_modified VARCHAR,
    content_hash VARCHAR
);
-- Per run and source: what became of the pages (tasks/crawl.py count_outcomes).
CREATE TABLE IF NOT EXISTS crawl_summaries (
    run_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    pages INTEGER,
    fetched INTEGER,
    unchanged INTEGER,
    duplicate INTEGER,
    skipped_by_robots INTEGER,
    out_of_scope INTEGER,
    failed INTEGER,
    failed_by_reason VARCHAR,
    over_limit INTEGER,
    PRIMARY KEY (run_id, source_id)
);
"""


class WarehouseError(RuntimeError):
    """The warehouse file cannot be opened or written (locked, corrupt, unwritable)."""


@contextmanager
def open_warehouse(path: str | Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open (and create) the warehouse file with its schema; close it afterwards."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only, config={"autoinstall_known_extensions": False})
    except duckdb.IOException as exc:
        raise WarehouseError(f"cannot open warehouse {path}: {exc}") from exc
    try:
        con.execute("SET TimeZone='Europe/Stockholm'")
        if not read_only:
            con.execute(SCHEMA)
        yield con
    finally:
        con.close()


@dataclass(frozen=True)
class LoadCounts:
    pages: int
    meetings: int
    summaries: int


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime) -> None:
    con.execute(
        "INSERT INTO runs (run_id, started_at, status) VALUES (?, ?, 'running') ON CONFLICT DO NOTHING",
        [run_id, started_at],
    )


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    finished_at: datetime,
    status: str,
    totals: dict[str, int],
    errors: Sequence[str],
) -> None:
    con.execute(
        """UPDATE runs SET finished_at = ?, status = ?, sources = ?, pages = ?, meetings = ?,
           summaries = ?, errors = ?, error_messages = ? WHERE run_id = ?""",
        [
            finished_at,
            status,
            totals.get("sources", 0),
            totals.get("pages", 0),
            totals.get("meetings", 0),
            totals.get("summaries", 0),
            len(errors),
            list(errors),
            run_id,
        ],
    )


def _source_rows(source: Source, now: datetime) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "source_id": source.id,
                "municipality": source.municipality,
                "municipality_code": source.municipality_code,
                "profile": source.profile,
                "start_urls": list(source.start_urls),
                "updated_at": now,
            }
        ]
    )


def _page_rows(
    source: Source,
    pages: Sequence[FetchedPage],
    extractions: dict[str, PageExtraction],
    run_id: str,
    version: str,
) -> pa.Table:
    rows = []
    for page in pages:
        extraction = extractions.get(page.final_url)
        rows.append(
            {
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
                "extractor_version": version if extraction else None,
                "run_id": run_id,
            }
        )
    return pa.Table.from_pylist(rows, schema=_PAGE_SCHEMA)


_PAGE_SCHEMA = pa.schema(
    [
        ("url", pa.string()),
        ("source_id", pa.string()),
        ("final_url", pa.string()),
        ("fetched_at", pa.timestamp("us", tz="UTC")),
        ("http_status", pa.int32()),
        ("content_type", pa.string()),
        ("content_hash", pa.string()),
        ("error", pa.string()),
        ("kind", pa.string()),
        ("title", pa.string()),
        ("published", pa.date32()),
        ("extractor_version", pa.string()),
        ("run_id", pa.string()),
    ]
)
_MEETING_SCHEMA = pa.schema(
    [
        ("meeting_id", pa.string()),
        ("source_id", pa.string()),
        ("municipality_code", pa.string()),
        ("page_url", pa.string()),
        ("title", pa.string()),
        ("meeting_date", pa.date32()),
        ("month_day", pa.string()),
        ("year_basis", pa.string()),
        ("start_time", pa.time64("us")),
        ("end_time", pa.time64("us")),
        ("place", pa.string()),
        ("address", pa.string()),
        ("attendance", pa.string()),
        ("status", pa.string()),
        ("topics", pa.list_(pa.string())),
        ("theme", pa.string()),
        ("organiser", pa.string()),
        ("content_hash", pa.string()),
        ("seen_at", pa.timestamp("us", tz="UTC")),
        ("run_id", pa.string()),
    ]
)
_SUMMARY_SCHEMA = pa.schema(
    [
        ("summary_id", pa.string()),
        ("source_id", pa.string()),
        ("municipality_code", pa.string()),
        ("page_url", pa.string()),
        ("body", pa.string()),
        ("meeting_date", pa.date32()),
        ("year_basis", pa.string()),
        ("start_time", pa.time64("us")),
        ("end_time", pa.time64("us")),
        ("item_count", pa.int32()),
        ("confidential_item_count", pa.int32()),
        ("items_json", pa.string()),
        ("next_meeting_date", pa.date32()),
        ("content_hash", pa.string()),
        ("seen_at", pa.timestamp("us", tz="UTC")),
        ("run_id", pa.string()),
    ]
)


def _meeting_rows(
    source: Source,
    extractions: Sequence[PageExtraction],
    hashes: dict[str, str | None],
    run_id: str,
    now: datetime,
) -> pa.Table:
    rows = []
    for extraction in extractions:
        for meeting in extraction.meetings:
            rows.append(
                {
                    "meeting_id": meeting.id,
                    "source_id": source.id,
                    "municipality_code": source.municipality_code,
                    "page_url": extraction.url,
                    "title": meeting.title,
                    "meeting_date": meeting.date,
                    "month_day": meeting.month_day,
                    "year_basis": meeting.year_basis,
                    "start_time": meeting.start,
                    "end_time": meeting.end,
                    "place": meeting.place,
                    "address": meeting.address,
                    "attendance": meeting.attendance,
                    "status": meeting.status,
                    "topics": list(meeting.topics),
                    "theme": meeting.theme,
                    "organiser": meeting.organiser,
                    "content_hash": hashes.get(extraction.url),
                    "seen_at": now,
                    "run_id": run_id,
                }
            )
    return pa.Table.from_pylist(rows, schema=_MEETING_SCHEMA)


def summary_id(url: str) -> str:
    """A summary is one per page: its id follows the page address."""
    import hashlib

    return "s-" + hashlib.sha256(url.encode()).hexdigest()[:16]


def _summary_rows(
    source: Source,
    extractions: Sequence[PageExtraction],
    hashes: dict[str, str | None],
    run_id: str,
    now: datetime,
) -> pa.Table:
    rows = []
    for extraction in extractions:
        summary = extraction.summary
        if summary is None:
            continue
        items = [{"title": i.title, "confidential": i.confidential} for i in summary.items]
        rows.append(
            {
                "summary_id": summary_id(extraction.url),
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
                "items_json": json.dumps(items, ensure_ascii=False),
                "next_meeting_date": summary.next_meeting_date,
                "content_hash": hashes.get(extraction.url),
                "seen_at": now,
                "run_id": run_id,
            }
        )
    return pa.Table.from_pylist(rows, schema=_SUMMARY_SCHEMA)


def _upsert(
    con: duckdb.DuckDBPyConnection, table: str, key: str, batch: pa.Table, keep_first_seen: bool
) -> None:
    """Insert or update rows from an Arrow batch in one statement (no row-by-row inserts)."""
    if batch.num_rows == 0:
        return
    con.register("batch", batch)
    try:
        columns = [c for c in batch.column_names if c != "seen_at"]
        if keep_first_seen:
            select = ", ".join(columns) + ", seen_at AS first_seen_at, seen_at AS last_seen_at"
            target = ", ".join([*columns, "first_seen_at", "last_seen_at"])
            updates = [f"{c} = excluded.{c}" for c in columns if c != key] + [
                "last_seen_at = excluded.last_seen_at"
            ]
        else:
            select = ", ".join(columns)
            target = select
            updates = [f"{c} = excluded.{c}" for c in columns if c != key]
        con.execute(
            f"INSERT INTO {table} ({target}) SELECT {select} FROM batch "
            f"ON CONFLICT ({key}) DO UPDATE SET {', '.join(updates)}"
        )
    finally:
        con.unregister("batch")


def _drop_vanished(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    extractions: Sequence[PageExtraction],
    meetings: pa.Table,
    summaries: pa.Table,
) -> None:
    """Remove records of re-read pages that the page no longer states.

    Only pages extracted in this batch are touched: a page that failed to
    fetch keeps its records. (Versioned history replaces this later.)
    """
    urls = [e.url for e in extractions]
    if not urls:
        return
    con.execute(
        "DELETE FROM meetings WHERE source_id = ? AND list_contains(?, page_url) "
        "AND NOT list_contains(?, meeting_id)",
        [source.id, urls, meetings.column("meeting_id").to_pylist()],
    )
    con.execute(
        "DELETE FROM summaries WHERE source_id = ? AND list_contains(?, page_url) "
        "AND NOT list_contains(?, summary_id)",
        [source.id, urls, summaries.column("summary_id").to_pylist()],
    )


def load_source_batch(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    pages: Sequence[FetchedPage],
    extractions: Sequence[PageExtraction],
    run_id: str,
    now: datetime,
    extractor_version: str,
) -> LoadCounts:
    """Load one source's pages and records in a single transaction; re-loading is harmless."""
    by_url = {e.url: e for e in extractions}
    hashes = {p.final_url: p.content_hash for p in pages}
    meetings = _meeting_rows(source, extractions, hashes, run_id, now)
    summaries = _summary_rows(source, extractions, hashes, run_id, now)
    con.execute("BEGIN TRANSACTION")
    try:
        _upsert(con, "sources", "source_id", _source_rows(source, now), keep_first_seen=False)
        _upsert(con, "pages", "url", _page_rows(source, pages, by_url, run_id, extractor_version), False)
        _upsert(con, "meetings", "meeting_id", meetings, keep_first_seen=True)
        _upsert(con, "summaries", "summary_id", summaries, keep_first_seen=True)
        _drop_vanished(con, source, extractions, meetings, summaries)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return LoadCounts(pages=len(pages), meetings=meetings.num_rows, summaries=summaries.num_rows)


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of the main tables, for summaries and tests."""
    return {
        name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        for name in ("sources", "pages", "meetings", "summaries", "runs")
    }
