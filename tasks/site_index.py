"""What a municipal site's own indexes say: CMS, feeds, search, links, and which pages look relevant.

Pure: HTML and XML in, plain data out; no network, no clock (callers pass
`now`). The words that rank pages come from config/discovery.yaml.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from bs4 import BeautifulSoup

from tasks.extract.vocabulary import CONFIG_DIR, ConfigError, _read_yaml

DISCOVERY_FILE = CONFIG_DIR / "discovery.yaml"
GZIP_MAGIC = b"\x1f\x8b"
# The sitemap protocol allows 50 MB uncompressed per file; more is refused (a gzip bomb).
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
FEED_TYPES = ("application/rss+xml", "application/atom+xml")
_FOLD = str.maketrans("åäàáöøéèüÅÄÖÉÜ", "aaaaooeeuaaoeu")
_NON_WORD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Link:
    """A link on a page: where it goes and what it says."""

    url: str
    text: str


@dataclass(frozen=True)
class SearchEndpoint:
    """A site's search: the page and the query parameter ('/sok.html', 'query')."""

    path: str
    param: str

    def url(self, origin: str, query: str) -> str:
        return urljoin(origin, self.path) + "?" + urlencode({self.param: query})


@dataclass(frozen=True)
class CmsRule:
    name: str
    generator: tuple[str, ...]
    markers: tuple[str, ...]


@dataclass(frozen=True)
class DiscoveryVocabulary:
    """The ranking words and site conventions of config/discovery.yaml, folded and ready."""

    strong: tuple[str, ...]
    weak: tuple[str, ...]
    negative: tuple[str, ...]
    min_score: float
    recent_days: int
    recent_points: float
    stale_days: int
    stale_points: float
    search_queries: tuple[str, ...]
    listing_words: tuple[str, ...]
    sitemap_guesses: tuple[str, ...]
    search_endpoints: dict[str, SearchEndpoint]
    cms_rules: tuple[CmsRule, ...]


@dataclass
class Candidate:
    """A page some index names, with everything said about it and its score."""

    url: str
    lastmod: datetime | None = None
    texts: set[str] = field(default_factory=set)
    via: set[str] = field(default_factory=set)
    score: float = 0.0


def fold(text: str) -> str:
    """Lower case, Swedish letters to ASCII, anything else to single spaces: ' pensionarsradet '."""
    return " " + _NON_WORD.sub(" ", text.lower().translate(_FOLD)).strip() + " "


def _folded_terms(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(fold(str(v)).strip() for v in values if str(v).strip())


def load_discovery_vocabulary(path: Path = DISCOVERY_FILE) -> DiscoveryVocabulary:
    """Read and check config/discovery.yaml; a missing key is a ConfigError naming it."""
    data = _read_yaml(path)
    try:
        terms, lastmod, cms = data["terms"], data["lastmod"], data["cms"]
        endpoints = {
            name: SearchEndpoint(str(e["path"]), str(e["param"]))
            for name, e in data["search_endpoints"].items()
        }
        rules = tuple(
            CmsRule(name, tuple(str(g).lower() for g in r.get("generator", ())), tuple(r.get("markers", ())))
            for name, r in cms.items()
        )
        return DiscoveryVocabulary(
            strong=_folded_terms(terms["strong"]),
            weak=_folded_terms(terms["weak"]),
            negative=_folded_terms(terms.get("negative", ())),
            min_score=float(data["min_score"]),
            recent_days=int(lastmod["recent_days"]),
            recent_points=float(lastmod["recent_points"]),
            stale_days=int(lastmod["stale_days"]),
            stale_points=float(lastmod["stale_points"]),
            search_queries=tuple(str(q) for q in data["search_queries"]),
            listing_words=_folded_terms(data["listing_words"]),
            sitemap_guesses=tuple(str(p) for p in data["sitemap_guesses"]),
            search_endpoints=endpoints,
            cms_rules=rules,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{path}: missing or malformed key: {exc}") from exc


@cache
def default_discovery_vocabulary() -> DiscoveryVocabulary:
    return load_discovery_vocabulary()


# -- documents ----------------------------------------------------------------------------------
def gunzip_capped(body: bytes, limit: int = MAX_UNZIPPED_BYTES) -> bytes | None:
    """A gzip body inflated (at most `limit` bytes); a plain body as it is; None when broken or too big."""
    if not body.startswith(GZIP_MAGIC):
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error:
        return None
    return None if len(data) > limit else data


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


def page_links(html: str, base_url: str) -> list[Link]:
    """Every <a href> of a page, absolute, with its visible text (or title attribute)."""
    links = []
    for anchor in _soup(html).find_all("a", href=True):
        href = str(anchor["href"]).strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
            continue
        text = anchor.get_text(" ", strip=True) or str(anchor.get("title") or "")
        links.append(Link(urljoin(base_url, href).split("#", 1)[0], text))
    return links


def declared_feeds(html: str, base_url: str) -> list[str]:
    """Feeds a page declares with <link rel="alternate" type="application/rss+xml|atom+xml">."""
    feeds = []
    for tag in _soup(html).find_all("link", href=True):
        rel = " ".join(tag.get("rel") or []).lower()
        if "alternate" in rel and str(tag.get("type", "")).lower() in FEED_TYPES:
            feeds.append(urljoin(base_url, str(tag["href"])))
    return list(dict.fromkeys(feeds))


def search_form(html: str, base_url: str) -> SearchEndpoint | None:
    """The site search a page offers: a GET form with a search box (role=search or type=search)."""
    for form in _soup(html).find_all("form"):
        if str(form.get("method", "get")).lower() != "get":
            continue
        box = form.find("input", attrs={"type": "search"}) or (
            form.find("input", attrs={"name": True}) if form.get("role") == "search" else None
        )
        if box is not None and box.get("name"):
            action = urlsplit(urljoin(base_url, str(form.get("action") or base_url)))
            return SearchEndpoint(action.path or "/", str(box["name"]))
    return None


def detect_cms(html: str, vocab: DiscoveryVocabulary, headers: Mapping[str, str] | None = None) -> str:
    """The CMS a page is built with, from its generator meta, headers and markup; 'generic' if unknown."""
    head = html[:200_000]
    generator = ""
    match = re.search(r"<meta[^>]+name=[\"']generator[\"'][^>]*>", head, re.IGNORECASE)
    if match:
        content = re.search(r"content=[\"']([^\"']*)", match.group(0), re.IGNORECASE)
        generator = (content.group(1) if content else "").lower()
    powered = " ".join(f"{k}: {v}" for k, v in (headers or {}).items()).lower()
    lowered = head.lower()
    for rule in vocab.cms_rules:
        if generator and any(g in generator for g in rule.generator):
            return rule.name
    for rule in vocab.cms_rules:
        if any(m.lower() in lowered or m.lower() in powered for m in rule.markers):
            return rule.name
    return "generic"


def listing_links(links: list[Link], origin: str, vocab: DiscoveryVocabulary, limit: int = 3) -> list[str]:
    """Home-page links to news listings and calendars: their text or last path segment is a listing word."""
    host = urlsplit(origin).netloc
    words = set(vocab.listing_words)
    found = []
    for link in links:
        parts = urlsplit(link.url)
        if parts.netloc != host or parts.query:
            continue
        last = parts.path.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if fold(link.text).strip() in words or fold(last).strip() in words:
            found.append(link.url)
    return list(dict.fromkeys(found))[:limit]


def site_name(html: str) -> str:
    """What the site calls itself: og:site_name, else the <title> (for guessing whose site it is)."""
    soup = _soup(html)
    meta = soup.find("meta", attrs={"property": "og:site_name"})
    if meta is not None and meta.get("content"):
        return str(meta["content"]).strip()
    return soup.title.get_text(" ", strip=True) if soup.title else ""


def next_page_link(html: str, base_url: str) -> str | None:
    """A listing's next page (<a rel="next">), when it has one."""
    tag = _soup(html).find("a", rel="next", href=True)
    return urljoin(base_url, str(tag["href"])) if tag else None


# -- ranking ------------------------------------------------------------------------------------
def _hits(haystack: str, compact: str, term: str) -> bool:
    return (
        f" {term} " in haystack
        or (" " in term and term.replace(" ", "") in compact)
        or (" " not in term and term in compact)
    )


def score_candidate(candidate: Candidate, vocab: DiscoveryVocabulary, now: datetime) -> float:
    """Points for vocabulary in the URL and in what links and indexes call the page, and for recency.

    A term counts once in the URL and once in the texts; single words also match
    inside compounds ('pensionarsradet'), phrases match as words or run together.
    """
    parts = urlsplit(candidate.url)
    url_words = fold(parts.path + " " + parts.query)
    text_words = fold(" ".join(sorted(candidate.texts)))
    score = 0.0
    for weight, terms in ((3.0, vocab.strong), (1.0, vocab.weak), (-3.0, vocab.negative)):
        for term in terms:
            for words in (url_words, text_words):
                if _hits(words, words.replace(" ", ""), term):
                    score += weight
    if candidate.lastmod is not None:
        age = now - candidate.lastmod
        if age <= timedelta(days=vocab.recent_days):
            score += vocab.recent_points
        elif age > timedelta(days=vocab.stale_days):
            score += vocab.stale_points
    return score


def rank_candidates(
    candidates: Iterable[Candidate], vocab: DiscoveryVocabulary, now: datetime
) -> list[Candidate]:
    """Every candidate scored, best first (newest first among equals)."""
    ranked = list(candidates)
    for candidate in ranked:
        candidate.score = score_candidate(candidate, vocab, now)
    oldest = datetime.min.replace(tzinfo=now.tzinfo)
    return sorted(ranked, key=lambda c: (c.score, c.lastmod or oldest, c.url), reverse=True)
