"""robots.txt rules for one origin, and what a robots.txt response means. Pure: no network.

Parsing is protego's (a maintained parser with wildcards, Allow/Disallow
precedence, Crawl-delay and Request-rate). The response rules follow RFC 9309:
a 4xx answer means no rules; an unreachable or failing robots.txt means the
host is not crawled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from protego import Protego

from tasks.charset import decode_text

# RFC 9309 asks parsers to read at least 500 KiB; more than that is not a robots file.
ROBOTS_MAX_BYTES = 512_000


@dataclass(frozen=True)
class RobotsRules:
    """The parsed rules of one robots.txt; an empty file allows everything."""

    text: str = ""
    _parser: Protego = field(default_factory=lambda: Protego.parse(""), repr=False, compare=False)

    def allows(self, url: str, user_agent: str) -> bool:
        """May this user agent fetch the URL?"""
        return self._parser.can_fetch(url, user_agent)

    def delay(self, user_agent: str) -> float | None:
        """Seconds between requests the site asks for (Crawl-delay or Request-rate), if any."""
        stated = [self._parser.crawl_delay(user_agent)]
        rate = self._parser.request_rate(user_agent)
        if rate is not None and rate.requests > 0:
            stated.append(rate.seconds / rate.requests)
        values = [float(v) for v in stated if v is not None]
        return max(values) if values else None

    def sitemaps(self) -> list[str]:
        """Sitemap URLs the file names."""
        return list(self._parser.sitemaps)


def parse_robots(text: str) -> RobotsRules:
    """Parse a robots.txt body."""
    return RobotsRules(text=text, _parser=Protego.parse(text))


ALLOW_ALL = RobotsRules()


def rules_for_response(status: int | None, body: bytes, content_type: str | None) -> RobotsRules | None:
    """The rules a robots.txt response gives, or None when the host must not be crawled.

    200: parse the body. 4xx other than 429: no robots.txt, everything allowed.
    Anything else (429, 5xx, no answer): unavailable, so nothing is allowed.
    """
    if status == 200:
        return parse_robots(decode_text(body, content_type))
    if status is not None and 400 <= status < 500 and status != 429:
        return ALLOW_ALL
    return None
