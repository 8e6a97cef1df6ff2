"""Source health and the run's exit code: pure rules over what a run saw of each source.

`ok`, `degraded` or `broken`, always with the reasons in plain words, so an
operator reading the run summary or `source_health` knows what to look at.
No network, DuckDB or clock here: the caller passes the facts (and the ages).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

OK, DEGRADED, BROKEN = "ok", "degraded", "broken"
HEALTH_STATES = (OK, DEGRADED, BROKEN)
# A source with no new meeting or summary for this many days is degraded (settings.stale_after_days).
DEFAULT_STALE_AFTER_DAYS = 60

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_BUSY = 3
EXIT_ALL_FAILED = 4
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class SourceFacts:
    """What one run saw of one source, as the health rules need it."""

    source_id: str
    error: str | None = None  # the source's crawl, extraction or load raised
    pages_read: int = 0  # fetched, unchanged (304 or same body) or duplicate
    pages_failed: int = 0
    failed_by_reason: Mapping[str, int] = field(default_factory=dict)
    pages_skipped: int = 0  # robots.txt or out of scope
    suspect_reason: str | None = None  # the whole source collapsed or its selectors stopped matching
    collapsed_pages: Mapping[str, str] = field(default_factory=dict)  # page URL -> why
    days_since_new_item: int | None = None  # None: no meeting or summary ever seen
    days_watched: int = 0  # days since the source's first run


@dataclass(frozen=True)
class Health:
    state: str
    reasons: tuple[str, ...] = ()

    @property
    def reason(self) -> str | None:
        return "; ".join(self.reasons) or None


def _reasons_text(by_reason: Mapping[str, int]) -> str:
    return ", ".join(f"{reason}: {n}" for reason, n in sorted(by_reason.items()))


def _broken_reasons(facts: SourceFacts) -> list[str]:
    if facts.error:
        return [f"source failed: {facts.error}"]
    reasons = []
    if facts.pages_read == 0 and facts.pages_failed:
        reasons.append(
            f"fetch failures: all {facts.pages_failed} pages failed ({_reasons_text(facts.failed_by_reason)})"
        )
    elif facts.pages_read == 0:
        reasons.append(f"no page could be read ({facts.pages_skipped} skipped by robots.txt or scope)")
    if facts.suspect_reason:
        reasons.append(facts.suspect_reason)
    return reasons


def _degraded_reasons(facts: SourceFacts, stale_after_days: int) -> list[str]:
    reasons = []
    if facts.pages_failed:
        total = facts.pages_failed + facts.pages_read
        reasons.append(
            f"fetch failures: {facts.pages_failed} of {total} pages failed ({_reasons_text(facts.failed_by_reason)})"
        )
    reasons.extend(
        f"page lost its meetings, kept as they were: {url} ({why})"
        for url, why in facts.collapsed_pages.items()
    )
    if facts.days_since_new_item is not None and facts.days_since_new_item >= stale_after_days:
        reasons.append(f"no new item in {facts.days_since_new_item} days")
    elif facts.days_since_new_item is None and facts.days_watched >= stale_after_days:
        reasons.append(f"no item found in {facts.days_watched} days of runs")
    return reasons


def assess_source(facts: SourceFacts, stale_after_days: int = DEFAULT_STALE_AFTER_DAYS) -> Health:
    """Broken when nothing usable came from the source; degraded when something is off; else ok."""
    broken = _broken_reasons(facts)
    if broken:
        return Health(BROKEN, tuple(broken))
    degraded = _degraded_reasons(facts, stale_after_days)
    if degraded:
        return Health(DEGRADED, tuple(degraded))
    return Health(OK)


def run_exit_code(states: Sequence[str], run_problems: bool = False) -> int:
    """0 every source ok; 4 every source broken; 1 otherwise (partial), or when publishing failed."""
    if states and all(s == BROKEN for s in states):
        return EXIT_ALL_FAILED
    if run_problems or any(s != OK for s in states):
        return EXIT_PARTIAL
    return EXIT_OK


def alert_due(current: str, last_alerted: str | None) -> bool:
    """One alert when a source turns broken, one when it recovers; none while it stays as it was.

    `last_alerted` is the state of the last alert delivered for the source
    (None: never), so an alert that could not be delivered is tried again.
    """
    if current == BROKEN:
        return last_alerted != BROKEN
    return last_alerted == BROKEN
