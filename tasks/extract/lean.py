"""Parse less: lxml cuts away what extraction would throw away, BeautifulSoup is built over the rest.

BeautifulSoup stays the API every extraction rule reads, but building its tree
costs Python objects per element, and on a 40-100 KB municipal page most
elements are chrome the CMS profile drops anyway (scripts, navigation, cookie
banners, footers, forms) or SVG icons the text walk never enters. lxml (C)
parses the page first; those subtrees are removed there, and BeautifulSoup
parses only the serialised remainder.

The result must read exactly as the full tree did. A subtree is removed only
when every reader would ignore it:
- it matches one of the profile's simple `drop` selectors (so the rules drop it
  after reading the title, dates and metadata), and it holds nothing those
  earlier reads look at: no title candidate, <meta>, <time datetime>, JSON-LD
  script or microdata, and no 'Publicerad ...' line near it;
- or it is an <svg> of shapes only (no text, no links).
A removed element leaves an empty comment when text follows it, so the text
before and after it stays two strings, as it was.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from lxml import etree

from tasks.extract.xpath import compound_test

# Elements whose text the walk splits blocks at (tasks/extract/document.py's BLOCK_TAGS).
_BLOCK_TAGS = frozenset({
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "dt", "dd", "tr", "blockquote", "figcaption", "pre",
    "address", "div", "section", "body", "html", "head",
})  # fmt: skip
# Read before the profile's drop list applies: a subtree holding one is kept whole.
_READ_BEFORE_DROP = (
    "self::meta or self::title or self::h1 or self::time or @itemscope or @itemprop"
    " or (self::script and contains(translate(@type, 'JSONLD', 'jsonld'), 'ld+json'))"
)
_SVG_SHAPES = (
    "svg", "g", "path", "use", "symbol", "defs", "circle", "rect", "polygon", "polyline", "line",
    "ellipse", "lineargradient", "radialgradient", "stop", "clippath", "mask",
)  # fmt: skip
_ICON = "[not(descendant::*[not({})]) and normalize-space(.)='']".format(
    " or ".join(f"self::{name}" for name in _SVG_SHAPES)
)
_PUBLISHED = "publicera"
# BeautifulSoup feeds lxml in chunks of this size; the same feed gives the same tree.
_CHUNK = 512


@cache
def _plan(drop: tuple[str, ...], title_selectors: tuple[str, ...]) -> tuple[etree.XPath, etree.XPath] | None:
    """Compiled XPath: the removable candidates, and the test that a subtree is read before dropping."""
    drops = [t for t in (compound_test(s) for s in drop) if t is not None]
    titles = []
    for selector in title_selectors:
        test = compound_test(re.split(r"[\s>+~]+", selector.strip())[-1])
        if test is None:
            return None  # a title selector we cannot mirror: keep every subtree
        titles.append(f"({test})")
    wanted = [f"self::svg{_ICON}"] + [f"({t})" for t in drops]
    candidates = etree.XPath("/descendant::*[{}]".format(" or ".join(wanted)))
    read = etree.XPath("boolean(descendant-or-self::*[{}])".format(" or ".join([_READ_BEFORE_DROP, *titles])))
    return candidates, read


def lean_html(html: str, drop: Sequence[str], title_selectors: Sequence[str]) -> str | None:
    """The page without the subtrees no reader needs, as HTML; None when nothing could be cut safely."""
    plan = _plan(tuple(drop), tuple(title_selectors))
    if plan is None:
        return None
    candidates, read_before_drop = plan
    root = parse_tree(html)
    if root is None:
        return None
    mentions_published = _PUBLISHED in html.lower()
    removed: set[etree._Element] = set()
    for element in candidates(root):
        if any(a in removed for a in element.iterancestors()):
            continue
        if element.tag != "svg" and (
            read_before_drop(element) or (mentions_published and _near_published_line(element))
        ):
            continue
        _remove(element)
        removed.add(element)
    if not removed:
        return None
    return etree.tostring(root, encoding="unicode", method="html", doctype=_doctype(root))


def parse_tree(html: str) -> etree._Element | None:
    """The lxml tree BeautifulSoup's lxml builder would see (same parser, same feed); None if unparseable."""
    parser = etree.HTMLParser(recover=True)
    try:
        for start in range(0, len(html), _CHUNK):
            parser.feed(html[start : start + _CHUNK])
        root = parser.close()
    except (etree.Error, ValueError):
        return None
    return root


def _doctype(root: etree._Element) -> str | None:
    return root.getroottree().docinfo.doctype or None


def _near_published_line(element: etree._Element) -> bool:
    """Could cutting this subtree change a 'Publicerad ...' line of the page?

    Its own text might be one; and unless block elements and white space
    surround it, the text before and after it would join into one line.
    """
    if _PUBLISHED in "".join(element.itertext()).lower():
        return True
    if any(a.tag == "head" for a in element.iterancestors()):
        return False  # the page's lines are read from <body> only
    if _isolated(element):
        return False
    block = next((a for a in element.iterancestors() if a.tag in _BLOCK_TAGS), None)
    return block is None or _PUBLISHED in "".join(block.itertext()).lower()


def _isolated(element: etree._Element) -> bool:
    """Between block elements (or a block's edges), with only white space around it."""
    before, after = element.getprevious(), element.getnext()
    parent = element.getparent()
    text_before = before.tail if before is not None else (parent.text if parent is not None else None)
    if (text_before or "").strip() or (element.tail or "").strip():
        return False
    for neighbour in (before, after):
        if neighbour is not None and (not isinstance(neighbour.tag, str) or neighbour.tag not in _BLOCK_TAGS):
            return False
    at_edge = before is None or after is None
    return not at_edge or (parent is not None and parent.tag in _BLOCK_TAGS)


def _remove(element: etree._Element) -> None:
    """Cut an element out; text after it stays a separate string behind an empty comment."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:
        marker = etree.Comment("")
        marker.tail = tail
        element.addprevious(marker)
    element.tail = None
    parent.remove(element)
