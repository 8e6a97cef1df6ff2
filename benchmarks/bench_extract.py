"""Extraction speed: pages per second on one core over the labelled corpus pages.

Run: .venv/bin/python benchmarks/bench_extract.py [--rounds 5] [--min-kb 40] [--smoke] [--national SITES]
Pages per second are counted on CPU time (this process's), so other work on a
shared machine does not lower them; wall-clock rates are printed beside.
Not part of the test suite: it measures, it does not assert.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tasks.charset import decode_text  # noqa: E402
from tasks.evaluate import load_corpus  # noqa: E402
from tasks.extract.page import extract_page  # noqa: E402
from tasks.records import PageContext  # noqa: E402


def corpus_pages(folders: list[str]) -> list[tuple[str, PageContext, int]]:
    """The labelled pages of corpus folders, with the context their labels give."""
    pages = []
    for label in load_corpus([Path(c) for c in folders]):
        body = label.html_path.read_bytes()
        context = PageContext(url=label.url, fetched_at=label.fetched_at, profile=label.profile)
        pages.append((decode_text(body), context, len(body)))
    return pages


def national_pages(sites: int) -> list[tuple[str, PageContext, int]]:
    """Every content page of a synthetic national web (benchmarks/national_web.py), as served."""
    from benchmarks.national_web import NationalWeb, render_page

    web = NationalWeb(sites=sites, pages=20)
    pages = []
    for site in web.sites:
        site.origin = f"https://www.kommun{site.code}.se"
        for page in site.pages:
            html = render_page(site, page)
            context = PageContext(url=site.origin + page.path, fetched_at=web.base_date, profile=site.cms)
            pages.append((html, context, len(html.encode())))
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--min-kb", type=float, default=40.0, help="only pages at least this large")
    parser.add_argument("--smoke", action="store_true", help="one round over three pages: checks it runs")
    parser.add_argument(
        "--national",
        type=int,
        metavar="SITES",
        help="read the pages of a synthetic national web of SITES x 20 pages instead of a corpus",
    )
    parser.add_argument("corpus", nargs="*", default=[str(ROOT / "tests" / "corpus")])
    args = parser.parse_args()
    if args.smoke:
        args.rounds = 1

    pages = national_pages(args.national) if args.national else corpus_pages(args.corpus)
    pages = [page for page in pages if page[2] >= args.min_kb * 1024]
    if not pages:
        sys.exit(f"no pages of at least {args.min_kb} KB in {args.corpus}")
    if args.smoke:
        pages = pages[:3]
    rates, wall_rates = [], []
    for _ in range(args.rounds):
        started, cpu_started = time.perf_counter(), time.process_time()
        for html, context, _size in pages:
            extract_page(html, context)
        rates.append(len(pages) / max(time.process_time() - cpu_started, 1e-9))
        wall_rates.append(len(pages) / (time.perf_counter() - started))
    sizes = [size for _, _, size in pages]
    print(
        f"pages: {len(pages)}, size {min(sizes) / 1024:.0f}-{max(sizes) / 1024:.0f} KB (mean {statistics.mean(sizes) / 1024:.0f} KB)"
    )
    print(
        f"extraction: {statistics.median(rates):.1f} pages/s on one core (CPU time; median of {args.rounds} rounds; "
        f"best {max(rates):.1f}; wall clock {statistics.median(wall_rates):.1f})"
    )


if __name__ == "__main__":
    main()
