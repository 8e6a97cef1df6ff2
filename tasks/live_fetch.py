"""Fetch one live page for `kommundialog extract --url`, with the same polite client as a run.

The page is fetched under the rules of the registry source its host belongs to
(robots.txt, delay, address guard, fetch limits); a URL of no source gets the
defaults, which refuse loopback and private addresses.
"""

from __future__ import annotations

from dataclasses import replace

from tasks.fetch import Fetcher, limits_from_settings
from tasks.records import FetchedPage
from tasks.registry import Registry, Source, source_for_url

ONE_OFF_SOURCE_ID = "extract-url"


def source_for_live_fetch(registry: Registry, url: str) -> Source:
    """A source whose scope is exactly this URL, keeping the matching registry source's rules."""
    known = source_for_url(registry, url)
    if known is None:
        return Source(id=ONE_OFF_SOURCE_ID, municipality="", municipality_code="", start_urls=(url,))
    return replace(known, start_urls=(url,), path_prefixes=(), sitemaps=(), feeds=())


def fetch_live_page(registry: Registry, url: str) -> FetchedPage:
    """Fetch the URL once (robots.txt first), never raising: a failure is in the page's `error`."""
    fetcher = Fetcher(registry.user_agent, limits_from_settings(registry.extra.get("fetch")))
    try:
        return fetcher.fetch(url, source_for_live_fetch(registry, url))
    finally:
        fetcher.close()
