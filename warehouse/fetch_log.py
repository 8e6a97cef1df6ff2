"""The fetch log and what incremental crawling needs from the warehouse.

Every URL a run asked for (pages, robots.txt, sitemaps, feeds) is one row of
`fetch_log`: when, status, bytes, time taken, outcome and why. The next run
reads its validators back to send conditional requests; a page's validators
count only while the `pages` table still holds the extraction of that very
content by the current extractor, so a page whose load failed, or that an
older extractor read, is fetched and extracted again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import duckdb
import pyarrow as pa

from tasks.records import FetchedPage, PreviousFetch
from warehouse.db import insert_rows

_LOG_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("source_id", pa.string()),
        ("url", pa.string()),
        ("final_url", pa.string()),
        ("purpose", pa.string()),
        ("requested_at", pa.timestamp("us", tz="UTC")),
        ("http_status", pa.int32()),
        ("bytes", pa.int64()),
        ("elapsed_ms", pa.int32()),
        ("attempts", pa.int32()),
        ("outcome", pa.string()),
        ("reason", pa.string()),
        ("error", pa.string()),
        ("etag", pa.string()),
        ("last_modified", pa.string()),
        ("content_hash", pa.string()),
    ]
)


def _log_row(run_id: str, source_id: str, fetch: FetchedPage) -> dict[str, object]:
    return {
        "run_id": run_id,
        "source_id": source_id,
        "url": fetch.url,
        "final_url": fetch.final_url,
        "purpose": fetch.purpose,
        "requested_at": fetch.fetched_at,
        "http_status": fetch.status,
        "bytes": fetch.size,
        "elapsed_ms": round(fetch.elapsed_seconds * 1000),
        "attempts": fetch.attempts,
        "outcome": fetch.outcome,
        "reason": fetch.reason,
        "error": fetch.error,
        "etag": fetch.etag,
        "last_modified": fetch.last_modified,
        "content_hash": fetch.content_hash,
    }


def record_fetches(
    con: duckdb.DuckDBPyConnection, run_id: str, fetches: Sequence[tuple[str, Sequence[FetchedPage]]]
) -> int:
    """Append sources' fetches (source id, its fetches) to the log in one statement; returns the rows written."""
    rows = [_log_row(run_id, source_id, f) for source_id, fetched in fetches for f in fetched]
    if not rows:
        return 0
    batch = pa.Table.from_pylist(rows, schema=_LOG_SCHEMA)
    con.register("fetch_batch", batch)
    try:
        con.execute(f"INSERT INTO fetch_log ({', '.join(_LOG_SCHEMA.names)}) SELECT * FROM fetch_batch")
    finally:
        con.unregister("fetch_batch")
    return batch.num_rows


def previous_fetches(
    con: duckdb.DuckDBPyConnection, extractor_version: str
) -> dict[str, dict[str, PreviousFetch]]:
    """Per source and URL, the last good fetch whose content the warehouse holds (and by which extractor)."""
    rows = con.execute(
        """
        WITH latest AS (
            SELECT * FROM fetch_log
            WHERE purpose = 'page' AND outcome IN ('fetched', 'unchanged') AND content_hash IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY source_id, url ORDER BY requested_at DESC) = 1
        )
        SELECT l.source_id, l.url, l.final_url, l.content_hash, l.etag, l.last_modified, l.requested_at,
               p.extractor_version IS NOT DISTINCT FROM ? AS extracted, p.fetched_at
        FROM latest l JOIN pages p ON p.url = l.url AND p.source_id = l.source_id
        WHERE p.content_hash = l.content_hash AND p.error IS NULL AND p.extractor_version IS NOT NULL
        """,
        [extractor_version],
    ).fetchall()
    found: dict[str, dict[str, PreviousFetch]] = {}
    for source_id, url, final_url, digest, etag, last_modified, checked_at, extracted, fetched_at in rows:
        found.setdefault(source_id, {})[url] = PreviousFetch(
            url=url,
            final_url=final_url or url,
            content_hash=digest,
            etag=etag,
            last_modified=last_modified,
            checked_at=checked_at,
            extracted=extracted,
            content_fetched_at=fetched_at,
        )
    return found


def record_crawl_summaries(
    con: duckdb.DuckDBPyConnection, run_id: str, summaries: Sequence[tuple[str, dict[str, object]]]
) -> None:
    """Store sources' run summaries (source id, the fields of tasks.crawl.CrawlCounts) in one statement."""
    insert_rows(con, "INSERT OR REPLACE INTO crawl_summaries", [_summary_row(run_id, *s) for s in summaries])


def _summary_row(run_id: str, source_id: str, counts: dict[str, object]) -> list[object]:
    failed = counts.get("failed") or {}
    return [
        run_id,
        source_id,
        counts.get("pages", 0),
        counts.get("fetched", 0),
        counts.get("unchanged", 0),
        counts.get("duplicate", 0),
        counts.get("robots", 0),
        counts.get("out_of_scope", 0),
        sum(failed.values()),
        json.dumps(failed, ensure_ascii=False),
        counts.get("over_limit", 0),
    ]
