"""What the previous release said, carried forward: calendar UIDs, revisions and release history.

The publisher compares the warehouse's current state with the release it served last (latest/meetings.jsonl and
latest/release.json) to know what is new, what changed (SEQUENCE + 1) and
which UID a meeting had. When nothing changed, every value is copied, which
is what makes a second publish byte-identical.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warehouse.catalogue.schema import TRACKED_MEETING_FIELDS

Row = dict[str, Any]
# How many past releases CHANGELOG.md and release.json remember.
HISTORY_LENGTH = 200
# What a previous meeting row needs to carry its identity forward (older formats lack some).
CARRIED_KEYS = {"meeting_id", "uid", "page_url", "revision", "revised_at", "date"}


@dataclass(frozen=True)
class ReleaseMeta:
    """The identity of one release and the releases before it (newest first)."""

    release_id: str
    updated_at: str
    history: tuple[dict[str, Any], ...] = ()


@dataclass
class PreviousRelease:
    """The served release as far as the next publish needs it; empty on the first publish."""

    meetings: list[Row] = field(default_factory=list)
    summary_ids: set[str] = field(default_factory=set)
    meta: ReleaseMeta | None = None
    checksums: bytes | None = None


@dataclass(frozen=True)
class Changes:
    """What a release changed compared with the one before, for the changelog and the feed."""

    new: int = 0
    changed: int = 0
    cancelled: int = 0
    removed: int = 0
    new_summaries: int = 0
    removed_summaries: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "new": self.new,
            "changed": self.changed,
            "cancelled": self.cancelled,
            "removed": self.removed,
            "new_summaries": self.new_summaries,
            "removed_summaries": self.removed_summaries,
        }

    @property
    def any(self) -> bool:
        return any(self.as_dict().values())


def _read_jsonl(path: Path) -> list[Row]:
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rows.append(json.loads(line))
    return rows


def read_previous_release(latest: Path) -> PreviousRelease:
    """Read the served release (through the `latest` link); a missing or foreign one counts as none."""
    meta_path = latest / "release.json"
    if not meta_path.is_file():
        return PreviousRelease()
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        previous = PreviousRelease(
            meetings=[r for r in _read_jsonl(latest / "meetings.jsonl") if set(r) >= CARRIED_KEYS],
            summary_ids={r["summary_id"] for r in _read_jsonl(latest / "summaries.jsonl")},
            meta=ReleaseMeta(meta["release"], meta["updated_at"], tuple(meta.get("history", ()))),
        )
    except (ValueError, KeyError, TypeError):
        return PreviousRelease()
    sums = latest / "SHA256SUMS"
    previous.checksums = sums.read_bytes() if sums.is_file() else None
    return previous


def fingerprint(row: Row) -> str:
    """A digest of the fields whose change is a new revision for calendar users."""
    tracked = {name: row.get(name) for name in TRACKED_MEETING_FIELDS}
    return hashlib.sha256(json.dumps(tracked, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def calendar_uid(meeting_id: str, host: str) -> str:
    """The UID a meeting gets when it is first published."""
    return f"{meeting_id}@{host}"


def resolve_uids(rows: Sequence[Row], previous: Sequence[Row], host: str) -> dict[str, Row | None]:
    """Match each current meeting to its previous record; the one place UIDs are decided.

    A meeting keeps its record (and so its UID) while its id stays, that is
    while the page address and the day stay: retitles, new times, new places
    and cancellations keep it, and so do reschedules the warehouse recognised (it keeps the id). For others
    when exactly one meeting vanished and exactly one appeared on the same
    page, they are taken to be the same meeting moved. Other reschedules get
    a new UID (a meeting moved to another page, for one).
    """
    by_id = {p["meeting_id"]: p for p in previous}
    current_ids = {r["meeting_id"] for r in rows}
    matches: dict[str, Row | None] = {r["meeting_id"]: by_id.get(r["meeting_id"]) for r in rows}
    vanished: dict[str, list[Row]] = defaultdict(list)
    for p in previous:
        if p["meeting_id"] not in current_ids:
            vanished[p["page_url"]].append(p)
    appeared: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        if matches[r["meeting_id"]] is None:
            appeared[r["page_url"]].append(r)
    for page, new_rows in appeared.items():
        if len(new_rows) == 1 and len(vanished.get(page, ())) == 1:
            matches[new_rows[0]["meeting_id"]] = vanished[page][0]
    return matches


def apply_history(rows: Sequence[Row], previous: Sequence[Row], host: str, as_of: str) -> list[Row]:
    """Add uid, revision, revised_at and previous_date to each meeting."""
    matches = resolve_uids(rows, previous, host)
    result = []
    for row in rows:
        before = matches[row["meeting_id"]]
        if before is None:
            carried = {
                "uid": calendar_uid(row["meeting_id"], host),
                "revision": 0,
                "revised_at": row["first_seen_at"],
                "previous_date": None,
            }
        elif fingerprint(before) == fingerprint(row):
            carried = {k: before.get(k) for k in ("uid", "revision", "revised_at", "previous_date")}
        else:
            moved = before.get("date") != row.get("date") and before.get("date") is not None
            carried = {
                "uid": before["uid"],
                "revision": int(before.get("revision", 0)) + 1,
                "revised_at": as_of,
                "previous_date": before.get("date") if moved else before.get("previous_date"),
            }
        result.append({**row, **carried})
    return result


def count_changes(meetings: Sequence[Row], previous: PreviousRelease, summary_ids: set[str]) -> Changes:
    """New, changed, cancelled and removed meetings and summaries since the served release."""
    before = {p["uid"]: p for p in previous.meetings if "uid" in p}
    now_uids = {m["uid"] for m in meetings}
    new = changed = cancelled = 0
    for meeting in meetings:
        old = before.get(meeting["uid"])
        if old is None:
            new += 1
        elif int(old.get("revision", 0)) != meeting["revision"]:
            if meeting["status"] == "cancelled" and old.get("status") != "cancelled":
                cancelled += 1
            else:
                changed += 1
    return Changes(
        new=new,
        changed=changed,
        cancelled=cancelled,
        removed=len(set(before) - now_uids),
        new_summaries=len(summary_ids - previous.summary_ids),
        removed_summaries=len(previous.summary_ids - summary_ids),
    )


def release_id_for(updated_at: str, taken: set[str]) -> str:
    """'2024-06-01T06:00:00Z' -> '2024-06-01T060000Z', with '-2', '-3' ... if that name is taken."""
    base = updated_at.replace(":", "")
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def next_meta(
    previous: PreviousRelease, as_of: str, taken: set[str], counts: dict[str, int], changes: Changes
) -> ReleaseMeta:
    """The identity of a new release: never dated before the one it replaces."""
    updated_at = max(as_of, previous.meta.updated_at) if previous.meta else as_of
    release_id = release_id_for(updated_at, taken)
    entry = {"release": release_id, "updated_at": updated_at, "counts": counts, "changes": changes.as_dict()}
    history = (entry, *(previous.meta.history if previous.meta else ()))[:HISTORY_LENGTH]
    return ReleaseMeta(release_id, updated_at, history)
