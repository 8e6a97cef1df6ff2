"""Checks on a built release before it is switched in: a failed check keeps the old one served.

Cheap, offline checks of what the build promises: checksums match, the data
package describes the CSV files it ships, every table file reads back with
the expected rows, calendars and XML are well-formed, and every relative
link in the pages points at a file of the release.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import lxml.html
import pyarrow.parquet as pq

from warehouse.catalogue.ics import MAX_OCTETS
from warehouse.catalogue.schema import TABLES


class ReleaseInvalid(RuntimeError):
    """The built release breaks one of its own promises; it is not published."""


def _checksums(root: Path, problems: list[str]) -> None:
    listed = {}
    for line in (root / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    if set(listed) != present:
        problems.append(f"SHA256SUMS lists {sorted(set(listed) ^ present)} wrongly")
    for name, digest in listed.items():
        path = root / name
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"{name}: checksum differs from SHA256SUMS")


def _tables(root: Path, row_counts: Mapping[str, int], problems: list[str]) -> None:
    package = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in package["resources"]}
    for table in TABLES:
        content = (root / f"{table.name}.csv").read_bytes()
        resource = resources.get(table.name)
        if resource is None or resource["bytes"] != len(content):
            problems.append(f"datapackage.json: {table.name} missing or wrong size")
        elif resource["hash"] != "sha256:" + hashlib.sha256(content).hexdigest():
            problems.append(f"datapackage.json: {table.name} hash differs")
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
        if rows[0] != list(table.column_names):
            problems.append(f"{table.name}.csv: header differs from the table definition")
        expected = row_counts[table.name]
        counts = {
            "csv": len(rows) - 1,
            "jsonl": len((root / f"{table.name}.jsonl").read_text(encoding="utf-8").splitlines()),
            "parquet": pq.read_metadata(root / f"{table.name}.parquet").num_rows,
        }
        for kind, count in counts.items():
            if count != expected:
                problems.append(f"{table.name}.{kind}: {count} rows, expected {expected}")


def _calendars(root: Path, problems: list[str]) -> None:
    for path in root.rglob("*.ics"):
        raw = path.read_bytes()
        lines = raw.split(b"\r\n")
        if lines[-1] != b"" or any(b"\n" in line for line in lines):
            problems.append(f"{path.name}: lines must end with CRLF")
        if any(len(line) > MAX_OCTETS for line in lines):
            problems.append(f"{path.relative_to(root)}: a line is longer than {MAX_OCTETS} octets")
        if raw.count(b"BEGIN:VEVENT") != raw.count(b"END:VEVENT") or not raw.startswith(b"BEGIN:VCALENDAR"):
            problems.append(f"{path.relative_to(root)}: unbalanced components")


def _xml(root: Path, problems: list[str]) -> None:
    for name in ("catalog.rdf", "feed.atom"):
        try:
            ElementTree.fromstring((root / name).read_bytes())
        except ElementTree.ParseError as exc:
            problems.append(f"{name}: not well-formed XML: {exc}")


def _links(root: Path, problems: list[str]) -> None:
    for page in root.rglob("*.html"):
        document = lxml.html.fromstring(page.read_bytes())
        for _element, _attribute, link, _position in document.iterlinks():
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if not target.is_file() or not target.is_relative_to(root.resolve()):
                problems.append(f"{page.relative_to(root)}: link '{link}' does not resolve")


def validate_release(root: Path, row_counts: Mapping[str, int]) -> None:
    """Raise ReleaseInvalid naming every problem found in the built release at `root`."""
    problems: list[str] = []
    for check in (_checksums, _calendars, _xml, _links):
        check(root, problems)
    _tables(root, row_counts, problems)
    if problems:
        raise ReleaseInvalid("release failed validation: " + "; ".join(problems))
