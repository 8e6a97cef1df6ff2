"""The test oracle for tasks/extract/document.py: a page read with BeautifulSoup over the whole page.

This is how build_document read every page before the whole-page reads moved
to lxml's tree: BeautifulSoup parses the page, soupsieve finds the profile's
selectors, and every reader walks that one tree. The production reader must
give the same Document; tests/test_page_tree.py compares them page by page.
The text walk (`blocks_from`) and the Document shape are production's own:
they read a BeautifulSoup tree in both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from bs4 import BeautifulSoup, Tag

from tasks.extract import document as production
from tasks.extract.document import Document, blocks_from, normalize_space
from tasks.extract.structured import _is_event, _walk_json, read_microdata_item, to_structured_event
from tasks.extract.tree import parse_html
from tasks.extract.vocabulary import Profile


def select_all(soup: BeautifulSoup | Tag, selectors: Sequence[str]) -> list[Tag]:
    found: list[Tag] = []
    for selector in selectors:
        found.extend(t for t in soup.select(selector) if all(t is not f for f in found))
    order = {id(t): n for n, t in enumerate(soup.find_all(True))}
    return sorted(found, key=lambda t: order[id(t)])


def select_first(soup: BeautifulSoup | Tag, selectors: Sequence[str]) -> list[Tag]:
    for selector in selectors:
        if found := select_all(soup, [selector]):
            return found
    return []


def read_meta(soup: BeautifulSoup) -> dict[str, str]:
    meta: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = tag.get("name") or tag.get("property") or tag.get("itemprop")
        content = tag.get("content")
        if isinstance(key, str) and isinstance(content, str):
            meta.setdefault(key.strip(), content.strip())
    return meta


def read_title(soup: BeautifulSoup, profile: Profile) -> str | None:
    for selector in profile.title:
        for tag in select_first(soup, (selector,)):
            text = normalize_space(str(tag.get("content") or "")) if tag.name == "meta" else tag.get_text(" ")
            text = normalize_space(text)
            if tag.name == "title":
                text = re.split(r"\s[|–-]\s", text)[0].strip()
            if text:
                return text
    return None


def read_events(soup: BeautifulSoup) -> tuple[Any, ...]:
    nodes: list[dict[str, Any]] = []
    for script in soup.find_all("script", attrs={"type": re.compile("ld\\+json", re.IGNORECASE)}):
        try:
            data = json.loads(script.string or "")
        except (json.JSONDecodeError, TypeError):
            continue
        nodes.extend(node for node in _walk_json(data) if _is_event(node))
    scopes = soup.find_all(attrs={"itemscope": True, "itemtype": re.compile("Event", re.IGNORECASE)})
    nodes.extend(read_microdata_item(s) for s in scopes if not s.find_parent(attrs={"itemscope": True}))
    events: list[Any] = []
    for node in nodes:
        event = to_structured_event(node)
        if event is not None and event not in events:
            events.append(event)
    return tuple(events)


def densest_container(root: Tag) -> Tag:
    scores: dict[int, float] = {}
    elements: dict[int, Tag] = {}
    for paragraph in root.find_all("p"):
        length = len(normalize_space(paragraph.get_text(" ")))
        if length < production.PARAGRAPH_MIN_CHARS:
            continue
        for share, ancestor in ((1.0, paragraph.parent), (0.5, getattr(paragraph.parent, "parent", None))):
            if isinstance(ancestor, Tag):
                scores[id(ancestor)] = scores.get(id(ancestor), 0.0) + share * length
                elements[id(ancestor)] = ancestor
    return elements[max(scores, key=scores.__getitem__)] if scores else root


def content_roots(soup: BeautifulSoup, profile: Profile, fallback: Profile) -> list[Tag]:
    roots = select_first(soup, profile.content) or select_first(soup, fallback.content)
    outermost = [r for r in roots if not any(p is r2 for p in r.parents for r2 in roots)]
    if not outermost or [r.name for r in outermost] == ["body"]:
        return [densest_container(soup.body or soup)]
    return outermost


def in_aside(tag: Tag) -> bool:
    for node in (tag, *tag.parents):
        if node.name == "aside":
            return True
        marks = " ".join([*(node.get("class") or []), str(node.get("id") or "")])
        if marks and re.search(r"side|aside|related|relaterat|widget|puff|kringinfo", marks, re.IGNORECASE):
            return True
    return False


def is_teaser(container: Tag) -> bool:
    if container.find("a") is None:
        return False
    text = normalize_space(container.get_text(" "))
    if len(text) > production.TEASER_MAX_CHARS:
        return False
    if production._TEASER_DATE.search(text) is None and container.find("time") is None:
        return False
    if container.find("ul") is not None or in_aside(container):
        return False
    return any(
        len(normalize_space(p.get_text(" "))) >= production.TEASER_EXCERPT_CHARS
        for p in container.find_all("p")
    )


def count_teasers(soup: BeautifulSoup | Tag) -> int:
    containers: list[Tag] = list(soup.find_all(("li", "article")))
    containers += [
        h.parent for h in soup.find_all(("h2", "h3", "h4")) if h.find("a") is not None and h.parent
    ]
    teasers: list[Tag] = []
    for container in containers:
        if all(container is not t for t in teasers) and is_teaser(container):
            teasers.append(container)
    inside = {id(p) for t in teasers for p in t.find_all("p")}
    prose = sum(
        1
        for p in soup.find_all("p")
        if id(p) not in inside and len(normalize_space(p.get_text(" "))) >= production.PROSE_PARAGRAPH_CHARS
    )
    return len(teasers) if len(teasers) > prose else 0


def build_document(html: str, url: str, profile: Profile, fallback: Profile) -> Document:
    """Read a page as build_document did with one BeautifulSoup tree of the whole page."""
    soup = parse_html(html)
    meta = read_meta(soup)
    stamped = [t for t in soup.find_all("time") if t.get("datetime")]
    stamped.sort(key=lambda t: "published" not in (t.get("class") or []))
    times = tuple(str(t["datetime"]) for t in stamped)
    is_stamped = times or any(k.lower() in {m.lower() for m in profile.published_meta} for k in meta)
    page_lines = (
        ()
        if is_stamped
        else tuple(
            b.text for b in blocks_from([soup.body or soup]) if len(b.text) <= production.PAGE_LINE_MAX_CHARS
        )
    )
    events = read_events(soup)
    title = read_title(soup, profile) or read_title(soup, fallback)
    for tag in select_all(soup, profile.drop):
        if not tag.decomposed:
            tag.decompose()
    teasers = count_teasers(soup.body or soup)
    used_fallback = profile is not fallback and not select_first(soup, profile.content)
    blocks = blocks_from(content_roots(soup, profile, fallback))
    if title:
        blocks = [b for b in blocks if not (b.tag == "h1" and b.text == title)]
    return Document(
        url=url,
        title=title or production._title_from_url(url),
        blocks=tuple(blocks),
        meta=meta,
        time_datetimes=times,
        page_lines=page_lines,
        teasers=teasers,
        used_fallback=used_fallback,
        events=events,
    )
