"""A national crawl, timed: the bare loop against `kommundialog run` on a synthetic national web.

Serves benchmarks/national_web.py's synthetic web (one loopback address per
municipality, no delays, every page rendered before the clock starts) and
runs, each as its own process, in one invocation:

- the bare loop a competent engineer writes without orchestration: requests
  with 32 threads, BeautifulSoup(html, "lxml") on every page, a date regex, one
  bulk DuckDB insert;
- Prefect's fixed cost: `kommundialog run` on a one-source registry, first
  ever (a fresh PREFECT_HOME) and again;
- the pipeline: `kommundialog run` cold, again with nothing changed, again
  after 5 % of the pages changed; `kommundialog publish` into a new folder and
  again with nothing new.

Each step prints wall seconds, pages/s, CPU seconds (the step's process and
its children) and peak RSS (the whole process tree, sampled every 0.2 s), then
the ratios the issue asks for. Finally it checks that the pipeline found the
meetings the generator wrote: a fast run that finds nothing must show.

Run:  .venv/bin/python benchmarks/bench_national.py [--sites 290 --pages 50 | --small | --smoke]
--small is 30 x 20 (a few minutes), --smoke 3 x 10 (the test suite runs it).
Not part of the test suite's timing: it measures, it does not assert speed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.national_web import LISTING_PAGE_SIZE, NationalWeb, Page, Response, Site  # noqa: E402

BIN = Path(sys.executable).parent
# Listing links per CMS, as the generator marks them up.
FOLLOW = {
    "sitevision": "ul.sv-channel li.sv-channel-item a",
    "wordpress": "article.c-card h2 a",
}
DEFAULT_FOLLOW = "ul.result-list li.list-item a"
BARE_THREADS = 32
BARE_DATE = re.compile(
    r"\b(\d{1,2})\s+(januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december)"
    r"(?:\s+(\d{4}))?(?:\s+kl\.?\s*(\d{1,2})[.:](\d{2}))?",
    re.IGNORECASE,
)
SIZES = {"full": (290, 50), "small": (30, 20), "smoke": (3, 10)}


@dataclass
class Step:
    """One timed process: what it did and what it cost."""

    name: str
    wall: float
    cpu: float
    peak_rss_mb: float
    pages: int | None = None
    returncode: int = 0

    @property
    def rate(self) -> float | None:
        return self.pages / self.wall if self.pages and self.wall else None


# -- the synthetic web and its registry -----------------------------------------------------------


class RenderedWeb(NationalWeb):
    """The synthetic web with each page version rendered once, before the clock starts.

    The generator builds a page's HTML on every request (a 304 included), about
    8 ms of the server's CPU per page: on a 2-core machine that would time the
    generator, not the crawlers. Here pages are rendered up front and served
    from memory, as a web server serves files.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._rendered: dict[tuple[str, str, int], Response] = {}

    def _page_response(self, site: Site, page: Page) -> Response:
        key = (site.code, page.path, page.version)
        response = self._rendered.get(key)
        if response is None:
            response = self._rendered[key] = super()._page_response(site, page)
        return response

    def render_all(self) -> None:
        """Render every page's current version (after serve(): pages link to their site's origin)."""
        live = {(s.code, p.path, p.version) for s in self.sites for p in s.pages}
        self._rendered = {k: v for k, v in self._rendered.items() if k in live}
        for site in self.sites:
            for page in site.pages:
                self._page_response(site, page)


def listing_urls(site: Site) -> list[str]:
    """Every page of the site's news listing (each a start URL, as an operator would list an archive)."""
    articles = sum(1 for p in site.pages if p.kind != "service")
    count = max(1, math.ceil(articles / LISTING_PAGE_SIZE))
    urls = [site.origin + site.news_listing]
    for number in range(2, count + 1):
        suffix = f"page/{number}/" if site.cms == "wordpress" else f"?page={number}"
        urls.append(site.origin + site.news_listing + suffix)
    return urls


def crawled_pages(web: NationalWeb) -> int:
    """Pages both the bare loop and the pipeline read: listing pages and the articles they link."""
    return sum(len(listing_urls(s)) + sum(1 for p in s.pages if p.kind != "service") for s in web.sites)


def registry_yaml(web: NationalWeb, sites: list[Site] | None = None) -> str:
    """One source per municipality: its listing pages as start URLs, its CMS's listing links followed."""
    lines = ['settings:\n  user_agent: "kommundialog-benchmark (+http://127.0.0.1/)"', "sources:"]
    for site in sites or web.sites:
        starts = listing_urls(site)
        lines += [
            f"  - id: bench-{site.code}",
            f"    municipality: {json.dumps(site.name, ensure_ascii=False)}",
            f'    municipality_code: "{site.code}"',
            f"    profile: {site.cms}",
            f"    start_urls: {json.dumps(starts)}",
            f"    follow: {{links: {json.dumps(FOLLOW.get(site.cms, DEFAULT_FOLLOW))}}}",
            "    allow_private_network: true",
            "    min_delay_seconds: 0",
            "    max_concurrency: 8",
            f"    max_pages: {len(starts) + len(site.pages) + 5}",
        ]
    return "\n".join(lines) + "\n"


# -- the bare loop (run as its own process: --bare REGISTRY DB) ------------------------------------


def bare_loop(registry_file: Path, db: Path) -> None:
    """requests with 32 threads, BeautifulSoup on every page, a date regex, one bulk insert."""
    import duckdb
    import requests
    import yaml
    from bs4 import BeautifulSoup

    sources = yaml.safe_load(registry_file.read_text(encoding="utf-8"))["sources"]
    session = requests.Session()
    session.trust_env = False
    adapter = requests.adapters.HTTPAdapter(pool_connections=BARE_THREADS, pool_maxsize=BARE_THREADS)
    session.mount("http://", adapter)

    def get(url: str) -> str | None:
        try:
            response = session.get(url, timeout=30)
        except requests.RequestException:
            return None
        return response.text if response.status_code == 200 else None

    def links(source: dict, url: str) -> list[str]:
        html = get(url)
        if html is None:
            return []
        soup = BeautifulSoup(html, "lxml")
        anchors = soup.select(source["follow"]["links"])
        return [requests.compat.urljoin(url, a["href"]) for a in anchors if a.get("href")]

    def read(item: tuple[dict, str]) -> list[tuple]:
        source, url = item
        html = get(url)
        if html is None:
            return []
        text = BeautifulSoup(html, "lxml").get_text(" ")
        return [(source["id"], url, " ".join(m.group(0).split())) for m in BARE_DATE.finditer(text)]

    with ThreadPoolExecutor(max_workers=BARE_THREADS) as pool:
        starts = [(s, u) for s in sources for u in s["start_urls"]]
        found = list(pool.map(lambda item: links(*item), starts))
        pages = {url: source for (source, _), urls in zip(starts, found, strict=True) for url in urls}
        rows = [row for result in pool.map(read, [(s, u) for u, s in pages.items()]) for row in result]
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE dates (source_id VARCHAR, url VARCHAR, date_text VARCHAR)")
        if rows:
            con.executemany("INSERT INTO dates VALUES (?, ?, ?)", rows)
    print(f"bare loop: {len(starts)} listing pages, {len(pages)} articles, {len(rows)} dates", flush=True)


# -- timing a process ----------------------------------------------------------------------------


def _tree_rss(root: int) -> float:
    """Resident memory of a process and all its descendants, in MB (psutil)."""
    import psutil

    try:
        process = psutil.Process(root)
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total / 1e6


def timed(name: str, command: list[str], env: dict[str, str], log: Path, pages: int | None = None) -> Step:
    """Run a command, sampling its process tree's RSS; wall, CPU (self and children) and peak."""
    started = time.monotonic()
    before = os.times()
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        peak = 0.0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss(process.pid))
                done.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = process.wait()
        done.set()
        sampler.join()
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    step = Step(name, time.monotonic() - started, cpu, peak, pages, returncode)
    if returncode != 0:
        print(f"  {name} exited with {returncode}; see {log}", flush=True)
    return step


# -- checking what the pipeline found --------------------------------------------------------------


def meetings_found(web: NationalWeb, db: Path) -> tuple[int, int, int, int]:
    """(meeting pages with a meeting in the warehouse, meeting pages written, meetings found, meetings written)."""
    import duckdb

    written = {
        s.origin + p.path: len(p.meetings)
        for s in web.sites
        for p in s.pages
        if p.meetings and p.kind != "service"
    }
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT page_url, count(*) FROM meetings WHERE state = 'active' GROUP BY page_url"
        ).fetchall()
    found = {url: n for url, n in rows if url in written}
    return len(found), len(written), sum(found.values()), sum(written.values())


# -- the run -------------------------------------------------------------------------------------


def format_table(steps: list[Step]) -> str:
    lines = ["| step | wall s | pages/s | CPU s | peak RSS MB |", "|---|---|---|---|---|"]
    for step in steps:
        rate = f"{step.rate:.1f}" if step.rate else ""
        lines.append(f"| {step.name} | {step.wall:.1f} | {rate} | {step.cpu:.1f} | {step.peak_rss_mb:.0f} |")
    return "\n".join(lines)


def ratios(by_name: dict[str, Step]) -> list[str]:
    """The issue's ratios, each also without Prefect's fixed cost (reported apart, never hidden)."""
    bare, cold = by_name["bare loop, cold"], by_name["run, cold"]
    fixed = by_name["Prefect fixed cost (1-source run)"].wall

    def share(step: Step) -> str:
        return f"{step.wall / bare.wall:.1%} ({max(step.wall - fixed, 0) / bare.wall:.1%} without Prefect's fixed cost)"

    lines = [
        f"pipeline cold throughput / bare loop: {bare.wall / cold.wall:.2f}x "
        f"({bare.wall / max(cold.wall - fixed, 1e-9):.2f}x without Prefect's fixed cost)  (issue: >= 3x; before: 0.72x)",
        f"no-change run / bare loop cold: {share(by_name['run, nothing changed'])}  (issue: <= 5%)",
        f"5% changed run / bare loop cold: {share(by_name['run, 5% changed'])}  (issue: <= 10%)",
        f"peak RSS of run, cold: {cold.peak_rss_mb:.0f} MB  (issue: < 1000 MB; before: 1469 MB)",
    ]
    first = by_name.get("Prefect first start")
    first_ever = f" (first ever: {first.wall:.1f} s)" if first else ""
    lines.append(
        f"Prefect's fixed cost: {fixed:.1f} s{first_ever}: a one-source run's wall time, "
        "included in every run's wall time above"
    )
    return lines


def run(sites: int, pages: int, workdir: Path, task_runner: str, smoke: bool = False) -> int:
    web = RenderedWeb(sites=sites, pages=pages, addresses=True).serve()
    web.render_all()
    try:
        return _run_steps(web, workdir, task_runner, smoke)
    finally:
        web.close()


def _run_steps(web: RenderedWeb, workdir: Path, task_runner: str, smoke: bool) -> int:
    registry, one = workdir / "registry.yaml", workdir / "one-source.yaml"
    registry.write_text(registry_yaml(web), encoding="utf-8")
    one.write_text(registry_yaml(web, web.sites[:1]), encoding="utf-8")
    env = {**os.environ, "PREFECT_HOME": str(workdir / "prefect"), "PREFECT_LOGGING_LEVEL": "WARNING"}
    total = crawled_pages(web)
    print(
        f"synthetic national web: {len(web.sites)} sites, {total} pages to crawl "
        f"({sum(len(s.pages) for s in web.sites)} content pages written), "
        f"{len(web.relevant_urls())} relevant",
        flush=True,
    )
    kd = [str(BIN / "kommundialog")]
    runner = ["--task-runner", task_runner]
    pipeline = [*kd, "run", "--sources", str(registry), "--db", str(workdir / "p" / "kd.duckdb")]
    pipeline += ["--out", str(workdir / "p" / "catalogue"), *runner]

    def step(name: str, command: list[str], pages: int | None = None) -> Step:
        print(f"- {name} ...", flush=True)
        log = workdir / (re.sub(r"\W+", "-", name).strip("-") + ".log")
        result = timed(name, command, env, log, pages)
        print(f"  {result.wall:.1f} s", flush=True)
        return result

    def one_source(name: str, db: str) -> Step:
        return step(name, [*kd, "run", "--sources", str(one), "--db", db, "--out", db + "-out", *runner])

    bare = [sys.executable, __file__, "--bare", str(registry), str(workdir / "bare.duckdb")]
    steps = [step("bare loop, cold", bare, total)]
    if not smoke:  # the same command as the next step, only slower: Prefect creates its database
        steps.append(one_source("Prefect first start", str(workdir / "one" / "a.duckdb")))
    steps += [
        one_source("Prefect fixed cost (1-source run)", str(workdir / "one" / "b.duckdb")),
        step("run, cold", pipeline, total),
        step("run, nothing changed", pipeline, total),
    ]
    changed = web.change_pages(0.05, seed=7)
    web.render_all()
    print(f"  changed {len(changed)} pages", flush=True)
    steps.append(step("run, 5% changed", pipeline, total))
    publish = [*kd, "publish", "--db", str(workdir / "p" / "kd.duckdb")]
    steps.append(step("publish, full build", [*publish, "--out", str(workdir / "fresh-catalogue")]))
    steps.append(step("publish, unchanged", [*publish, "--out", str(workdir / "p" / "catalogue")]))

    print()
    print(format_table(steps))
    print()
    by_name = {s.name: s for s in steps}
    for line in ratios(by_name):
        print(line)
    pages_found, pages_written, found, written = meetings_found(web, workdir / "p" / "kd.duckdb")
    print(
        f"meetings found: {found} of {written} the generator wrote, "
        f"on {pages_found} of {pages_written} meeting pages"
    )
    failed = [s.name for s in steps if s.returncode != 0]
    if failed:
        print(f"FAILED steps: {', '.join(failed)}")
        return 1
    if written and pages_found < 0.5 * pages_written:
        print("CHECK FAILED: the pipeline found meetings on fewer than half the meeting pages")
        return 1
    return 0


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--bare":
        bare_loop(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sites", type=int, default=SIZES["full"][0])
    parser.add_argument("--pages", type=int, default=SIZES["full"][1], help="content pages per site")
    parser.add_argument("--small", action="store_true", help=f"{'x'.join(map(str, SIZES['small']))}")
    parser.add_argument("--smoke", action="store_true", help=f"{'x'.join(map(str, SIZES['smoke']))}")
    parser.add_argument("--task-runner", choices=("threads", "dask"), default="threads")
    parser.add_argument("--workdir", type=Path, help="keep logs and warehouses here (default: a temp dir)")
    args = parser.parse_args()
    sites, pages = (
        SIZES["smoke" if args.smoke else "small"] if args.smoke or args.small else (args.sites, args.pages)
    )
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        sys.exit(run(sites, pages, args.workdir, args.task_runner, args.smoke))
    with tempfile.TemporaryDirectory(prefix="kommundialog-national-") as temp:
        sys.exit(run(sites, pages, Path(temp), args.task_runner, args.smoke))


if __name__ == "__main__":
    main()
