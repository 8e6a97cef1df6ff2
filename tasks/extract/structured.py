"""schema.org Events from JSON-LD and microdata: when a page states them, they beat prose.

Both are read into plain dicts shaped like JSON-LD, then turned into one
`StructuredEvent` form that the page extractor merges with what the text says.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from bs4 import Tag
from lxml import etree

from tasks.extract.tree import parse_html, soup_of

_STATUS = {"eventcancelled": "cancelled", "eventpostponed": "postponed", "eventrescheduled": "scheduled"}
_ATTENDANCE = {
    "offlineeventattendancemode": "in_person",
    "onlineeventattendancemode": "online",
    "mixedeventattendancemode": "hybrid",
}


@dataclass(frozen=True)
class StructuredEvent:
    """An event as the page's own metadata states it."""

    name: str | None
    day: date
    start: time | None
    end: time | None
    place: str | None
    address: str | None
    status: str | None
    attendance: str | None


def _is_event(node: dict[str, Any]) -> bool:
    kinds = node.get("@type") or node.get("type") or []
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(str(k).rsplit("/", 1)[-1].endswith("Event") for k in kinds)


def _walk_json(value: Any) -> list[dict[str, Any]]:
    """Every dict in a JSON-LD document (through @graph and nested lists)."""
    found: list[dict[str, Any]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


_JSONLD = re.compile("ld\\+json", re.IGNORECASE)
_EVENT_TYPE = re.compile("Event", re.IGNORECASE)
_TOP_SCOPES = etree.XPath("//*[@itemscope and @itemtype and not(ancestor::*[@itemscope])]")


def read_jsonld(root: etree._Element) -> list[dict[str, Any]]:
    """Event nodes from <script type="application/ld+json"> blocks; broken JSON is skipped."""
    events = []
    for script in root.iter("script"):
        if not _JSONLD.search(script.get("type") or ""):
            continue
        try:
            data = json.loads(script.text or "")
        except (json.JSONDecodeError, TypeError):
            continue
        events.extend(node for node in _walk_json(data) if _is_event(node))
    return events


def _microdata_value(tag: Tag) -> Any:
    if tag.has_attr("itemscope"):
        return read_microdata_item(tag)
    for attribute in ("content", "datetime"):
        if tag.has_attr(attribute):
            return str(tag[attribute])
    return " ".join(tag.get_text(" ").split())


def read_microdata_item(scope: Tag) -> dict[str, Any]:
    """One itemscope as a JSON-LD-like dict (nested itemscopes become nested dicts)."""
    item: dict[str, Any] = {"@type": str(scope.get("itemtype", ""))}
    for prop in scope.find_all(attrs={"itemprop": True}):
        owner = prop.find_parent(attrs={"itemscope": True})
        if owner is not scope:
            continue
        item.setdefault(str(prop["itemprop"]), _microdata_value(prop))
    return item


def read_microdata(root: etree._Element, html: str) -> list[dict[str, Any]]:
    """Event itemscopes (not nested in another scope), each read by BeautifulSoup over its own subtree.

    Should a scope not read back alone, the whole page is parsed once, as before.
    """
    scopes = [
        element
        for element in _TOP_SCOPES(root)
        if isinstance(element, etree._Element) and _EVENT_TYPE.search(element.get("itemtype") or "")
    ]
    tags = [soup_of(scope) for scope in scopes]
    if all(tag is not None for tag in tags):
        return [read_microdata_item(tag) for tag in tags if tag is not None]
    soup = parse_html(html)
    found = soup.find_all(attrs={"itemscope": True, "itemtype": _EVENT_TYPE})
    return [read_microdata_item(s) for s in found if not s.find_parent(attrs={"itemscope": True})]


def _parse_when(value: Any) -> tuple[date | None, time | None]:
    text = str(value or "").strip()
    try:
        if "T" in text:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return moment.date(), moment.time().replace(tzinfo=None, second=0, microsecond=0)
        return date.fromisoformat(text[:10]), None
    except ValueError:
        return None, None


def _text(value: Any) -> str | None:
    if isinstance(value, dict):
        return _text(value.get("name"))
    if isinstance(value, list):
        return _text(value[0]) if value else None
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def _address(location: Any) -> str | None:
    if not isinstance(location, dict):
        return None
    address = location.get("address")
    if isinstance(address, dict):
        parts = [_text(address.get(k)) for k in ("streetAddress", "addressLocality")]
        return ", ".join(p for p in parts if p) or None
    return _text(address)


def _enum(value: Any, table: dict[str, str]) -> str | None:
    key = str(value or "").rsplit("/", 1)[-1].casefold()
    return table.get(key)


def to_structured_event(node: dict[str, Any]) -> StructuredEvent | None:
    """A schema.org Event dict as a StructuredEvent; None without a usable start date."""
    day, start = _parse_when(node.get("startDate"))
    if day is None:
        return None
    end_day, end = _parse_when(node.get("endDate"))
    location = node.get("location")
    if isinstance(location, list):
        location = next(
            (x for x in location if isinstance(x, dict) and "Virtual" not in str(x.get("@type"))), None
        )
    virtual = isinstance(location, dict) and "Virtual" in str(location.get("@type", ""))
    return StructuredEvent(
        name=_text(node.get("name")),
        day=day,
        start=start,
        end=end if end_day in (None, day) else None,
        place=None if virtual else _text(location),
        address=None if virtual else _address(location),
        status=_enum(node.get("eventStatus"), _STATUS),
        attendance=_enum(node.get("eventAttendanceMode"), _ATTENDANCE) or ("online" if virtual else None),
    )


def read_structured_events(root: etree._Element, html: str) -> tuple[StructuredEvent, ...]:
    """All schema.org Events a page declares (its tree and its HTML), JSON-LD first, then microdata."""
    events = []
    for node in (*read_jsonld(root), *read_microdata(root, html)):
        event = to_structured_event(node)
        if event is not None and event not in events:
            events.append(event)
    return tuple(events)
