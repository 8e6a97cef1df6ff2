"""The national registry: every municipality and region, its website origin and where that came from.

config/municipalities.csv (the 290 SCB codes) and config/regions.csv (the 21
regions) hold each body's origin and its source; an empty origin means the
site could not be confirmed and the body is reported as not covered. A
registry with `settings: national: ...` gets one `discover: auto` source per
municipality with an origin, unless one of its own entries already covers
that municipality (hand-tuned entries win).
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from tasks.extract.vocabulary import CONFIG_DIR
from tasks.registry import RegistryError, Source, parse_source

REGIONS_FILE = CONFIG_DIR / "regions.csv"
MUNICIPALITIES_FILE = CONFIG_DIR / "municipalities.csv"
# Settings a registry may give every national source (see README "The national registry").
NATIONAL_KEYS = ("max_pages", "min_delay_seconds", "max_concurrency", "schedule")


@dataclass(frozen=True)
class Body:
    """A municipality or region: code, name, website origin (or '') and the origin's source."""

    code: str
    name: str
    kind: str  # 'municipality' or 'region'
    county: str
    origin: str
    origin_source: str

    @property
    def covered(self) -> bool:
        return bool(self.origin)


@cache
def bodies() -> tuple[Body, ...]:
    """All 290 municipalities and 21 regions, in code order."""
    with MUNICIPALITIES_FILE.open(encoding="utf-8", newline="") as handle:
        found = [
            Body(
                r["municipality_code"],
                r["municipality"],
                "municipality",
                r["county"],
                r["origin"],
                r["origin_source"],
            )
            for r in csv.DictReader(handle)
        ]
    with REGIONS_FILE.open(encoding="utf-8", newline="") as handle:
        found += [
            Body(r["region_code"], r["region"], "region", r["region"], r["origin"], r["origin_source"])
            for r in csv.DictReader(handle)
        ]
    return tuple(found)


def _national_settings(value: Any, path: str) -> dict[str, Any]:
    if value is True:
        return {}
    if value is False:
        return {"off": True}
    if not isinstance(value, dict):
        raise RegistryError(
            f"{path}: settings.national must be true, false or a mapping of {list(NATIONAL_KEYS)}"
        )
    unknown = set(value) - set(NATIONAL_KEYS)
    if unknown:
        raise RegistryError(f"{path}: settings.national has unknown keys {sorted(unknown)}")
    return dict(value)


def national_entries(value: Any, covered_codes: set[str], path: str) -> list[dict[str, Any]]:
    """Registry entries (as YAML would give them) for municipalities with an origin and no entry of their own."""
    settings = _national_settings(value, path)
    if settings.pop("off", False):
        return []
    entries = []
    for body in bodies():
        if body.kind != "municipality" or not body.covered or body.code in covered_codes:
            continue
        entries.append(
            {
                "id": f"kommun-{body.code}",
                "municipality": body.name,
                "municipality_code": body.code,
                "start_urls": [body.origin.rstrip("/") + "/"],
                "discover": "auto",
                **settings,
            }
        )
    return entries


def national_sources(value: Any, existing: tuple[Source, ...], path: str) -> tuple[Source, ...]:
    """The `discover: auto` sources a registry's `settings.national` adds."""
    covered = {s.municipality_code for s in existing}
    entries = national_entries(value, covered, path)
    return tuple(parse_source(raw, f"{path} (national registry)", i) for i, raw in enumerate(entries))


def coverage_counts() -> dict[str, int]:
    """How many bodies have a confirmed origin: for the README and the catalogue."""
    all_bodies = bodies()
    return {
        "municipalities": sum(1 for b in all_bodies if b.kind == "municipality"),
        "municipalities_with_origin": sum(1 for b in all_bodies if b.kind == "municipality" and b.covered),
        "regions": sum(1 for b in all_bodies if b.kind == "region"),
        "regions_with_origin": sum(1 for b in all_bodies if b.kind == "region" and b.covered),
    }


def guess_body(origin: str, site_title: str) -> Body | None:
    """Whose site this is: the body with this origin's host, else the municipality the site names."""
    host = urlsplit(origin).netloc.lower().removeprefix("www.")
    for body in bodies():
        if body.origin and urlsplit(body.origin).netloc.lower().removeprefix("www.") == host:
            return body
    title = site_title.lower()
    named = [
        b
        for b in bodies()
        if b.kind == "municipality" and re.search(rf"\b{re.escape(b.name.lower())}s?\b", title)
    ]
    return max(named, key=lambda b: len(b.name)) if named else None


def registry_entry(
    body: Body | None, origin: str, private: bool, municipality: str | None = None
) -> list[str]:
    """A `discover: auto` registry entry for a site, as YAML lines to paste under `sources:`."""
    if municipality is not None:
        found = [b for b in bodies() if b.kind == "municipality" and b.name.lower() == municipality.lower()]
        if not found:
            raise RegistryError(f"'{municipality}' is not one of the 290 municipalities")
        body = found[0]
    if body is None or body.kind != "municipality":
        name, code, ident = "FILL IN", "FILL IN", "FILL-IN"
    else:
        name, code, ident = body.name, body.code, f"kommun-{body.code}"
    lines = [
        f"  - id: {ident}",
        f"    municipality: {json.dumps(name, ensure_ascii=False)}",
        f'    municipality_code: "{code}"',
        f'    start_urls: ["{origin.rstrip("/")}/"]',
        "    discover: auto",
    ]
    if private:
        lines.append("    allow_private_network: true")
    return lines
