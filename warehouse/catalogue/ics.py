"""meetings.ics: RFC 5545 calendars of the meetings, for everyone and per municipality.

Times are local Swedish time with TZID=Europe/Stockholm and its VTIMEZONE.
Every stamp comes from the data (first seen, revised at), never from the
clock, so the file is byte-identical when the meetings did not change.
Cancelled meetings stay in the feed with STATUS:CANCELLED so subscribed
calendars remove or strike them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

Row = dict[str, Any]
PRODID = "-//kommundialog//Kommundialog open data//SV"
MAX_OCTETS = 75
STATUS = {"scheduled": "CONFIRMED", "cancelled": "CANCELLED", "postponed": "TENTATIVE"}
SUMMARY_PREFIX = {"cancelled": "INSTÄLLT: ", "postponed": "UPPSKJUTET: "}
ATTENDANCE_TEXT = {
    "in_person": "På plats (in person)",
    "online": "Digitalt (online)",
    "hybrid": "På plats och digitalt (hybrid)",
}
# Sweden's rules since 1996 (EU summer time): the VTIMEZONE every TZID refers to.
VTIMEZONE = (
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Stockholm",
    "X-LIC-LOCATION:Europe/Stockholm",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
)


def escape_text(value: str) -> str:
    """RFC 5545 TEXT escaping: backslash, semicolon, comma and line breaks."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character."""
    pieces, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = MAX_OCTETS if not pieces else MAX_OCTETS - 1
        if size + width > limit:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def _stamp(iso_utc: str) -> str:
    """'2024-06-01T06:00:00Z' -> '20240601T060000Z'."""
    return iso_utc.replace("-", "").replace(":", "")


def _local(day: str, clock: str) -> str:
    return day.replace("-", "") + "T" + clock.replace(":", "") + "00"


def _when(meeting: Row) -> list[str]:
    """DTSTART/DTEND: timed in Europe/Stockholm, or a whole day when no time is known."""
    day = meeting["date"]
    if not meeting.get("start"):
        following = _next_day(day)
        return [f"DTSTART;VALUE=DATE:{day.replace('-', '')}", f"DTEND;VALUE=DATE:{following}"]
    lines = [f"DTSTART;TZID=Europe/Stockholm:{_local(day, meeting['start'])}"]
    if meeting.get("end") and meeting["end"] > meeting["start"]:
        lines.append(f"DTEND;TZID=Europe/Stockholm:{_local(day, meeting['end'])}")
    return lines


def _next_day(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).strftime("%Y%m%d")


def _description(meeting: Row, topic_label: Callable[[str], str]) -> str:
    parts = []
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


def event_lines(meeting: Row, topic_label: Callable[[str], str]) -> list[str]:
    """One VEVENT; the meeting must have a date."""
    title = meeting.get("title") or "Dialogmöte"
    location = ", ".join(v for v in (meeting.get("place"), meeting.get("address")) if v)
    lines = [
        "BEGIN:VEVENT",
        f"UID:{meeting['uid']}",
        f"DTSTAMP:{_stamp(meeting['revised_at'])}",
        f"CREATED:{_stamp(meeting['first_seen_at'])}",
        f"LAST-MODIFIED:{_stamp(meeting['revised_at'])}",
        f"SEQUENCE:{meeting['revision']}",
        *_when(meeting),
        f"SUMMARY:{escape_text(SUMMARY_PREFIX.get(meeting['status'], '') + title)}",
        f"STATUS:{STATUS[meeting['status']]}",
    ]
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    lines.append(f"DESCRIPTION:{escape_text(_description(meeting, topic_label))}")
    if meeting.get("topics"):
        lines.append("CATEGORIES:" + ",".join(escape_text(topic_label(t)) for t in meeting["topics"]))
    lines += [f"URL:{meeting['page_url']}", "TRANSP:OPAQUE", "END:VEVENT"]
    return lines


def render_calendar(
    meetings: Sequence[Row], name: str, topic_label: Callable[[str], str], description: str
) -> bytes:
    """A whole calendar: dated meetings in date order, CRLF line ends, folded lines."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"NAME:{escape_text(name)}",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"DESCRIPTION:{escape_text(description)}",
        f"X-WR-CALDESC:{escape_text(description)}",
        "X-WR-TIMEZONE:Europe/Stockholm",
        "REFRESH-INTERVAL;VALUE=DURATION:PT12H",
        "X-PUBLISHED-TTL:PT12H",
        *VTIMEZONE,
    ]
    dated = sorted(
        (m for m in meetings if m.get("date")), key=lambda m: (m["date"], m.get("start") or "", m["uid"])
    )
    for meeting in dated:
        lines += event_lines(meeting, topic_label)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines).encode("utf-8")
