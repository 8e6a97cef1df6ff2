"""HTML to a flat, ordered list of text blocks with their section headings.

Every later step reads `Document.blocks`, never the HTML, so CMS differences
end here. The CMS profile says where the main text is and what to drop.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, NavigableString, PageElement, Tag

from tasks.extract.lean import lean_html
from tasks.extract.selectors import select_all, select_first_match
from tasks.extract.structured import StructuredEvent, read_structured_events
from tasks.extract.vocabulary import Profile

HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
BLOCK_TAGS = (
    *HEADING_TAGS,
    "p",
    "li",
    "dt",
    "dd",
    "tr",
    "blockquote",
    "figcaption",
    "pre",
    "address",
    "div",
    "section",
)
_SPACES = re.compile(r"\s+")
# A page with this many linked teasers is a listing, not an article.
LISTING_MIN_TEASERS = 3
# Shorter paragraphs (captions, buttons) say nothing about where the article is.
PARAGRAPH_MIN_CHARS = 40
# Lines longer than this are prose, not a 'Publicerad 9 maj 2024' stamp.
PAGE_LINE_MAX_CHARS = 120


@dataclass(frozen=True)
class Block:
    """One paragraph, list item or heading of the main text."""

    tag: str
    text: str
    headings: tuple[str, ...] = ()

    @property
    def is_heading(self) -> bool:
        return self.tag in HEADING_TAGS


@dataclass(frozen=True)
class Document:
    """A page reduced to what extraction reads."""

    url: str
    title: str | None
    blocks: tuple[Block, ...]
    meta: dict[str, str] = field(default_factory=dict)
    time_datetimes: tuple[str, ...] = ()
    page_lines: tuple[str, ...] = ()
    teasers: int = 0
    used_fallback: bool = False
    events: tuple[StructuredEvent, ...] = ()

    @property
    def is_listing(self) -> bool:
        """A news list or archive: its dates belong to the pages it links to."""
        return self.teasers >= LISTING_MIN_TEASERS

    @property
    def text(self) -> str:
        return "\n".join(b.text for b in self.blocks)


def normalize_space(text: str) -> str:
    """Collapse runs of white space (including non-breaking spaces) to one space."""
    return _SPACES.sub(" ", text.replace("\xa0", " ")).strip()


def parse_html(html: str | bytes) -> BeautifulSoup:
    """Parse leniently with lxml; never raises on odd input."""
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    html = html.replace("\x00", "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(html, "lxml")


def parse_for_profile(html: str | bytes, profile: Profile, fallback: Profile) -> BeautifulSoup:
    """The page's tree without the chrome the profile drops unread (see tasks/extract/lean.py)."""
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    html = html.replace("\x00", "")
    lean = lean_html(html, profile.drop, (*profile.title, *fallback.title))
    return parse_html(lean if lean is not None else html)


def read_meta(soup: BeautifulSoup) -> dict[str, str]:
    """Collect <meta name|property=... content=...> into one dict (first wins)."""
    meta: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = tag.get("name") or tag.get("property") or tag.get("itemprop")
        content = tag.get("content")
        if isinstance(key, str) and isinstance(content, str):
            meta.setdefault(key.strip(), content.strip())
    return meta


def _select_first(soup: BeautifulSoup, selectors: tuple[str, ...]) -> list[Tag]:
    return select_first_match(soup, selectors)


def read_title(soup: BeautifulSoup, profile: Profile) -> str | None:
    """The page title by the profile's selectors; <title> loses its site suffix."""
    for selector in profile.title:
        for tag in _select_first(soup, (selector,)):
            if tag.name == "meta":
                text = normalize_space(str(tag.get("content") or ""))
            else:
                text = normalize_space(tag.get_text(" "))
            if tag.name == "title":
                text = re.split(r"\s[|–-]\s", text)[0].strip()
            if text:
                return text
    return None


def _drop_unwanted(soup: BeautifulSoup, profile: Profile) -> None:
    """Remove navigation, footers, banners and forms named by the profile."""
    for tag in select_all(soup, profile.drop):
        if not tag.decomposed:
            tag.decompose()


# Marks where a table cell starts inside a row's collected text.
CELL_MARK = "\x1f"
SKIPPED_TAGS = ("script", "style", "noscript", "template", "svg")


class _Walker:
    """One linear pass over a tree that emits leaf-level text blocks in document order.

    BeautifulSoup's find()/get_text() per element is quadratic on deep trees;
    this walk visits each node once, with an explicit stack (no recursion).
    """

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.headings: list[tuple[int, str]] = []
        self.table_header: list[str] = []

    def _emit_row(self, row: Tag, parts: list[str]) -> None:
        """A table row as one line; under a header row each cell reads 'Header: value'."""
        cells = [normalize_space(c) for c in "".join(parts).split(CELL_MARK)[1:]]
        parts.clear()
        if not any(cells):
            return
        if row.find("td", recursive=False) is None:
            self.table_header = cells
            self.blocks.append(Block("tr", " | ".join(cells), tuple(t for _, t in self.headings)))
            return
        if len(self.table_header) == len(cells):
            cells = [f"{h}: {c}" if h and c else c for h, c in zip(self.table_header, cells, strict=True)]
        context = tuple(t for _, t in self.headings)
        self.blocks.append(Block("tr", " | ".join(c for c in cells if c), context))

    def _emit(self, tag_name: str, parts: list[str]) -> None:
        lines = [line for line in (normalize_space(x) for x in "".join(parts).split("\n")) if line]
        parts.clear()
        if not lines:
            return
        if tag_name in HEADING_TAGS:
            level = int(tag_name[1])
            self.headings = [(lvl, txt) for lvl, txt in self.headings if lvl < level]
            text = " ".join(lines)
            self.blocks.append(Block(tag_name, text, tuple(t for _, t in self.headings)))
            self.headings.append((level, text))
            return
        context = tuple(t for _, t in self.headings)
        self.blocks.extend(Block(tag_name, line, context) for line in lines)

    def walk(self, root: Tag) -> None:
        # Each frame: the tag, an iterator over its children, its pending text.
        frames: list[tuple[Tag, Iterator[PageElement], list[str]]] = [(root, iter(root.contents), [])]
        while frames:
            tag, children, parts = frames[-1]
            child = next(children, None)
            if child is None:
                frames.pop()
                if tag.name == "tr":
                    self._emit_row(tag, parts)
                elif tag.name == "table":
                    self.table_header = []
                    if frames:
                        frames[-1][2].extend(parts)
                elif tag.name in BLOCK_TAGS or not frames:
                    self._emit(tag.name if tag.name in BLOCK_TAGS else "div", parts)
                else:
                    frames[-1][2].extend(parts)
                continue
            if isinstance(child, Tag):
                if child.name in SKIPPED_TAGS:
                    continue
                if child.name == "br":
                    parts.append("\n")
                    continue
                if child.name in ("td", "th"):
                    parts.append(CELL_MARK)
                if child.name in BLOCK_TAGS:
                    self._flush_enclosing_block(frames)
                frames.append((child, iter(child.contents), []))
            elif type(child) is NavigableString:
                parts.append(str(child))

    def _flush_enclosing_block(self, frames: list[tuple[Tag, Iterator[PageElement], list[str]]]) -> None:
        """Text before a nested block belongs to the enclosing block: emit it first, in order."""
        pending: list[str] = []
        for tag, _children, parts in reversed(frames):
            pending[:0] = parts
            parts.clear()
            if tag.name in BLOCK_TAGS:
                self._emit(tag.name, pending)
                return
        self._emit("div", pending)


def blocks_from(roots: list[Tag]) -> list[Block]:
    """Text blocks of the given elements in document order, each with its heading path."""
    walker = _Walker()
    for root in roots:
        walker.walk(root)
    return walker.blocks


def densest_container(root: Tag) -> Tag:
    """The element holding most paragraph text: the article of a page without semantic markup.

    Each <p> gives its text length to its parent and half to its grandparent,
    so menus (links in list items) lose to the container of the prose.
    """
    scores: dict[int, float] = {}
    elements: dict[int, Tag] = {}
    for paragraph in root.find_all("p"):
        length = len(normalize_space(paragraph.get_text(" ")))
        if length < PARAGRAPH_MIN_CHARS:
            continue
        for share, ancestor in zip(
            (1.0, 0.5), (paragraph.parent, getattr(paragraph.parent, "parent", None)), strict=True
        ):
            if isinstance(ancestor, Tag):
                scores[id(ancestor)] = scores.get(id(ancestor), 0.0) + share * length
                elements[id(ancestor)] = ancestor
    if not scores:
        return root
    return elements[max(scores, key=scores.__getitem__)]


def content_roots(soup: BeautifulSoup, profile: Profile, fallback: Profile) -> list[Tag]:
    """The main-text elements: the profile's first matching selector, else the fallback's.

    When nothing more specific than <body> matches, the densest text container is used.
    """
    roots = _select_first(soup, profile.content) or _select_first(soup, fallback.content)
    outermost = [r for r in roots if not any(p in roots for p in r.parents)]
    if not outermost or [r.name for r in outermost] == ["body"]:
        body = soup.body or soup
        return [densest_container(body)]
    return outermost


_TEASER_DATE = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}\s+(?:jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec)[a-zé]*\.?(?:\s+\d{4})?)\b",
    re.IGNORECASE,
)
# A teaser's excerpt is at least this long; menu entries and file links are shorter.
TEASER_EXCERPT_CHARS = 40
# Longer containers are articles or sections, not teasers.
TEASER_MAX_CHARS = 600


# Boxes beside the article ('sidebar', 'puff', 'relaterat'): their teasers do not make a listing.
_ASIDE = re.compile(r"side|aside|related|relaterat|widget|puff|kringinfo", re.IGNORECASE)


def _in_aside(tag: Tag) -> bool:
    for node in (tag, *tag.parents):
        if not isinstance(node, Tag):
            continue
        if node.name == "aside":
            return True
        marks = " ".join([*(node.get("class") or []), str(node.get("id") or "")])
        if marks and _ASIDE.search(marks):
            return True
    return False


def _is_teaser(container: Tag) -> bool:
    """A link, a date and a short excerpt, and no nested menu: one entry of a news list.

    The cheap tests come first: most containers are menu items, which have no
    date, so the walks over descendants and ancestors are left for the few that do.
    """
    if container.find("a") is None:
        return False
    text = normalize_space(container.get_text(" "))
    if len(text) > TEASER_MAX_CHARS:
        return False
    if _TEASER_DATE.search(text) is None and container.find("time") is None:
        return False
    if container.find("ul") is not None or _in_aside(container):
        return False
    return any(len(normalize_space(p.get_text(" "))) >= TEASER_EXCERPT_CHARS for p in container.find_all("p"))


# Paragraphs at least this long are an article's prose, not a teaser's excerpt.
PROSE_PARAGRAPH_CHARS = 150


def count_teasers(soup: BeautifulSoup | Tag) -> int:
    """News-list entries on the page, when they outnumber its prose paragraphs (else 0).

    Entries are list items, cards or blocks under a linked heading with a link, a
    date and an excerpt; an article with a sidebar of news teasers stays an article.
    """
    containers: list[Tag] = list(soup.find_all(("li", "article")))
    for heading in soup.find_all(("h2", "h3", "h4")):
        if heading.find("a") is not None and isinstance(heading.parent, Tag):
            containers.append(heading.parent)
    teasers: list[Tag] = []
    for container in containers:
        if all(container is not t for t in teasers) and _is_teaser(container):
            teasers.append(container)
    inside = {id(p) for t in teasers for p in t.find_all("p")}
    prose = sum(
        1
        for p in soup.find_all("p")
        if id(p) not in inside and len(normalize_space(p.get_text(" "))) >= PROSE_PARAGRAPH_CHARS
    )
    return len(teasers) if len(teasers) > prose else 0


def _published_times(soup: BeautifulSoup) -> tuple[str, ...]:
    """<time datetime> values, those marked 'published' first."""
    stamped = [t for t in soup.find_all("time") if t.get("datetime")]
    stamped.sort(key=lambda t: "published" not in (t.get("class") or []))
    return tuple(str(t["datetime"]) for t in stamped)


def _page_lines(soup: BeautifulSoup) -> tuple[str, ...]:
    """Short lines of the whole page (before dropping), for 'Publicerad ...' lines."""
    root = soup.body or soup
    return tuple(b.text for b in blocks_from([root]) if len(b.text) <= PAGE_LINE_MAX_CHARS)


def build_document(html: str | bytes, url: str, profile: Profile, fallback: Profile) -> Document:
    """Read a page into a Document using a CMS profile (and generic as fallback)."""
    soup = parse_for_profile(html, profile, fallback)
    meta = read_meta(soup)
    times = _published_times(soup)
    events = read_structured_events(soup)
    stamped = times or any(k.lower() in {m.lower() for m in profile.published_meta} for k in meta)
    page_lines = () if stamped else _page_lines(soup)
    title = read_title(soup, profile) or read_title(soup, fallback)
    _drop_unwanted(soup, profile)
    teasers = count_teasers(soup.body or soup)
    used_fallback = profile is not fallback and not _select_first(soup, profile.content)
    blocks = blocks_from(content_roots(soup, profile, fallback))
    if title:
        blocks = [b for b in blocks if not (b.tag == "h1" and b.text == title)]
    return Document(
        url=url,
        title=title or _title_from_url(url),
        blocks=tuple(blocks),
        meta=meta,
        time_datetimes=times,
        page_lines=page_lines,
        teasers=teasers,
        used_fallback=used_fallback,
        events=events,
    )


def _title_from_url(url: str) -> str | None:
    path = urlsplit(url).path.rstrip("/")
    slug = path.rsplit("/", 1)[-1] if path else ""
    slug = re.sub(r"\.\d+\.html$|\.html?$", "", slug)
    return slug.replace("-", " ").strip().capitalize() or None
