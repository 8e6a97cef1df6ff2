"""Source health in the warehouse: the facts the rules need, each run's verdict, and the alerts sent.

The rules themselves are pure (tasks/health.py); this module reads and writes rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from tasks.health import Health
from warehouse.db import insert_rows


@dataclass(frozen=True)
class SourceHistory:
    """What the warehouse knows of a source over time, for the staleness rule."""

    last_new_item_at: datetime | None
    first_checked_at: datetime | None


def source_histories(con: duckdb.DuckDBPyConnection, source_ids: Sequence[str]) -> dict[str, SourceHistory]:
    """Per source: when a meeting or summary was last first-seen, and when it was first watched.

    One query for the whole registry: a national run asks for 290 sources.
    """
    rows = con.execute(
        """WITH ids AS (SELECT unnest($1::VARCHAR[]) AS source_id),
                m AS (SELECT source_id, max(first_seen_at) AS seen FROM meetings GROUP BY source_id),
                s AS (SELECT source_id, max(first_seen_at) AS seen FROM summaries GROUP BY source_id),
                r AS (SELECT source_id, min(loaded_at) AS since FROM source_runs GROUP BY source_id),
                c AS (SELECT source_id, min(checked_at) AS since FROM source_checks GROUP BY source_id)
           SELECT ids.source_id, greatest(m.seen, s.seen), least(r.since, c.since)
           FROM ids LEFT JOIN m USING (source_id) LEFT JOIN s USING (source_id)
                    LEFT JOIN r USING (source_id) LEFT JOIN c USING (source_id)""",
        [list(source_ids)],
    ).fetchall()
    return {source_id: SourceHistory(last_new, first_watched) for source_id, last_new, first_watched in rows}


@dataclass(frozen=True)
class SourceCheck:
    """One source's verdict for a run, as `source_checks` keeps it."""

    source_id: str
    health: Health
    pages_read: int
    pages_failed: int
    collapsed_pages: Sequence[str]
    last_new_item_at: datetime | None


def record_source_checks(
    con: duckdb.DuckDBPyConnection, run_id: str, checks: Sequence[SourceCheck], now: datetime
) -> None:
    """Write the run's verdicts in one statement (their `sources` rows are written at the run's start).

    One statement each cost about 2 ms, most of a national no-change run's health step.
    """
    rows = [
        (
            run_id,
            check.source_id,
            check.health.state,
            list(check.health.reasons),
            check.pages_read,
            check.pages_failed,
            list(check.collapsed_pages),
            check.last_new_item_at,
            now,
        )
        for check in checks
    ]
    insert_rows(con, "INSERT OR REPLACE INTO source_checks", rows)


def last_alerted_health(con: duckdb.DuckDBPyConnection, source_id: str) -> str | None:
    """The health announced by the last delivered alert for the source (None: never alerted)."""
    row = con.execute(
        "SELECT health FROM health_alerts WHERE source_id = ? AND delivered ORDER BY sent_at DESC LIMIT 1",
        [source_id],
    ).fetchone()
    return row[0] if row else None


def record_alert(
    con: duckdb.DuckDBPyConnection,
    source_id: str,
    run_id: str,
    health: str,
    previous: str | None,
    channel: str,
    sent_at: datetime,
    error: str | None,
) -> None:
    con.execute(
        "INSERT OR REPLACE INTO health_alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [source_id, run_id, health, previous, channel, sent_at, error is None, error],
    )
