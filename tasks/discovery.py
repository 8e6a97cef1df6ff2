"""Finding pages in sitemaps, sitemap indexes and RSS/Atom feeds. Pure: bytes in, URLs out.

The XML comes from servers we do not control, so it is parsed without DTDs,
entity expansion or network access, and broken documents yield what can be
read rather than an exception.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import UTC, datetime, time
from urllib.parse import urljoin

from lxml import etree

# The sitemap protocol's own limit per file.
MAX_ENTRIES = 50_000


@dataclass(frozen=True)
class DiscoveredUrl:
    """A page a sitemap or feed names, with the time it says the page last changed."""

    url: str
    lastmod: datetime | None = None
    title: str | None = None  # what a feed calls the page (discovery ranks on it)


@dataclass(frozen=True)
class SitemapContent:
    """What one sitemap file holds: pages (urlset) or further sitemaps (sitemapindex)."""

    pages: tuple[DiscoveredUrl, ...] = ()
    sitemaps: tuple[DiscoveredUrl, ...] = ()


def _parse_xml(body: bytes) -> etree._Element | None:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
    )
    try:
        return etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return None


def _local(element: etree._Element) -> str:
    """The tag without its namespace ('{http://www.sitemaps.org/...}loc' -> 'loc')."""
    tag = element.tag
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _local(child) == name]


def _text(element: etree._Element, name: str) -> str | None:
    for child in _children(element, name):
        if child.text and child.text.strip():
            return child.text.strip()
    return None


def parse_lastmod(value: str | None) -> datetime | None:
    """A W3C datetime ('2024-06-01', '2024-06-01T10:00:00+02:00') or an RFC 822 date, as UTC.

    A bare date means 'some time that day', so it is read as the day's end: a
    page fetched on that same day is fetched again.
    """
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        if len(text) == 10:
            return datetime.combine(datetime.fromisoformat(text).date(), time.max, tzinfo=UTC)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_sitemap(body: bytes, base_url: str) -> SitemapContent:
    """Pages of a <urlset> or child sitemaps of a <sitemapindex>; nothing for anything else."""
    root = _parse_xml(body)
    if root is None or _local(root) not in ("urlset", "sitemapindex"):
        return SitemapContent()
    item = "url" if _local(root) == "urlset" else "sitemap"
    found: list[DiscoveredUrl] = []
    for entry in _children(root, item)[:MAX_ENTRIES]:
        loc = _text(entry, "loc")
        if loc:
            found.append(DiscoveredUrl(urljoin(base_url, loc), parse_lastmod(_text(entry, "lastmod"))))
    if item == "url":
        return SitemapContent(pages=tuple(found))
    return SitemapContent(sitemaps=tuple(found))


def _rss_items(channel: etree._Element, base_url: str) -> list[DiscoveredUrl]:
    found = []
    for item in _children(channel, "item"):
        link = _text(item, "link")
        if link:
            stamp = parse_lastmod(_text(item, "pubdate"))
            found.append(DiscoveredUrl(urljoin(base_url, link), stamp, _text(item, "title")))
    return found


def _atom_link(entry: etree._Element) -> str | None:
    """The entry's alternate link (the page), not its self or edit link."""
    for link in _children(entry, "link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href")
    return None


def parse_feed(body: bytes, base_url: str) -> list[DiscoveredUrl]:
    """Item links of an RSS 2.0 or Atom feed, with their publication or update times."""
    root = _parse_xml(body)
    if root is None:
        return []
    if _local(root) == "rss":
        return [u for channel in _children(root, "channel") for u in _rss_items(channel, base_url)][
            :MAX_ENTRIES
        ]
    if _local(root) == "rdf":  # RSS 1.0 keeps items beside the channel
        return _rss_items(root, base_url)[:MAX_ENTRIES]
    if _local(root) != "feed":
        return []
    found = []
    for entry in _children(root, "entry")[:MAX_ENTRIES]:
        href = _atom_link(entry)
        if href:
            stamp = _text(entry, "updated") or _text(entry, "published")
            found.append(DiscoveredUrl(urljoin(base_url, href), parse_lastmod(stamp), _text(entry, "title")))
    return found
