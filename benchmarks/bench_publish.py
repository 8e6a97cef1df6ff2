"""Catalogue publish speed: a warehouse of synthetic meetings published once, then again unchanged.

The calendars (icalendar), the DCAT catalogue (rdflib) and the Atom feed (feedgen) are written by
their libraries; this shows what a publish costs at a national scale.

Run: .venv/bin/python benchmarks/bench_publish.py [--meetings 6000] [--sources 290]
Not part of the test suite: it measures, it does not assert.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_load import synthetic_source  # noqa: E402
from warehouse.catalogue.publish import publish_catalogue  # noqa: E402
from warehouse.db import finish_run, open_warehouse, start_run  # noqa: E402
from warehouse.load import load_source_run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--meetings", type=int, default=6_000)
    parser.add_argument("--sources", type=int, default=290)
    args = parser.parse_args()
    now = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)
    per_source = max(args.meetings // args.sources, 10)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        with open_warehouse(db) as con:
            start_run(con, "run-bench", now)
            for index in range(args.sources):
                source, pages, extractions = synthetic_source(index, per_source, now)
                load_source_run(con, source, pages, extractions, "run-bench", now, "bench")
            finish_run(con, "run-bench", now, "ok", {}, [])
            total = con.execute("SELECT count(*) FROM meetings").fetchone()[0]
        for label in ("first publish", "republish (unchanged)"):
            started = time.perf_counter()
            with open_warehouse(db, read_only=True) as con:
                files = publish_catalogue(con, Path(folder) / "catalogue", now)
            elapsed = time.perf_counter() - started
            print(f"{label}: {total:,} meetings, {len(files)} root files in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
