"""The catalogue's own documents: README.md, CHANGELOG.md and DATA-DICTIONARY.md.

The data dictionary is generated from the same column definitions as the
files (warehouse/catalogue/schema.py); docs/catalogue-dictionary.md in the
repository is this text, checked by a test so it never drifts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from warehouse.catalogue.config import CatalogueConfig
from warehouse.catalogue.history import ReleaseMeta
from warehouse.catalogue.schema import TABLES, Column, Table

Row = dict[str, Any]
TYPE_NOTES = {
    "string": "text",
    "integer": "whole number",
    "boolean": "true / false",
    "date": "date, YYYY-MM-DD",
    "time": "time, HH:MM (Swedish local time)",
    "datetime": "date-time, ISO 8601",
    "list": "list of text (CSV: ';'-separated)",
}


def _constraints(column: Column) -> str:
    notes = []
    if column.required:
        notes.append("required")
    if column.unique:
        notes.append("unique")
    if column.enum:
        notes.append("one of " + ", ".join(f"`{v}`" for v in column.enum))
    if column.pattern:
        notes.append(f"pattern `{column.pattern}`")
    if column.minimum is not None:
        notes.append(f"≥ {column.minimum}")
    return "; ".join(notes)


def _table_section(table: Table) -> list[str]:
    lines = [
        f"## {table.name}: {table.title_en} ({table.title_sv})",
        "",
        table.description_en,
        "",
        f"Files: `{table.name}.csv`, `{table.name}.parquet`, `{table.name}.jsonl`. "
        f"Primary key: `{table.primary_key}`.",
    ]
    for fk in table.foreign_keys:
        lines.append(f"`{fk.column}` refers to `{fk.table}.{fk.table_column}`.")
    lines += ["", "| column | type | constraints | description |", "|---|---|---|---|"]
    for column in table.columns:
        lines.append(
            f"| `{column.name}` | {TYPE_NOTES[column.type]} | {_constraints(column)} | {column.description} |"
        )
    return [*lines, ""]


def render_data_dictionary() -> bytes:
    """DATA-DICTIONARY.md: every published column with type, constraints and meaning."""
    lines = [
        "# Data dictionary",
        "",
        "Generated from `warehouse/catalogue/schema.py`; `datapackage.json` holds the same",
        "definitions as a Frictionless Table Schema.",
        "",
        "Conventions for every table:",
        "",
        "- CSV files are UTF-8 with a byte-order mark (Excel shows å, ä, ö), comma-separated, CRLF line ends.",
        "- A CSV text cell that would start with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading",
        "  apostrophe, so spreadsheets never run it as a formula. JSON Lines and Parquet hold the text unchanged.",
        "- Dates are ISO 8601 (`YYYY-MM-DD`); clock times are Swedish local time (`HH:MM`); `*_at` columns are",
        "  ISO 8601 date-times: UTC with `Z`, or Swedish time with its offset (`start_at`, `end_at`).",
        "- Empty cells (CSV) and `null` (JSON Lines, Parquet) mean the page does not say.",
        "- Speakers and contact persons are never published. Direct phone numbers, personal e-mail addresses and "
        "officials' names next to a job title are removed from every text; a name standing alone cannot be "
        "recognised, so write to the takedown address if you find one.",
        "- `meetings.json` and `summaries.json` are the same rows as one JSON array (kept for existing users).",
        "",
    ]
    for table in TABLES:
        lines += _table_section(table)
    return "\n".join(lines).encode("utf-8")


def render_changelog(meta: ReleaseMeta) -> bytes:
    """CHANGELOG.md: one entry per release, newest first."""
    lines = ["# Changelog", "", "Releases of the catalogue, newest first. Times are UTC.", ""]
    for entry in meta.history:
        counts, changes = entry["counts"], entry["changes"]
        lines += [
            f"## {entry['release']} ({entry['updated_at']})",
            "",
            f"- {counts['meetings']} meetings, {counts['summaries']} summaries, "
            f"{counts['agenda_items']} agenda items, {counts.get('invitations', 0)} open invitations, "
            f"{counts['municipalities']} municipalities.",
            f"- Meetings: {changes['new']} new, {changes['changed']} changed, {changes['cancelled']} cancelled, "
            f"{changes['removed']} removed.",
            f"- Summaries: {changes['new_summaries']} new, {changes['removed_summaries']} removed.",
            "",
        ]
    return "\n".join(lines).encode("utf-8")


def render_readme(config: CatalogueConfig, sources: Sequence[Row], meta: ReleaseMeta) -> bytes:
    """README.md: what this is, where it comes from, the licence and the privacy notice."""
    lines = [
        f"# {config.title_en}",
        "",
        config.description_en,
        "",
        f"Release `{meta.release_id}`, data as of {meta.updated_at} (UTC). Published by {config.publisher_name}",
        f"({config.publisher_iri}) at {config.base_url}.",
        "",
        "## Files",
        "",
        "- `meetings` (every activity: dialogue, council, committee, information, other), `summaries`,",
        "  `agenda_items`, `invitations` (open invitations without a date yet), `municipalities` as `.csv`",
        "  (Excel-friendly; lists joined with ';', booleans true/false), `.parquet` and `.jsonl`;",
        "  `datapackage.json` describes the CSV files (Frictionless Data Package, with types,",
        "  keys, sizes and SHA-256 hashes); `DATA-DICTIONARY.md` explains every column.",
        "- `meetings.ics`: all meetings as a calendar to subscribe to; `kommun/<code>/meetings.ics` per",
        "  municipality. UIDs stay when a meeting is retitled, moved to another place or time, or",
        "  cancelled; cancelled meetings stay with STATUS:CANCELLED; CATEGORIES name the activity and the",
        "  topics; all-day events do not mark the day as busy (TRANSP:TRANSPARENT).",
        "- `catalog.rdf` / `catalog.ttl`: the DCAT-AP-SE 3.0.1 catalogue for dataportal.se;",
        "  `events.jsonld`: meetings as schema.org Events; `feed.atom`: new, changed and cancelled meetings.",
        "- `SHA256SUMS`: checksums of every file (`sha256sum -c SHA256SUMS`); `CHANGELOG.md`: the releases.",
        "",
        "Stable addresses are the files at the catalogue root; `latest/` is the current release and",
        "`releases/<id>/` the dated releases kept (each one complete and never changed).",
        "",
        "## Provenance",
        "",
        "The data is read from the municipalities' own public web pages by kommundialog, which crawls",
        "them politely (robots.txt obeyed) and extracts dates, times, places and topics from the Swedish",
        "text. Every record links to the page it was read from (`page_url`). Sources:",
        "",
    ]
    for source in sources:
        urls = ", ".join(source["start_urls"])
        lines.append(
            f"- {source['municipality']} ({source['municipality_code']}), `{source['source_id']}`: {urls}"
        )
    lines += [
        "",
        "Extraction can be wrong: check the linked page before relying on a date.",
        "",
        "## Licence",
        "",
        "The data is published under CC0 1.0 (http://creativecommons.org/publicdomain/zero/1.0/):",
        "use it for anything, no attribution required.",
        "",
        "## Privacy",
        "",
        "Officials' names, direct phone numbers and personal e-mail addresses are personal data even",
        "on public pages. They are removed before publishing; functional mailboxes and switchboard",
        "numbers stay. Speakers named on the pages are never published. If you find personal data",
        f"here, or want something taken down, write to {config.contact_email}: it is removed from the",
        "next release, and the older releases that still hold it are deleted.",
        "",
    ]
    return "\n".join(lines).encode("utf-8")
