"""Finding candidate pages on a listing page: pure, HTML and URLs in, URLs out."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import partial
from urllib.parse import urljoin

from tasks.extract.tree import parse_html, parse_tree, text_of
from tasks.extract.xpath import selector_xpath
from tasks.registry import FollowRule
from tasks.scope import clean_url


def candidate_links(html: str, base_url: str, rule: FollowRule) -> list[str]:
    """Absolute links matched by the rule's selector (and pattern), wherever they point.

    The pattern, when set, is searched in the link's URL and its text, so
    'dialog|medborgar' finds both '/dialogmote.html' and 'Välkommen på dialog'.
    """
    pattern = re.compile(rule.match, re.IGNORECASE) if rule.match else None
    found: dict[str, None] = {}  # ordered and O(1) to test: a hostile page may hold 100,000 links
    for href, text in _anchors(html, rule.links):
        if not href.strip():
            continue
        try:
            url = clean_url(urljoin(base_url, href.strip()))
        except ValueError:  # e.g. 'http://[broken' : not a link worth following
            continue
        if pattern and not (pattern.search(url) or pattern.search(text())):
            continue
        found.setdefault(url)
    return list(found)


def _anchors(html: str, selector: str) -> Iterator[tuple[str, Callable[[], str]]]:
    """(href, its text when asked) of each <a href> the selector finds, in document order.

    A simple selector is evaluated by lxml as XPath (no BeautifulSoup tree for a
    listing page); anything else goes through BeautifulSoup's select.
    """
    path = selector_xpath(selector)
    root = parse_tree(html.replace("\x00", "")) if path is not None else None
    if path is not None and root is not None:
        for element in root.xpath(path):
            href = element.get("href") if element.tag == "a" else None
            if isinstance(href, str):
                yield href, partial(text_of, element)
        return
    soup = parse_html(html)
    try:
        anchors = soup.select(selector)
    except Exception:  # a bad selector in config finds nothing rather than stopping the run
        return
    for anchor in anchors:
        href = anchor.get("href") if anchor.name == "a" else None
        if isinstance(href, str):
            yield href, partial(anchor.get_text, " ")
