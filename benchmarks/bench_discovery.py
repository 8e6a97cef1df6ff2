"""Discovery on the synthetic national web: recall, pages fetched per relevant page, and a second run.

Serves benchmarks/national_web.py (--sites x --pages, about 5% relevant) on
127.0.0.1, writes a registry that names each site by its origin only
(`discover: auto`), and runs the real `collect` flow on it twice into a fresh
warehouse: once from nothing, once after --changed of all pages changed. The
servers count what they sent, so the figures are the web's view:

- recall: relevant pages downloaded in run 1 / relevant pages;
- fetched/relevant: content pages downloaded in run 1 / relevant pages;
- run 2: content pages downloaded, and whether every one of them had changed.

Index documents (robots.txt, sitemaps, feeds, search and listing pages) are
reported separately: they are read every run to learn what changed.

Run: .venv/bin/python benchmarks/bench_discovery.py [--sites 290] [--pages 50] [--changed 0.05]
Not part of the test suite: it measures, it does not assert.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from flows.environment import PREFECT_DEFAULTS  # noqa: E402  (imports no Prefect)

for _key, _value in {**PREFECT_DEFAULTS, "PREFECT_LOGGING_LEVEL": "ERROR"}.items():
    os.environ.setdefault(_key, _value)  # the command line's defaults, quieter; before Prefect loads

from benchmarks.national_web import NationalWeb  # noqa: E402


def served(web: NationalWeb) -> tuple[set[str], int]:
    """Content pages answered 200 (as URLs), and every other request (index documents, 304s)."""
    content = {(s.origin, p.path) for s in web.sites for p in s.pages}
    pages = {o + p for (o, p, status) in web.requests if status == 200 and (o, p) in content}
    others = sum(n for (o, p, status), n in web.requests.items() if not (status == 200 and (o, p) in content))
    return pages, others


def run(registry: Path, workdir: Path) -> tuple[float, object]:
    from flows.collect import collect

    started = time.perf_counter()
    summary = collect(str(registry), str(workdir / "kd.duckdb"), str(workdir / "catalogue"))
    return time.perf_counter() - started, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=290)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--changed", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="kommundialog-discovery-"))
    os.environ.setdefault("PREFECT_HOME", str(workdir / "prefect"))
    with NationalWeb(sites=args.sites, pages=args.pages, seed=args.seed) as web:
        registry = workdir / "national.yaml"
        registry.write_text(web.registry_yaml(min_delay_seconds=0.0), encoding="utf-8")
        relevant = web.relevant_urls()
        first_time, first = run(registry, workdir)
        first_pages, first_docs = served(web)
        web.reset_counts()
        changed = set(web.change_pages(args.changed, seed=1))
        second_time, _second = run(registry, workdir)
        second_pages, second_docs = served(web)
    found = relevant & first_pages
    statuses = Counter(status for (_o, _p, status) in web.requests.elements())
    print(
        f"web: {len(web.sites)} sites x {args.pages} pages = {len(web.content_urls())} pages, {len(relevant)} relevant"
    )
    print(
        f"run 1: {first_time:.1f} s; recall {len(found) / len(relevant):.3f} ({len(found)}/{len(relevant)}); "
        f"content pages fetched {len(first_pages)} = {len(first_pages) / len(relevant):.2f} x relevant; "
        f"index requests {first_docs}; meetings {first.meetings}, summaries {first.summaries}, errors {len(first.errors)}"
    )
    print(
        f"run 2 ({len(changed)} pages changed): {second_time:.1f} s; content pages fetched {len(second_pages)}, "
        f"all changed: {second_pages <= changed}; changed pages found in run 1 read again: "
        f"{len(changed & first_pages & second_pages)}/{len(changed & first_pages)}; other requests {second_docs} "
        f"(statuses {dict(statuses)})"
    )
    print(f"warehouse and catalogue: {workdir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
