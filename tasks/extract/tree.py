"""The page as an lxml tree: what BeautifulSoup would see, read in C.

A 40-100 KB municipal page has about a thousand elements, most of them menus,
footers and icons. Building BeautifulSoup's tree over all of them cost more
than every extraction rule together, so the whole-page reads (metadata, title,
dates, what to drop, news-list teasers, where the article is) run on lxml's
tree, and BeautifulSoup is built only over the article (tasks/extract/document.py).

These helpers read the lxml tree exactly as BeautifulSoup reads its own:
the same parser fed the same way gives the same tree, and `strings` leaves out
what `get_text` leaves out (comments, and text inside script, style,
template, rt and rp).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from functools import cache

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag
from lxml import etree

from tasks.extract.xpath import selector_xpath

# BeautifulSoup feeds lxml in chunks of this size; the same feed gives the same tree.
_CHUNK = 512
# lxml builds trees this deep (with huge_tree) and drops what nests deeper; no real page comes near.
MAX_DEPTH = 2047
_AT_MAX_DEPTH = etree.XPath(f"boolean(/descendant::*[count(ancestor::*) >= {MAX_DEPTH}])")
# The parser creates these itself around any fragment.
_DOCUMENT_LEVEL = ("html", "head", "body")
# BeautifulSoup gives the text inside these its own string classes, which get_text skips.
NOT_TEXT = ("script", "style", "template", "rt", "rp")


def parse_tree(html: str) -> etree._Element | None:
    """The lxml tree BeautifulSoup's lxml builder would see (same parser, same feed); None if unparseable."""
    parser = etree.HTMLParser(recover=True, huge_tree=True)
    try:
        for start in range(0, len(html), _CHUNK):
            parser.feed(html[start : start + _CHUNK])
        root = parser.close()
    except (etree.Error, ValueError):
        return None
    return root


def too_deep(root: etree._Element, html: str) -> bool:
    """Did lxml stop building at its nesting limit? BeautifulSoup would have read the deeper text."""
    return html.count("<") >= MAX_DEPTH and bool(_AT_MAX_DEPTH(root))


def parse_html(html: str | bytes) -> BeautifulSoup:
    """BeautifulSoup over HTML, parsed leniently with lxml; never raises on odd input."""
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    html = html.replace("\x00", "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(html, "lxml")


def soup_of(element: etree._Element) -> Tag | None:
    """BeautifulSoup over one element of the page tree and its subtree only; None if it reads back otherwise.

    The element is wrapped in bare copies of its ancestors, so that a table row
    or list item parses in its context, and found again by the same path.
    """
    ancestors = [a.tag for a in element.iterancestors()]
    markup = etree.tostring(element, method="html", encoding="unicode", with_tail=False)
    for name in ancestors:
        if name not in _DOCUMENT_LEVEL:
            markup = f"<{name}>{markup}</{name}>"
    node: Tag | BeautifulSoup | None = parse_html(markup)
    for name in [*reversed(ancestors), element.tag]:
        found = node.find(name, recursive=False) if node is not None else None
        node = found if isinstance(found, Tag) else None
    return node


def is_element(node: etree._Element) -> bool:
    """A real element: not a comment, processing instruction or entity."""
    return isinstance(node.tag, str)


def strings(element: etree._Element) -> list[str]:
    """The element's text strings in document order, as BeautifulSoup's `strings` gives them."""
    if _in_not_text(element):
        return []
    if next(element.iterdescendants(*NOT_TEXT), None) is None:
        return list(element.itertext())  # comments and processing instructions are skipped, their tails kept
    found: list[str] = []
    _collect_strings(element, found)
    return found


def text_of(element: etree._Element) -> str:
    """BeautifulSoup's get_text(" "): the element's strings joined by single spaces."""
    return " ".join(strings(element))


def _in_not_text(element: etree._Element) -> bool:
    return element.tag in NOT_TEXT or next(element.iterancestors(*NOT_TEXT), None) is not None


def _collect_strings(element: etree._Element, found: list[str]) -> None:
    """Strings of a subtree that holds script, template or ruby text: those parts stay silent."""
    pending: list[etree._Element | str] = [element]  # nodes to enter, and tails to emit after them
    while pending:
        node = pending.pop()
        if isinstance(node, str):
            found.append(node)
            continue
        if not is_element(node) or node.tag in NOT_TEXT:
            continue
        if node.text:
            found.append(node.text)
        for child in reversed(node):
            if child.tail:
                pending.append(child.tail)
            pending.append(child)


def class_words(element: etree._Element) -> list[str]:
    """The class attribute as BeautifulSoup's word list."""
    return (element.get("class") or "").split()


@cache
def _compiled(selectors: tuple[str, ...]) -> etree.XPath | None:
    """One XPath for a selector list (lxml returns the union in document order, each element once)."""
    paths = [path for path in map(selector_xpath, selectors) if path is not None]
    return etree.XPath(" | ".join(paths)) if paths else None


def supported_selector(selector: str) -> bool:
    """Can the page tree evaluate this selector? (tag, .class, #id, [attr op value], ' ' and '>')."""
    return selector_xpath(selector) is not None


def select_all(root: etree._Element, selectors: Sequence[str]) -> list[etree._Element]:
    """Elements matching any of the selectors, in document order, each once."""
    path = _compiled(tuple(selectors))
    return list(path(root)) if path is not None else []


def select_first_match(root: etree._Element, selectors: Sequence[str]) -> list[etree._Element]:
    """All matches of the first selector that matches anything."""
    for selector in selectors:
        found = select_all(root, [selector])
        if found:
            return found
    return []


def remove(element: etree._Element) -> None:
    """Cut an element out of its tree, as BeautifulSoup's decompose() does.

    The text after it stays a separate string (behind an empty comment), so a
    get_text(" ") over its parent still puts a space where it was.
    An element without a parent (the root) is emptied instead.
    """
    parent = element.getparent()
    if parent is None:
        element.clear()
        return
    tail = element.tail
    if tail:
        marker = etree.Comment("")
        marker.tail = tail
        element.addprevious(marker)
    element.tail = None
    parent.remove(element)


def muted_elements(root: etree._Element) -> frozenset[etree._Element]:
    """Elements whose own strings are ruby annotations (rt, rp), which get_text leaves out."""
    found: set[etree._Element] = set()
    for ruby in root.iter("rt", "rp"):
        found.update(ruby.iter())
    return frozenset(found)


def descendant(element: etree._Element, *tags: str) -> etree._Element | None:
    """The first descendant with one of these tags (the element itself excluded), as Tag.find does."""
    return next(element.iterdescendants(*tags), None)


def iter_strings_and_children(element: etree._Element, muted: frozenset[etree._Element]) -> Iterator[object]:
    """The element's direct children and its own strings, in order: what the text walk visits.

    `muted` holds the elements whose own strings BeautifulSoup would not count as text.
    """
    speaks = element not in muted
    if speaks and element.text:
        yield element.text
    for child in element:
        if is_element(child):
            yield child
        if speaks and child.tail:
            yield child.tail
