"""The catalogue page in a real headless Chromium, driven over the DevTools protocol.

Debian's chromium package (installed by .ci/run when missing). The page is
served by `kommundialog serve-catalogue`'s server on 127.0.0.1; the test
checks console errors, the seed meetings, the filters, keyboard access,
contrast and that every download link resolves, and saves a screenshot
(into docs/ when KOMMUNDIALOG_UPDATE_SCREENSHOT=1).
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from tests.catalogue_support import LOADED_AT, catalogue_config, load_seed_pages
from tests.conftest import PROJECT_ROOT
from warehouse.catalogue.publish import publish_catalogue
from warehouse.catalogue.serve import serving
from warehouse.db import open_warehouse

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
    "--lang=sv-SE",
)
SCREENSHOT = PROJECT_ROOT / "docs" / "catalogue-screenshot.png"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).is_file(),
    reason="Chromium is not installed (Debian package 'chromium'; .ci/run installs it when it can)",
)


class DevToolsError(RuntimeError):
    """Chromium did not start or a DevTools command failed."""


class Tab:
    """One page target: send DevTools commands, keep the events that arrive meanwhile."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        number = next(self.ids)
        self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.socket.recv(timeout=max(deadline - time.monotonic(), 0.01)))
            if message.get("id") == number:
                if "error" in message:
                    raise DevToolsError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for message in self.events:
                if message.get("method") == event:
                    self.events.remove(message)
                    return message
            self.events.append(json.loads(self.socket.recv(timeout=max(deadline - time.monotonic(), 0.01))))

    def open(self, url: str) -> None:
        """Navigate and wait for the load event."""
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """Run JavaScript in the page (promises awaited) and return its JSON value."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise DevToolsError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def press_tab(self) -> None:
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key="Tab", code="Tab", windowsVirtualKeyCode=9)

    def console_errors(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors seen so far."""
        errors = []
        for message in self.events:
            method, params = message.get("method"), message.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                errors.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                errors.append(f"{params['entry']['text']} {params['entry'].get('url', '')}")
        return errors

    def screenshot(self, path: Path, width: int = 1280) -> None:
        """A full-page PNG."""
        metrics = {"width": width, "deviceScaleFactor": 1, "mobile": False}
        self.send("Emulation.setDeviceMetricsOverride", height=800, **metrics)
        height = int(self.evaluate("document.documentElement.scrollHeight"))
        self.send("Emulation.setDeviceMetricsOverride", height=height, **metrics)
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))


class Chromium:
    """A headless Chromium with its own throw-away profile, reached over the DevTools protocol."""

    def __init__(self) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="kommundialog-chromium-"))
        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.port = self._wait_for_port()

    def _wait_for_port(self, timeout: float = 60) -> int:
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker.is_file() and marker.read_text().strip():
                return int(marker.read_text().splitlines()[0])
            if self.process.poll() is not None:
                raise DevToolsError(f"chromium exited with {self.process.returncode}")
            time.sleep(0.1)
        raise DevToolsError("chromium did not open its DevTools port")

    def new_tab(self) -> Tab:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/json/new?about:blank", method="PUT")
        with urllib.request.urlopen(request, timeout=30) as response:
            target = json.load(response)
        tab = Tab(connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=30))
        for domain in ("Page", "Runtime", "Log"):
            tab.send(f"{domain}.enable")
        return tab

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


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
def browser() -> Iterator[Chromium]:
    chromium = Chromium()
    yield chromium
    chromium.close()


@pytest.fixture
def tab(browser: Chromium) -> Iterator[Tab]:
    page = browser.new_tab()
    yield page
    page.socket.close()


VISIBLE_ROWS = """[...document.querySelectorAll('#%s tbody tr')].filter(r => !r.hidden)
    .map(r => r.querySelector('time').textContent)"""


def set_filter(tab: Tab, field: str, value: str) -> None:
    tab.evaluate(
        f"(() => {{ const f = document.getElementById({json.dumps(field)}); f.value = {json.dumps(value)};"
        "f.dispatchEvent(new Event('change', {bubbles: true})); })()"
    )


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
    tab.evaluate("document.querySelector('#filters button[type=reset]').click()")
    time.sleep(0.2)
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
