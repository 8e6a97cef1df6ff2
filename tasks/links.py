"""Finding candidate pages on a listing page: pure, HTML and URLs in, URLs out."""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin, urlsplit

from tasks.extract.document import parse_html
from tasks.registry import FollowRule


def discover_links(html: str, base_url: str, rule: FollowRule, hosts: frozenset[str]) -> list[str]:
    """Absolute http(s) links matched by the rule's selector (and pattern), on the given hosts.

    The pattern, when set, is searched in the link's URL and its text, so
    'dialog|medborgar' finds both '/dialogmote.html' and 'Välkommen på dialog'.
    """
    soup = parse_html(html)
    try:
        anchors = soup.select(rule.links)
    except Exception:  # a bad selector in config finds nothing rather than stopping the run
        return []
    pattern = re.compile(rule.match, re.IGNORECASE) if rule.match else None
    found: list[str] = []
    for anchor in anchors:
        href = anchor.get("href") if anchor.name == "a" else None
        if not isinstance(href, str) or not href.strip():
            continue
        url = urldefrag(urljoin(base_url, href.strip())).url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc.lower() not in hosts:
            continue
        if pattern and not (pattern.search(url) or pattern.search(anchor.get_text(" "))):
            continue
        if url not in found:
            found.append(url)
    return found
