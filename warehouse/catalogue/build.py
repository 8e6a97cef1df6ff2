"""Every file of one release, built in memory from a snapshot and the release's identity.

Pure: the same snapshot, release identity and config give the same bytes,
which is how an unchanged warehouse republishes byte-identical files.
The order matters only where a file describes others (sizes, checksums).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from tasks.extract.vocabulary import default_vocabulary
from warehouse.catalogue.config import CatalogueConfig
from warehouse.catalogue.coverage import COVERAGE, coverage_files
from warehouse.catalogue.datapackage import render_datapackage
from warehouse.catalogue.dcat import FORMATS, build_catalog, distributions_for, render_catalog
from warehouse.catalogue.docs import render_changelog, render_data_dictionary, render_readme
from warehouse.catalogue.events import render_events
from warehouse.catalogue.feed import render_feed
from warehouse.catalogue.history import ReleaseMeta
from warehouse.catalogue.ics import meeting_event, render_calendar
from warehouse.catalogue.page import (
    PageContext,
    TopicLabels,
    render_index,
    render_municipality_page,
    static_files,
)
from warehouse.catalogue.rows import Row, Snapshot, municipality_calendar, municipality_page
from warehouse.catalogue.schema import (
    AGENDA_ITEMS,
    INVITATIONS,
    MEETINGS,
    MUNICIPALITIES,
    SUMMARIES,
    TABLES,
    Table,
)
from warehouse.catalogue.tabular import render_csv, render_json, render_jsonl, render_parquet

LEGACY_JSON = ("meetings", "summaries")


@dataclass(frozen=True)
class Release:
    """The files of a release (relative path -> bytes), the row counts they must hold, its identity."""

    files: dict[str, bytes]
    row_counts: dict[str, int]
    meta: ReleaseMeta

    @property
    def newest_first(self) -> list[str]:
        """Release ids from this one back through the history it carries."""
        return [entry["release"] for entry in self.meta.history]

    @property
    def top_level(self) -> list[str]:
        """Names directly under the release folder (files and folders), for the root links."""
        return sorted({name.split("/", 1)[0] for name in self.files})


def topic_labels() -> TopicLabels:
    topics = default_vocabulary().topics
    return TopicLabels(sv={t.id: t.label_sv for t in topics}, en={t.id: t.label_en for t in topics})


def table_rows(snapshot: Snapshot) -> dict[str, list[Row]]:
    return {
        MEETINGS.name: snapshot.meetings,
        SUMMARIES.name: snapshot.summaries,
        AGENDA_ITEMS.name: snapshot.agenda_items,
        INVITATIONS.name: snapshot.invitations,
        MUNICIPALITIES.name: snapshot.municipalities,
    }


def _table_files(snapshot: Snapshot) -> dict[str, bytes]:
    files = {}
    for name, rows in table_rows(snapshot).items():
        table = next(t for t in TABLES if t.name == name)
        files[f"{name}.csv"] = render_csv(rows, table.column_names)
        files[f"{name}.jsonl"] = render_jsonl(rows, table.column_names)
        files[f"{name}.parquet"] = render_parquet(rows, table)
        if name in LEGACY_JSON:
            files[f"{name}.json"] = render_json(rows, table.column_names)
    return files


def _calendar_files(snapshot: Snapshot, config: CatalogueConfig, labels: TopicLabels) -> dict[str, bytes]:
    """The calendar of every meeting and one per municipality, sharing each meeting's VEVENT."""
    events = {m["uid"]: meeting_event(m, labels.label) for m in snapshot.meetings if m.get("date")}
    files = {
        "meetings.ics": render_calendar(
            snapshot.meetings, config.title_sv, labels.label, config.description_sv, events
        )
    }
    for municipality in snapshot.municipalities:
        code, name = municipality["municipality_code"], municipality["municipality"]
        own = [m for m in snapshot.meetings if m["municipality_code"] == code]
        description = f"Möten i {name} kommun (kommundialog): dialoger, råd, nämnder och informationsmöten."
        files[municipality_calendar(code)] = render_calendar(
            own, f"Kommundialog: {name}", labels.label, description, events
        )
    return files


def _period(rows: Sequence[Row]) -> tuple[str, str] | None:
    days = sorted(r.get("date") or r.get("published") for r in rows if r.get("date") or r.get("published"))
    return (days[0], days[-1]) if days else None


def _catalog_datasets(snapshot: Snapshot) -> list[tuple[Table, list, tuple[str, str] | None]]:
    rows = table_rows(snapshot)
    extras = {
        MEETINGS.name: ("meetings.json", "meetings.ics", "events.jsonld", "feed.atom"),
        SUMMARIES.name: ("summaries.json",),
    }
    # Municipalities are reference data: their counts cover the period of all meetings and summaries.
    rows[MUNICIPALITIES.name] = [*snapshot.meetings, *snapshot.summaries, *snapshot.invitations]
    return [
        (table, distributions_for(table, extras.get(table.name, ())), _period(rows[table.name]))
        for table in TABLES
    ]


def render_release_json(meta: ReleaseMeta) -> bytes:
    """release.json: this release's id and time and the history the next publish carries on."""
    document = {
        "format": 1,
        "release": meta.release_id,
        "updated_at": meta.updated_at,
        "history": list(meta.history),
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def render_checksums(files: dict[str, bytes]) -> bytes:
    """SHA256SUMS in the format `sha256sum -c` reads."""
    lines = [f"{hashlib.sha256(content).hexdigest()}  {name}" for name, content in sorted(files.items())]
    return ("\n".join(lines) + "\n").encode("utf-8")


def build_release(config: CatalogueConfig, snapshot: Snapshot, meta: ReleaseMeta) -> Release:
    """All files of the release: data, package, calendars, linked data, documents, pages, checksums."""
    labels = topic_labels()
    files = _table_files(snapshot)
    files.update(coverage_files(snapshot.coverage))
    files["datapackage.json"] = render_datapackage(config, (*TABLES, COVERAGE), files, meta.updated_at)
    files.update(_calendar_files(snapshot, config, labels))
    files["events.jsonld"] = render_events(snapshot.meetings, config.base_url)
    files["feed.atom"] = render_feed(snapshot.meetings, config, meta.updated_at)
    issued = meta.history[-1]["updated_at"] if meta.history else meta.updated_at
    files.update(
        render_catalog(build_catalog(config, _catalog_datasets(snapshot), files, meta.updated_at, issued))
    )
    files["README.md"] = render_readme(config, snapshot.sources, meta)
    files["CHANGELOG.md"] = render_changelog(meta)
    files["DATA-DICTIONARY.md"] = render_data_dictionary()
    files["release.json"] = render_release_json(meta)
    files.update(static_files())
    media_types = {f.extension: f.media_type or "" for f in FORMATS.values()}
    sizes = {name: len(content) for name, content in files.items()}
    context = PageContext(config, snapshot, labels, meta.updated_at, meta.release_id, sizes, media_types)
    for municipality in snapshot.municipalities:
        files[municipality_page(municipality["municipality_code"])] = render_municipality_page(
            context, municipality
        )
    files["index.html"] = render_index(context)
    files["SHA256SUMS"] = render_checksums(files)
    counts = {name: len(rows) for name, rows in table_rows(snapshot).items()}
    return Release(files, counts, meta)
