"""The `collect` flow: crawl every source, extract, load, publish. Reads like a table of contents."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.task_runners import ThreadPoolTaskRunner

from flows import progress
from flows.report import publish_run_report
from tasks.crawl import CrawlCounts, count_outcomes, describe_counts
from tasks.extract.page import EXTRACTOR_VERSION
from tasks.fetch import Fetcher, limits_from_settings
from tasks.registry import load_registry
from tasks.schedules import sources_on_schedule
from tasks.steps import crawl, extract_pages, load_source, publish, snapshot
from warehouse.db import finish_run, open_warehouse, start_run, table_counts
from warehouse.fetch_log import previous_fetches
from warehouse.load import LoadResult
from warehouse.runguard import fatal_error, mark_failed, prepare_run

# Sources crawled at once; each host still gets one request at a time.
MAX_PARALLEL_SOURCES = 4


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
    loads: dict[str, LoadResult] = field(default_factory=dict)
    outputs: dict[str, int] = field(default_factory=dict)
    table_counts: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    snapshot: str | None = None
    # Set when the machine failed the run (damaged warehouse, full disk): nothing was published.
    fatal: str | None = None


@flow(name="collect", task_runner=ThreadPoolTaskRunner(max_workers=MAX_PARALLEL_SOURCES))
def collect(
    sources_file: str,
    db_path: str,
    out_dir: str,
    snapshot_dir: str | None = None,
    schedule: str | None = None,
) -> RunSummary:
    """Crawl the registry's sources, load what they say into DuckDB, publish the catalogue and a snapshot.

    One failing source is logged and counted; the others go on. The analysts'
    read-only snapshot goes to `snapshot_dir` (default: 'snapshot' beside the catalogue).
    A deployment passes its `schedule` (cron): the run then crawls only the sources on it.
    """
    logger = get_run_logger()
    registry = load_registry(sources_file)
    sources = sources_on_schedule(registry, schedule)
    limits = limits_from_settings(registry.extra.get("fetch"))  # a bad setting fails before any work
    now = datetime.now(UTC)
    run_id = f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    raw_dir = str(Path(db_path).parent / "raw")
    summary = RunSummary(run_id=run_id, sources=len(sources))
    snapshot_dir = snapshot_dir or str(Path(out_dir).parent / "snapshot")
    try:
        prepare_run(db_path, out_dir, snapshot_dir)
        with open_warehouse(db_path) as con:
            start_run(con, run_id, now)
            previous = previous_fetches(con, EXTRACTOR_VERSION)  # validators for conditional requests
    except Exception as exc:
        summary.fatal = fatal_error(exc, db_path, snapshot_dir)
        if summary.fatal is None:
            raise
        logger.error("run stopped: %s", summary.fatal)
        mark_failed(db_path, run_id, now, summary.fatal, {"sources": summary.sources}, [])
        return summary

    fetcher = Fetcher(registry.user_agent, limits)
    progress.current().run_started(len(sources))
    try:
        futures = {s.id: crawl.submit(s, fetcher, raw_dir, previous.get(s.id, {})) for s in sources}
        for source in sources:
            if summary.fatal:
                futures[source.id].wait()  # the run stops: nothing more is loaded
                continue
            try:
                crawled = futures[source.id].result()
                extractions = extract_pages(source, crawled.pages)
                counts = load_source(db_path, source, crawled, extractions, run_id, now)
            except Exception as exc:  # one broken source must not stop the others
                summary.fatal = fatal_error(exc, db_path, snapshot_dir)
                if summary.fatal:  # ... but a damaged warehouse or a full disk stops them all
                    logger.error("run stopped at source %s: %s", source.id, summary.fatal)
                    continue
                message = f"{source.id}: {type(exc).__name__}: {exc}"
                summary.errors.append(message)
                summary.per_source[source.id] = f"failed: {exc}"
                logger.error("source %s failed: %s", source.id, exc)
                progress.current().source_finished(
                    progress.SourceDone(source.id, 0, 0, 0, summary.per_source[source.id])
                )
                continue
            not_read = [p for p in crawled.pages if p.outcome not in ("fetched", "unchanged", "duplicate")]
            crawl_counts = summary.crawl_counts[source.id] = count_outcomes(crawled)
            summary.loads[source.id] = counts
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
            progress.current().source_finished(
                progress.SourceDone(
                    source.id,
                    counts.pages,
                    crawl_counts.failed_total,
                    counts.meetings,
                    summary.per_source[source.id],
                )
            )
    finally:
        fetcher.close()

    totals = {
        "sources": summary.sources,
        "pages": summary.pages,
        "meetings": summary.meetings,
        "summaries": summary.summaries,
    }
    if summary.fatal is None:
        try:
            summary.outputs = publish(db_path, out_dir, now)
        except Exception as exc:  # the data is loaded; the served catalogue stays as it was
            summary.fatal = fatal_error(exc, db_path, snapshot_dir)
            summary.errors.append(f"catalogue not published (the previous release is still served): {exc}")
            logger.error("catalogue not published: %s", exc)
    if summary.fatal is not None:
        mark_failed(db_path, run_id, now, summary.fatal, totals, summary.errors)
        return summary
    with open_warehouse(db_path) as con:
        status = "ok" if not summary.errors else "partial"
        finish_run(con, run_id, datetime.now(UTC), status, totals, summary.errors)
        summary.table_counts = table_counts(con)
    try:
        summary.snapshot = snapshot(db_path, snapshot_dir)
    except Exception as exc:  # analysts keep the previous snapshot; the warehouse is complete
        summary.fatal = fatal_error(exc, db_path, snapshot_dir)
        summary.errors.append(f"snapshot not published (the previous one stays): {exc}")
        logger.error("snapshot not published: %s", exc)
        if summary.fatal is not None:
            mark_failed(db_path, run_id, now, summary.fatal, totals, summary.errors)
    publish_run_report(summary)
    return summary
