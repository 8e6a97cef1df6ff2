"""Change classification between runs: the rules alone, on plain rows."""

from __future__ import annotations

from datetime import date, time

from warehouse.history import classify

PAGE = "https://www.exempelby.se/dialog.html"


def row(
    day: int, start: int = 18, status: str = "scheduled", page: str = PAGE, theme: str | None = None
) -> dict:
    return {
        "page_url": page,
        "title": "Dialogmöte",
        "meeting_date": date(2026, 5, day),
        "month_day": None,
        "start_time": time(start, 0),
        "end_time": None,
        "place": "Oasen",
        "address": None,
        "attendance": "in_person",
        "status": status,
        "theme": theme,
        "topics": ["elderly_care"],
    }


def kinds(result) -> dict[str, str]:
    return {c.meeting_id: c.kind for c in result.changes}


def test_same_rows_are_unchanged() -> None:
    assert kinds(classify({"a": row(5)}, {"a": row(5)}, {PAGE})) == {"a": "unchanged"}


def test_new_meeting() -> None:
    assert kinds(classify({"a": row(5)}, {"a": row(5), "b": row(12)}, {PAGE})) == {
        "a": "unchanged",
        "b": "new",
    }


def test_changed_time_is_an_update_naming_the_field() -> None:
    (change,) = classify({"a": row(5)}, {"a": row(5, start=19)}, {PAGE}).changes
    assert (change.kind, change.changed_fields) == ("updated", ("start_time",))
    assert change.previous["start_time"] == time(18, 0)


def test_cancellation() -> None:
    (change,) = classify({"a": row(5)}, {"a": row(5, status="cancelled")}, {PAGE}).changes
    assert (change.kind, change.changed_fields) == ("cancelled", ("status",))


def test_moved_day_is_a_reschedule_that_keeps_the_stable_id_and_previous_start() -> None:
    (change,) = classify({"a": row(5)}, {"b": row(7)}, {PAGE}).changes
    assert (change.meeting_id, change.kind, change.extracted_id) == ("a", "rescheduled", "b")
    assert change.previous["meeting_date"] == date(2026, 5, 5)


def test_several_moves_pair_by_theme() -> None:
    previous = {"a": row(5, theme="om boende"), "b": row(6, theme="om mat")}
    current = {"c": row(12, theme="om mat"), "d": row(13, theme="om boende")}
    result = classify(previous, current, {PAGE})
    assert sorted((c.meeting_id, c.extracted_id) for c in result.changes) == [("a", "d"), ("b", "c")]


def test_removed_meeting_disappears_and_is_not_cancelled() -> None:
    result = classify({"a": row(5), "b": row(12), "c": row(19)}, {"a": row(5), "b": row(12)}, {PAGE})
    assert kinds(result)["c"] == "disappeared"


def test_pages_not_read_again_keep_their_meetings() -> None:
    other = "https://www.exempelby.se/annan.html"
    result = classify({"a": row(5, page=other)}, {}, {PAGE})
    assert result.changes == [] and not result.suspect


def test_collapsed_source_is_suspect_and_changes_nothing() -> None:
    previous = {str(i): row(i) for i in range(1, 7)}
    result = classify(previous, {"1": row(1)}, {PAGE})
    assert result.suspect and result.changes == []
    assert "collapsed" in result.suspect_reason


def test_selector_fallback_makes_the_source_suspect() -> None:
    result = classify({"a": row(5)}, {}, {PAGE}, fallback_reason="content selectors matched nothing")
    assert result.suspect and result.changes == []
