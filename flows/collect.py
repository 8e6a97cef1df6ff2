"""The `collect` flow: crawl every source, extract, load, publish. Reads like a table of contents."""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import duckdb
from prefect import flow, get_run_logger
from prefect.futures import PrefectFuture
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows import progress
from flows.health_report import SourceOutcome, check_sources, send_alerts
from flows.report import publish_run_report
from tasks.crawl import CrawlCounts, CrawlResult, describe_counts
from tasks.extract.page import EXTRACTOR_VERSION
from tasks.fetch import Fetcher, FetchLimits, limits_from_settings
from tasks.health import EXIT_ALL_FAILED, EXIT_OK, EXIT_PARTIAL, Health, run_exit_code
from tasks.pipeline import BatchExtraction, ExtractionPool
from tasks.records import PageExtraction, PreviousFetch
from tasks.registry import Registry, Source, load_registry
from tasks.schedules import sources_on_schedule
from tasks.steps import (
    crawl,
    crawl_and_extract,
    load_source,
    load_unchanged_sources,
    log_extraction_failures,
    publish,
    snapshot,
)
from warehouse.db import finish_run, mark_crashed_runs, open_warehouse, start_run, table_counts
from warehouse.fetch_log import previous_fetches
from warehouse.load import LoadResult, record_sources
from warehouse.lock import writer_lock
from warehouse.runguard import fatal_error, mark_failed, prepare_run

# Sources crawled at once. Politeness is per host, so sources are the parallelism that pays on
# real, delay-bound crawls; each source has at most MAX_WORKERS_PER_SOURCE (tasks/crawl.py) threads.
MAX_PARALLEL_SOURCES = 8
# A scheduled tick waits this long for another writer (a manual run) before giving up.
TICK_LOCK_WAIT_SECONDS = 600.0
# How long a run waits for another process (an analyst) to close the warehouse file.
OPEN_WAIT_SECONDS = 30.0
# Sources crawling, crawled or extracting, not yet loaded: bounds the bodies held in memory.
# Twice the sources crawled at once, so crawls go on while finished ones are extracted.
MAX_SOURCES_IN_HAND = 2 * MAX_PARALLEL_SOURCES
# On a Dask cluster the work is spread wider; results wait in the workers' memory, not here.
MAX_SOURCES_IN_HAND_DASK = 32
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
    loads: dict[str, LoadResult] = field(default_factory=dict)
    outputs: dict[str, int] = field(default_factory=dict)
    table_counts: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    snapshot: str | None = None
    health: dict[str, Health] = field(default_factory=dict)
    alerts: list[str] = field(default_factory=list)
    exit_code: int = EXIT_OK
    # Set when the machine failed the run (damaged warehouse, full disk): nothing was published.
    fatal: str | None = None


class RunStopped(Exception):
    """The machine, not a source, failed the run: a damaged warehouse or a full disk."""


@flow(name="collect", task_runner=ThreadPoolTaskRunner(max_workers=MAX_PARALLEL_SOURCES))
def collect(
    sources_file: str,
    db_path: str,
    out_dir: str,
    snapshot_dir: str | None = None,
    schedule: str | None = None,
    lock_wait_seconds: float = TICK_LOCK_WAIT_SECONDS,
    task_runner: str = "threads",
) -> RunSummary:
    """Crawl the registry's sources, load what they say into DuckDB, publish the catalogue and a snapshot.

    One failing source is logged and counted; the others go on. The run holds
    the warehouse's writer lock and ONE connection for its whole life
    (warehouse/lock.py); a Ctrl-C marks it `interrupted`, runs left `running`
    by a dead process are marked `crashed`; a damaged warehouse or a full disk
    stops it `failed` with nothing published. The analysts' read-only snapshot
    goes to `snapshot_dir` (default: 'snapshot' beside the catalogue). A
    deployment passes its `schedule` (cron): the run then crawls only the sources on it.
    `task_runner` says where sources are crawled and extracted: 'threads' (crawl
    threads and local extraction processes) or 'dask' (the flow runs with a
    DaskTaskRunner, see flows/runners.py); either way the load stays here.
    """
    registry = load_registry(sources_file)
    limits_from_settings(registry.extra.get("fetch"))  # a bad setting fails before any work
    # A schedule's run crawls, and judges the health of, its own sources only.
    registry = replace(registry, sources=sources_on_schedule(registry, schedule))
    now = datetime.now(UTC)
    run_id = f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    summary = RunSummary(run_id=run_id, sources=len(registry.sources))
    snapshot_dir = snapshot_dir or str(Path(out_dir).parent / "snapshot")
    run = _Run(registry, db_path, out_dir, snapshot_dir, now, task_runner)
    with writer_lock(db_path, "run", lock_wait_seconds):
        try:
            prepare_run(db_path, out_dir, snapshot_dir)
            _run_on_one_connection(run, summary)
        except Exception as exc:
            summary.fatal = (
                str(exc) if isinstance(exc, RunStopped) else fatal_error(exc, db_path, snapshot_dir)
            )
            if summary.fatal is None:
                raise
            get_run_logger().error("run stopped: %s", summary.fatal)
            mark_failed(db_path, run_id, now, summary.fatal, _totals(summary), summary.errors)
    publish_run_report(summary)
    return summary


@dataclass(frozen=True)
class _Run:
    """What one run works with: the registry narrowed to its sources, its paths, start and task runner."""

    registry: Registry
    db_path: str
    out_dir: str
    snapshot_dir: str
    now: datetime
    task_runner: str

    def stop_on_machine_fault(self, exc: Exception) -> None:
        """A damaged warehouse or a full disk stops the whole run (RunStopped); anything else returns."""
        fatal = fatal_error(exc, self.db_path, self.snapshot_dir)
        if fatal:
            raise RunStopped(fatal) from exc


def _run_on_one_connection(run: _Run, summary: RunSummary) -> None:
    """Open the warehouse once, record the run, do its work; record an interruption or a crash too."""
    with open_warehouse(run.db_path, wait_seconds=OPEN_WAIT_SECONDS) as con:
        for crashed in mark_crashed_runs(con, run.now):
            summary.warnings.append(f"run {crashed} was left running by a process that died: marked crashed")
        start_run(con, summary.run_id, run.now)
        try:
            _collect(con, run, summary)
        except RunStopped:
            _roll_back(con)  # marked `failed` once this connection is closed
            raise
        except BaseException as exc:
            if isinstance(exc, Exception) and fatal_error(exc, run.db_path, run.snapshot_dir) is not None:
                _roll_back(con)
                raise
            _end_unfinished_run(
                con, summary, "interrupted" if isinstance(exc, KeyboardInterrupt) else "crashed"
            )
            raise


def _collect(con: duckdb.DuckDBPyConnection, run: _Run, summary: RunSummary) -> None:
    """The run's work on its one connection: crawl and load each source, judge health, alert, publish."""
    logger = get_run_logger()
    run_id, now, registry = summary.run_id, run.now, run.registry
    raw_dir = str(Path(run.db_path).parent / "raw")
    previous = previous_fetches(con, EXTRACTOR_VERSION)  # validators for conditional requests
    record_sources(con, registry.sources, now)  # reference data once per run, not once per source
    outcomes: dict[str, SourceOutcome] = {}
    limits = limits_from_settings(registry.extra.get("fetch"))
    plan = _SourcePlan(registry.sources, registry.user_agent, limits, raw_dir, previous, run.task_runner)
    progress.current().run_started(len(registry.sources))
    quiet: list[tuple[Source, CrawlResult, list[PageExtraction]]] = []
    try:
        for source, work in plan.results():
            outcome = outcomes[source.id] = SourceOutcome()
            try:
                crawled, batch = work()
            except Exception as exc:  # one broken source must not stop the others
                _source_failed(run, summary, source, outcome, exc)
                continue
            counts = outcome.record_crawl(crawled)
            log_extraction_failures(source, batch)
            if _nothing_read(crawled, batch.extractions):
                quiet.append((source, _without_bodies(crawled), batch.extractions))
                _announce_quiet(source, counts)
                continue
            _load(con, run, summary, outcome, source, crawled, batch.extractions)
    finally:
        plan.close()
    # Sources whose every page came back unchanged only record that they were seen again. Loaded
    # once the crawl is over, their dozen small statements no longer queue behind crawl threads.
    _load_unchanged(con, run, summary, outcomes, quiet)

    progress.current().step_started("Checking the sources' health")
    summary.health = check_sources(con, registry, outcomes, run_id, now)
    summary.alerts = send_alerts(con, registry, summary.health, run_id, now)
    for line in summary.alerts:
        logger.warning(line)
    problems = False
    if any(o.pages_read for o in outcomes.values()):
        progress.current().step_started("Publishing the catalogue")
        try:
            summary.outputs = publish(con, run.out_dir, now)
        except Exception as exc:  # the data is loaded; the served catalogue stays as it was
            run.stop_on_machine_fault(exc)
            problems = True
            summary.errors.append(f"catalogue not published (the previous release is still served): {exc}")
            logger.error("catalogue not published: %s", exc)
    else:
        summary.warnings.append("no page was read: the catalogue keeps its release and its data-as-of time")
    summary.exit_code = run_exit_code([h.state for h in summary.health.values()], problems)
    status = RUN_STATUS[summary.exit_code]
    finish_run(con, run_id, datetime.now(UTC), status, _totals(summary), summary.errors)
    summary.table_counts = table_counts(con)
    progress.current().step_started("Writing the analysts' snapshot")
    try:
        summary.snapshot = snapshot(con, run.db_path, run.snapshot_dir)
    except Exception as exc:  # analysts keep the previous snapshot; the warehouse is complete
        run.stop_on_machine_fault(exc)
        summary.exit_code = max(summary.exit_code, EXIT_PARTIAL)
        summary.errors.append(f"snapshot not published (the previous one stays): {exc}")
        logger.error("snapshot not published: %s", exc)


def _nothing_read(crawled: CrawlResult, extractions: list[PageExtraction]) -> bool:
    return not extractions and all(p.outcome in ("unchanged", "duplicate") for p in crawled.pages)


def _announce_quiet(source: Source, counts: CrawlCounts) -> None:
    """A source with nothing new is recorded after the crawl; whoever watches the run sees it now."""
    line = f"{describe_counts(counts)}; nothing new (recorded after the crawl)"
    progress.current().source_finished(
        progress.SourceDone(source.id, counts.pages, counts.failed_total, 0, line)
    )


def _without_bodies(crawled: CrawlResult) -> CrawlResult:
    """A quiet source waits for the crawl's end; the bodies read back for its links are not needed."""
    return replace(crawled, pages=[replace(p, body=b"") if p.body else p for p in crawled.pages])


def _load(
    con: duckdb.DuckDBPyConnection,
    run: _Run,
    summary: RunSummary,
    outcome: SourceOutcome,
    source: Source,
    crawled: CrawlResult,
    extractions: list[PageExtraction],
    announce: bool = True,
) -> None:
    """Load one crawled source and count it; a failure is that source's alone (unless the machine's).

    `announce`: tell the progress display (not for a quiet source: it was shown when crawled).
    """
    try:
        counts = outcome.loaded = load_source(con, source, crawled, extractions, summary.run_id, run.now)
    except Exception as exc:
        _source_failed(run, summary, source, outcome, exc, announce)
        return
    _count_source(summary, source, crawled, outcome.counts, counts, announce)


def _load_unchanged(
    con: duckdb.DuckDBPyConnection,
    run: _Run,
    summary: RunSummary,
    outcomes: dict[str, SourceOutcome],
    quiet: list[tuple[Source, CrawlResult, list[PageExtraction]]],
) -> None:
    """Load the sources whose pages all came back unchanged in one transaction; alone if that fails.

    Should the shared transaction fail for anything but the machine, each
    source is loaded on its own, so one source's fault stays its own.
    """
    if not quiet:
        return
    progress.current().step_started(f"Recording {len(quiet)} unchanged sources")
    try:
        loaded = load_unchanged_sources(con, [(s, c) for s, c, _ in quiet], summary.run_id, run.now)
    except Exception as exc:
        run.stop_on_machine_fault(exc)
        get_run_logger().warning("unchanged sources loaded one by one: %s", exc)
        for source, crawled, extractions in quiet:
            _load(con, run, summary, outcomes[source.id], source, crawled, extractions, announce=False)
        return
    for source, crawled, _extractions in quiet:
        outcome = outcomes[source.id]
        outcome.loaded = loaded[source.id]
        _count_source(summary, source, crawled, outcome.counts, loaded[source.id], announce=False)


def _source_failed(
    run: _Run,
    summary: RunSummary,
    source: Source,
    outcome: SourceOutcome,
    exc: Exception,
    announce: bool = True,
) -> None:
    """Record a source the run could not crawl or load; a damaged warehouse or a full disk stops them all."""
    run.stop_on_machine_fault(exc)
    outcome.error = f"{type(exc).__name__}: {exc}"
    summary.errors.append(f"{source.id}: {outcome.error}")
    summary.per_source[source.id] = f"failed: {exc}"
    get_run_logger().error("source %s failed: %s", source.id, exc)
    if announce:  # a quiet source was shown when crawled; its failure is in the run's errors
        progress.current().source_finished(
            progress.SourceDone(source.id, 0, 0, 0, summary.per_source[source.id])
        )


def _count_source(
    summary: RunSummary,
    source: Source,
    crawled: CrawlResult,
    crawl_counts: CrawlCounts,
    counts: LoadResult,
    announce: bool = True,
) -> None:
    """Add one loaded source to the run's totals, lines, warnings and progress display."""
    logger = get_run_logger()
    not_read = [p for p in crawled.pages if p.outcome not in ("fetched", "unchanged", "duplicate")]
    summary.crawl_counts[source.id] = crawl_counts
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
        summary.warnings.append(f"{source.id}: suspect, nothing marked disappeared: {counts.suspect_reason}")
        logger.warning("source %s is suspect: %s", source.id, counts.suspect_reason)
    logger.info("source %s: %s", source.id, summary.per_source[source.id])
    if announce:
        progress.current().source_finished(
            progress.SourceDone(
                source.id,
                counts.pages,
                crawl_counts.failed_total,
                counts.meetings,
                summary.per_source[source.id],
            )
        )


def _totals(summary: RunSummary) -> dict[str, int]:
    return {
        "sources": summary.sources,
        "pages": summary.pages,
        "meetings": summary.meetings,
        "summaries": summary.summaries,
    }


def _roll_back(con: duckdb.DuckDBPyConnection) -> None:
    with suppress(duckdb.Error):  # raised when no transaction was open
        con.execute("ROLLBACK")


def _end_unfinished_run(con: duckdb.DuckDBPyConnection, summary: RunSummary, status: str) -> None:
    """Record that the run stopped before its end (a load in progress was rolled back)."""
    _roll_back(con)
    finish_run(con, summary.run_id, datetime.now(UTC), status, _totals(summary), summary.errors)


SourceWork = Callable[[], tuple[CrawlResult, BatchExtraction]]


class _SourcePlan:
    """Sources through crawl and extraction as a pipeline, handed to the loader in registry order.

    At most MAX_SOURCES_IN_HAND sources (MAX_SOURCES_IN_HAND_DASK on Dask) are
    crawling, crawled or extracting at once, so bodies and extractions never
    pile up while the loader catches up.
    With threads, crawls run on the flow's task runner and extraction in local
    processes; with Dask, one task per source does both on a worker.
    """

    def __init__(
        self,
        sources: Sequence[Source],
        user_agent: str,
        limits: FetchLimits,
        raw_dir: str,
        previous: dict[str, dict[str, PreviousFetch]],
        task_runner: str,
    ) -> None:
        self.waiting = deque(sources)
        self.user_agent, self.limits, self.raw_dir, self.previous = user_agent, limits, raw_dir, previous
        self.remote = task_runner == "dask"
        self.fetcher = None if self.remote else Fetcher(user_agent, limits)
        self.pool = ExtractionPool()
        self.crawling: deque[tuple[Source, PrefectFuture]] = deque()
        self.extracting: deque[tuple[Source, SourceWork]] = deque()

    def results(self) -> Iterator[tuple[Source, SourceWork]]:
        """Each source with the call that gives its crawl and extraction (raising what failed)."""
        while self.waiting or self.crawling or self.extracting:
            self._top_up()
            if self.crawling and len(self.extracting) <= self.pool.workers:
                self.extracting.append(self._extract(*self.crawling.popleft()))
                continue
            yield self.extracting.popleft()

    def _top_up(self) -> None:
        limit = MAX_SOURCES_IN_HAND_DASK if self.remote else MAX_SOURCES_IN_HAND
        while self.waiting and len(self.crawling) + len(self.extracting) < limit:
            source = self.waiting.popleft()
            previous = self.previous.get(source.id, {})
            if self.remote:
                args = (source, self.user_agent, self.limits, self.raw_dir, previous)
                future = crawl_and_extract.submit(*args)
            else:
                # Quoted: Prefect would walk every record in it looking for futures (~3 ms a source).
                # (Not on Dask: its serialisation turns the quote into a plain tuple.)
                future = crawl.submit(source, self.fetcher, self.raw_dir, quote(previous))
            self.crawling.append((source, future))

    def _extract(self, source: Source, future: PrefectFuture) -> tuple[Source, SourceWork]:
        """Wait for the source's crawl; start its extraction (a failed crawl raises when its turn comes)."""
        try:
            outcome = future.result()
        except Exception as exc:
            return source, partial(_raise, exc)
        if self.remote:
            crawled, batch = outcome[0].handed_over(), outcome[1]
            return source, lambda: (crawled, batch)
        crawled = outcome.handed_over()  # Prefect's finished future must not keep the bodies alive
        extraction = self.pool.submit(source, crawled.pages)
        return source, lambda: (crawled, extraction.result())

    def close(self) -> None:
        self.pool.close()
        if self.fetcher is not None:
            self.fetcher.close()


def _raise(exc: Exception) -> tuple[CrawlResult, BatchExtraction]:
    raise exc
