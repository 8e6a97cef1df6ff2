"""The catalogue's web pages: index.html and one page per municipality, static files only.

Jinja2 with autoescaping renders every scraped string escaped. The pages
work without a server and without JavaScript (all meetings listed, upcoming
first as of the data's date); the small script then sorts by the reader's own
date and adds filters by municipality, topic and date.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from dateutil.rrule import MONTHLY, rrule
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from tasks.records import ACTIVITIES
from warehouse.catalogue.config import CatalogueConfig
from warehouse.catalogue.coverage import coverage_view
from warehouse.catalogue.events import events_document, script_json
from warehouse.catalogue.labels import ACTIVITY_EN, ACTIVITY_SV, channel_label
from warehouse.catalogue.rows import (
    STOCKHOLM,
    Snapshot,
    is_dialogue_activity,
    municipality_calendar,
    municipality_page,
)
from warehouse.catalogue.schema import TABLES

Row = dict[str, Any]
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
STATIC_FILES = ("catalogue.css", "catalogue.js", "favicon.svg")
STATUS_SV = {"scheduled": "Planerat", "cancelled": "Inställt", "postponed": "Uppskjutet"}
STATUS_EN = {"scheduled": "scheduled", "cancelled": "cancelled", "postponed": "postponed"}
ATTENDANCE_SV = {"in_person": "På plats", "online": "Digitalt", "hybrid": "På plats och digitalt"}
ATTENDANCE_EN = {"in_person": "in person", "online": "online", "hybrid": "hybrid"}
CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM = 720, 180, 20, 30
MIN_TICK_GAP = 50


@dataclass(frozen=True)
class TopicLabels:
    """Swedish and English labels of the topic vocabulary."""

    sv: Mapping[str, str]
    en: Mapping[str, str]

    def label(self, topic: str) -> str:
        return self.sv.get(topic, topic)


@dataclass(frozen=True)
class Download:
    label: str
    href: str
    size: int | None
    media_type: str


@cache
def _environment() -> Environment:
    """One template environment per process: compiling the page template costs ~0.1 s."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def human_size(size: int | None) -> str:
    """Swedish style: '850 byte', '2,1 kB', '1,3 MB' (decimal comma)."""
    if size is None:
        return ""
    if size < 1000:
        return f"{size} byte"
    for unit, factor in (("kB", 1000), ("MB", 1000**2), ("GB", 1000**3)):
        if size < factor * 1000 or unit == "GB":
            return f"{size / factor:.1f} {unit}".replace(".", ",")
    return f"{size} byte"


def display_time(iso_utc: str) -> str:
    """'2024-06-01T06:00:00Z' -> '2024-06-01 08:00' in Swedish time."""
    moment = datetime.fromisoformat(iso_utc).astimezone(STOCKHOLM)
    return moment.strftime("%Y-%m-%d %H:%M")


def count_text(count: int, one: str, many: str) -> str:
    """'1 möte', '6 möten'."""
    return f"{count} {one if count == 1 else many}"


def _when(meeting: Row) -> str:
    day = meeting.get("date") or (f"{meeting['month_day']} (år okänt)" if meeting.get("month_day") else "")
    clock = meeting.get("start") or ""
    if clock and meeting.get("end"):
        clock = f"{clock}–{meeting['end']}"
    return f"{day} {clock}".strip() or "Datum saknas"


def meeting_view(meeting: Row, topics: TopicLabels, as_of_day: str) -> dict[str, Any]:
    """What a table row shows; `upcoming` is relative to the data's day (the script redoes it)."""
    return {
        **meeting,
        "when": _when(meeting),
        "status_sv": STATUS_SV[meeting["status"]],
        "status_en": STATUS_EN[meeting["status"]],
        "attendance_sv": ATTENDANCE_SV.get(meeting.get("attendance") or "", ""),
        "attendance_en": ATTENDANCE_EN.get(meeting.get("attendance") or "", ""),
        "topic_labels": [(t, topics.label(t)) for t in meeting.get("topics") or []],
        "activity": meeting.get("activity") or "other",
        "activity_sv": ACTIVITY_SV.get(meeting.get("activity") or "other", ""),
        "activity_en": ACTIVITY_EN.get(meeting.get("activity") or "other", ""),
        "upcoming": bool(meeting.get("date")) and meeting["date"] >= as_of_day,
    }


def invitation_view(invitation: Row, topics: TopicLabels) -> dict[str, Any]:
    """What the invitations section shows: topic and sign-up channel labels."""
    return {
        **invitation,
        "topic_labels": [topics.label(t) for t in invitation.get("topics") or []],
        "channel_labels": [channel_label(c) for c in invitation.get("channels") or []],
    }


def split_meetings(views: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Upcoming first in date order; past ones newest first, undated last."""
    upcoming = [v for v in views if v["upcoming"]]
    past = [v for v in views if not v["upcoming"]]
    past.sort(key=lambda v: v.get("date") or "", reverse=True)
    past.sort(key=lambda v: not v.get("date"))
    return upcoming, past


def _months(first: date, last: date) -> list[str]:
    """'YYYY-MM' of every month from the first day's month to the last day's (dateutil's rrule)."""
    starts = rrule(MONTHLY, dtstart=first.replace(day=1), until=last)
    return [start.strftime("%Y-%m") for start in starts]


def activity_chart(meetings: Sequence[Row]) -> dict[str, Any]:
    """Bars of dated meetings per month from the first to the last month with a meeting.

    The page passes dialogue activity only (rows.is_dialogue_activity): committee sittings and
    information meetings are published and listed, but are not dialogue.
    """
    days = sorted(date.fromisoformat(m["date"]) for m in meetings if m.get("date"))
    if not days:
        return {"bars": [], "ticks": [], "max": 0, "rows": [], "width": CHART_WIDTH, "height": CHART_HEIGHT}
    counts = Counter(d.strftime("%Y-%m") for d in days)
    months = _months(days[0], days[-1])
    top = max(counts.values())
    slot = (CHART_WIDTH - 40) / len(months)
    plot = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    bars, ticks = [], []
    for index, month in enumerate(months):
        x = 40 + index * slot
        height = plot * counts.get(month, 0) / top
        bars.append(
            {
                "month": month,
                "count": counts.get(month, 0),
                "x": round(x + slot * 0.15, 2),
                "width": round(max(slot * 0.7, 1), 2),
                "y": round(CHART_TOP + plot - height, 2),
                "height": round(height, 2),
            }
        )
        if index == 0 or month.endswith("-01"):
            ticks.append({"x": round(x, 2), "label": month[:4] if month.endswith("-01") else month})
    if len(ticks) > 1 and ticks[1]["x"] - ticks[0]["x"] < MIN_TICK_GAP:
        ticks.pop(0)  # the first month's label would overlap the next year's
    rows = [(m, counts[m]) for m in months if counts.get(m)]
    return {
        "bars": bars,
        "ticks": ticks,
        "max": top,
        "rows": rows,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
    }


def downloads(sizes: Mapping[str, int], media_types: Mapping[str, str]) -> dict[str, list[Download]]:
    """Download links grouped for the page, each with its size."""

    def item(label: str, path: str) -> Download:
        return Download(label, path, sizes.get(path), media_types.get(path.rsplit(".", 1)[-1], ""))

    return {
        "calendars": [item("Alla möten (all meetings), iCalendar", "meetings.ics")],
        "linked": [
            item("DCAT-AP-SE katalog (catalogue), RDF/XML", "catalog.rdf"),
            item("DCAT-AP-SE katalog (catalogue), Turtle", "catalog.ttl"),
            item("Möten som schema.org Event (JSON-LD)", "events.jsonld"),
            item("Nya, ändrade och inställda möten (Atom feed)", "feed.atom"),
        ],
        "docs": [
            item("Datapaket (Frictionless data package)", "datapackage.json"),
            item("Databeskrivning (data dictionary)", "DATA-DICTIONARY.md"),
            item("Om datan (README: provenance, licence, privacy)", "README.md"),
            item("Versionshistorik (changelog)", "CHANGELOG.md"),
            item("Kontrollsummor (SHA-256 checksums)", "SHA256SUMS"),
        ],
    }


@dataclass(frozen=True)
class PageContext:
    """What every page needs besides its own meetings."""

    config: CatalogueConfig
    snapshot: Snapshot
    topics: TopicLabels
    updated_at: str
    release_id: str
    sizes: Mapping[str, int]
    media_types: Mapping[str, str]


def _page(context: PageContext, meetings: Sequence[Row], municipality: Row | None, root: str) -> bytes:
    """One page: the index (municipality None) or a municipality's, `root` leading back to the top."""
    views = [meeting_view(m, context.topics, context.updated_at[:10]) for m in meetings]
    upcoming, past = split_meetings(views)
    code = municipality["municipality_code"] if municipality else None
    summaries = [s for s in context.snapshot.summaries if code is None or s["municipality_code"] == code]
    items_by_summary: dict[str, list[Row]] = {}
    for item in context.snapshot.agenda_items:
        items_by_summary.setdefault(item["summary_id"], []).append(item)
    used_topics = sorted({t for m in meetings for t in m.get("topics") or []}, key=context.topics.label)
    invitations = [i for i in context.snapshot.invitations if code is None or i["municipality_code"] == code]
    used_activities = {m.get("activity") or "other" for m in meetings}
    template = _environment().get_template("page.html.j2")
    html = template.render(
        root=root,
        config=context.config,
        municipality=municipality,
        municipalities=context.snapshot.municipalities,
        upcoming=upcoming,
        past=past,
        meeting_count=len(meetings),
        summaries=summaries,
        items_by_summary=items_by_summary,
        topics=[(t, context.topics.label(t), context.topics.en.get(t, t)) for t in used_topics],
        chart=activity_chart([m for m in meetings if is_dialogue_activity(m)]),
        dialogue_count=sum(1 for m in meetings if is_dialogue_activity(m)),
        activities=[(a, ACTIVITY_SV[a], ACTIVITY_EN[a]) for a in ACTIVITIES if a in used_activities],
        invitations=[invitation_view(i, context.topics) for i in invitations],
        tables=_table_downloads(context),
        downloads=downloads(context.sizes, context.media_types),
        human_size=human_size,
        count_text=count_text,
        updated_at=context.updated_at,
        updated_display=display_time(context.updated_at),
        release_id=context.release_id,
        municipality_calendar_size=context.sizes.get(municipality_calendar(code)) if code else None,
        page_of=municipality_page,
        jsonld=script_json(events_document(meetings, context.config.base_url)),
        coverage=coverage_view(context.snapshot.coverage),
    )
    return html.encode("utf-8")


def _table_downloads(context: PageContext) -> list[dict[str, Any]]:
    rows = []
    for table in TABLES:
        formats = [("CSV", "csv"), ("Parquet", "parquet"), ("JSON Lines", "jsonl")]  # every table
        if table.name in ("meetings", "summaries"):
            formats.append(("JSON", "json"))
        rows.append(
            {
                "title_sv": table.title_sv,
                "title_en": table.title_en,
                "files": [
                    Download(
                        label,
                        f"{table.name}.{ext}",
                        context.sizes.get(f"{table.name}.{ext}"),
                        context.media_types.get(ext, ""),
                    )
                    for label, ext in formats
                ],
            }
        )
    return rows


def render_index(context: PageContext) -> bytes:
    """index.html: every municipality."""
    return _page(context, context.snapshot.meetings, None, "")


def render_municipality_page(context: PageContext, municipality: Row) -> bytes:
    """kommun/<code>/index.html: one municipality's meetings, summaries and calendar."""
    code = municipality["municipality_code"]
    meetings = [m for m in context.snapshot.meetings if m["municipality_code"] == code]
    return _page(context, meetings, municipality, "../../")


def static_files() -> dict[str, bytes]:
    """The stylesheet and script every page links to."""
    return {name: (STATIC / name).read_bytes() for name in STATIC_FILES}
