"""A synthetic national web of municipal sites, served on loopback, with a manifest of the truth.

Discovery and throughput are measured against it: N sites (one per
municipality, each on its own 127.0.0.1 port or its own 127.x.y.z address),
P content pages each in Sitevision, WordPress, EPiServer or plain markup, about
5% of them relevant (dialogue meetings, council dates, committee summaries) among
news and service pages. Every page wears its CMS's chrome (menus, footer, icons,
scripts: benchmarks/national_chrome.py), so it has about 1,000 elements in 40-100
KB, as real municipal pages do. Every site has its own way of being indexed: a
plain sitemap nobody declares, a gzip sitemap named in robots.txt, a sitemap
index, a sitemap at an odd path only robots.txt knows, or none; RSS or Atom
feeds; a search page; listing and calendar pages. Pages carry lastmod dates, ETags and
Last-Modified headers and answer conditional requests with 304.

Everything is derived from (seed, site, page, version), so two instances with
the same arguments serve the same bytes. Pages are built when asked for, so a
290 x 50 web costs little memory. `change_pages` changes a chosen fraction of
pages (for "5% changed" runs); `manifest` says which pages are relevant and
which meetings each one holds, so a test or benchmark can compute recall.

    from benchmarks.national_web import NationalWeb
    with NationalWeb(sites=20, pages=30).serve() as web:
        web.origins            # {'0114': 'http://127.0.0.1:40123', ...}
        web.relevant_urls()    # the pages discovery should find
        web.requests           # Counter of (origin, path-with-query, status) served

Run `python -m benchmarks.national_web --sites 290 --pages 50` to serve one
until Ctrl-C (it prints the origins and writes --manifest/--registry files).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import http.server
import json
import random
import selectors
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import cached_property
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from benchmarks.national_chrome import (
    SHELLS,
    ChromeStyle,
    Frame,
    MenuNode,
    chrome_style,
    fill_to_size,
    head_extras,
)
from benchmarks.national_chrome import esc as _esc
from benchmarks.national_chrome import seeded_rng as _rng
from benchmarks.national_chrome import slug as _slug

ROOT = Path(__file__).resolve().parents[1]
MUNICIPALITIES_CSV = ROOT / "config" / "municipalities.csv"

CMS_SHARES = (("sitevision", 0.5), ("wordpress", 0.2), ("episerver", 0.15), ("generic", 0.15))
# How a site's sitemap is found: at /sitemap.xml undeclared, gzip named in robots.txt,
# an index (with one gzip child), only in robots.txt at an odd path, or not at all.
SITEMAP_STYLES = (("plain", 0.3), ("gzip", 0.2), ("index", 0.25), ("robots-only", 0.2), ("none", 0.05))
RELEVANT_SHARE = 0.05
DEFAULT_BASE_DATE = date(2026, 1, 15)
FEED_ITEMS = 20
LISTING_PAGE_SIZE = 20
SEARCH_RESULTS = 20

MONTHS = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
]
WEEKDAYS = ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"]
PLACES = (
    ("Folkets hus", "Storgatan 12"),
    ("Medborgarhuset", "Torget 3"),
    ("Kommunhuset, sal Älven", "Kyrkogatan 8"),
    ("Biblioteket, hörsalen", "Skolgatan 5"),
    ("Träffpunkt Solrosen", "Solrosvägen 4"),
    ("Stadshuset, sammanträdesrum Linden", "Stora torget 1"),
)
COUNCILS = (
    ("Kommunala pensionärsrådet", "pensionarsradet", "pensionärsrådet"),
    ("Kommunala funktionshinderrådet", "funktionshinderradet", "funktionshinderrådet"),
    ("Brukarrådet inom socialpsykiatrin", "brukarradet", "brukarrådet"),
    ("Anhörigrådet", "anhorigradet", "anhörigrådet"),
)
COMMITTEES = (
    ("Socialnämnden", "socialnamnden"),
    ("Vård- och omsorgsnämnden", "vard-och-omsorgsnamnden"),
    ("Individ- och familjenämnden", "individ-och-familjenamnden"),
)
DIALOGUE_TOPICS = (
    ("socialtjänstens nya arbetssätt", "socialtjanstens-nya-arbetssatt"),
    ("stödet till anhöriga", "stodet-till-anhoriga"),
    ("äldreomsorgens framtid", "aldreomsorgens-framtid"),
    ("trygghet i centrum", "trygghet-i-centrum"),
    ("förebyggande arbete för barn och unga", "forebyggande-arbete-for-barn-och-unga"),
    ("ekonomiskt bistånd", "ekonomiskt-bistand"),
)
# News that shares words with the relevant pages, so ranking is put to work.
NEWS_TOPICS = (
    ("Biblioteket får nya öppettider", "biblioteket-far-nya-oppettider"),
    ("Välkommen på öppet hus på återvinningscentralen", "oppet-hus-pa-atervinningscentralen"),
    ("Järnvägsgatan stängs av för ledningsarbete", "jarnvagsgatan-stangs-av"),
    ("Nya telefontider till socialtjänstens reception", "nya-telefontider-till-socialtjanstens-reception"),
    ("Planerat underhåll av e-tjänsterna", "planerat-underhall-av-e-tjansterna"),
    ("Sommarlovsaktiviteter för unga", "sommarlovsaktiviteter-for-unga"),
    ("Snöröjningen börjar i natt", "snorojningen-borjar-i-natt"),
    ("Ny förskola invigs i höst", "ny-forskola-invigs"),
    ("Taxorna för vatten och avlopp ändras", "taxorna-for-vatten-och-avlopp"),
    ("Kommunfullmäktige sänds på webben", "kommunfullmaktige-sands-pa-webben"),
    ("Lediga platser på sommarjobb", "lediga-sommarjobb"),
    ("Äldreomsorgen söker timvikarier", "aldreomsorgen-soker-timvikarier"),
    ("Badhuset stänger för renovering", "badhuset-stanger-for-renovering"),
    ("Detaljplan för nytt bostadsområde ute på samråd", "detaljplan-nytt-bostadsomrade-samrad"),
    ("Vinnare av kulturpriset utsedd", "kulturpriset-utsett"),
    ("Tips inför brandriskperioden", "tips-infor-brandriskperioden"),
)
SERVICES = (
    ("Barn och utbildning", "barn-och-utbildning", ("Förskola", "Grundskola", "Gymnasium", "Skolskjuts")),
    (
        "Omsorg och stöd",
        "omsorg-och-stod",
        ("Hemtjänst", "Särskilt boende", "Färdtjänst", "Ekonomiskt bistånd"),
    ),
    (
        "Bygga, bo och miljö",
        "bygga-bo-och-miljo",
        ("Bygglov", "Avfall", "Vatten och avlopp", "Energirådgivning"),
    ),
    ("Kultur och fritid", "kultur-och-fritid", ("Bibliotek", "Badhus", "Föreningsbidrag", "Kulturskola")),
    ("Näringsliv och arbete", "naringsliv-och-arbete", ("Starta företag", "Upphandling", "Lediga jobb")),
    ("Kommun och politik", "kommun-och-politik", ("Kommunfullmäktige", "Nämnder", "Budget", "Val")),
)


def _pick(rng: random.Random, shares: tuple[tuple[str, float], ...]) -> str:
    roll, total = rng.random(), 0.0
    for name, share in shares:
        total += share
        if roll < total:
            return name
    return shares[-1][0]


def swedish_date(day: date, weekday: bool = True, year: bool = True) -> str:
    """'tisdag 28 maj 2026' (the way the sites write it)."""
    text = f"{day.day} {MONTHS[day.month - 1]}" + (f" {day.year}" if year else "")
    return f"{WEEKDAYS[day.weekday()]} {text}" if weekday else text


@dataclass(frozen=True)
class Meeting:
    """A meeting a relevant page announces: the truth a test compares extraction with."""

    date: str
    start: str | None
    end: str | None
    title: str
    place: str | None


@dataclass
class Page:
    """One content page of a site; `version` rises when `change_pages` changes it."""

    path: str
    kind: str  # 'dialogue', 'council', 'summary' (relevant) or 'news', 'service'
    title: str
    published: date
    meetings: tuple[Meeting, ...] = ()
    version: int = 0
    lastmod: datetime = field(default_factory=lambda: datetime(2025, 1, 1, tzinfo=UTC))
    opaque: bool = False  # the URL says nothing; only the title does
    teaser: str = ""

    @property
    def relevant(self) -> bool:
        return self.kind in ("dialogue", "council", "summary")


@dataclass
class Site:
    """One municipality's site: its CMS, how it is indexed, and its pages."""

    code: str
    name: str
    cms: str
    sitemap_style: str
    feed: str  # 'rss', 'atom' or 'none'
    calendar: bool
    seed: int
    pages: list[Page] = field(default_factory=list)
    origin: str = ""

    @property
    def kommun(self) -> str:
        """'Nordmalings kommun', 'Heby kommun': a genitive s after a consonant other than s, x, z."""
        return f"{self.name}{'' if self.name[-1] in 'aeiouyåäösxz' else 's'} kommun"

    @cached_property
    def by_path(self) -> dict[str, Page]:
        return {p.path: p for p in self.pages}

    @cached_property
    def chrome(self) -> ChromeStyle:
        """The site's menu tree and chrome density (drawn once; its pages share them)."""
        return chrome_style(self, SERVICES)

    @property
    def news_listing(self) -> str:
        return {"sitevision": "/nyheter.html", "wordpress": "/aktuellt/"}.get(self.cms, "/nyheter/")

    @property
    def calendar_path(self) -> str:
        return {"sitevision": "/kalender.html", "wordpress": "/evenemang/"}.get(self.cms, "/kalender/")

    @property
    def search_path(self) -> str:
        return {"sitevision": "/sok.html", "wordpress": "/"}.get(self.cms, "/sok/")

    @property
    def search_param(self) -> str:
        return {"sitevision": "query", "wordpress": "s"}.get(self.cms, "q")

    @property
    def feed_path(self) -> str | None:
        if self.feed == "none":
            return None
        if self.cms == "sitevision":
            return f"/4.{1000 + int(self.code)}/12.{7000 + int(self.code)}.portlet?state=rss"
        if self.cms == "wordpress":
            return "/feed/"
        return "/nyheter/atom.xml" if self.feed == "atom" else "/nyheter/rss.xml"

    @property
    def sitemap_paths(self) -> list[str]:
        """The sitemap files the site serves (an index's children included)."""
        return {
            "plain": ["/sitemap.xml"],
            "gzip": ["/sitemap.xml.gz"],
            "index": [
                self._index_path,
                self._index_path.replace(".xml", "-pages.xml"),
                "/sitemap-news.xml.gz",
            ],
            "robots-only": [f"/system/kartor/{self.code}-webbkarta.xml"],
            "none": [],
        }[self.sitemap_style]

    @property
    def _index_path(self) -> str:
        return "/wp-sitemap.xml" if self.cms == "wordpress" else "/sitemap_index.xml"

    @property
    def declared_sitemaps(self) -> list[str]:
        """What robots.txt names: nothing for 'plain', the index for 'index', else the file."""
        if self.sitemap_style in ("gzip", "robots-only"):
            return self.sitemap_paths
        if self.sitemap_style == "index":
            return [self._index_path]
        return []


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    last_modified: datetime | None = None
    etag: str | None = None
    location: str | None = None


class NationalWeb:
    """The sites, their pages and how they answer a request; `serve()` puts them on loopback."""

    def __init__(
        self,
        sites: int = 290,
        pages: int = 50,
        seed: int = 13,
        relevant_share: float = RELEVANT_SHARE,
        base_date: date = DEFAULT_BASE_DATE,
        latency: float = 0.0,
        addresses: bool = False,
    ) -> None:
        self.seed = seed
        self.base_date = base_date
        self.latency = latency
        self.addresses = addresses
        self.relevant_share = relevant_share
        self.pages_per_site = pages
        self.sites = [self._build_site(i, code, name, pages) for i, (code, name) in enumerate(_bodies(sites))]
        self.requests: Counter[tuple[str, str, int]] = Counter()
        self._lock = threading.Lock()
        self._servers: list[http.server.ThreadingHTTPServer] = []
        self._stop = threading.Event()
        self._loop: threading.Thread | None = None

    # -- building -----------------------------------------------------------------------------
    def _build_site(self, index: int, code: str, name: str, count: int) -> Site:
        rng = _rng(self.seed, code, "site")
        cms = _pick(rng, CMS_SHARES)
        style = _pick(rng, SITEMAP_STYLES)
        if cms == "wordpress" and style in ("plain", "gzip"):
            style = "index"  # WordPress core always publishes wp-sitemap.xml as an index
        feed = {"sitevision": "rss", "wordpress": "rss"}.get(cms, "atom" if rng.random() < 0.6 else "rss")
        if rng.random() < 0.1:
            feed = "none"
        site = Site(code, name, cms, style, feed, calendar=rng.random() < 0.5, seed=self.seed)
        relevant = self._relevant_count(index, count)
        kinds = ["dialogue", "council", "summary"]
        slots = rng.sample(range(count), relevant)
        for i in range(count):
            kind = kinds[slots.index(i) % 3] if i in slots else ("news" if rng.random() < 0.55 else "service")
            site.pages.append(self._build_page(site, i, kind))
        return site

    def _relevant_count(self, index: int, count: int) -> int:
        """Relevant pages per site, spread so the whole web holds `relevant_share` of its pages."""
        before = round(index * count * self.relevant_share)
        after = round((index + 1) * count * self.relevant_share)
        return max(1, after - before) if count >= 10 else after - before

    def _build_page(self, site: Site, i: int, kind: str) -> Page:
        rng = _rng(self.seed, site.code, i, "page")
        published = self.base_date - timedelta(days=rng.randint(5, 420))
        builder = {
            "dialogue": self._dialogue_page,
            "council": self._council_page,
            "summary": self._summary_page,
            "news": self._news_page,
            "service": self._service_page,
        }[kind]
        page = builder(site, i, rng, published)
        page.lastmod = datetime.combine(published, datetime.min.time(), tzinfo=UTC) + timedelta(
            hours=rng.randint(7, 16), minutes=rng.randint(0, 59)
        )
        page.opaque = kind != "service" and rng.random() < 0.1
        if page.opaque:
            page.path = self._opaque_path(site, i)
        return page

    def _article_path(self, site: Site, published: date, slug: str, i: int) -> str:
        if site.cms == "sitevision":
            return f"/nyheter/nyheter/{published.isoformat()}-{slug}.html"
        if site.cms == "wordpress":
            return f"/{published:%Y/%m/%d}/{slug}/"
        return f"/nyheter/{published.year}/{slug}-{i}/"

    def _opaque_path(self, site: Site, i: int) -> str:
        if site.cms == "sitevision":
            return f"/4.{int(site.code) * 100 + i}.html"
        if site.cms == "wordpress":
            return f"/?p={int(site.code) * 100 + i}"
        return f"/sida/{int(site.code) * 100 + i}/"

    def _future_day(
        self, rng: random.Random, low: int, high: int, weekdays: tuple[int, ...] = (0, 1, 2, 3)
    ) -> date:
        day = self.base_date + timedelta(days=rng.randint(low, high))
        while day.weekday() not in weekdays:
            day += timedelta(days=1)
        return day

    def _dialogue_page(self, site: Site, i: int, rng: random.Random, published: date) -> Page:
        topic, slug = rng.choice(DIALOGUE_TOPICS)
        form = rng.choice(("Medborgardialog om", "Inbjudan till dialogmöte om", "Öppet möte om"))
        title = f"{form} {topic}"
        day = self._future_day(rng, -30, 120)
        start = rng.choice(("17.30", "18.00", "13.00"))
        end = {"17.30": "20.00", "18.00": "19.30", "13.00": "15.00"}[start]
        place, _street = rng.choice(PLACES)
        meeting = Meeting(day.isoformat(), start.replace(".", ":"), end.replace(".", ":"), title, place)
        path = self._article_path(site, published, f"{_slug(form)}-{slug}", i)
        teaser = f"Välkommen till ett dialogmöte om {topic} {swedish_date(day, weekday=False)}."
        return Page(path, "dialogue", title, published, (meeting,), teaser=teaser)

    def _council_page(self, site: Site, i: int, rng: random.Random, published: date) -> Page:
        council, slug, short = rng.choice(COUNCILS)
        year = self.base_date.year
        days = sorted(
            {self._future_day(rng, d * 60 - 20, d * 60 + 20, (0, 1, 2)) for d in range(rng.randint(3, 5))}
        )
        start = rng.choice(("13.30", "09.00", "14.00"))
        place, _street = rng.choice(PLACES)
        meetings = tuple(Meeting(d.isoformat(), start.replace(".", ":"), None, council, place) for d in days)
        title = f"{council} – sammanträdesdatum {year}"
        if site.cms == "wordpress":
            path = f"/{slug}-sammantradesdatum-{year}/"
        elif site.cms == "sitevision":
            path = f"/kommun-och-politik/kommunala-rad/{slug}/sammantradesdatum-{year}.html"
        else:
            path = f"/kommun-och-politik/rad/{slug}/sammantraden-{year}/"
        teaser = f"Här hittar du datum för när {short} sammanträder under {year}."
        return Page(path, "council", title, published, meetings, teaser=teaser)

    def _summary_page(self, site: Site, i: int, rng: random.Random, published: date) -> Page:
        committee, slug = rng.choice(COMMITTEES)
        day = self.base_date - timedelta(days=rng.randint(2, 200))
        while day.weekday() not in (1, 2, 3):
            day -= timedelta(days=1)
        published = day + timedelta(days=rng.randint(1, 3))
        title = f"{committee} {swedish_date(day, weekday=False, year=False)} i korthet"
        meeting = Meeting(day.isoformat(), None, None, title, None)
        month = MONTHS[day.month - 1]
        path = self._article_path(site, published, f"{slug}-{day.day}-{_slug(month)}-i-korthet", i)
        teaser = f"Det här beslutade {committee.lower()} på sitt möte i {month}."
        return Page(path, "summary", title, published, (meeting,), teaser=teaser)

    def _news_page(self, site: Site, i: int, rng: random.Random, published: date) -> Page:
        title, slug = NEWS_TOPICS[(i + int(site.code)) % len(NEWS_TOPICS)]
        path = self._article_path(site, published, slug, i)
        return Page(path, "news", title, published, teaser=f"{title}. Läs mer om vad som gäller.")

    def _service_page(self, site: Site, i: int, rng: random.Random, published: date) -> Page:
        _area, area_slug, topics = SERVICES[i % len(SERVICES)]
        topic = topics[(i // len(SERVICES)) % len(topics)]
        slug = _slug(topic)
        suffix = "" if i < len(SERVICES) * len(topics) else f"-{i}"
        if site.cms == "sitevision":
            path = f"/{area_slug}/{slug}{suffix}.html"
        else:
            path = f"/{area_slug}/{slug}{suffix}/"
        return Page(
            path,
            "service",
            topic if not suffix else f"{topic} ({i})",
            published,
            teaser=f"Om {topic.lower()}.",
        )

    # -- changing -----------------------------------------------------------------------------
    def change_pages(self, fraction: float, seed: int = 0, when: datetime | None = None) -> list[str]:
        """Change `fraction` of all content pages (a fixed choice per seed); their URLs.

        A changed page gets new text (and, for a meeting page, a later start time),
        a new ETag, Last-Modified and sitemap/feed lastmod of `when` (default now).
        """
        stamp = (when or datetime.now(UTC)).replace(microsecond=0)
        everything = [(site, page) for site in self.sites for page in site.pages]
        chosen = _rng(self.seed, seed, "change").sample(
            range(len(everything)), round(fraction * len(everything))
        )
        urls = []
        for index in sorted(chosen):
            site, page = everything[index]
            page.version += 1
            page.lastmod = stamp
            page.meetings = (
                tuple(_later(m) for m in page.meetings) if page.kind != "summary" else page.meetings
            )
            urls.append(site.origin + page.path)
        return urls

    # -- truth ----------------------------------------------------------------------------------
    def manifest(self) -> dict:
        """Every site and page: which are relevant and which meetings each holds (for recall)."""
        return {
            "seed": self.seed,
            "base_date": self.base_date.isoformat(),
            "sites": [
                {
                    "code": s.code,
                    "municipality": s.name,
                    "origin": s.origin,
                    "cms": s.cms,
                    "sitemap": s.sitemap_style,
                    "feed": s.feed,
                    "calendar": s.calendar,
                    "pages": [
                        {
                            "url": s.origin + p.path,
                            "kind": p.kind,
                            "relevant": p.relevant,
                            "title": p.title,
                            "version": p.version,
                            "lastmod": p.lastmod.isoformat(),
                            "meetings": [m.__dict__ for m in p.meetings],
                        }
                        for p in s.pages
                    ],
                }
                for s in self.sites
            ],
        }

    def relevant_urls(self) -> set[str]:
        return {s.origin + p.path for s in self.sites for p in s.pages if p.relevant}

    def content_urls(self) -> set[str]:
        return {s.origin + p.path for s in self.sites for p in s.pages}

    def registry_yaml(self, min_delay_seconds: float = 0.0, max_pages: int | None = None) -> str:
        """A registry naming every site by its origin only, to be discovered (`discover: auto`)."""
        lines = ["# Synthetic national web on loopback (benchmarks/national_web.py).", "sources:"]
        for s in self.sites:
            lines += [
                f"  - id: syn-{s.code}",
                f"    municipality: {json.dumps(s.name, ensure_ascii=False)}",
                f'    municipality_code: "{s.code}"',
                f'    start_urls: ["{s.origin}/"]',
                "    discover: auto",
                "    allow_private_network: true",
                f"    min_delay_seconds: {min_delay_seconds}",
            ]
            if max_pages is not None:
                lines.append(f"    max_pages: {max_pages}")
        return "\n".join(lines) + "\n"

    def pages_served(self, statuses: tuple[int, ...] = (200,)) -> int:
        """Content pages answered with one of `statuses` (robots, sitemaps, feeds, listings not counted)."""
        content = {(s.origin, p.path) for s in self.sites for p in s.pages}
        return sum(
            n
            for (origin, path, status), n in self.requests.items()
            if status in statuses and (origin, path) in content
        )

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- answering ----------------------------------------------------------------------------
    def respond(self, site: Site, target: str, headers: dict[str, str]) -> Response:
        """The answer to GET `target` (path and query) on `site`, conditional headers honoured."""
        parts = urlsplit(target)
        query = parse_qs(parts.query)
        path = parts.path or "/"
        full = path + (f"?{parts.query}" if parts.query else "")
        page = site.by_path.get(full) or (site.by_path.get(path) if not parts.query else None)
        if page is not None:
            return _conditional(self._page_response(site, page), headers)
        answer = self._index_response(site, path, query, full)
        return _conditional(answer, headers) if answer.status == 200 else answer

    def _index_response(self, site: Site, path: str, query: dict[str, list[str]], full: str) -> Response:
        if path == "/robots.txt":
            return Response(200, self._robots(site).encode(), "text/plain; charset=utf-8")
        if path in site.sitemap_paths:
            return self._sitemap_response(site, path)
        if site.feed_path and full.split("&")[0] == site.feed_path.split("&")[0]:
            return self._feed_response(site)
        if path == site.search_path and site.search_param in query:
            return Response(200, self._search(site, query[site.search_param][0]).encode())
        if path == "/":
            return Response(200, self._home(site).encode(), last_modified=self._newest(site))
        listing = self._listing_number(site, path, query)
        if listing is not None:
            body = self._listing(site, listing)
            return Response(200 if body else 404, (body or self._not_found(site)).encode())
        if site.calendar and path == site.calendar_path:
            return Response(200, self._calendar(site).encode(), last_modified=self._newest(site))
        return Response(404, self._not_found(site).encode())

    def _newest(self, site: Site) -> datetime:
        return max(p.lastmod for p in site.pages)

    def _page_response(self, site: Site, page: Page) -> Response:
        body = render_page(site, page).encode()
        tag = hashlib.sha1(f"{self.seed}|{site.code}|{page.path}|{page.version}".encode()).hexdigest()[:16]
        return Response(200, body, last_modified=page.lastmod, etag=f'"{tag}"')

    # -- robots, sitemaps, feeds, search -------------------------------------------------------
    def _robots(self, site: Site) -> str:
        lines = ["User-agent: *", "Disallow: /edit/", "Disallow: /internt/"]
        if site.cms == "wordpress":
            lines += ["Disallow: /wp-admin/", "Allow: /wp-admin/admin-ajax.php"]
        lines.append("")
        lines += [f"Sitemap: {site.origin}{p}" for p in site.declared_sitemaps]
        return "\n".join(lines) + "\n"

    def _sitemap_response(self, site: Site, path: str) -> Response:
        articles = [p for p in site.pages if p.kind != "service"]
        others = [p for p in site.pages if p.kind == "service"]
        if site.sitemap_style == "index" and path == site._index_path:
            children = [c for c in site.sitemap_paths if c != path]
            entries = "".join(
                f"<sitemap><loc>{site.origin}{c}</loc><lastmod>{self._newest(site).isoformat()}</lastmod></sitemap>"
                for c in children
            )
            xml = (
                f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="{_SM}">{entries}</sitemapindex>'
            )
        elif site.sitemap_style == "index":
            chosen = articles if path.endswith(".xml.gz") else [*others, self._pseudo_listing(site)]
            xml = _urlset(site, chosen)
        else:
            xml = _urlset(site, [*site.pages, self._pseudo_listing(site)])
        body = xml.encode()
        if path.endswith(".gz"):
            return Response(200, gzip.compress(body, mtime=0), "application/x-gzip")
        return Response(200, body, "application/xml")

    def _pseudo_listing(self, site: Site) -> Page:
        return Page(site.news_listing, "listing", "Nyheter", self.base_date, lastmod=self._newest(site))

    def _feed_response(self, site: Site) -> Response:
        items = sorted((p for p in site.pages if p.kind != "service"), key=lambda p: p.lastmod, reverse=True)
        items = items[:FEED_ITEMS]
        if site.feed == "atom":
            entries = "".join(
                f'<entry><title>{_esc(p.title)}</title><link href="{site.origin}{_esc(p.path)}"/>'
                f"<id>{site.origin}{_esc(p.path)}</id><updated>{p.lastmod.isoformat()}</updated>"
                f"<summary>{_esc(p.teaser)}</summary></entry>"
                for p in items
            )
            xml = (
                f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                f"<title>Nyheter – {_esc(site.kommun)}</title><id>{site.origin}/</id>"
                f"<updated>{self._newest(site).isoformat()}</updated>{entries}</feed>"
            )
            return Response(200, xml.encode(), "application/atom+xml")
        entries = "".join(
            f"<item><title>{_esc(p.title)}</title><link>{site.origin}{_esc(p.path)}</link>"
            f"<description>{_esc(p.teaser)}</description><pubDate>{format_datetime(p.lastmod, usegmt=True)}</pubDate></item>"
            for p in items
        )
        xml = (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Nyheter – {_esc(site.kommun)}</title><link>{site.origin}/</link>{entries}</channel></rss>"
        )
        return Response(200, xml.encode(), "application/rss+xml")

    def _search(self, site: Site, query: str) -> str:
        """Results whose title or text hold every query word, newest first."""
        words = [w for w in query.lower().split() if w]
        hits = [
            p
            for p in site.pages
            if all(w in (p.title + " " + p.teaser + " " + _page_text(site, p)).lower() for w in words)
        ]
        hits.sort(key=lambda p: p.lastmod, reverse=True)
        items = [(p.path, p.title, p.teaser) for p in hits[:SEARCH_RESULTS]]
        return render_listing(site, f"Sökresultat för {query}", items, kind="search", total=len(hits))

    def _listing_number(self, site: Site, path: str, query: dict[str, list[str]]) -> int | None:
        """Which page of the news listing a path asks for (1 for the first), or None."""
        if path == site.news_listing:
            return int(query.get("page", ["1"])[0]) if query.get("page", ["1"])[0].isdigit() else 1
        prefix = site.news_listing + "page/"
        if path.startswith(prefix) and path[len(prefix) :].strip("/").isdigit():
            return int(path[len(prefix) :].strip("/"))
        return None

    def _listing(self, site: Site, number: int) -> str | None:
        articles = sorted(
            (p for p in site.pages if p.kind != "service"), key=lambda p: p.published, reverse=True
        )
        chunk = articles[(number - 1) * LISTING_PAGE_SIZE : number * LISTING_PAGE_SIZE]
        if not chunk and number > 1:
            return None
        items = [(p.path, p.title, p.teaser) for p in chunk]
        more = number * LISTING_PAGE_SIZE < len(articles)
        return render_listing(site, "Nyheter", items, kind="news", number=number, more=more)

    def _calendar(self, site: Site) -> str:
        events = [p for p in site.pages if p.kind in ("dialogue", "council")]
        items = [(p.path, p.title, p.teaser) for p in sorted(events, key=lambda p: p.meetings[0].date)]
        return render_listing(site, "Kalender", items, kind="calendar")

    def _home(self, site: Site) -> str:
        latest = sorted(
            (p for p in site.pages if p.kind != "service"), key=lambda p: p.published, reverse=True
        )[:5]
        items = [(p.path, p.title, p.teaser) for p in latest]
        return render_listing(site, site.kommun, items, kind="home")

    def _not_found(self, site: Site) -> str:
        return render_listing(site, "Sidan kunde inte hittas", [], kind="error")

    # -- serving ------------------------------------------------------------------------------
    def serve(self) -> NationalWeb:
        """Bind every site to loopback and answer requests from one thread; returns self."""
        for index, site in enumerate(self.sites):
            host = _address(index) if self.addresses else "127.0.0.1"
            server = http.server.ThreadingHTTPServer(
                (host, 0), _handler_for(self, site), bind_and_activate=True
            )
            server.daemon_threads = True
            server.handle_error = _quiet_error
            server.block_on_close = False
            site.origin = f"http://{host}:{server.server_address[1]}"
            self._servers.append(server)
        self._stop.clear()
        self._loop = threading.Thread(target=self._accept_loop, name="national-web", daemon=True)
        self._loop.start()
        return self

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            for server in self._servers:
                selector.register(server.socket, selectors.EVENT_READ, server)
            while not self._stop.is_set():
                for key, _events in selector.select(timeout=0.1):
                    key.data._handle_request_noblock()

    def close(self) -> None:
        self._stop.set()
        if self._loop is not None:
            self._loop.join()
        for server in self._servers:
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> NationalWeb:
        return self if self._servers else self.serve()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def origins(self) -> dict[str, str]:
        return {s.code: s.origin for s in self.sites}

    def record(self, site: Site, target: str, status: int) -> None:
        with self._lock:
            self.requests[(site.origin, target, status)] += 1


_SM = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _quiet_error(request: object, client_address: object) -> None:
    """A client that closes a kept-alive connection is normal here, not worth a traceback."""


def _address(index: int) -> str:
    """127.0.1.2, 127.0.1.3, ...: one loopback address per site (Linux answers on all of 127/8)."""
    return f"127.0.{1 + index // 250}.{2 + index % 250}"


def _bodies(count: int) -> list[tuple[str, str]]:
    """`count` municipalities (code, name) spread evenly over the SCB list."""
    with MUNICIPALITIES_CSV.open(encoding="utf-8", newline="") as handle:
        rows = [(r["municipality_code"], r["municipality"]) for r in csv.DictReader(handle)]
    if count >= len(rows):
        return rows
    return [rows[i * len(rows) // count] for i in range(count)]


def _later(meeting: Meeting) -> Meeting:
    """The same meeting half an hour later: what a changed page announces."""
    if meeting.start is None:
        return meeting
    hour, minute = map(int, meeting.start.split(":"))
    total = hour * 60 + minute + 30
    return Meeting(
        meeting.date, f"{total // 60:02d}:{total % 60:02d}", meeting.end, meeting.title, meeting.place
    )


def _urlset(site: Site, pages: list[Page]) -> str:
    entries = "".join(
        f"<url><loc>{site.origin}{_esc(p.path)}</loc><lastmod>{p.lastmod.isoformat()}</lastmod></url>"
        for p in pages
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="{_SM}">{entries}</urlset>'


def _conditional(response: Response, headers: dict[str, str]) -> Response:
    """304 when the client's ETag or date shows it already has this version."""
    if response.etag and headers.get("if-none-match"):
        if response.etag in [t.strip() for t in headers["if-none-match"].split(",")]:
            return Response(304, b"", response.content_type, response.last_modified, response.etag)
        return response
    since = headers.get("if-modified-since")
    if since and response.last_modified:
        try:
            if response.last_modified.replace(microsecond=0) <= parsedate_to_datetime(since):
                return Response(304, b"", response.content_type, response.last_modified, response.etag)
        except (TypeError, ValueError):
            pass
    return response


def _handler_for(web: NationalWeb, site: Site) -> type[http.server.BaseHTTPRequestHandler]:
    class _Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._answer(with_body=True)

        def do_HEAD(self) -> None:
            self._answer(with_body=False)

        def _answer(self, with_body: bool) -> None:
            if web.latency:
                time.sleep(web.latency)
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = web.respond(site, self.path, headers)
            web.record(site, self.path, answer.status)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            if answer.last_modified:
                self.send_header("Last-Modified", format_datetime(answer.last_modified, usegmt=True))
            if answer.etag:
                self.send_header("ETag", answer.etag)
            self.end_headers()
            if with_body:
                self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return _Handler


# -- markup ----------------------------------------------------------------------------------------
def _page_text(site: Site, page: Page) -> str:
    """The article's own prose as HTML paragraphs (Swedish, as a municipality writes it)."""
    rng = _rng(site.seed, site.code, page.path, "text", page.version)
    writer = {"dialogue": _dialogue_text, "council": _council_text, "summary": _summary_text}.get(page.kind)
    paragraphs = writer(site, page, rng) if writer else _plain_text(site, page, rng)
    if page.version:
        paragraphs.append(f"<p>Sidan uppdaterades {swedish_date(page.lastmod.date(), weekday=False)}.</p>")
    return "\n".join(paragraphs)


def _dialogue_text(site: Site, page: Page, rng: random.Random) -> list[str]:
    meeting = page.meetings[0]
    day = date.fromisoformat(meeting.date)
    place, street = next((p for p in PLACES if p[0] == meeting.place), PLACES[0])
    when = f"{swedish_date(day).capitalize()} kl {meeting.start.replace(':', '.')} - {meeting.end.replace(':', '.')}"
    topic = page.title.split(" om ", 1)[-1]
    return [
        f'<p class="lead">Socialtjänsten i {site.name} bjuder in till medborgardialog om {topic}. '
        "Vi vill höra hur du som invånare ser på vårt arbete och vad vi kan göra bättre.</p>",
        f"<h2>Dialogmöte i {place}</h2>",
        f"<p><strong>{when}</strong></p>",
        f"<p>Plats: {place}, {street}, {site.name}</p>",
        "<p>Mötet är öppet för alla och du behöver inte anmäla dig. Vi bjuder på kaffe och smörgås. "
        "Under kvällen berättar förvaltningen om vad som är på gång och sedan samtalar vi i mindre grupper.</p>",
        "<p>Kan du inte komma? Lämna gärna dina synpunkter via kommunens e-tjänst för synpunkter och klagomål.</p>",
        "<p>Lokalen är tillgänglighetsanpassad och det finns hörslinga.</p>",
        *_filler(rng, 2),
    ]


def _council_text(site: Site, page: Page, rng: random.Random) -> list[str]:
    council = page.meetings[0].title
    place = page.meetings[0].place
    start = page.meetings[0].start.replace(":", ".")
    rows = "".join(
        f"<li>{swedish_date(date.fromisoformat(m.date)).capitalize()} kl {start}</li>" for m in page.meetings
    )
    return [
        f'<p class="lead">{council} är ett forum för samråd och information mellan {site.kommun} '
        "och de organisationer som företräder pensionärer och personer med funktionsnedsättning.</p>",
        f"<h2>Sammanträden {page.meetings[0].date[:4]}</h2>",
        f"<p>Rådet sammanträder i {place}:</p>",
        f"<ul>{rows}</ul>",
        "<p>Mötena är öppna för rådets ledamöter och ersättare. Protokollen publiceras på sidan efter justering.</p>",
        *_filler(rng, 1),
    ]


def _summary_text(site: Site, page: Page, rng: random.Random) -> list[str]:
    day = date.fromisoformat(page.meetings[0].date)
    committee = page.title.split(" ")[0]
    return [
        f'<p class="lead">På mötet {swedish_date(day, weekday=False)} behandlade {committee.lower()} '
        "bland annat verksamhetens ekonomi, en uppföljning av hemtjänsten och ett nytt avtal om skyddat boende.</p>",
        "<h2>Ekonomisk uppföljning</h2>",
        "<p>Förvaltningen redovisade ett prognostiserat underskott som främst beror på ökade kostnader för placeringar. "
        "Nämnden gav förvaltningen i uppdrag att ta fram en åtgärdsplan.</p>",
        "<h2>Uppföljning av hemtjänsten</h2>",
        "<p>Nämnden fick information om brukarundersökningen. Nöjdheten har ökat jämfört med föregående år.</p>",
        "<h2>Ärenden som rör enskilda</h2>",
        f"<p>Nämnden behandlade {rng.randint(3, 12)} ärenden som rör enskilda personer. "
        "De omfattas av sekretess och redovisas inte här.</p>",
        f"<p>Nästa sammanträde hålls {swedish_date(day + timedelta(days=28), weekday=False)}.</p>",
    ]


def _plain_text(site: Site, page: Page, rng: random.Random) -> list[str]:
    return [f'<p class="lead">{_esc(page.teaser)}</p>', *_filler(rng, rng.randint(3, 7))]


_FILLER = (
    "Kommunen arbetar för att alla invånare ska få god service och ett bra bemötande.",
    "Har du frågor är du välkommen att kontakta kommunens kontaktcenter som hjälper dig vidare.",
    "Informationen på sidan uppdateras löpande när nya beslut fattas.",
    "Du kan också följa kommunen i sociala medier för att få de senaste nyheterna.",
    "Tänk på att handläggningstiden kan bli längre under semesterperioden.",
    "Vi tar gärna emot dina synpunkter på hur vi kan bli bättre.",
    "Läs mer om vilka regler som gäller på kommunens webbplats.",
    "Verksamheten följer de riktlinjer som kommunfullmäktige har beslutat om.",
)


def _filler(rng: random.Random, count: int) -> list[str]:
    return ["<p>" + " ".join(rng.sample(_FILLER, 3)) + "</p>" for _ in range(count)]


def _head(site: Site, title: str, page: Page | None) -> str:
    meta = [f'<meta charset="utf-8"><title>{_esc(title)} - {_esc(site.kommun)}</title>']
    if site.cms == "wordpress":
        meta.append('<meta name="generator" content="WordPress 6.5.5">')
        meta.append(
            '<link rel="stylesheet" href="/wp-content/themes/municipio/assets/dist/css/app.css?ver=2.68.4">'
        )
    elif site.cms == "sitevision":
        meta.append(
            '<link rel="stylesheet" href="/sitevision/system-resource/c7a0f1d2e3b4/css/portlets.css">'
        )
    elif site.cms == "episerver":
        meta.append('<meta name="generator" content="EPiServer">')
        meta.append(
            '<link rel="stylesheet" href="/Static/dist/css/main.css"><script src="/EPiServer/Shell/ClientResources/epi.js"></script>'
        )
    if page is not None:
        meta.append(f'<meta name="DC.date.issued" content="{page.published.isoformat()}">')
        meta.append(
            f'<meta property="article:published_time" content="{page.published.isoformat()}T08:00:00+01:00">'
        )
    if site.feed_path:
        kind = "application/atom+xml" if site.feed == "atom" else "application/rss+xml"
        meta.append(f'<link rel="alternate" type="{kind}" title="Nyheter" href="{_esc(site.feed_path)}">')
    meta.append(
        f'<link rel="search" href="{site.search_path}?{site.search_param}=">'
        if site.cms != "wordpress"
        else ""
    )
    meta.append(head_extras(site, site.chrome, title))
    return "<head>" + "".join(meta) + "</head>"


def render_page(site: Site, page: Page) -> str:
    """A content page in its site's CMS markup, 40-100 KB like the real ones."""
    text = _page_text(site, page)
    stamp = f"Publicerad {swedish_date(page.published, weekday=False)}"
    if site.cms == "sitevision":
        main = (
            f'<div class="sv-layout page-content" id="svid10_{site.code}{len(page.path)}">'
            f'<div class="sv-text-portlet sv-use-margins"><div class="sv-text-portlet-content">'
            f'<h1 class="heading">{_esc(page.title)}</h1></div></div>'
            f'<div class="sv-text-portlet"><div class="sv-text-portlet-content"><p class="lastmodified">{stamp}</p>{text}'
            "</div></div></div>"
        )
        body_class = "sv-responsive"
    elif site.cms == "wordpress":
        main = (
            f'<main id="main-content"><article class="c-article post type-post status-publish hentry">'
            f'<header class="entry-header"><h1 class="entry-title">{_esc(page.title)}</h1>'
            f'<time class="entry-date published" datetime="{page.published.isoformat()}">{stamp}</time></header>'
            f'<div class="entry-content">{text}</div></article></main>'
        )
        body_class = "wp-singular single single-post wp-theme-municipio"
    elif site.cms == "episerver":
        main = (
            f'<main id="main"><div class="main-content"><h1 class="page-title">{_esc(page.title)}</h1>'
            f'<p class="page-date">{stamp}</p>{text}</div></main>'
        )
        body_class = "epi-page article-page"
    else:
        main = f'<main><article><h1>{_esc(page.title)}</h1><p class="date">{stamp}</p>{text}</article></main>'
        body_class = "page"
    return _document(site, page.title, page, main, body_class)


def render_listing(
    site: Site,
    heading: str,
    items: list[tuple[str, str, str]],
    kind: str,
    number: int = 1,
    more: bool = False,
    total: int | None = None,
) -> str:
    """A listing, calendar, search result or home page: links with their titles and teasers."""
    if site.cms == "sitevision":
        rows = "".join(
            f'<li class="sv-channel-item"><a href="{_esc(u)}">{_esc(t)}</a><p>{_esc(s)}</p></li>'
            for u, t, s in items
        )
        listing = f'<ul class="sv-channel {kind}">{rows}</ul>'
    elif site.cms == "wordpress":
        rows = "".join(
            f'<article class="c-card"><h2 class="c-card__title"><a href="{_esc(u)}">{_esc(t)}</a></h2>'
            f"<p>{_esc(s)}</p></article>"
            for u, t, s in items
        )
        listing = f'<div class="c-archive {kind}">{rows}</div>'
    else:
        rows = "".join(
            f'<li class="list-item"><a href="{_esc(u)}">{_esc(t)}</a><span>{_esc(s)}</span></li>'
            for u, t, s in items
        )
        listing = f'<ul class="result-list {kind}">{rows}</ul>'
    found = f"<p>{total} träffar</p>" if total is not None else ""
    pager = ""
    if more:
        following = (
            f"{site.news_listing}page/{number + 1}/"
            if site.cms == "wordpress"
            else f"{site.news_listing}?page={number + 1}"
        )
        pager = f'<nav class="pagination"><a rel="next" href="{following}">Nästa sida</a></nav>'
    main = f"<main><h1>{_esc(heading)}</h1>{found}{listing}{pager}</main>"
    return _document(site, heading, None, main, f"{kind}-page")


def _document(site: Site, title: str, page: Page | None, main: str, body_class: str) -> str:
    """The page in its CMS's shell: header, menus, breadcrumbs, sub-menu, footer, scripts."""
    frame = Frame(
        site=site,
        style=site.chrome,
        head=_head(site, title, page),
        main=main,
        body_class=body_class,
        crumbs=_crumbs(site, title, page),
        area=_side_menu(site, page),
        page=page,
    )
    html = SHELLS.get(site.cms, SHELLS["generic"])(frame)
    return fill_to_size(html, site, site.chrome, page.path if page else f"{body_class}|{title}")


def _crumbs(site: Site, title: str, page: Page | None) -> list[tuple[str, str | None]]:
    """Startsida > the page's area or the news listing > the page."""
    home: list[tuple[str, str | None]] = [("Startsida", "/")]
    if page is None:
        return [*home, (title, None)]
    area = _area_of(site, page)
    if area is not None:
        return [*home, (area.label, area.path), (title, None)]
    return [*home, ("Nyheter", site.news_listing), (title, None)]


def _area_of(site: Site, page: Page) -> MenuNode | None:
    """The menu area a page sits under: the one its first path segment names, if any."""
    first = "/" + page.path.strip("/").split("/")[0].removesuffix(".html")
    for area in site.chrome.areas:
        if area.path.removesuffix(".html").rstrip("/") == first:
            return area
    return None


def _side_menu(site: Site, page: Page | None) -> MenuNode | None:
    """The sub-menu beside a page: its area's, or for some articles a related area's; none on listings."""
    if page is None:
        return None
    area = _area_of(site, page)
    if area is not None:
        return area
    rng = _rng(site.seed, site.code, page.path, "aside")
    return rng.choice(site.chrome.areas) if rng.random() < 0.6 else None


# -- command line ------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=290)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds each request waits")
    parser.add_argument("--addresses", action="store_true", help="one 127.x.y.z address per site")
    parser.add_argument("--manifest", type=Path, help="write the manifest (JSON) here")
    parser.add_argument("--registry", type=Path, help="write a discover:auto registry (YAML) here")
    args = parser.parse_args(argv)
    web = NationalWeb(
        args.sites, args.pages, args.seed, latency=args.latency, addresses=args.addresses
    ).serve()
    try:
        if args.manifest:
            args.manifest.write_text(
                json.dumps(web.manifest(), ensure_ascii=False, indent=1), encoding="utf-8"
            )
        if args.registry:
            args.registry.write_text(web.registry_yaml(), encoding="utf-8")
        relevant = len(web.relevant_urls())
        print(f"{len(web.sites)} sites, {len(web.content_urls())} pages, {relevant} relevant; Ctrl-C stops")
        for site in web.sites[:5]:
            print(
                f"  {site.code} {site.name}: {site.origin}/ ({site.cms}, sitemap {site.sitemap_style}, feed {site.feed})"
            )
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        web.close()


if __name__ == "__main__":
    raise SystemExit(main())
