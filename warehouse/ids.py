"""Record ids that survive a change of origin, and the bridge from ids stored before.

Meeting and summary ids hash the source, the page's path (and, for meetings,
the day): never the scheme, host, 'www.' or port. Warehouses written before
that hashed the host and port into the ids. Rather than rewriting published
ids (calendar UIDs follow them), each load maps the id the extractor gives now
to the id a stored meeting already has, and replaces a stored summary of the
same page: no migration, nothing renamed, and the demo on other ports finds
the same rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import duckdb

from tasks.extract.meetings import meeting_id, page_identity
from warehouse.history import Change


def summary_id(url: str, source_id: str) -> str:
    """A summary is one per page: its id follows the source and the page's path."""
    return "s-" + hashlib.sha256(page_identity(url, source_id).encode()).hexdigest()[:16]


def _preference(row: Mapping[str, Any]) -> tuple[bool, Any]:
    """Which stored meeting an id maps to when several claim it: active, then most recently seen."""
    return (row["state"] != "active", -(row["last_seen_at"].timestamp() if row.get("last_seen_at") else 0))


def origin_free_aliases(stored: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The id the extractor now gives each stored meeting, mapped to the meeting's stable id.

    Only ids that differ (rows stored before ids ignored the origin, or kept
    through a reschedule) and that are no stored meeting's own id.
    """
    rows = sorted(stored, key=_preference)
    own = {row["meeting_id"] for row in rows}
    aliases: dict[str, str] = {}
    for row in rows:
        now_given = meeting_id(row["page_url"], row["meeting_date"], row["month_day"], row["source_id"])
        if now_given != row["meeting_id"] and now_given not in own:
            aliases.setdefault(now_given, row["meeting_id"])
    return aliases


def follow_moved_pages(
    con: duckdb.DuckDBPyConnection,
    changes: Sequence[Change],
    stored: Mapping[str, Mapping[str, Any]],
    current: Mapping[str, Mapping[str, Any]],
) -> None:
    """An unchanged meeting now read from another address (port, scheme, 'www.') points there."""
    moved = [
        (current[c.meeting_id]["page_url"], c.meeting_id)
        for c in changes
        if c.kind == "unchanged"
        and c.meeting_id in stored
        and stored[c.meeting_id]["page_url"] != current[c.meeting_id]["page_url"]
    ]
    if moved:
        con.executemany("UPDATE meetings SET page_url = ? WHERE meeting_id = ?", moved)


def earlier_summary_ids(
    con: duckdb.DuckDBPyConnection, source_id: str, ids_read_again: set[str]
) -> dict[str, tuple[str, Any]]:
    """Stored summaries of the pages read again under an earlier id: old id -> (current id, first seen)."""
    stored = con.execute(
        "SELECT summary_id, page_url, first_seen_at FROM summaries WHERE source_id = ?", [source_id]
    ).fetchall()
    earlier = {}
    for old_id, page_url, first_seen in stored:
        now_given = summary_id(page_url, source_id)
        if now_given != old_id and now_given in ids_read_again:
            earlier[old_id] = (now_given, first_seen)
    return earlier
