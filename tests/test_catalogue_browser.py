"""The catalogue page in a real headless Chromium, driven by Playwright.

Debian's chromium package (installed by .ci/run when missing), launched by
Playwright through `executable_path`: Playwright's own browser downloads are
never used. The page is served by `kommundialog serve-catalogue`'s server on
127.0.0.1; the test checks console errors, the seed meetings, the filters
(municipality, activity, topic, date), the invitations, keyboard access,
contrast and that every download link resolves, and saves a screenshot
(into docs/ when KOMMUNDIALOG_UPDATE_SCREENSHOT=1).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tasks.records import PageExtraction
from tasks.registry import load_registry
from tests.catalogue_support import (
    LOADED_AT,
    REGISTRY,
    catalogue_config,
    load_extraction,
    load_seed_pages,
    make_meeting,
)
from tests.conftest import PROJECT_ROOT
from warehouse.catalogue.publish import publish_catalogue
from warehouse.catalogue.serve import serving
from warehouse.db import open_warehouse

playwright = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = PROJECT_ROOT / "docs" / "catalogue-screenshot.png"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason="Chromium is not installed (Debian package 'chromium'; .ci/run installs it when it can)",
)


class Tab:
    """One browser page and the errors it reported: console errors, uncaught exceptions, failed loads."""

    def __init__(self, page: playwright.Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type in ("error", "assert") else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("requestfailed", lambda r: self.errors.append(f"{r.failure} {r.url}"))

    def open(self, url: str) -> None:
        self.page.goto(url, wait_until="load")

    def evaluate(self, expression: str) -> object:
        return self.page.evaluate(expression)

    def press_tab(self) -> None:
        self.page.keyboard.press("Tab")

    def console_errors(self) -> list[str]:
        return list(self.errors)

    def screenshot(self, path: Path, width: int = 1280) -> None:
        """A full-page PNG."""
        self.page.set_viewport_size({"width": width, "height": 800})
        self.page.screenshot(path=str(path), full_page=True)


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed catalogue, published."""
    root = tmp_path_factory.mktemp("browser")
    db = root / "kd.duckdb"
    load_seed_pages(db)
    with open_warehouse(db) as con:
        publish_catalogue(con, root / "catalogue", LOADED_AT, catalogue_config())
    return root / "catalogue"


@pytest.fixture(scope="module")
def site(catalogue: Path) -> Iterator[str]:
    """The catalogue served on 127.0.0.1."""
    with serving(catalogue) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[playwright.Browser]:
    """Debian's chromium, headless, with its own throw-away profile (Playwright's launch)."""
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser: playwright.Browser) -> Iterator[Tab]:
    context = browser.new_context(locale="sv-SE")
    yield Tab(context.new_page())
    context.close()


VISIBLE_ROWS = """[...document.querySelectorAll('#%s tbody tr')].filter(r => !r.hidden)
    .map(r => r.querySelector('time').textContent)"""


def set_filter(tab: Tab, field: str, value: str) -> None:
    """Choose a value the way a reader does: select_option on a list, fill on a date field."""
    locator = tab.page.locator(f"#{field}")
    if locator.evaluate("f => f.tagName") == "SELECT":
        locator.select_option(value)
    else:
        locator.fill(value)


def test_page_loads_without_console_errors_and_lists_the_seed_meetings(site: str, tab: Tab) -> None:
    tab.open(f"{site}index.html?idag=2024-09-01")
    assert tab.evaluate("document.documentElement.lang") == "sv"
    assert tab.evaluate(VISIBLE_ROWS % "upcoming") == ["2024-09-16", "2024-10-21", "2024-11-18", "2024-12-16"]
    assert tab.evaluate(VISIBLE_ROWS % "past") == ["2024-05-28 17:30–20:00", "2017-08-31"]
    text = tab.evaluate("document.body.innerText")
    assert "Oasen" in text and "Fontänhuset" in text and "Socialnämnden" in text
    assert tab.evaluate("document.getElementById('filters').hidden") is False
    assert tab.console_errors() == []


def test_upcoming_meetings_follow_the_readers_date(site: str, tab: Tab) -> None:
    tab.open(f"{site}index.html")  # today's date: every seed meeting lies in the past
    assert tab.evaluate(VISIBLE_ROWS % "upcoming") == []
    assert tab.evaluate("document.getElementById('upcoming-empty').hidden") is False
    assert len(tab.evaluate(VISIBLE_ROWS % "past")) == 6


def test_filters_by_municipality_topic_and_date_work_without_a_server(
    catalogue: Path, site: str, tab: Tab
) -> None:
    tab.open(f"{site}index.html?idag=2024-09-01")
    set_filter(tab, "filter-kommun", "2401")
    assert tab.evaluate(VISIBLE_ROWS % "upcoming") == []
    assert tab.evaluate(VISIBLE_ROWS % "past") == ["2024-05-28 17:30–20:00"]
    assert "Visar 1 av 6" in tab.evaluate("document.getElementById('filter-status').textContent")
    set_filter(tab, "filter-kommun", "")

    lines = (catalogue / "meetings.jsonl").read_text(encoding="utf-8").splitlines()
    upcoming = sorted(
        (m for m in map(json.loads, lines) if (m["date"] or "") >= "2024-09-01"), key=lambda m: m["date"]
    )
    topic = next(t for m in upcoming for t in m["topics"])  # a topic the extractor found on the seeds
    with_topic = [m["date"] for m in upcoming if topic in m["topics"]]
    set_filter(tab, "filter-amne", topic)
    assert tab.evaluate(VISIBLE_ROWS % "upcoming") == with_topic
    set_filter(tab, "filter-fran", with_topic[-1])
    assert tab.evaluate(VISIBLE_ROWS % "upcoming") == with_topic[-1:]
    set_filter(tab, "filter-till", "2024-09-01")
    assert tab.evaluate(VISIBLE_ROWS % "upcoming") == []
    assert tab.evaluate("document.getElementById('upcoming-empty').hidden") is False
    tab.page.click("#filters button[type=reset]")
    tab.page.wait_for_function("document.querySelectorAll('#upcoming tbody tr:not([hidden])').length === 4")
    assert len(tab.evaluate(VISIBLE_ROWS % "upcoming")) == 4
    assert tab.console_errors() == []


def test_every_download_link_resolves_with_its_stated_size(site: str, tab: Tab) -> None:
    for page in ("index.html", "kommun/1283/index.html"):
        tab.open(f"{site}{page}")
        results = tab.evaluate(
            """Promise.all([...document.querySelectorAll('a[href]')]
              .filter(a => a.href.startsWith(location.origin))
              .map(a => fetch(a.href).then(r => r.arrayBuffer().then(b =>
                 ({href: a.getAttribute('href'), status: r.status, size: b.byteLength,
                   stated: a.dataset.bytes ? Number(a.dataset.bytes) : null})))))"""
        )
        assert len(results) >= 20
        broken = [r for r in results if r["status"] != 200 or r["stated"] not in (None, r["size"])]
        assert broken == [], page
        assert any(r["href"].endswith("meetings.parquet") for r in results)
        assert tab.console_errors() == []


def test_the_page_is_usable_by_keyboard_and_labelled(site: str, tab: Tab) -> None:
    tab.open(f"{site}index.html")
    tab.press_tab()
    assert tab.evaluate("document.activeElement.className") == "skip"
    focused = []
    for _ in range(12):
        tab.press_tab()
        focused.append(tab.evaluate("document.activeElement.id || document.activeElement.tagName"))
    assert {"filter-kommun", "filter-amne", "filter-fran", "filter-till"} <= set(focused)
    unlabelled = tab.evaluate(
        "[...document.querySelectorAll('select, input')].filter(f => !f.labels || !f.labels.length).length"
    )
    assert unlabelled == 0
    headings = tab.evaluate("[...document.querySelectorAll('h1, h2, h3')].map(h => Number(h.tagName[1]))")
    assert headings[0] == 1 and headings.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(headings))


CONTRAST = """(() => {
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = el => { for (; el; el = el.parentElement) { const c = getComputedStyle(el).backgroundColor;
    if (rgb(c).length < 4 || rgb(c)[3] > 0) return rgb(c).slice(0, 3); } return [255, 255, 255]; };
  const low = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push(el.tagName + ': ' + ratio.toFixed(2) + ' ' + el.textContent.trim().slice(0, 30));
  }
  return low;
})()"""


def test_text_contrast_meets_wcag_aa(site: str, tab: Tab) -> None:
    tab.open(f"{site}index.html?idag=2024-09-01")
    assert tab.evaluate(CONTRAST) == []


def test_municipality_page_and_screenshot(site: str, tab: Tab, tmp_path: Path) -> None:
    tab.open(f"{site}kommun/1283/index.html?idag=2024-09-01")
    assert tab.evaluate("document.querySelector('h1').textContent").startswith("Helsingborg")
    assert tab.evaluate("document.getElementById('filter-kommun')") is None
    assert len(tab.evaluate(VISIBLE_ROWS % "upcoming")) == 4
    assert tab.console_errors() == []

    tab.open(f"{site}index.html?idag=2024-09-01")
    target = SCREENSHOT if os.environ.get("KOMMUNDIALOG_UPDATE_SCREENSHOT") == "1" else tmp_path / "page.png"
    tab.screenshot(target)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and target.stat().st_size > 20_000


ACTIVITY_PAGE = "https://www.nordmaling.se/nyheter/nyheter/2024-08-20-moten-i-host.html"


@pytest.fixture(scope="module")
def activity_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The seed catalogue plus a council and a committee meeting, served on 127.0.0.1."""
    root = tmp_path_factory.mktemp("browser-activity")
    db = root / "kd.duckdb"
    load_seed_pages(db)
    source = next(s for s in load_registry(REGISTRY).sources if s.municipality_code == "2401")
    meetings = (
        make_meeting(ACTIVITY_PAGE, date(2024, 9, 3), activity="council", title="Pensionärsrådet"),
        make_meeting(ACTIVITY_PAGE, date(2024, 9, 10), activity="committee", title="Socialnämnden"),
    )
    extraction = PageExtraction(
        url=ACTIVITY_PAGE, title="Möten", kind="meeting", published=None, meetings=meetings
    )
    load_extraction(db, source, extraction, LOADED_AT, "run-activity")
    with open_warehouse(db) as con:
        publish_catalogue(con, root / "catalogue", LOADED_AT, catalogue_config())
    with serving(root / "catalogue") as url:
        yield url


def test_the_activity_filter_shows_exactly_the_meetings_of_that_activity(
    activity_site: str, tab: Tab
) -> None:
    tab.open(f"{activity_site}index.html?idag=2024-09-01")
    rows = tab.evaluate("[...document.querySelectorAll('tr[data-meeting]')].map(r => r.dataset.activity)")
    options = tab.evaluate("[...document.querySelectorAll('#filter-aktivitet option')].map(o => o.value)")
    assert options[0] == "" and set(options[1:]) == set(rows) >= {"council", "committee"}
    for activity in options[1:]:
        set_filter(tab, "filter-aktivitet", activity)
        shown = tab.evaluate(
            "[...document.querySelectorAll('tr[data-meeting]')].filter(r => !r.hidden).map(r => r.dataset.activity)"
        )
        assert shown == [activity] * rows.count(activity), activity
    set_filter(tab, "filter-aktivitet", "committee")
    assert tab.evaluate(VISIBLE_ROWS % "upcoming") == ["2024-09-10"]
    # Every committee meeting counts, the seed summary's next meeting too (it is a committee's).
    status = tab.evaluate("document.getElementById('filter-status').textContent")
    assert f"Visar {rows.count('committee')} av {len(rows)}" in status
    set_filter(tab, "filter-aktivitet", "")
    assert len(tab.evaluate(VISIBLE_ROWS % "upcoming") + tab.evaluate(VISIBLE_ROWS % "past")) == len(rows)
    assert tab.console_errors() == []


def test_the_ovanaker_invitation_is_on_the_page(site: str, tab: Tab) -> None:
    tab.open(f"{site}index.html")
    section = tab.page.locator("section[aria-labelledby=h-invitations]")
    assert section.is_visible()
    row = section.locator("tr[data-invitation]")
    assert row.count() == 1
    text = row.inner_text()
    assert "Ovanåker" in text and "Vi vill gärna ha dialog med dig!" in text
    assert "socialtjansten@ovanaker.se" in text and "E-tjänst" in text
    tab.open(f"{site}kommun/2121/index.html")
    assert "Vi vill gärna ha dialog med dig!" in tab.page.locator("#invitations").inner_text()
    assert tab.console_errors() == []
