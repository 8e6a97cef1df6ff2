"""What an operator sees of a run in Prefect: INFO logs, task runs named by source, a markdown report.

A real flow run against the demo sites, read back through the Prefect client.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from uuid import UUID

import pytest

from flows.collect import RunSummary
from flows.report import ARTIFACT_KEY, render_run_report
from tasks.crawl import CrawlCounts
from tasks.health import Health
from warehouse.load import LoadResult

T = TypeVar("T")
SOURCE_IDS = (
    "nordmaling-socialtjansten",
    "ovanaker-socialtjansten",
    "norrkoping-socialnamnden",
    "helsingborg-oppnasoc",
)


def _eventually(read: Callable[[], T], done: Callable[[T], bool], timeout: float = 30) -> T:
    """Task runs and logs reach the API in the background: read until they are all there."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.5)
        value = read()
    return value


@pytest.fixture(scope="module")
def flow_run_id(prefect_server, demo_registry_file: Path, tmp_path_factory) -> UUID:
    from prefect.logging.handlers import APILogHandler

    from flows.collect import collect

    workdir = tmp_path_factory.mktemp("visible")
    state = collect(
        sources_file=str(demo_registry_file),
        db_path=str(workdir / "kd.duckdb"),
        out_dir=str(workdir / "catalogue"),
        return_state=True,
    )
    assert state.is_completed(), state
    APILogHandler().flush()  # send the queued logs before reading them back
    return state.state_details.flow_run_id


@pytest.mark.integration
def test_task_runs_are_named_by_source(flow_run_id: UUID) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    def names() -> set[str]:
        with get_client(sync_client=True) as client:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )
        return {run.name for run in runs}

    # Extraction is no task of its own (worker processes, tasks/pipeline.py), nor is the load
    # (the flow's thread): a task run per source for them costs more than an unchanged source.
    expected = {f"crawl-{source}" for source in SOURCE_IDS}
    found = _eventually(names, lambda n: expected <= n)
    assert expected <= found, sorted(found)
    assert not [name for name in found if name.startswith(("load-", "extract-"))], sorted(found)


@pytest.mark.integration
def test_info_logs_of_the_flow_and_its_tasks_reach_the_api(flow_run_id: UUID) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    def logs() -> list:
        with get_client(sync_client=True) as client:
            return client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])), limit=200)

    def per_source(found: list) -> list:
        return [log for log in found if log.level == 20 and log.message.startswith("source ")]

    found = _eventually(logs, lambda f: len(per_source(f)) == len(SOURCE_IDS))
    assert sorted(log.message.split(":")[0] for log in per_source(found)) == sorted(
        f"source {s}" for s in SOURCE_IDS
    )
    nordmaling = next(log for log in per_source(found) if "nordmaling" in log.message)
    assert "5 pages: 5 fetched" in nordmaling.message and "1 meetings" in nordmaling.message
    assert any(log.level == 20 and log.task_run_id is not None for log in found)  # task runs' INFO too


@pytest.mark.integration
def test_each_run_publishes_a_markdown_report_per_source(flow_run_id: UUID) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    (report,) = artifacts
    assert report.type == "markdown" and report.key == ARTIFACT_KEY
    lines = report.data.splitlines()
    assert lines[0].startswith("# Run ")
    assert "Sources: 4 · pages: 21 (0 failed) · meetings: 6 · summaries: 1 · errors: 0" in lines
    # source | pages | fetched | unchanged | failed | meetings | new | updated | rescheduled | cancelled | disappeared | health
    assert "| nordmaling-socialtjansten | 5 | 5 | 0 | 0 | 1 | 1 | 0 | 0 | 0 | 0 | ok |" in lines
    assert "| helsingborg-oppnasoc | 6 | 6 | 0 | 0 | 5 | 5 | 0 | 0 | 0 | 0 | ok |" in lines


def _counts(pages: int, fetched: int, unchanged: int, failed: dict[str, int]) -> CrawlCounts:
    return CrawlCounts(
        pages=pages,
        fetched=fetched,
        unchanged=unchanged,
        duplicate=0,
        robots=0,
        out_of_scope=0,
        failed=failed,
        over_limit=0,
    )


def _load(meetings: int, changes: dict[str, int], suspect_reason: str | None = None) -> LoadResult:
    return LoadResult(
        pages=0,
        meetings=meetings,
        summaries=0,
        changes=changes,
        suspect=suspect_reason is not None,
        suspect_reason=suspect_reason,
    )


def test_report_lists_failures_by_reason_health_and_sources_that_failed_outright() -> None:
    summary = RunSummary(run_id=f"{datetime(2026, 1, 5, tzinfo=UTC):%Y%m%dT%H%M%SZ}-abc", sources=3)
    summary.per_source = {"umea": "...", "lulea": "...", "kiruna": "failed: ConnectionError: refused"}
    summary.crawl_counts = {
        "umea": _counts(4, 1, 1, {"http_404": 1, "timeout": 1}),
        "lulea": _counts(3, 3, 0, {}),
    }
    summary.loads = {
        "umea": _load(2, {"new": 1, "updated": 1, "cancelled": 1}),
        "lulea": _load(0, {"unchanged": 0}, suspect_reason="3 meetings before, 0 now"),
    }
    summary.errors = ["kiruna: ConnectionError: refused", "umea: https://umea.example/x|y: timeout"]
    summary.health = {  # the run's verdicts (tasks/health.py), as the console prints them too
        "umea": Health("degraded", ("fetch failures: 2 of 4 pages failed",)),
        "lulea": Health("degraded", ("items collapsed: 3 meetings before, 0 now",)),
        "kiruna": Health("broken", ("source failed: ConnectionError: refused",)),
    }
    lines = render_run_report(summary).splitlines()
    assert (
        "| umea | 4 | 1 | 1 | 2 (http_404: 1, timeout: 1) | 2 | 1 | 1 | 0 | 1 | 0 | "
        "degraded: fetch failures: 2 of 4 pages failed |"
    ) in lines
    assert (
        "| lulea | 3 | 3 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | degraded: items collapsed: 3 meetings before, 0 now |"
    ) in lines
    assert (
        "| kiruna | – | – | – | – | – | – | – | – | – | – | broken: source failed: ConnectionError: refused |"
    ) in lines
    assert "## Errors (2)" in lines
    assert "- umea: https://umea.example/x\\|y: timeout" in lines  # a '|' cannot break the table
