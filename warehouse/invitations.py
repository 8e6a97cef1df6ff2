"""Invitations as data: pages that invite people to take part without a date yet.

One row per page, like summaries: replaced when the page is read again,
removed when it no longer invites or is gone (404/410). Only functional
contact details are kept: the mailbox is dropped unless extraction marked
it as a functional address, and no names or phone numbers are read.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from tasks.records import PageExtraction

if TYPE_CHECKING:  # warehouse.load imports this module
    from warehouse.load import Batch

INVITATION_COLUMNS = (
    "invitation_id", "source_id", "municipality_code", "page_url", "title", "topics", "channels", "mailbox",
    "deadline", "published", "content_hash", "fetched_at", "extractor_version", "first_seen_at",
    "last_seen_at", "run_id",
)  # fmt: skip
_TYPES = {
    "topics": pa.list_(pa.string()),
    "channels": pa.list_(pa.string()),
    "deadline": pa.date32(),
    "published": pa.date32(),
    "fetched_at": pa.timestamp("us", tz="UTC"),
    "first_seen_at": pa.timestamp("us", tz="UTC"),
    "last_seen_at": pa.timestamp("us", tz="UTC"),
}
_SCHEMA = pa.schema([(c, _TYPES.get(c, pa.string())) for c in INVITATION_COLUMNS])


def invitation_id(url: str) -> str:
    """An invitation is one per page: its id follows the page address."""
    return "i-" + hashlib.sha256(url.encode()).hexdigest()[:16]


def is_invitation(extraction: PageExtraction) -> bool:
    """A page the extractor calls an invitation: it asks people to take part but names no day."""
    return extraction.kind == "invitation"


def functional_mailbox(extraction: PageExtraction) -> str | None:
    """The sign-up mailbox, only when the page's contacts show it is a functional address."""
    registration = extraction.registration
    mailbox = (registration.mailbox if registration else None) or extraction.contact_mailbox
    if not mailbox:
        return None
    functional = {c.value.lower() for c in extraction.contacts if c.kind == "email" and c.functional}
    return mailbox if mailbox.lower() in functional else None


def invitation_row(extraction: PageExtraction, batch: Batch) -> dict[str, Any]:
    """The warehouse row of one invitation page (first_seen_at filled in by the loader)."""
    page = batch.page_by_url.get(extraction.url)
    registration = extraction.registration
    return {
        "invitation_id": invitation_id(extraction.url),
        "source_id": batch.source.id,
        "municipality_code": batch.source.municipality_code,
        "page_url": extraction.url,
        "title": extraction.title,
        "topics": list(extraction.topics),
        "channels": list(registration.channels) if registration else [],
        "mailbox": functional_mailbox(extraction),
        "deadline": registration.deadline if registration else None,
        "published": extraction.published,
        "content_hash": page.content_hash if page else None,
        "fetched_at": page.fetched_at if page else None,
        "extractor_version": batch.extractor_version,
        "first_seen_at": batch.now,
        "last_seen_at": batch.now,
        "run_id": batch.run_id,
    }


def load_invitations(con: duckdb.DuckDBPyConnection, batch: Batch) -> int:
    """Replace the invitations of the pages examined this run (read again or gone); first_seen kept.

    Runs inside the loader's transaction for the source.
    """
    rows = [invitation_row(e, batch) for e in batch.extractions if is_invitation(e)]
    first_seen = dict(
        con.execute(
            "SELECT invitation_id, first_seen_at FROM invitations WHERE list_contains(?, invitation_id)",
            [[r["invitation_id"] for r in rows]],
        ).fetchall()
    )
    for row in rows:
        row["first_seen_at"] = first_seen.get(row["invitation_id"], batch.now)
    examined = sorted(batch.examined_pages)
    con.execute(
        "DELETE FROM invitations WHERE source_id = ? AND list_contains(?, page_url)",
        [batch.source.id, examined],
    )
    if rows:
        table = pa.Table.from_pylist(rows, schema=_SCHEMA)
        con.register("invitation_batch", table)
        try:
            con.execute(
                f"INSERT OR REPLACE INTO invitations ({', '.join(INVITATION_COLUMNS)}) "
                "SELECT * FROM invitation_batch"
            )
        finally:
            con.unregister("invitation_batch")
    return len(rows)
