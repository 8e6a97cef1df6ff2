"""schema.org Event JSON-LD for the meetings: what search engines and event aggregators read.

Written to events.jsonld and embedded in the pages. Embedded JSON escapes
'<', '>' and '&' so scraped text can never close the script element.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

Row = dict[str, Any]
SCHEMA = "https://schema.org/"
EVENT_STATUS = {"scheduled": "EventScheduled", "cancelled": "EventCancelled", "postponed": "EventPostponed"}
ATTENDANCE_MODE = {
    "in_person": "OfflineEventAttendanceMode",
    "online": "OnlineEventAttendanceMode",
    "hybrid": "MixedEventAttendanceMode",
}


def _status(meeting: Row) -> str:
    if meeting["status"] == "scheduled" and meeting.get("previous_date"):
        return SCHEMA + "EventRescheduled"
    return SCHEMA + EVENT_STATUS[meeting["status"]]


def _location(meeting: Row) -> list[dict[str, Any]]:
    """A Place for in-person meetings, a VirtualLocation for online ones, both for hybrid."""
    places: list[dict[str, Any]] = []
    if meeting.get("attendance") != "online":
        place: dict[str, Any] = {"@type": "Place", "name": meeting.get("place") or meeting["municipality"]}
        address: dict[str, Any] = {"@type": "PostalAddress", "addressLocality": meeting["municipality"]}
        if meeting.get("address"):
            address["streetAddress"] = meeting["address"]
        address["addressCountry"] = "SE"
        place["address"] = address
        places.append(place)
    if meeting.get("attendance") in ("online", "hybrid"):
        places.append({"@type": "VirtualLocation", "url": meeting["page_url"]})
    return places


def meeting_event(meeting: Row, base_url: str) -> dict[str, Any]:
    """One meeting as a schema.org Event; it needs a date."""
    event: dict[str, Any] = {
        "@type": "Event",
        "@id": f"{base_url}#{meeting['meeting_id']}",
        "identifier": meeting["uid"],
        "name": meeting.get("title") or "Dialogmöte",
        # schema.org has no property for the kind of meeting: additionalType (Text) carries the
        # catalogue's activity code, the same value as meetings.activity.
        "additionalType": meeting.get("activity") or "other",
        "startDate": meeting.get("start_at") or meeting["date"],
        "eventStatus": _status(meeting),
        "location": _location(meeting),
        "organizer": {
            "@type": "Organization",
            "name": meeting.get("organiser") or f"{meeting['municipality']} kommun",
        },
        "url": meeting["page_url"],
        "inLanguage": "sv",
        "isAccessibleForFree": True,
    }
    if meeting.get("end_at"):
        event["endDate"] = meeting["end_at"]
    if meeting.get("attendance"):
        event["eventAttendanceMode"] = SCHEMA + ATTENDANCE_MODE[meeting["attendance"]]
    if meeting.get("previous_date"):
        event["previousStartDate"] = meeting["previous_date"]
    if meeting.get("theme"):
        event["description"] = meeting["theme"]
    if meeting.get("topics"):
        event["keywords"] = ",".join(meeting["topics"])
    return event


def events_document(meetings: Sequence[Row], base_url: str) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@graph": [meeting_event(m, base_url) for m in meetings if m.get("date")],
    }


def render_events(meetings: Sequence[Row], base_url: str) -> bytes:
    """events.jsonld: every dated meeting as an Event."""
    return (json.dumps(events_document(meetings, base_url), ensure_ascii=False, indent=2) + "\n").encode()


def script_json(document: Any) -> str:
    """JSON safe inside <script type="application/ld+json">: no '<', '>' or '&' left raw."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
