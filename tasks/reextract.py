"""Re-extraction: the current extractor over the stored raw pages, without the network.

When the extractor improves, old pages are read again from the raw archive
and the differences are loaded as new versions, exactly as a crawl would load
them, so improving the extractor improves old data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from tasks.charset import decode_text
from tasks.extract.page import EXTRACTOR_VERSION, extract_page
from tasks.records import FetchedPage, PageContext
from tasks.registry import Source
from warehouse.load import LoadResult, load_source_run
from warehouse.raw import raw_path, read_raw_page

log = logging.getLogger(__name__)


@dataclass
class ReextractSummary:
    pages: int = 0
    missing_raw: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    per_source: dict[str, LoadResult] = field(default_factory=dict)


def _sources(con: duckdb.DuckDBPyConnection) -> list[Source]:
    rows = con.execute(
        "SELECT source_id, municipality, municipality_code, profile, start_urls FROM sources ORDER BY source_id"
    ).fetchall()
    return [
        Source(id=r[0], municipality=r[1], municipality_code=r[2], profile=r[3], start_urls=tuple(r[4]))
        for r in rows
    ]


def _stored_pages(con: duckdb.DuckDBPyConnection, source_id: str) -> list[tuple]:
    return con.execute(
        "SELECT url, final_url, fetched_at, http_status, content_type, content_hash FROM pages "
        "WHERE source_id = ? AND error IS NULL AND content_hash IS NOT NULL ORDER BY url",
        [source_id],
    ).fetchall()


def reextract(
    con: duckdb.DuckDBPyConnection,
    raw_dir: Path,
    run_id: str,
    now: datetime,
    progress: Callable[[str], None] = log.info,
) -> ReextractSummary:
    """Extract every stored page of every source again and load the differences as versions."""
    summary = ReextractSummary()
    for source in _sources(con):
        pages, extractions = [], []
        for url, final_url, fetched_at, status, content_type, digest in _stored_pages(con, source.id):
            if not raw_path(raw_dir, digest).is_file():
                summary.missing_raw.append(url)
                continue
            body = read_raw_page(raw_dir, digest)
            page = FetchedPage(url, final_url or url, status, fetched_at, content_type, body, digest)
            context = PageContext(
                url=page.final_url,
                fetched_at=fetched_at.date(),
                municipality=source.municipality,
                profile=source.profile,
                source_id=source.id,
            )
            try:
                extraction = extract_page(decode_text(body, content_type), context)
            except Exception as exc:  # one unreadable page must not stop the others
                summary.failed.append(f"{url}: {type(exc).__name__}: {exc}")
                continue
            pages.append(page)
            extractions.append(extraction)
        result = load_source_run(con, source, pages, extractions, run_id, now, EXTRACTOR_VERSION)
        summary.pages += len(pages)
        summary.per_source[source.id] = result
        changed = {k: v for k, v in result.changes.items() if v and k != "unchanged"}
        progress(f"{source.id}: {len(pages)} stored pages read again; changes: {changed or 'none'}")
    return summary
