"""Source health and exit codes: the pure rules, and the per-page collapse guard in a real DuckDB file."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tasks.health import (
    BROKEN,
    DEGRADED,
    OK,
    SourceFacts,
    alert_due,
    assess_source,
    run_exit_code,
)
from tasks.records import FetchedPage, Meeting, PageExtraction
from tasks.registry import RegistryError, Source, parse_registry
from warehouse.db import open_warehouse
from warehouse.history import classify
from warehouse.load import load_source_run

T0 = datetime(2030, 1, 7, 6, 0, tzinfo=UTC)
PAGE = "https://www.exempelby.se/dialog.html"
SOURCE = Source("exempelby-dialog", "Exempelby", "2401", (PAGE,))


def facts(**changes: object) -> SourceFacts:
    base = {"source_id": "s", "pages_read": 5, "days_since_new_item": 3, "days_watched": 100}
    return SourceFacts(**{**base, **changes})


def test_a_source_that_read_its_pages_and_found_news_is_ok() -> None:
    assert assess_source(facts()).state == OK
    assert assess_source(facts()).reasons == ()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {"pages_failed": 2, "failed_by_reason": {"timeout": 2}},
            "fetch failures: 2 of 7 pages failed (timeout: 2)",
        ),
        ({"collapsed_pages": {PAGE: "1 meeting before, none now"}}, "page lost its meetings"),
        ({"days_since_new_item": 61}, "no new item in 61 days"),
        ({"days_since_new_item": None, "days_watched": 90}, "no item found in 90 days"),
    ],
)
def test_degraded_with_its_reason(changes: dict, reason: str) -> None:
    health = assess_source(facts(**changes))
    assert health.state == DEGRADED
    assert reason in health.reason


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"error": "ConnectionError: refused"}, "source failed: ConnectionError"),
        (
            {"pages_read": 0, "pages_failed": 3, "failed_by_reason": {"HTTP 503": 3}},
            "all 3 pages failed (HTTP 503: 3)",
        ),
        ({"pages_read": 0, "pages_skipped": 4}, "no page could be read (4 skipped"),
        (
            {"suspect_reason": "sitevision selectors matched nothing on 3 of 3 pages read"},
            "selectors matched nothing",
        ),
        (
            {"suspect_reason": "extraction collapsed: 1 meetings where the same pages had 6"},
            "extraction collapsed",
        ),
    ],
)
def test_broken_with_its_reason(changes: dict, reason: str) -> None:
    health = assess_source(facts(**changes))
    assert health.state == BROKEN
    assert reason in health.reason


def test_staleness_follows_the_configured_days() -> None:
    assert assess_source(facts(days_since_new_item=20), stale_after_days=14).state == DEGRADED
    assert assess_source(facts(days_since_new_item=20), stale_after_days=30).state == OK


@pytest.mark.parametrize(
    ("states", "problems", "code"),
    [
        ([OK, OK], False, 0),
        ([OK, DEGRADED], False, 1),
        ([OK, BROKEN], False, 1),
        ([OK, OK], True, 1),
        ([BROKEN, BROKEN], False, 4),
        ([BROKEN], True, 4),
    ],
)
def test_exit_code(states: list[str], problems: bool, code: int) -> None:
    assert run_exit_code(states, problems) == code


def test_one_alert_when_broken_and_one_when_recovered() -> None:
    assert alert_due(BROKEN, None) and alert_due(BROKEN, OK)
    assert not alert_due(BROKEN, BROKEN)  # still broken: no repeat
    assert alert_due(OK, BROKEN) and alert_due(DEGRADED, BROKEN)
    assert not alert_due(OK, None) and not alert_due(DEGRADED, OK)


def test_registry_checks_the_alert_webhook_and_staleness_settings() -> None:
    entry = {"id": "a", "municipality": "Nordmaling", "municipality_code": "2401", "start_urls": [PAGE]}
    ok = parse_registry(
        {
            "settings": {"alert_webhook": "http://127.0.0.1:9/hook", "stale_after_days": 30},
            "sources": [entry],
        },
        "r.yaml",
    )
    assert ok.extra["alert_webhook"] == "http://127.0.0.1:9/hook"
    for bad, field in (
        ({"alert_webhook": "ftp://example/hook"}, "settings.alert_webhook"),
        ({"alert_webhook": "http://127.0.0.1:99999/hook"}, "settings.alert_webhook"),
        ({"stale_after_days": 0}, "settings.stale_after_days"),
        ({"stale_after_days": "ten"}, "settings.stale_after_days"),
    ):
        with pytest.raises(RegistryError, match=f"r.yaml: {field}"):
            parse_registry({"settings": bad, "sources": [entry]}, "r.yaml")


def row(day: int, page: str = PAGE) -> dict:
    return {
        "page_url": page,
        "meeting_date": date(2030, 5, day),
        "title": "Dialogmöte",
        "status": "scheduled",
    }


def test_a_page_that_lost_its_only_meeting_keeps_it_and_is_reported() -> None:
    result = classify({"a": row(5)}, {}, {PAGE})
    assert result.changes == [] and not result.suspect
    assert result.collapsed_pages == {PAGE: "1 meeting before, none now"}


def test_a_gone_page_still_makes_its_meeting_disappear() -> None:
    result = classify({"a": row(5)}, {}, {PAGE}, gone_pages={PAGE})
    assert [c.kind for c in result.changes] == ["disappeared"] and result.collapsed_pages == {}


def test_a_page_that_keeps_one_of_two_meetings_is_an_ordinary_change() -> None:
    result = classify({"a": row(5), "b": row(12)}, {"a": row(5)}, {PAGE})
    assert [c.kind for c in result.changes if c.kind != "unchanged"] == ["disappeared"]
    assert result.collapsed_pages == {}


def _meeting(day: int) -> Meeting:
    from tasks.extract.page import meeting_id

    when = date(2030, 5, day)
    return Meeting(meeting_id(PAGE, when, None), "Dialogmöte om hemtjänsten", when, None, "stated",
                   None, None, "Stadshuset", None, "in_person", "scheduled", ())  # fmt: skip


def _load(db: Path, run: int, meetings: tuple[Meeting, ...]):
    now = T0 + timedelta(days=run)
    body = f"<main>{len(meetings)}</main>".encode()
    page = FetchedPage(PAGE, PAGE, 200, now, "text/html", body, hashlib.sha256(body).hexdigest())
    extraction = PageExtraction(PAGE, "Dialog", "meeting" if meetings else "other", None, meetings=meetings)
    with open_warehouse(db) as con:
        return load_source_run(con, SOURCE, [page], [extraction], f"run-{run}", now, "v1")


def test_a_one_meeting_source_whose_page_loses_its_content_keeps_its_meeting(tmp_path: Path) -> None:
    db = tmp_path / "kd.duckdb"
    _load(db, 1, (_meeting(20),))
    result = _load(db, 2, ())
    assert result.collapsed_pages == {PAGE: "1 meeting before, none now"}
    assert result.changes["disappeared"] == 0 and result.meetings == 1
    with open_warehouse(db, read_only=True) as con:
        assert con.execute("SELECT state, version FROM meetings").fetchall() == [("active", 1)]
        # stored without an extractor version: the next run reads the page again
        assert con.execute("SELECT extractor_version FROM pages").fetchall() == [(None,)]
    assert _load(db, 3, (_meeting(20),)).collapsed_pages == {}  # the content came back: nothing lost


def test_source_histories_give_each_source_its_newest_item_and_first_sighting(tmp_path: Path) -> None:
    from warehouse.health import SourceHistory, source_histories

    db = tmp_path / "kd.duckdb"
    _load(db, 1, (_meeting(20),))
    _load(db, 4, (_meeting(20), _meeting(27)))
    with open_warehouse(db) as con:
        found = source_histories(con, [SOURCE.id, "never-loaded"])
    assert found == {
        SOURCE.id: SourceHistory(
            last_new_item_at=T0 + timedelta(days=4), first_checked_at=T0 + timedelta(days=1)
        ),
        "never-loaded": SourceHistory(None, None),
    }


def test_the_runs_verdicts_are_written_together_and_read_back_as_given(tmp_path: Path) -> None:
    from tasks.health import Health
    from warehouse.health import SourceCheck, record_source_checks

    checks = [
        SourceCheck("ett", Health(OK, ()), 5, 0, [], T0 - timedelta(days=2)),
        SourceCheck("tva", Health(BROKEN, ("no page could be read",)), 0, 4, [], None),
        SourceCheck("tre", Health(DEGRADED, ("a page lost its meetings",)), 3, 0, [PAGE], T0),
    ]
    with open_warehouse(tmp_path / "kd.duckdb") as con:
        record_source_checks(con, "run-1", checks, T0)
        record_source_checks(con, "run-1", checks[1:2], T0)  # written again: replaced, not doubled
        rows = con.execute(
            "SELECT source_id, health, reasons, pages_read, pages_failed, collapsed_pages, last_new_item_at,"
            " checked_at FROM source_checks WHERE run_id = 'run-1' ORDER BY source_id"
        ).fetchall()
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
        ("ett", OK, [], 5, 0, []),
        ("tre", DEGRADED, ["a page lost its meetings"], 3, 0, [PAGE]),
        ("tva", BROKEN, ["no page could be read"], 0, 4, []),
    ]
    assert [r[6] for r in rows] == [T0 - timedelta(days=2), T0, None]
    assert {r[7] for r in rows} == {T0}
