"""Test support for the catalogue: a real warehouse built from the seed pages, and state snapshots.

The warehouse is loaded the way the flow loads it (real extractor, real
Arrow upserts into a DuckDB file), only without HTTP and Prefect, so
catalogue tests take a fraction of a second each.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from tasks.charset import decode_text
from tasks.extract.page import extract_page, meeting_id
from tasks.records import FetchedPage, Meeting, PageContext, PageExtraction
from tasks.registry import Source, load_registry, source_for_url
from tests.conftest import PROJECT_ROOT, SEEDS, SITES
from warehouse.catalogue.config import CatalogueConfig, load_catalogue_config
from warehouse.db import finish_run, open_warehouse, start_run
from warehouse.load import load_source_run

LOADED_AT = datetime(2024, 6, 1, 6, 0, tzinfo=UTC)
REGISTRY = PROJECT_ROOT / "config" / "sources.yaml"


def _fetched(url: str, body: bytes, when: datetime) -> FetchedPage:
    return FetchedPage(url, url, 200, when, "text/html", body, hashlib.sha256(body).hexdigest())


def load_seed_pages(db: Path, when: datetime = LOADED_AT, run_id: str = "run-1") -> None:
    """Extract every seed page and load it, source by source, as one run of the flow would."""
    registry = load_registry(REGISTRY)
    with open_warehouse(db) as con:
        start_run(con, run_id, when)
        for relative, url in SEEDS.values():
            source = source_for_url(registry, url)
            body = (SITES / relative).read_bytes()
            context = PageContext(url, when.date(), source.municipality, source.profile, source.id)
            extraction = extract_page(decode_text(body), context)
            load_source_run(con, source, [_fetched(url, body, when)], [extraction], run_id, when, "test")
        finish_run(con, run_id, when, "ok", {}, [])


def load_extraction(
    db: Path, source: Source, extraction: PageExtraction, when: datetime, run_id: str
) -> None:
    """Load one hand-made extraction (for hostile or changed data) through the real loader."""
    body = b"<html></html>"
    with open_warehouse(db) as con:
        start_run(con, run_id, when)
        load_source_run(
            con, source, [_fetched(extraction.url, body, when)], [extraction], run_id, when, "test"
        )
        finish_run(con, run_id, when, "ok", {}, [])


def make_meeting(url: str, day: date, **fields: object) -> Meeting:
    """A meeting record with the extractor's id for its page and day."""
    base = Meeting(
        id=meeting_id(url, day, None),
        title="Dialogmöte om försörjningsstöd",
        date=day,
        month_day=None,
        year_basis="stated",
        start=None,
        end=None,
        place="Stadshuset",
        address=None,
        attendance="in_person",
        status="scheduled",
        topics=("economic_support",),
    )
    return replace(base, **fields)


def catalogue_config(
    base_url: str = "https://data.exempel.se/kommundialog/", releases_kept: int = 5
) -> CatalogueConfig:
    """The project's catalogue config with another base URL and number of releases kept."""
    return replace(load_catalogue_config(), base_url=base_url, releases_kept=releases_kept)


def copy_warehouse(source: Path, target_dir: Path) -> Path:
    target = target_dir / source.name
    shutil.copy(source, target)
    return target


def execute(db: Path, sql: str, parameters: list | None = None) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute(sql, parameters or [])


def served_state(out: Path) -> dict[str, object]:
    """What a reader of `out` gets: the latest target and the digest of every reachable file."""
    files = {}
    for path in sorted(out.rglob("*")):
        relative = path.relative_to(out).as_posix()
        if path.is_file() and not relative.startswith(("releases/", ".")):
            files[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    latest = out / "latest"
    return {
        "latest": os.readlink(latest) if latest.is_symlink() else None,
        "files": files,
        "releases": sorted(p.name for p in (out / "releases").iterdir())
        if (out / "releases").is_dir()
        else [],
        "hidden": sorted(
            p.name for p in out.iterdir() if p.name.startswith(".") and p.name != ".publish.lock"
        ),
    }


def all_release_files(out: Path) -> list[Path]:
    """Every file a reader can reach from the catalogue root (root links, latest and releases)."""
    return sorted(p for p in out.rglob("*") if p.is_file() and not p.name.startswith("."))
