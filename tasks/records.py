"""Typed records: the contract between extraction, the fetcher, the warehouse and the flows.

Everything here is plain data. Dates are `datetime.date`, clock times
`datetime.time` (Europe/Stockholm local time, as the pages state them).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

# The pages' own time: dates and clock times are read, stored and published in it.
STOCKHOLM = ZoneInfo("Europe/Stockholm")

PageKind = Literal["meeting", "summary", "invitation", "other"]
Attendance = Literal["in_person", "online", "hybrid"]
Status = Literal["scheduled", "cancelled", "postponed"]
# What kind of activity a meeting is, from the page's own words (config/vocabulary.yaml).
Activity = Literal["dialogue", "council", "committee", "information", "other"]

PAGE_KINDS: tuple[str, ...] = ("meeting", "summary", "invitation", "other")
ATTENDANCE_MODES: tuple[str, ...] = ("in_person", "online", "hybrid")
STATUSES: tuple[str, ...] = ("scheduled", "cancelled", "postponed")
ACTIVITIES: tuple[str, ...] = ("dialogue", "council", "committee", "information", "other")
# The activities counted as "dialogue activity" in the catalogue's counts and charts.
DIALOGUE_ACTIVITIES: tuple[str, ...] = ("dialogue", "council")


@dataclass(frozen=True)
class PageContext:
    """What the caller knows about a page besides its HTML (no clock inside extraction)."""

    url: str
    fetched_at: date | None = None
    municipality: str | None = None
    profile: str | None = None
    # The registry source the page belongs to: meeting ids follow it, not the page's origin.
    source_id: str | None = None


@dataclass(frozen=True)
class Meeting:
    """One dated (or month-day only) occasion people can attend."""

    id: str
    title: str
    date: date | None
    month_day: str | None
    year_basis: str | None
    start: time | None
    end: time | None
    place: str | None
    address: str | None
    attendance: Attendance | None
    status: Status
    topics: tuple[str, ...] = ()
    theme: str | None = None
    speakers: str | None = None
    organiser: str | None = None
    activity: Activity = "other"


@dataclass(frozen=True)
class AgendaItem:
    """A heading-level item reported in a meeting summary."""

    title: str
    confidential: bool = False


@dataclass(frozen=True)
class Summary:
    """A report of a meeting that took place ("Socialnämnden 21 juni i korthet")."""

    body: str | None
    date: date | None
    year_basis: str | None
    start: time | None
    end: time | None
    items: tuple[AgendaItem, ...] = ()
    item_count: int | None = None
    confidential_item_count: int | None = None
    next_meeting_date: date | None = None


@dataclass(frozen=True)
class Contact:
    """An e-mail address, phone number or person's name found on a page, classified for publishing."""

    kind: Literal["email", "phone", "name"]
    value: str
    functional: bool


@dataclass(frozen=True)
class Registration:
    """How a reader signs up or registers interest."""

    channels: tuple[str, ...] = ()
    mailbox: str | None = None
    deadline: date | None = None


@dataclass(frozen=True)
class PageExtraction:
    """Everything extraction found on one page."""

    url: str
    title: str | None
    kind: PageKind
    published: date | None
    meetings: tuple[Meeting, ...] = ()
    summary: Summary | None = None
    organiser: str | None = None
    topics: tuple[str, ...] = ()
    registration: Registration | None = None
    contacts: tuple[Contact, ...] = ()
    contact_mailbox: str | None = None
    mentions_cancelled_undated: bool = False
    warnings: tuple[str, ...] = ()
    profile: str | None = None  # the CMS profile the page was read with (detected for 'auto')


@dataclass(frozen=True)
class FetchedPage:
    """A page as the fetcher saw it."""

    url: str
    final_url: str
    status: int | None
    fetched_at: datetime
    content_type: str | None
    body: bytes
    content_hash: str | None
    error: str | None = None
    # What became of the URL (one of FETCH_OUTCOMES) and, unless fetched, a short class of why.
    outcome: str = "fetched"
    reason: str | None = None
    purpose: str = "page"  # page | robots | sitemap | feed
    elapsed_seconds: float = 0.0
    attempts: int = 1
    size: int = 0  # body bytes received
    etag: str | None = None
    last_modified: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status == 200

    @property
    def changed(self) -> bool:
        """New or changed content (or content an older extractor read): the pages to extract."""
        return self.error is None and self.outcome == "fetched" and self.content_hash is not None


# fetched: new or changed body; unchanged: 304 or same hash (or sitemap lastmod) -> not re-extracted;
# duplicate: redirected to a page this crawl already has; robots: robots.txt disallows it;
# out_of_scope: other host/path/scheme or a non-public address; failed: see `reason`.
FETCH_OUTCOMES: tuple[str, ...] = ("fetched", "unchanged", "duplicate", "robots", "out_of_scope", "failed")


@dataclass(frozen=True)
class PreviousFetch:
    """What the last good fetch of a URL left behind: validators for a conditional GET."""

    url: str
    final_url: str
    content_hash: str
    etag: str | None
    last_modified: str | None
    checked_at: datetime
    extracted: bool = True  # False: the warehouse holds an older extractor's reading of this content
    content_fetched_at: datetime | None = None  # when this content was first fetched (its year context)


def to_jsonable(value: Any) -> Any:
    """Turn records into JSON-ready structures: ISO dates, HH:MM times, lists for tuples."""
    if hasattr(value, "__dataclass_fields__"):
        return {k: to_jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, bytes):
        return None
    return value
