"""Finding candidate pages on a listing page: pure, HTML and URLs in, URLs out."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from tasks.extract.document import parse_html
from tasks.registry import FollowRule
from tasks.scope import clean_url


def candidate_links(html: str, base_url: str, rule: FollowRule) -> list[str]:
    """Absolute links matched by the rule's selector (and pattern), wherever they point.

    The pattern, when set, is searched in the link's URL and its text, so
    'dialog|medborgar' finds both '/dialogmote.html' and 'Välkommen på dialog'.
    """
    soup = parse_html(html)
    try:
        anchors = soup.select(rule.links)
    except Exception:  # a bad selector in config finds nothing rather than stopping the run
        return []
    pattern = re.compile(rule.match, re.IGNORECASE) if rule.match else None
    found: dict[str, None] = {}  # ordered and O(1) to test: a hostile page may hold 100,000 links
    for anchor in anchors:
        href = anchor.get("href") if anchor.name == "a" else None
        if not isinstance(href, str) or not href.strip():
            continue
        try:
            url = clean_url(urljoin(base_url, href.strip()))
        except ValueError:  # e.g. 'http://[broken' : not a link worth following
            continue
        if pattern and not (pattern.search(url) or pattern.search(anchor.get_text(" "))):
            continue
        found.setdefault(url)
    return list(found)
