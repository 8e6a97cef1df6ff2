"""End of a run: judge each source's health, record it, and alert on a source that broke or recovered.

Plain functions over the run's one warehouse connection (no Prefect here):
the flow calls them after every source was loaded (or failed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import duckdb

from tasks.alerts import Alert, channel_name, send_webhook
from tasks.crawl import CrawlCounts, CrawlResult, count_outcomes
from tasks.health import DEFAULT_STALE_AFTER_DAYS, Health, SourceFacts, alert_due, assess_source
from tasks.registry import Registry, Source
from warehouse.health import (
    SourceCheck,
    SourceHistory,
    last_alerted_health,
    record_alert,
    record_source_checks,
    source_histories,
)
from warehouse.load import LoadResult

READ_OUTCOMES = ("fetched", "unchanged", "duplicate")


@dataclass
class SourceOutcome:
    """What became of one source in the run: its crawl's counts and load, or the error that stopped it.

    The run keeps every source's outcome until its end, so this keeps the
    crawl's counts, never the crawl itself (whose pages hold their bodies).
    """

    counts: CrawlCounts | None = None
    pages_read: int = 0
    loaded: LoadResult | None = None
    error: str | None = None

    def record_crawl(self, crawled: CrawlResult) -> CrawlCounts:
        """Keep what the health rules need from the source's crawl; return its counts."""
        self.counts = count_outcomes(crawled)
        self.pages_read = sum(1 for p in crawled.pages if p.outcome in READ_OUTCOMES)
        return self.counts


def _days(later: datetime, earlier: datetime | None) -> int | None:
    return None if earlier is None else max(0, (later - earlier).days)


def source_facts(
    source: Source, outcome: SourceOutcome, history: SourceHistory, now: datetime
) -> tuple[SourceFacts, datetime | None]:
    """The facts the health rules need, from the run and the warehouse's history of the source."""
    counts = outcome.counts
    loaded = outcome.loaded
    facts = SourceFacts(
        source_id=source.id,
        error=outcome.error,
        pages_read=outcome.pages_read,
        pages_failed=counts.failed_total if counts else 0,
        failed_by_reason=dict(counts.failed) if counts else {},
        pages_skipped=(counts.robots + counts.out_of_scope) if counts else 0,
        suspect_reason=loaded.suspect_reason if loaded and loaded.suspect else None,
        collapsed_pages=dict(loaded.collapsed_pages) if loaded else {},
        days_since_new_item=_days(now, history.last_new_item_at),
        days_watched=_days(now, history.first_checked_at) or 0,
    )
    return facts, history.last_new_item_at


def check_sources(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    outcomes: Mapping[str, SourceOutcome],
    run_id: str,
    now: datetime,
) -> dict[str, Health]:
    """Assess and record every source's health for this run (one statement for all of them)."""
    stale_after = int(registry.extra.get("stale_after_days") or DEFAULT_STALE_AFTER_DAYS)
    histories = source_histories(con, [s.id for s in registry.sources])
    healths, checks = {}, []
    for source in registry.sources:
        outcome = outcomes.get(source.id) or SourceOutcome(error="not run")
        facts, last_new = source_facts(source, outcome, histories[source.id], now)
        health = healths[source.id] = assess_source(facts, stale_after)
        checks.append(
            SourceCheck(
                source.id, health, facts.pages_read, facts.pages_failed, list(facts.collapsed_pages), last_new
            )
        )
    record_source_checks(con, run_id, checks, now)
    return healths


def send_alerts(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    healths: Mapping[str, Health],
    run_id: str,
    now: datetime,
) -> list[str]:
    """One webhook call per source that turned broken or recovered; return one line per alert."""
    webhook = registry.extra.get("alert_webhook")
    if not webhook:
        return []
    lines = []
    for source in registry.sources:
        health = healths.get(source.id)
        last = last_alerted_health(con, source.id)
        if health is None or not alert_due(health.state, last):
            continue
        alert = Alert(source.id, source.municipality, health.state, last, health.reasons, run_id)
        error = send_webhook(str(webhook), alert)
        record_alert(con, source.id, run_id, health.state, last, channel_name(str(webhook)), now, error)
        lines.append(f"alert {'sent' if error is None else 'NOT sent (' + error + ')'}: {alert.text}")
    return lines
