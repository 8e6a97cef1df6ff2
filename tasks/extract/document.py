"""HTML to a flat, ordered list of text blocks with their section headings.

Every later step reads `Document.blocks`, never the HTML, so CMS differences
end here. The CMS profile says where the main text is and what to drop.

The whole page is read on lxml's tree (tasks/extract/tree.py): metadata, title,
dates, what the profile drops, news-list teasers and where the article is.
BeautifulSoup is then built over the article only, and its text walk gives the
blocks. Both trees come from the same parser, so every reader sees what it
saw when BeautifulSoup parsed the whole page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bs4 import NavigableString, Tag
from lxml import etree

from tasks.extract import tree
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
    too_deep: bool = False

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


def read_meta(root: etree._Element) -> dict[str, str]:
    """Collect <meta name|property=... content=...> into one dict (first wins)."""
    meta: dict[str, str] = {}
    for tag in root.iter("meta"):
        key = tag.get("name") or tag.get("property") or tag.get("itemprop")
        content = tag.get("content")
        if key is not None and content is not None:
            meta.setdefault(key.strip(), content.strip())
    return meta


def read_title(root: etree._Element, profile: Profile) -> str | None:
    """The page title by the profile's selectors; <title> loses its site suffix."""
    for selector in profile.title:
        for element in tree.select_all(root, [selector]):
            if element.tag == "meta":
                text = normalize_space(element.get("content") or "")
            else:
                text = normalize_space(tree.text_of(element))
            if element.tag == "title":
                text = re.split(r"\s[|–-]\s", text)[0].strip()
            if text:
                return text
    return None


def _drop_unwanted(root: etree._Element, profile: Profile) -> None:
    """Remove navigation, footers, banners and forms named by the profile."""
    removed: set[etree._Element] = set()
    for element in tree.select_all(root, profile.drop):
        if removed.isdisjoint(element.iterancestors()):
            tree.remove(element)
            removed.add(element)


# Marks where a table cell starts inside a row's collected text.
CELL_MARK = "\x1f"
SKIPPED_TAGS = ("script", "style", "noscript", "template", "svg")

# A node of either tree, and how to read it: its tag name, and its children and own text in order.
Node = Any
NameOf = Callable[[Node], str]
ChildrenOf = Callable[[Node], Iterable[Node]]


def _soup_name(tag: Tag) -> str:
    return tag.name


def _soup_children(tag: Tag) -> Iterable[Node]:
    """Child tags and plain strings (not comments, scripts or ruby text), in order."""
    for child in tag.contents:
        if isinstance(child, Tag) or type(child) is NavigableString:
            yield child


def _element_name(element: etree._Element) -> str:
    return element.tag


class _Walker:
    """One linear pass over a tree that emits leaf-level text blocks in document order.

    It reads BeautifulSoup's tree of the article, or lxml's tree of the whole
    page for its 'Publicerad ...' lines, through two functions: a node's name
    and its children (strings are `str`). It visits each node once, with an
    explicit stack (no recursion), as deep trees would otherwise overflow.
    """

    def __init__(self, name: NameOf, children: ChildrenOf) -> None:
        self.name = name
        self.children = children
        self.blocks: list[Block] = []
        self.headings: list[tuple[int, str]] = []
        self.table_header: list[str] = []

    def _emit_row(self, row: Node, parts: list[str]) -> None:
        """A table row as one line; under a header row each cell reads 'Header: value'."""
        cells = [normalize_space(c) for c in "".join(parts).split(CELL_MARK)[1:]]
        parts.clear()
        if not any(cells):
            return
        if not any(not isinstance(c, str) and self.name(c) == "td" for c in self.children(row)):
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

    def walk(self, root: Node) -> None:
        # Each frame: the node's name, an iterator over its children, its pending text.
        frames = [(self.name(root), root, iter(self.children(root)), [])]
        while frames:
            name, node, children, parts = frames[-1]
            child = next(children, None)
            if child is None:
                frames.pop()
                self._close(name, node, parts, frames)
                continue
            if isinstance(child, str):
                parts.append(str(child))
                continue
            child_name = self.name(child)
            if child_name in SKIPPED_TAGS:
                continue
            if child_name == "br":
                parts.append("\n")
                continue
            if child_name in ("td", "th"):
                parts.append(CELL_MARK)
            if child_name in BLOCK_TAGS:
                self._flush_enclosing_block(frames)
            frames.append((child_name, child, iter(self.children(child)), []))

    def _close(self, name: str, node: Node, parts: list[str], frames: list[Any]) -> None:
        """A node's children are done: emit its text, or hand it to the enclosing node."""
        if name == "tr":
            self._emit_row(node, parts)
        elif name == "table":
            self.table_header = []
            if frames:
                frames[-1][3].extend(parts)
        elif name in BLOCK_TAGS or not frames:
            self._emit(name if name in BLOCK_TAGS else "div", parts)
        else:
            frames[-1][3].extend(parts)

    def _flush_enclosing_block(self, frames: list[Any]) -> None:
        """Text before a nested block belongs to the enclosing block: emit it first, in order."""
        pending: list[str] = []
        for name, _node, _children, parts in reversed(frames):
            pending[:0] = parts
            parts.clear()
            if name in BLOCK_TAGS:
                self._emit(name, pending)
                return
        self._emit("div", pending)


def blocks_from(roots: list[Tag]) -> list[Block]:
    """Text blocks of BeautifulSoup elements in document order, each with its heading path."""
    walker = _Walker(_soup_name, _soup_children)
    for root in roots:
        walker.walk(root)
    return walker.blocks


def blocks_of_elements(roots: list[etree._Element]) -> list[Block]:
    """Text blocks of lxml elements, read exactly as `blocks_from` reads their BeautifulSoup twins."""
    muted = tree.muted_elements(roots[0].getroottree().getroot()) if roots else frozenset()
    walker = _Walker(_element_name, lambda element: tree.iter_strings_and_children(element, muted))
    for root in roots:
        walker.walk(root)
    return walker.blocks


def article_blocks(roots: list[etree._Element]) -> list[Block]:
    """The article's blocks: BeautifulSoup is built over each content element (not the page) and walked."""
    soups = [tree.soup_of(root) for root in roots]
    if all(soup is not None for soup in soups):
        return blocks_from([soup for soup in soups if soup is not None])
    return blocks_of_elements(roots)  # an element that does not read back alone: walk lxml's, the same way


def densest_container(root: etree._Element) -> etree._Element:
    """The element holding most paragraph text: the article of a page without semantic markup.

    Each <p> gives its text length to its parent and half to its grandparent,
    so menus (links in list items) lose to the container of the prose.
    """
    scores: dict[etree._Element, float] = {}
    for paragraph in root.iterdescendants("p"):
        length = len(normalize_space(tree.text_of(paragraph)))
        if length < PARAGRAPH_MIN_CHARS:
            continue
        parent = paragraph.getparent()
        grandparent = parent.getparent() if parent is not None else None
        for share, ancestor in ((1.0, parent), (0.5, grandparent)):
            if ancestor is not None:
                scores[ancestor] = scores.get(ancestor, 0.0) + share * length
    if not scores:
        return root
    return max(scores, key=scores.__getitem__)


def _body(root: etree._Element) -> etree._Element:
    """<body>, or the whole page when it has none."""
    body = root.find("body")
    return body if body is not None else root


def content_roots(root: etree._Element, profile: Profile, fallback: Profile) -> list[etree._Element]:
    """The main-text elements: the profile's first matching selector, else the fallback's.

    When nothing more specific than <body> matches, the densest text container is used.
    """
    roots = tree.select_first_match(root, profile.content) or tree.select_first_match(root, fallback.content)
    chosen = set(roots)
    outermost = [r for r in roots if chosen.isdisjoint(r.iterancestors())]
    if not outermost or [r.tag for r in outermost] == ["body"]:
        return [densest_container(_body(root))]
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


def _in_aside(element: etree._Element) -> bool:
    for node in (element, *element.iterancestors()):
        if node.tag == "aside":
            return True
        marks = " ".join([*tree.class_words(node), node.get("id") or ""])
        if marks and _ASIDE.search(marks):
            return True
    return False


def _is_teaser(container: etree._Element) -> bool:
    """A link, a date and a short excerpt, and no nested menu: one entry of a news list.

    The cheap tests come first: most containers are menu items, which have no
    date, so the walks over descendants and ancestors are left for the few that do.
    """
    if tree.descendant(container, "a") is None:
        return False
    text = normalize_space(tree.text_of(container))
    if len(text) > TEASER_MAX_CHARS:
        return False
    if _TEASER_DATE.search(text) is None and tree.descendant(container, "time") is None:
        return False
    if tree.descendant(container, "ul") is not None or _in_aside(container):
        return False
    return any(
        len(normalize_space(tree.text_of(p))) >= TEASER_EXCERPT_CHARS for p in container.iterdescendants("p")
    )


# Paragraphs at least this long are an article's prose, not a teaser's excerpt.
PROSE_PARAGRAPH_CHARS = 150


def count_teasers(root: etree._Element) -> int:
    """News-list entries on the page, when they outnumber its prose paragraphs (else 0).

    Entries are list items, cards or blocks under a linked heading with a link, a
    date and an excerpt; an article with a sidebar of news teasers stays an article.
    """
    containers = list(root.iterdescendants("li", "article"))
    for heading in root.iterdescendants("h2", "h3", "h4"):
        parent = heading.getparent()
        if tree.descendant(heading, "a") is not None and parent is not None:
            containers.append(parent)
    teasers: list[etree._Element] = []
    for container in containers:
        if container not in teasers and _is_teaser(container):
            teasers.append(container)
    inside = {p for t in teasers for p in t.iterdescendants("p")}
    prose = sum(
        1
        for p in root.iterdescendants("p")
        if p not in inside and len(normalize_space(tree.text_of(p))) >= PROSE_PARAGRAPH_CHARS
    )
    return len(teasers) if len(teasers) > prose else 0


def _published_times(root: etree._Element) -> tuple[str, ...]:
    """<time datetime> values, those marked 'published' first."""
    stamped = [t for t in root.iter("time") if t.get("datetime")]
    stamped.sort(key=lambda t: "published" not in tree.class_words(t))
    return tuple(str(t.get("datetime")) for t in stamped)


def _page_lines(root: etree._Element) -> tuple[str, ...]:
    """Short lines of the whole page (before dropping), for 'Publicerad ...' lines."""
    return tuple(b.text for b in blocks_of_elements([_body(root)]) if len(b.text) <= PAGE_LINE_MAX_CHARS)


def build_document(html: str | bytes, url: str, profile: Profile, fallback: Profile) -> Document:
    """Read a page into a Document using a CMS profile (and generic as fallback)."""
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    html = html.replace("\x00", "")
    root = tree.parse_tree(html)
    if root is None:  # nothing lxml can read (an empty page): no text, the title from the URL
        return Document(url=url, title=_title_from_url(url), blocks=(), used_fallback=profile is not fallback)
    meta = read_meta(root)
    times = _published_times(root)
    events = read_structured_events(root, html)
    stamped = times or any(k.lower() in {m.lower() for m in profile.published_meta} for k in meta)
    page_lines = () if stamped else _page_lines(root)
    title = read_title(root, profile) or read_title(root, fallback)
    _drop_unwanted(root, profile)
    teasers = count_teasers(_body(root))
    used_fallback = profile is not fallback and not tree.select_first_match(root, profile.content)
    blocks = article_blocks(content_roots(root, profile, fallback))
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
        too_deep=tree.too_deep(root, html),
    )


def _title_from_url(url: str) -> str | None:
    path = urlsplit(url).path.rstrip("/")
    slug = path.rsplit("/", 1)[-1] if path else ""
    slug = re.sub(r"\.\d+\.html$|\.html?$", "", slug)
    return slug.replace("-", " ").strip().capitalize() or None
