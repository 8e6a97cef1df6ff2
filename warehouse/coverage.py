"""Coverage as data: the national registry in the warehouse and, per run and source, what was found.

`bodies` is reference data (warehouse/reference.py, like municipalities);
`source_coverage` gets one row per source and run, written in the same
transaction as the source's load; the `coverage` view (migration 0006) puts
the two together per municipality and region.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from tasks.crawl import CrawlCounts, CrawlResult
from tasks.registry import Source

COVERAGE_STATUSES = ("publishes", "nothing found", "not crawled", "not covered")


def source_health(crawled: CrawlResult, counts: CrawlCounts, suspect: bool) -> str:
    """One word for how a source's run went (see source_coverage.health)."""
    index_answered = any(d.ok for d in crawled.documents if d.purpose in ("index", "robots", "sitemap"))
    if counts.pages and counts.failed_total == counts.pages:
        return "unreachable"
    if crawled.discovery is not None and not index_answered:
        return "unreachable"
    if suspect:
        return "suspect"
    if counts.failed_total:
        return "degraded"
    if crawled.discovery is not None and crawled.discovery.relevant == 0:
        return "nothing found"
    return "ok"


def record_coverage(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    source: Source,
    crawled: CrawlResult,
    counts: CrawlCounts,
    now: datetime,
) -> None:
    """Write the source's coverage row for this run (inside the load's transaction, after the load)."""
    suspect, active, new, summaries = con.execute(
        "SELECT coalesce((SELECT any_value(suspect) FROM source_runs WHERE run_id = $run AND source_id = $id),"
        " false), count(*) FILTER (WHERE state = 'active'), count(*) FILTER (WHERE first_seen_at >= $now),"
        " (SELECT count(*) FROM summaries WHERE source_id = $id) FROM meetings WHERE source_id = $id",
        {"run": run_id, "id": source.id, "now": now},
    ).fetchone()
    found = crawled.discovery
    row: dict[str, Any] = {
        "run_id": run_id,
        "source_id": source.id,
        "body_code": source.municipality_code,
        "discovery": "auto" if source.discover else "follow",
        "cms": found.cms if found else None,
        "candidates": found.candidates if found else None,
        "relevant_candidates": found.relevant if found else None,
        "pages_fetched": counts.fetched,
        "pages_unchanged": counts.unchanged,
        "pages_failed": counts.failed_total,
        "index_documents": len(crawled.documents),
        "meetings": active,
        "summaries": summaries,
        "new_meetings": new,
        "health": source_health(crawled, counts, bool(suspect)),
        "recorded_at": now,
    }
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    con.execute(f"INSERT OR REPLACE INTO source_coverage ({columns}) VALUES ({marks})", list(row.values()))


def coverage_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The coverage view as dictionaries, municipalities first, in code order."""
    cursor = con.execute("SELECT * FROM coverage")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
