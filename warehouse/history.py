"""What changed between two runs of a source: new, unchanged, updated, rescheduled, cancelled, disappeared.

Pure: rows in, changes out. The warehouse decides what to compare (only pages
read again this run, or pages that are gone) and applies the result as
versions, so the rules can be read and tested alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Fields whose change makes a new version of a meeting.
COMPARED_FIELDS = (
    "title",
    "meeting_date",
    "month_day",
    "start_time",
    "end_time",
    "place",
    "address",
    "attendance",
    "status",
    "theme",
    "topics",
    "activity",
)
CHANGE_KINDS = ("new", "unchanged", "updated", "rescheduled", "cancelled", "disappeared")
# A source is suspect when a re-read yields less than this share of what it had.
COLLAPSE_RATIO = 0.5
# ... and it had at least this many meetings on the pages read again.
COLLAPSE_MIN_PREVIOUS = 3


@dataclass(frozen=True)
class Change:
    """One meeting's fate in a run; `meeting_id` is the stable id kept across reschedules."""

    meeting_id: str
    kind: str
    extracted_id: str | None = None
    changed_fields: tuple[str, ...] = ()
    previous: Mapping[str, Any] | None = None


@dataclass
class ChangeSet:
    changes: list[Change] = field(default_factory=list)
    suspect: bool = False
    suspect_reason: str | None = None
    # Pages still served that lost every meeting they stated: their meetings are kept, not disappeared.
    collapsed_pages: dict[str, str] = field(default_factory=dict)

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
    """Compared fields whose values differ (lists compared as lists)."""
    return tuple(f for f in COMPARED_FIELDS if _plain(before.get(f)) != _plain(after.get(f)))


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple | list) else value


def _pair_reschedules(
    vanished: Sequence[Mapping[str, Any]], appeared: Sequence[Mapping[str, Any]]
) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """Old and new rows of one page that are the same meeting on another day.

    One vanished and one new row on a page pair up; with more, rows pair when
    they share a non-empty theme.
    """
    if len(vanished) == 1 and len(appeared) == 1:
        return [(vanished[0], appeared[0])]
    pairs = []
    taken: set[int] = set()
    for old in vanished:
        if not old.get("theme"):
            continue
        for index, new in enumerate(appeared):
            if index not in taken and new.get("theme") == old.get("theme"):
                pairs.append((old, new))
                taken.add(index)
                break
    return pairs


def collapse_reason(previous_count: int, current_count: int) -> str | None:
    """Why a source's extraction looks broken rather than changed (None when it looks fine)."""
    if previous_count >= COLLAPSE_MIN_PREVIOUS and current_count < previous_count * COLLAPSE_RATIO:
        return f"extraction collapsed: {current_count} meetings where the same pages had {previous_count}"
    return None


def collapsed_pages(
    before: Mapping[str, Mapping[str, Any]], current: Mapping[str, Mapping[str, Any]], gone_pages: set[str]
) -> dict[str, str]:
    """Pages read again, still served, that stated meetings before and state none now.

    The per-page collapse guard: a page that keeps its template but loses its
    content looks like a page whose meetings all went away. Only a page that
    is gone (404/410) makes its meetings disappear; this one is reported.
    """
    had = Counter(r["page_url"] for r in before.values())
    has = Counter(r["page_url"] for r in current.values())
    return {
        page: f"{count} meeting{'s' if count > 1 else ''} before, none now"
        for page, count in sorted(had.items())
        if page not in gone_pages and not has.get(page)
    }


def classify(
    previous: Mapping[str, Mapping[str, Any]],
    current: Mapping[str, Mapping[str, Any]],
    examined_pages: set[str],
    fallback_reason: str | None = None,
    gone_pages: set[str] | None = None,
) -> ChangeSet:
    """Compare a source's active meetings before and after a run.

    `previous` maps stable ids to rows, `current` maps extracted ids (already
    translated through known aliases) to rows. Only meetings on
    `examined_pages` (read again, or gone) can disappear; a collapsed source
    changes nothing but is flagged; a collapsed page keeps its meetings and is
    listed in `collapsed_pages`. `gone_pages` (404/410) lose theirs.
    """
    before = {i: r for i, r in previous.items() if r["page_url"] in examined_pages}
    reason = fallback_reason or collapse_reason(len(before), len(current))
    if reason:
        return ChangeSet(suspect=True, suspect_reason=reason)
    result = ChangeSet(collapsed_pages=collapsed_pages(before, current, gone_pages or set()))
    before = {i: r for i, r in before.items() if r["page_url"] not in result.collapsed_pages}
    vanished_by_page: dict[str, list[Mapping[str, Any]]] = {}
    appeared_by_page: dict[str, list[Mapping[str, Any]]] = {}
    for identifier, row in current.items():
        old = previous.get(identifier)
        if old is None:
            appeared_by_page.setdefault(row["page_url"], []).append({**row, "_id": identifier})
            continue
        fields = changed_fields(old, row)
        if not fields:
            result.changes.append(Change(identifier, "unchanged", identifier))
        elif "status" in fields and row.get("status") == "cancelled":
            result.changes.append(Change(identifier, "cancelled", identifier, fields, old))
        else:
            result.changes.append(Change(identifier, "updated", identifier, fields, old))
    for identifier, row in before.items():
        if identifier not in current:
            vanished_by_page.setdefault(row["page_url"], []).append({**row, "_id": identifier})
    paired_old: set[str] = set()
    paired_new: set[str] = set()
    for page, appeared in appeared_by_page.items():
        for old, new in _pair_reschedules(vanished_by_page.get(page, []), appeared):
            fields = changed_fields(old, new)
            result.changes.append(Change(old["_id"], "rescheduled", new["_id"], fields, old))
            paired_old.add(old["_id"])
            paired_new.add(new["_id"])
    for appeared in appeared_by_page.values():
        result.changes.extend(
            Change(r["_id"], "new", r["_id"]) for r in appeared if r["_id"] not in paired_new
        )
    for vanished in vanished_by_page.values():
        result.changes.extend(
            Change(r["_id"], "disappeared", None, (), r) for r in vanished if r["_id"] not in paired_old
        )
    return result
