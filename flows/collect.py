"""The `collect` flow: crawl every source, extract, load, publish. Reads like a table of contents."""

from __future__ import annotations

import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from prefect import flow, get_run_logger
from prefect.task_runners import ThreadPoolTaskRunner

from flows.health_report import SourceOutcome, check_sources, send_alerts
from tasks.crawl import CrawlCounts, count_outcomes, describe_counts
from tasks.extract.page import EXTRACTOR_VERSION
from tasks.fetch import Fetcher, limits_from_settings
from tasks.health import EXIT_ALL_FAILED, EXIT_OK, EXIT_PARTIAL, Health, run_exit_code
from tasks.registry import Registry, load_registry
from tasks.steps import crawl, extract_pages, load_source, publish, snapshot
from warehouse.db import finish_run, mark_crashed_runs, open_warehouse, start_run, table_counts
from warehouse.fetch_log import previous_fetches
from warehouse.lock import writer_lock

# Sources crawled at once; each host still gets one request at a time.
MAX_PARALLEL_SOURCES = 4
# A scheduled tick waits this long for another writer (a manual run) before giving up.
TICK_LOCK_WAIT_SECONDS = 600.0
# How long a run waits for another process (an analyst) to close the warehouse file.
OPEN_WAIT_SECONDS = 30.0
RUN_STATUS = {EXIT_OK: "ok", EXIT_PARTIAL: "partial", EXIT_ALL_FAILED: "failed"}


@dataclass
class RunSummary:
    """What a run did, for the CLI's closing lines and for tests."""

    run_id: str
    sources: int = 0
    pages: int = 0
    failed_pages: int = 0
    meetings: int = 0
    summaries: int = 0
    errors: list[str] = field(default_factory=list)
    per_source: dict[str, str] = field(default_factory=dict)
    crawl_counts: dict[str, CrawlCounts] = field(default_factory=dict)
    outputs: dict[str, int] = field(default_factory=dict)
    table_counts: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    snapshot: str | None = None
    health: dict[str, Health] = field(default_factory=dict)
    alerts: list[str] = field(default_factory=list)
    exit_code: int = EXIT_OK


@flow(name="collect", task_runner=ThreadPoolTaskRunner(max_workers=MAX_PARALLEL_SOURCES))
def collect(
    sources_file: str,
    db_path: str,
    out_dir: str,
    snapshot_dir: str | None = None,
    lock_wait_seconds: float = TICK_LOCK_WAIT_SECONDS,
) -> RunSummary:
    """Crawl the registry's sources, load what they say into DuckDB, publish the catalogue and a snapshot.

    One failing source is logged and counted; the others go on. The run holds
    the warehouse's writer lock and ONE connection for its whole life
    (warehouse/lock.py); a Ctrl-C marks it `interrupted`, runs left `running`
    by a dead process are marked `crashed`. The analysts' read-only snapshot
    goes to `snapshot_dir` (default: 'snapshot' beside the catalogue).
    """
    registry = load_registry(sources_file)
    limits_from_settings(registry.extra.get("fetch"))  # a bad setting fails before any work
    now = datetime.now(UTC)
    run_id = f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    summary = RunSummary(run_id=run_id, sources=len(registry.sources))
    with (
        writer_lock(db_path, "run", lock_wait_seconds),
        open_warehouse(db_path, wait_seconds=OPEN_WAIT_SECONDS) as con,
    ):
        for crashed in mark_crashed_runs(con, now):
            summary.warnings.append(f"run {crashed} was left running by a process that died: marked crashed")
        start_run(con, run_id, now)
        try:
            _collect(con, registry, db_path, out_dir, snapshot_dir, now, summary)
        except BaseException as exc:
            _end_unfinished_run(
                con, summary, "interrupted" if isinstance(exc, KeyboardInterrupt) else "crashed"
            )
            raise
    return summary


def _collect(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    db_path: str,
    out_dir: str,
    snapshot_dir: str | None,
    now: datetime,
    summary: RunSummary,
) -> None:
    """The run's work on its one connection: crawl and load each source, judge health, alert, publish."""
    logger = get_run_logger()
    run_id = summary.run_id
    raw_dir = str(Path(db_path).parent / "raw")
    previous = previous_fetches(con, EXTRACTOR_VERSION)  # validators for conditional requests
    outcomes: dict[str, SourceOutcome] = {}
    fetcher = Fetcher(registry.user_agent, limits_from_settings(registry.extra.get("fetch")))
    try:
        futures = {s.id: crawl.submit(s, fetcher, raw_dir, previous.get(s.id, {})) for s in registry.sources}
        for source in registry.sources:
            outcome = outcomes[source.id] = SourceOutcome()
            try:
                crawled = outcome.crawled = futures[source.id].result()
                extractions = extract_pages(source, crawled.pages)
                counts = outcome.loaded = load_source(con, source, crawled, extractions, run_id, now)
            except Exception as exc:  # one broken source must not stop the others
                message = f"{source.id}: {type(exc).__name__}: {exc}"
                outcome.error = f"{type(exc).__name__}: {exc}"
                summary.errors.append(message)
                summary.per_source[source.id] = f"failed: {exc}"
                logger.error("source %s failed: %s", source.id, exc)
                continue
            not_read = [p for p in crawled.pages if p.outcome not in ("fetched", "unchanged", "duplicate")]
            crawl_counts = summary.crawl_counts[source.id] = count_outcomes(crawled)
            summary.pages += counts.pages
            summary.failed_pages += crawl_counts.failed_total
            summary.meetings += counts.meetings
            summary.summaries += counts.summaries
            summary.errors.extend(f"{source.id}: {p.url}: {p.error}" for p in not_read)
            for kind, number in counts.changes.items():
                summary.changes[kind] = summary.changes.get(kind, 0) + number
            changed = ", ".join(f"{n} {k}" for k, n in counts.changes.items() if n and k != "unchanged")
            summary.per_source[source.id] = (
                f"{describe_counts(crawl_counts)}; {counts.meetings} meetings, {counts.summaries} summaries"
                + (f"; changes: {changed}" if changed else "")
            )
            if counts.suspect:
                summary.warnings.append(
                    f"{source.id}: suspect, nothing marked disappeared: {counts.suspect_reason}"
                )
                logger.warning("source %s is suspect: %s", source.id, counts.suspect_reason)
            logger.info("source %s: %s", source.id, summary.per_source[source.id])
    finally:
        fetcher.close()

    summary.health = check_sources(con, registry, outcomes, run_id, now)
    summary.alerts = send_alerts(con, registry, summary.health, run_id, now)
    for line in summary.alerts:
        logger.warning(line)
    problems = False
    if any(o.pages_read for o in outcomes.values()):
        try:
            summary.outputs = publish(con, out_dir, now)
        except Exception as exc:  # the data is loaded; the served catalogue stays as it was
            problems = True
            summary.errors.append(f"catalogue not published (the previous release is still served): {exc}")
            logger.error("catalogue not published: %s", exc)
    else:
        summary.warnings.append("no page was read: the catalogue keeps its release and its data-as-of time")
    summary.exit_code = run_exit_code([h.state for h in summary.health.values()], problems)
    status = RUN_STATUS[summary.exit_code]
    finish_run(con, run_id, datetime.now(UTC), status, _totals(summary), summary.errors)
    summary.table_counts = table_counts(con)
    try:
        summary.snapshot = snapshot(con, db_path, snapshot_dir or str(Path(out_dir).parent / "snapshot"))
    except Exception as exc:  # analysts keep the previous snapshot; the warehouse is complete
        summary.exit_code = max(summary.exit_code, EXIT_PARTIAL)
        summary.errors.append(f"snapshot not published (the previous one stays): {exc}")
        logger.error("snapshot not published: %s", exc)


def _totals(summary: RunSummary) -> dict[str, int]:
    return {
        "sources": summary.sources,
        "pages": summary.pages,
        "meetings": summary.meetings,
        "summaries": summary.summaries,
    }


def _end_unfinished_run(con: duckdb.DuckDBPyConnection, summary: RunSummary, status: str) -> None:
    """Record that the run stopped before its end (a load in progress was rolled back)."""
    with suppress(duckdb.Error):  # raised when no transaction was open
        con.execute("ROLLBACK")
    finish_run(con, summary.run_id, datetime.now(UTC), status, _totals(summary), summary.errors)
