"""Coverage as data: the national registry in the warehouse and, per run and source, what was found.

`bodies` is reference data (warehouse/reference.py, like municipalities);
`source_coverage` gets one row per source and run, written in the same
transaction as the source's load; the `coverage` view (migration 0006) puts
the two together per municipality and region.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb

from tasks.crawl import CrawlCounts, CrawlResult
from tasks.registry import Source
from warehouse.db import insert_rows

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
    crawls: Sequence[tuple[Source, CrawlResult, CrawlCounts]],
    now: datetime,
) -> None:
    """Write each source's coverage row for this run (inside the load's transaction, after the load).

    One query counts what the warehouse holds for all of them and one
    statement writes their rows: a national run records hundreds at once.
    """
    if not crawls:
        return
    held = {
        source_id: rest
        for source_id, *rest in con.execute(
            "SELECT id, coalesce((SELECT any_value(suspect) FROM source_runs r"
            " WHERE r.run_id = $run AND r.source_id = id), false),"
            " (SELECT count(*) FROM meetings m WHERE m.source_id = id AND m.state = 'active'),"
            " (SELECT count(*) FROM meetings m WHERE m.source_id = id AND m.first_seen_at >= $now),"
            " (SELECT count(*) FROM summaries s WHERE s.source_id = id)"
            " FROM unnest($ids) AS t(id)",
            {"run": run_id, "now": now, "ids": [source.id for source, _, _ in crawls]},
        ).fetchall()
    }
    rows = [
        _coverage_row(run_id, source, crawled, counts, held[source.id], now)
        for source, crawled, counts in crawls
    ]
    insert_rows(con, f"INSERT OR REPLACE INTO source_coverage ({', '.join(COVERAGE_COLUMNS)})", rows)


COVERAGE_COLUMNS = (
    "run_id", "source_id", "body_code", "discovery", "cms", "candidates", "relevant_candidates",
    "pages_fetched", "pages_unchanged", "pages_failed", "index_documents", "meetings", "summaries",
    "new_meetings", "health", "recorded_at",
)  # fmt: skip


def _coverage_row(
    run_id: str, source: Source, crawled: CrawlResult, counts: CrawlCounts, held: list[Any], now: datetime
) -> list[Any]:
    """One source_coverage row, in COVERAGE_COLUMNS order; `held` is (suspect, active, new, summaries)."""
    suspect, active, new, summaries = held
    found = crawled.discovery
    return [
        run_id,
        source.id,
        source.municipality_code,
        "auto" if source.discover else "follow",
        found.cms if found else None,
        found.candidates if found else None,
        found.relevant if found else None,
        counts.fetched,
        counts.unchanged,
        counts.failed_total,
        len(crawled.documents),
        active,
        summaries,
        new,
        source_health(crawled, counts, bool(suspect)),
        now,
    ]


def coverage_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The coverage view as dictionaries, municipalities first, in code order."""
    cursor = con.execute("SELECT * FROM coverage")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
