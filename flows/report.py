"""The run's report in the Prefect UI: a markdown artifact, one row per source.

`render_run_report` is plain text building; `publish_run_report` hands it to
Prefect and never fails the run over it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.collect import RunSummary

ARTIFACT_KEY = "collect-run"
MAX_LISTED_ERRORS = 50
COLUMNS = (
    "Source",
    "Pages",
    "Fetched",
    "Unchanged",
    "Failed pages",
    "Meetings",
    "New",
    "Updated",
    "Rescheduled",
    "Cancelled",
    "Disappeared",
    "Health",
)
CHANGE_COLUMNS = ("new", "updated", "rescheduled", "cancelled", "disappeared")

log = logging.getLogger(__name__)


def _cell(value: object) -> str:
    """A table cell: no line breaks, no column separators."""
    return " ".join(str(value).split()).replace("|", "\\|")


def _row(cells: list[object]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _failed_by_reason(failed: dict[str, int]) -> str:
    """'0', or '3 (timeout: 2, http_404: 1)'."""
    total = sum(failed.values())
    if not total:
        return "0"
    return f"{total} (" + ", ".join(f"{reason}: {n}" for reason, n in failed.items()) + ")"


def _health(summary: RunSummary, source_id: str) -> str:
    """The run's verdict on the source (ok, degraded or broken, with the reasons), as the console says it."""
    health = summary.health.get(source_id)
    if health is None:
        return summary.per_source.get(source_id, "not run")
    return health.state + (f": {health.reason}" if health.reasons else "")


def source_row(summary: RunSummary, source_id: str) -> str:
    """One source's line of the table; a source that failed outright gets dashes."""
    counts = summary.crawl_counts.get(source_id)
    load = summary.loads.get(source_id)
    if counts is None or load is None:
        return _row([source_id, *["–"] * (len(COLUMNS) - 2), _health(summary, source_id)])
    changes = [load.changes.get(kind, 0) for kind in CHANGE_COLUMNS]
    return _row(
        [
            source_id,
            counts.pages,
            counts.fetched,
            counts.unchanged,
            _failed_by_reason(counts.failed),
            load.meetings,
            *changes,
            _health(summary, source_id),
        ]
    )


def render_run_report(summary: RunSummary) -> str:
    """The markdown the Prefect UI shows for a run: totals, a row per source, errors and warnings."""
    changed = ", ".join(f"{n} {kind}" for kind, n in summary.changes.items() if n)
    lines = [
        f"# Run {summary.run_id}",
        "",
        f"Sources: {summary.sources} · pages: {summary.pages} ({summary.failed_pages} failed) · "
        f"meetings: {summary.meetings} · summaries: {summary.summaries} · errors: {len(summary.errors)}",
        "",
        f"Meeting changes: {changed or 'none'}",
        "",
        _row(list(COLUMNS)),
        "|" + "---|" * len(COLUMNS),
        *(source_row(summary, source_id) for source_id in summary.per_source),
    ]
    if summary.errors:
        lines += ["", f"## Errors ({len(summary.errors)})", ""]
        lines += [f"- {_cell(e)}" for e in summary.errors[:MAX_LISTED_ERRORS]]
        if len(summary.errors) > MAX_LISTED_ERRORS:
            lines.append(f"- … and {len(summary.errors) - MAX_LISTED_ERRORS} more (see the `runs` table)")
    if summary.warnings:
        lines += ["", "## Warnings", ""]
        lines += [f"- {_cell(w)}" for w in summary.warnings]
    return "\n".join(lines) + "\n"


def publish_run_report(summary: RunSummary) -> None:
    """Attach the report to the current flow run; an API hiccup costs the report, not the run."""
    from prefect.artifacts import create_markdown_artifact

    try:
        create_markdown_artifact(
            markdown=render_run_report(summary),
            key=ARTIFACT_KEY,
            description=f"collect run {summary.run_id}: per-source counts, changes, errors and health",
        )
    except Exception as exc:  # the data is loaded and published; only the UI misses the report
        log.warning("run report not published to Prefect: %s", exc)
