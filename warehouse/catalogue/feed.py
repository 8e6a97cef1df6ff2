"""feed.atom: new, changed and cancelled meetings, newest first (RFC 4287), written with feedgen.

Each revision of a meeting is its own entry (id from the UID and the
revision), so feed readers show a change as news. Dates come from the data,
entries are added in a fixed order and the generator element is our own, so
the same meetings give the same bytes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator

from warehouse.catalogue.config import CatalogueConfig
from warehouse.catalogue.labels import activity_label

Row = dict[str, Any]
MAX_ENTRIES = 100
STATUS_SV = {"scheduled": "planerat", "cancelled": "inställt", "postponed": "uppskjutet"}
ACTIVITY_SCHEME = "activity"
ATOM_LINK = "{http://www.w3.org/2005/Atom}link"


class _FeedLinks(BaseExtension):
    """No feed-level change; feedgen needs a feed class for every extension."""

    def extend_ns(self) -> dict[str, str]:
        return {}


class _EntryLinks(BaseEntryExtension):
    """feedgen 1.0 drops rel and type from entry links; the entry's one link is its HTML page."""

    def extend_atom(self, entry: Any) -> Any:
        for link in entry.iter("link", ATOM_LINK):
            link.set("rel", "alternate")
            link.set("type", "text/html")
        return entry


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


def _add_entry(feed: FeedGenerator, meeting: Row) -> None:
    title = f"{entry_kind(meeting)}: {meeting.get('title') or 'Dialogmöte'} ({meeting['municipality']}, {_when(meeting)})"
    place = ", ".join(v for v in (meeting.get("place"), meeting.get("address")) if v)
    summary = f"{_when(meeting)}. {place + '. ' if place else ''}Status: {STATUS_SV[meeting['status']]}."
    if meeting.get("previous_date"):
        summary += f" Tidigare datum: {meeting['previous_date']}."
    revised = datetime.fromisoformat(meeting["revised_at"])
    entry = feed.add_entry(order="append")
    entry.id(_entry_id(meeting))
    entry.title(title)
    entry.updated(revised)
    entry.published(revised)
    entry.link(href=meeting["page_url"], rel="alternate", type="text/html")
    activity = meeting.get("activity") or "other"
    entry.category(
        [
            {"term": meeting["status"]},
            {"term": activity, "scheme": ACTIVITY_SCHEME, "label": activity_label(activity)},
        ]
    )
    entry.summary(summary)


def render_feed(meetings: Sequence[Row], config: CatalogueConfig, updated_at: str) -> bytes:
    """The feed of the latest revisions; `updated_at` is the release's data time."""
    latest = sorted(meetings, key=lambda m: (m["revised_at"], m["uid"]), reverse=True)[:MAX_ENTRIES]
    feed = FeedGenerator()
    feed.id(f"{config.base_url}feed.atom")
    feed.title(f"{config.title_sv}: nya, ändrade och inställda möten")
    feed.updated(datetime.fromisoformat(updated_at))
    feed.author({"name": config.publisher_name})
    feed.link(href=f"{config.base_url}feed.atom", rel="self", type="application/atom+xml")
    feed.link(href=config.base_url, rel="alternate", type="text/html")
    feed.rights("CC0 1.0")
    feed.language("sv")
    feed.generator("kommundialog", uri=None, version=None)
    feed.register_extension("kommundialog", _FeedLinks, _EntryLinks, atom=True, rss=False)
    for meeting in latest:
        _add_entry(feed, meeting)
    return feed.atom_str(pretty=True, encoding="utf-8")
