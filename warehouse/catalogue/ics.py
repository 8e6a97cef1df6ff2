"""meetings.ics: RFC 5545 calendars of the meetings, for everyone and per municipality.

Written with the `icalendar` library (escaping, folding, value types). Times
are local Swedish time with TZID=Europe/Stockholm and a VTIMEZONE the library
generates from the time-zone database for the years the meetings span. Every
stamp comes from the data (first seen, revised at), never from the clock, and
properties are written in the order added, so the file is byte-identical when
the meetings did not change. Cancelled meetings stay in the feed with
STATUS:CANCELLED so subscribed calendars remove or strike them. All-day
events are TRANSP:TRANSPARENT: a meeting without a time never blocks a day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from warehouse.catalogue.labels import activity_label

Row = dict[str, Any]
PRODID = "-//kommundialog//Kommundialog open data//SV"
TZID = "Europe/Stockholm"
STOCKHOLM = ZoneInfo(TZID)
MAX_OCTETS = 75  # RFC 5545 content lines; validate.py checks every line against it
STATUS = {"scheduled": "CONFIRMED", "cancelled": "CANCELLED", "postponed": "TENTATIVE"}
SUMMARY_PREFIX = {"cancelled": "INSTÄLLT: ", "postponed": "UPPSKJUTET: "}
ATTENDANCE_TEXT = {
    "in_person": "På plats (in person)",
    "online": "Digitalt (online)",
    "hybrid": "På plats och digitalt (hybrid)",
}
REFRESH = timedelta(hours=12)


def _utc(iso_utc: str) -> datetime:
    """'2024-06-01T06:00:00Z' as an aware UTC datetime (written as 20240601T060000Z)."""
    return datetime.fromisoformat(iso_utc)


def _local(day: str, clock: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=STOCKHOLM)


def _add_when(event: Event, meeting: Row) -> None:
    """DTSTART/DTEND: timed in Europe/Stockholm, or a whole (transparent) day when no time is known."""
    day = meeting["date"]
    if not meeting.get("start"):
        event.add("dtstart", date.fromisoformat(day))
        event.add("dtend", date.fromisoformat(day) + timedelta(days=1))
        return
    event.add("dtstart", _local(day, meeting["start"]))
    if meeting.get("end") and meeting["end"] > meeting["start"]:
        event.add("dtend", _local(day, meeting["end"]))


def _description(meeting: Row, topic_label: Callable[[str], str]) -> str:
    parts = [f"Aktivitet: {activity_label(meeting.get('activity'))} ({meeting.get('activity') or 'other'})"]
    if meeting.get("theme"):
        parts.append(f"Tema: {meeting['theme']}")
    if meeting.get("organiser"):
        parts.append(f"Arrangör: {meeting['organiser']}")
    if meeting.get("attendance"):
        parts.append(f"Deltagande: {ATTENDANCE_TEXT[meeting['attendance']]}")
    if meeting.get("topics"):
        parts.append("Ämnen: " + ", ".join(topic_label(t) for t in meeting["topics"]))
    parts.append(f"Källa (source): {meeting['page_url']}")
    return "\n".join(parts)


def meeting_event(meeting: Row, topic_label: Callable[[str], str]) -> Event:
    """One VEVENT; the meeting must have a date."""
    title = meeting.get("title") or "Dialogmöte"
    location = ", ".join(v for v in (meeting.get("place"), meeting.get("address")) if v)
    activity = meeting.get("activity") or "other"
    event = Event()
    event.add("uid", meeting["uid"])
    event.add("dtstamp", _utc(meeting["revised_at"]))
    event.add("created", _utc(meeting["first_seen_at"]))
    event.add("last-modified", _utc(meeting["revised_at"]))
    event.add("sequence", meeting["revision"])
    _add_when(event, meeting)
    event.add("summary", SUMMARY_PREFIX.get(meeting["status"], "") + title)
    event.add("status", STATUS[meeting["status"]])
    if location:
        event.add("location", location)
    event.add("description", _description(meeting, topic_label))
    # One CATEGORIES for the activity (a calendar can colour or filter by it), one for the topics.
    event.add("categories", [activity_label(activity)])
    if meeting.get("topics"):
        event.add("categories", [topic_label(t) for t in meeting["topics"]])
    event.add("x-kommundialog-activity", activity)
    event.add("url", meeting["page_url"])
    event.add("transp", "OPAQUE" if meeting.get("start") else "TRANSPARENT")
    return event


def _timezone(dated: Sequence[Row]) -> Timezone:
    """The VTIMEZONE for the years the meetings span (generated from the time-zone database)."""
    years = [int(m["date"][:4]) for m in dated] or [1970]
    return Timezone.from_tzid(TZID, first_date=date(min(years), 1, 1), last_date=date(max(years) + 1, 1, 1))


def render_calendar(
    meetings: Sequence[Row],
    name: str,
    topic_label: Callable[[str], str],
    description: str,
    events: Mapping[str, Event] | None = None,
) -> bytes:
    """A whole calendar: dated meetings in date order, CRLF line ends, folded lines.

    `events` (by UID) lets the calendars of one release share the VEVENTs built once.
    """
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("description", description)
    calendar.add("x-wr-caldesc", description)
    calendar.add("x-wr-timezone", TZID)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT12H")
    dated = sorted(
        (m for m in meetings if m.get("date")), key=lambda m: (m["date"], m.get("start") or "", m["uid"])
    )
    calendar.add_component(_timezone(dated))
    for meeting in dated:
        event = events.get(meeting["uid"]) if events else None
        calendar.add_component(event or meeting_event(meeting, topic_label))
    return calendar.to_ical(sorted=False)
