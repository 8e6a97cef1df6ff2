"""feed.atom: new, changed and cancelled meetings, newest first (RFC 4287).

Each revision of a meeting is its own entry (id from the UID and the
revision), so feed readers show a change as news. Dates come from the data.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from warehouse.catalogue.config import CatalogueConfig

Row = dict[str, Any]
MAX_ENTRIES = 100
STATUS_SV = {"scheduled": "planerat", "cancelled": "inställt", "postponed": "uppskjutet"}


def entry_kind(meeting: Row) -> str:
    """'Nytt', 'Inställt' or 'Ändrat': how the entry's title announces the revision."""
    if meeting["status"] == "cancelled":
        return "Inställt"
    if meeting["revision"] == 0:
        return "Nytt"
    return "Ändrat"


def _entry_id(meeting: Row) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{meeting['uid']}#{meeting['revision']}"))


def _when(meeting: Row) -> str:
    day = meeting.get("date") or (f"--{meeting['month_day']}" if meeting.get("month_day") else "datum saknas")
    clock = meeting.get("start") or ""
    if clock and meeting.get("end"):
        clock = f"{clock}–{meeting['end']}"
    return f"{day} {clock}".strip()


def _entry(meeting: Row) -> list[str]:
    title = f"{entry_kind(meeting)}: {meeting.get('title') or 'Dialogmöte'} ({meeting['municipality']}, {_when(meeting)})"
    place = ", ".join(v for v in (meeting.get("place"), meeting.get("address")) if v)
    summary = f"{_when(meeting)}. {place + '. ' if place else ''}Status: {STATUS_SV[meeting['status']]}."
    if meeting.get("previous_date"):
        summary += f" Tidigare datum: {meeting['previous_date']}."
    return [
        "  <entry>",
        f"    <id>{_entry_id(meeting)}</id>",
        f"    <title>{escape(title)}</title>",
        f"    <updated>{meeting['revised_at']}</updated>",
        f"    <published>{meeting['revised_at']}</published>",
        f'    <link rel="alternate" type="text/html" href={quoteattr(meeting["page_url"])}/>',
        f"    <category term={quoteattr(meeting['status'])}/>",
        f"    <summary>{escape(summary)}</summary>",
        "  </entry>",
    ]


def render_feed(meetings: Sequence[Row], config: CatalogueConfig, updated_at: str) -> bytes:
    """The feed of the latest revisions; `updated_at` is the release's data time."""
    latest = sorted(meetings, key=lambda m: (m["revised_at"], m["uid"]), reverse=True)[:MAX_ENTRIES]
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="sv">',
        f"  <id>{escape(config.base_url)}feed.atom</id>",
        f"  <title>{escape(config.title_sv)}: nya, ändrade och inställda möten</title>",
        f"  <updated>{updated_at}</updated>",
        f"  <author><name>{escape(config.publisher_name)}</name></author>",
        f'  <link rel="self" type="application/atom+xml" href={quoteattr(config.base_url + "feed.atom")}/>',
        f'  <link rel="alternate" type="text/html" href={quoteattr(config.base_url)}/>',
        "  <rights>CC0 1.0</rights>",
    ]
    for meeting in latest:
        lines += _entry(meeting)
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")
