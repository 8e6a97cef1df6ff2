"""The catalogue's coverage resource and page section: which bodies publish, which have nothing, which are not covered.

Pure: rows from the snapshot in, bytes and template data out. Kept apart from
the other writers so the coverage parts can change without touching them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import duckdb

from warehouse.catalogue.rows import Row, _plain
from warehouse.catalogue.schema import Column, Table
from warehouse.catalogue.tabular import render_csv, render_json, render_jsonl

COVERAGE_STATUSES = ("publishes", "nothing found", "not crawled", "not covered")
STATUS_LABELS_SV = {
    "publishes": "Publicerar dialogaktivitet",
    "nothing found": "Inget hittat",
    "not crawled": "Ännu inte insamlad",
    "not covered": "Inte täckt (webbplats ej bekräftad)",
}

COVERAGE = Table(
    name="coverage",
    title_sv="Täckning",
    title_en="Coverage",
    description_sv="Alla 290 kommuner och 21 regioner: webbplats, senaste insamling och om något hittades.",
    # Per-run counters (pages fetched, when it ran) stay in the warehouse's `coverage` view: published,
    # they would make every run a new release although no data changed.
    description_en="All 290 municipalities and 21 regions: website, latest collection and whether anything was found.",
    columns=(
        Column(
            "body_code",
            "string",
            "SCB code: 4 digits for a municipality, 2 for a region.",
            required=True,
            unique=True,
        ),
        Column("kind", "string", "municipality or region.", required=True, enum=("municipality", "region")),
        Column("name", "string", "Name of the municipality or region.", required=True),
        Column("county", "string", "County (län) of a municipality; the region itself for a region."),
        Column("origin", "string", "Website origin; empty when it could not be confirmed."),
        Column("origin_source", "string", "Where the origin came from, or why there is none.", required=True),
        Column(
            "status",
            "string",
            "publishes, nothing found, not crawled or not covered.",
            required=True,
            enum=COVERAGE_STATUSES,
        ),
        Column("cms", "string", "CMS detected on the site at the latest run."),
        Column("candidates", "integer", "Pages the site's own indexes named at the latest run.", minimum=0),
        Column("meetings", "integer", "Active meetings found for the body.", required=True, minimum=0),
        Column(
            "summaries",
            "integer",
            "Committee meeting summaries found for the body.",
            required=True,
            minimum=0,
        ),
        Column("last_new_meeting_at", "datetime", "When a meeting was last seen for the first time (UTC)."),
        Column(
            "health",
            "string",
            "How the latest run went: ok, nothing found, degraded, unreachable or suspect.",
        ),
    ),
    primary_key="body_code",
    keywords=("täckning", "kommun", "region"),
)


def coverage_rows(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """The warehouse's coverage view as published rows (no clock, no network)."""
    cursor = con.execute(f"SELECT {', '.join(c.name for c in COVERAGE.columns)} FROM coverage")
    names = [d[0] for d in cursor.description]
    return [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()]


def coverage_files(rows: list[Row]) -> dict[str, bytes]:
    """coverage.csv, .jsonl and .json."""
    names = COVERAGE.column_names
    return {
        "coverage.csv": render_csv(rows, names),
        "coverage.jsonl": render_jsonl(rows, names),
        "coverage.json": render_json(rows, names),
    }


def coverage_view(rows: list[Row]) -> dict[str, Any]:
    """What the page's coverage section shows: counts per status, the lists, and the grid of 290."""
    municipalities = [r for r in rows if r["kind"] == "municipality"]
    counts = Counter(r["status"] for r in municipalities)
    return {
        "total": len(municipalities),
        "regions": [r for r in rows if r["kind"] == "region"],
        "counts": [(s, STATUS_LABELS_SV[s], counts.get(s, 0)) for s in COVERAGE_STATUSES],
        "publishing": [r for r in municipalities if r["status"] == "publishes"],
        "nothing": [r for r in municipalities if r["status"] == "nothing found"],
        "not_covered": [r for r in municipalities if r["status"] == "not covered"],
        "grid": [
            {**r, "css": r["status"].replace(" ", "-"), "label": STATUS_LABELS_SV[r["status"]]}
            for r in municipalities
        ],
        "labels": STATUS_LABELS_SV,
    }
