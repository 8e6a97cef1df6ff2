"""Warehouse load speed: 100,000 meetings into a fresh DuckDB file, then the same again,
then a run where nothing changed (every page a 304) on the run's one open connection.

Run: .venv/bin/python benchmarks/bench_load.py [--meetings 100000] [--sources 100] [--smoke]
Not part of the test suite: it measures, it does not assert.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tasks.records import FetchedPage, Meeting, PageExtraction  # noqa: E402
from tasks.registry import Source  # noqa: E402
from warehouse.db import open_warehouse  # noqa: E402
from warehouse.load import load_source_run  # noqa: E402

MEETINGS_PER_PAGE = 10


def synthetic_source(
    index: int, meetings: int, now: datetime
) -> tuple[Source, list[FetchedPage], list[PageExtraction]]:
    """A source with `meetings` meetings spread over pages of ten."""
    host = f"www.kommun{index}.se"
    source = Source(
        id=f"kommun-{index}",
        municipality="Nordmaling",
        municipality_code="2401",
        start_urls=(f"https://{host}/",),
        profile="sitevision",
    )
    pages, extractions = [], []
    for page_number in range(meetings // MEETINGS_PER_PAGE):
        url = f"https://{host}/dialog/{page_number}.html"
        pages.append(
            FetchedPage(url, url, 200, now, "text/html", b"<html></html>", f"{index:04d}{page_number:060d}")
        )
        items = tuple(
            Meeting(
                id=f"m-{index:04d}{page_number:06d}{n:06d}",
                title="Dialogmöte",
                date=date(2026, 1, 1) + timedelta(days=n),
                month_day=None,
                year_basis="published",
                start=clock(18, 0),
                end=clock(20, 0),
                place="Stadshuset",
                address="Storgatan 1, Nordmaling",
                attendance="in_person",
                status="scheduled",
                topics=("elderly_care",),
            )
            for n in range(MEETINGS_PER_PAGE)
        )
        extractions.append(
            PageExtraction(url=url, title="Dialogmöte", kind="meeting", published=None, meetings=items)
        )
    return source, pages, extractions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--meetings", type=int, default=100_000)
    parser.add_argument("--sources", type=int, default=100)
    parser.add_argument("--smoke", action="store_true", help="200 meetings from 2 sources: checks it runs")
    args = parser.parse_args()
    if args.smoke:
        args.meetings, args.sources = 200, 2
    now = datetime.now(UTC)
    per_source = args.meetings // args.sources
    batches = [synthetic_source(i, per_source, now) for i in range(args.sources)]
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        for label in ("first load (all new)", "second load (all unchanged)"):
            started = time.perf_counter()
            with open_warehouse(db) as con:
                for source, pages, extractions in batches:
                    load_source_run(con, source, pages, extractions, f"run-{label[:5]}", now, "bench")
            elapsed = time.perf_counter() - started
            print(
                f"{label}: {args.meetings:,} meetings from {args.sources} sources in {elapsed:.1f} s "
                f"({args.meetings / elapsed:,.0f} meetings/s)"
            )
            now += timedelta(hours=1)
        started = time.perf_counter()
        with open_warehouse(db) as con:
            opened = time.perf_counter() - started
            per_source = []
            for source, pages, _ in batches:
                unchanged = [replace(p, status=304, outcome="unchanged", body=b"") for p in pages]
                began = time.perf_counter()
                load_source_run(con, source, unchanged, [], "run-same", now, "bench")
                per_source.append(time.perf_counter() - began)
        per_source.sort()
        print(
            f"nothing changed: warehouse opened in {opened * 1000:.0f} ms (once per run); per source "
            f"median {per_source[len(per_source) // 2] * 1000:.1f} ms, max {per_source[-1] * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
