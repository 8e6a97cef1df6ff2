"""Personal data must not reach a published file: a guard on the rows and a scanner for the files.

The guard runs on every publish, before anything is written: any personal
e-mail address or direct phone number left in a published value stops it.
The scanner reads every file of a release the way a person or a program
would (calendar lines unfolded, Parquet values decoded), for tests and audits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from tasks.extract.fields import find_contacts

BINARY_SUFFIXES = (".parquet",)


class PersonalDataError(RuntimeError):
    """A value about to be published holds a personal e-mail address or direct phone number."""


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def personal_contacts_in_rows(tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[str]:
    """'table.column: value' for every personal contact found in the rows about to be published."""
    found = []
    for name, rows in tables.items():
        for row in rows:
            for column, value in row.items():
                for text in _strings(value):
                    for contact in find_contacts(text):
                        if not contact.functional:
                            found.append(f"{name}.{column}: {contact.kind} {contact.value}")
    return found


def guard_rows(tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    """Stop the publish when any published value carries a personal contact."""
    found = personal_contacts_in_rows(tables)
    if found:
        raise PersonalDataError(
            "personal contact details would be published: " + "; ".join(sorted(set(found)))
        )


def unfold_ics(text: str) -> str:
    """RFC 5545 lines joined again (a folded line continues after CRLF + space)."""
    return text.replace("\r\n ", "").replace("\r\n\t", "")


def published_text(path: Path) -> str:
    """A file's content as readers see it: decoded, unfolded, Parquet values as JSON lines."""
    if path.suffix in BINARY_SUFFIXES:
        table = pq.read_table(path)
        return "\n".join(json.dumps(row, ensure_ascii=False, default=str) for row in table.to_pylist())
    text = path.read_bytes().decode("utf-8-sig")
    return unfold_ics(text) if path.suffix == ".ics" else text


def find_in_release(root: Path, needles: Sequence[str]) -> dict[str, list[str]]:
    """Which of `needles` appear in which file under `root` (following the root's links)."""
    hits: dict[str, list[str]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = published_text(path)
        found = [n for n in needles if n in text]
        if found:
            hits[path.relative_to(root).as_posix()] = found
    return hits
