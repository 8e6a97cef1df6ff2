"""`kommundialog discover URL`: inspect a site the way discovery sees it and print a registry entry.

Reads robots.txt, sitemaps, feeds, the site search and listings (no content
page is fetched), detects the CMS, lists the candidate pages with their
scores, and prints a `discover: auto` entry to paste into a registry.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from urllib.parse import urlsplit

from tasks.fetch import Fetcher
from tasks.national import guess_body, registry_entry
from tasks.registry import (
    AUTO_PROFILE,
    BUNDLED_REGISTRY,
    DEFAULT_USER_AGENT,
    RegistryError,
    Source,
    load_registry,
)
from tasks.registry_checks import url_problem
from tasks.site_discovery import describe_index, index_site
from tasks.site_index import default_discovery_vocabulary


class InspectError(ValueError):
    """The URL cannot be inspected; the message says why."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def inspect_site(
    url: str, municipality: str | None = None, limit: int = 25, user_agent: str = DEFAULT_USER_AGENT
) -> list[str]:
    """The inspector's report and registry entry as lines of text."""
    if problem := url_problem(url):
        raise InspectError(problem)
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    loopback = _is_loopback(parts.hostname or "")
    source = Source(
        id="inspect",
        municipality=municipality or "",
        municipality_code="0000",
        start_urls=(origin + (parts.path or "/"),),
        profile=AUTO_PROFILE,
        allow_private_network=loopback,
        min_delay_seconds=0.0 if loopback else 1.0,
        discover=True,
    )
    fetcher = Fetcher(user_agent)
    try:
        index = index_site(source, fetcher)
    finally:
        fetcher.close()
    if not index.documents or not any(d.ok for d in index.documents):
        raise InspectError(
            f"{origin} did not answer: {index.documents[0].error if index.documents else 'no request made'}"
        )
    vocab = default_discovery_vocabulary()
    entry = registry_entry(guess_body(origin, index.name), origin, loopback, municipality)
    return [
        *describe_index(index, vocab.min_score, limit),
        "",
        "Registry entry (paste under `sources:` in a registry file; `kommundialog run --sources FILE`):",
        *entry,
    ]


def cmd_discover(args: argparse.Namespace) -> int:
    try:
        user_agent = load_registry(args.sources).user_agent  # the crawler's own contact line
        lines = inspect_site(args.url, args.municipality, args.limit, user_agent)
    except (InspectError, RegistryError) as exc:
        print(f"kommundialog discover: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def add_discover_command(commands) -> None:
    """Register `discover` on the CLI's subcommands."""
    discover = commands.add_parser(
        "discover", help="inspect a site's robots.txt, sitemaps, feeds and search; print a registry entry"
    )
    discover.add_argument("url", help="the site's address, e.g. https://www.nordmaling.se/")
    discover.add_argument("--municipality", help="whose site it is, when the site does not say")
    discover.add_argument("--limit", type=int, default=25, help="candidates to list (default: %(default)s)")
    discover.add_argument(
        "--sources",
        default=str(BUNDLED_REGISTRY),
        help="registry whose settings.user_agent the requests send (default: %(default)s)",
    )
    discover.set_defaults(handler=cmd_discover)
