"""Scoring on text pages with an `expected.jsonl` (the shared real-pages format).

A folder holds `expected.jsonl` (one labelled page per line) and `pages/<file>.txt`
(line 1 `URL: ...`, line 2 `RETRIEVED-AS: ...`, then the page's text). Each text
is put in plain HTML (first line the title, bullet lines a list, other lines
paragraphs), extracted, and scored the way the shared scorer scores it:
meetings matched by day (by month-day when the label has no year), labels
without a date not counted for presence but excusing as many extra dated
meetings, a summary's date counted as a meeting, places matched on their
first long words, and kinds mapped to the extractor's four.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasks.extract.page import extract_page
from tasks.records import PageContext, PageExtraction, to_jsonable

LABELS_FILE = "expected.jsonl"
PAGES_FOLDER = "pages"
TIMED_FIELDS = ("start", "end")
SCORED_FIELDS = ("start", "end", "status", "place")
# Which extractor kinds satisfy each label kind.
ACCEPTED_KINDS: dict[str, frozenset[str]] = {
    "meeting_announcement": frozenset({"meeting", "invitation"}),
    "meeting_series": frozenset({"meeting"}),
    "meeting_summary": frozenset({"summary"}),
    "not_a_meeting": frozenset({"other", "invitation"}),
}
_HEADER_PREFIXES = ("URL:", "RETRIEVED-AS:")
_BULLET = re.compile(r"^(?:[-•*·]|\d+\.)\s+(.*)")
# A place matches on one of its first words longer than this.
PLACE_WORD_MIN_CHARS = 4


def is_text_corpus(folder: Path) -> bool:
    """True for a folder in the shared format (expected.jsonl beside pages/)."""
    return (folder / LABELS_FILE).is_file() and (folder / PAGES_FOLDER).is_dir()


def text_to_html(text: str) -> str:
    """Plain HTML for a page's text: the first line as the title and h1, bullets as a list."""
    lines = [line.strip() for line in text.splitlines() if not line.startswith(_HEADER_PREFIXES)]
    title = next((line for line in lines if line), "")
    parts: list[str] = []
    items: list[str] = []
    for line in lines:
        bullet = _BULLET.match(line)
        if bullet:
            items.append(f"<li>{html.escape(bullet.group(1))}</li>")
            continue
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if line:
            tag = "h1" if not parts and line == title else "p"
            parts.append(f"<{tag}>{html.escape(line)}</{tag}>")
    if items:
        parts.append("<ul>" + "".join(items) + "</ul>")
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="sv"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"</head>\n<body><main>\n{body}\n</main></body></html>\n"
    )


@dataclass(frozen=True)
class TextLabel:
    """One labelled text page."""

    file: str
    url: str
    kind: str
    meetings: tuple[dict[str, Any], ...]
    text: str


def load_text_corpus(folder: Path) -> list[TextLabel]:
    """Every labelled page of a shared-format folder, in the order of expected.jsonl."""
    labels = []
    for number, line in enumerate((folder / LABELS_FILE).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            text = (folder / PAGES_FOLDER / data["file"]).read_text(encoding="utf-8")
            labels.append(
                TextLabel(data["file"], data["url"], data["kind"], tuple(data.get("meetings") or ()), text)
            )
        except (json.JSONDecodeError, KeyError, OSError) as exc:
            raise ValueError(f"{folder / LABELS_FILE}:{number}: {exc}") from exc
    return labels


def _normalise(text: str | None) -> str:
    lowered = unicodedata.normalize("NFKC", text or "").lower()
    return re.sub(r"[^0-9a-zåäöéü ]+", " ", lowered)


def place_matches(expected: str | None, found: str | None) -> bool:
    """The label's first long word, or one of its first three, appears in what was found."""
    words = [w for w in _normalise(expected).split() if len(w) >= PLACE_WORD_MIN_CHARS]
    if not words:
        return True
    got = _normalise(found)
    return any(w in got for w in words[:3])


@dataclass
class Counts:
    hits: int = 0
    total: int = 0

    @property
    def ratio(self) -> float:
        return self.hits / self.total if self.total else 1.0


@dataclass
class TextScores:
    """The shared scorer's figures, kept per page kind too."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    kind: Counts = field(default_factory=Counts)
    fields: dict[str, Counts] = field(default_factory=lambda: {f: Counts() for f in SCORED_FIELDS})
    pages: list[str] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 0.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self) -> str:
        """One line in the shared scorer's words and precision."""
        acc = {name: counts.ratio for name, counts in self.fields.items()}
        return (
            f"meetings F1 {self.f1:.3f} (P {self.precision:.3f} R {self.recall:.3f}; "
            f"tp {self.true_positives} fp {self.false_positives} fn {self.false_negatives}); "
            f"kind {self.kind.hits}/{self.kind.total}; start {acc['start']:.2f} end {acc['end']:.2f} "
            f"status {acc['status']:.2f} place {acc['place']:.2f}"
        )


def _predicted(extraction: dict[str, Any]) -> list[dict[str, Any]]:
    """The extracted meetings, plus the summary's date as one more when no meeting has it."""
    meetings = list(extraction.get("meetings") or [])
    summary = extraction.get("summary")
    if summary and summary.get("date") and not any(m.get("date") == summary["date"] for m in meetings):
        meetings.append({"date": summary["date"], "start": summary.get("start"), "end": summary.get("end")})
    return meetings


def _day(value: str | None, with_year: bool) -> str | None:
    if not value:
        return None
    return value if with_year else value[5:]


def _best_match(want: dict[str, Any], predicted: list[dict[str, Any]], used: set[int]) -> int | None:
    """The unused prediction of the label's day, preferring one whose start time agrees."""
    hit = None
    for index, got in enumerate(predicted):
        if index in used or _day(got.get("date"), True) != want["date"]:
            continue
        if hit is None or (got.get("start") == want.get("start") != predicted[hit].get("start")):
            hit = index
    return hit


def _compare_fields(label: TextLabel, want: dict[str, Any], got: dict[str, Any], scores: TextScores) -> None:
    for name in TIMED_FIELDS:
        if want.get(name) is not None:
            ok = got.get(name) == want[name]
            _tally(
                scores, label, name, ok, f"{want['date']} {name} {got.get(name)!r}, expected {want[name]!r}"
            )
    wanted_status = want.get("status") if want.get("status") not in (None, "passed") else "scheduled"
    found_status = got.get("status") or "scheduled"
    _tally(
        scores,
        label,
        "status",
        found_status == wanted_status,
        f"{want['date']} status {found_status!r}, expected {wanted_status!r}",
    )
    if want.get("place"):
        found_place = " ".join(filter(None, [got.get("place"), got.get("address")]))
        _tally(
            scores,
            label,
            "place",
            place_matches(want["place"], found_place),
            f"{want['date']} place {found_place or None!r}, expected {want['place']!r}",
        )


def _tally(scores: TextScores, label: TextLabel, name: str, ok: bool, mistake: str) -> None:
    scores.fields[name].total += 1
    scores.fields[name].hits += int(ok)
    if not ok:
        scores.mistakes.append(f"{label.file}: {mistake}")


def score_text_page(label: TextLabel, extraction: dict[str, Any], scores: TextScores) -> None:
    """Add one page to the scores, as the shared scorer counts it."""
    got_kind = extraction.get("kind")
    kind_ok = got_kind in ACCEPTED_KINDS.get(label.kind, frozenset())
    scores.kind.total += 1
    scores.kind.hits += int(kind_ok)
    if not kind_ok:
        scores.mistakes.append(f"{label.file}: kind {got_kind!r}, expected {label.kind!r}")
    predicted = _predicted(extraction)
    used: set[int] = set()
    tp = fn = 0
    for want in label.meetings:
        if not want.get("date"):
            continue
        hit = _best_match(want, predicted, used)
        if hit is None:
            fn += 1
            scores.mistakes.append(f"{label.file}: missed meeting {want['date']}")
            continue
        used.add(hit)
        tp += 1
        _compare_fields(label, want, predicted[hit], scores)
    excused = sum(1 for m in label.meetings if not m.get("date") and m.get("when_text"))
    fp = 0
    for index, got in enumerate(predicted):
        if index in used or not got.get("date"):
            continue
        if excused:
            excused -= 1
            continue
        fp += 1
        scores.mistakes.append(f"{label.file}: extra meeting {got['date']}")
    scores.true_positives += tp
    scores.false_positives += fp
    scores.false_negatives += fn
    scores.pages.append(f"{label.file}: kind {got_kind} (label {label.kind}), tp {tp} fp {fp} fn {fn}")


def extract_text_label(label: TextLabel, context_for: Callable[[str], PageContext]) -> dict[str, Any]:
    """Extract one text page as `kommundialog extract` would, as JSON-ready data."""
    extraction: PageExtraction = extract_page(text_to_html(label.text), context_for(label.url))
    return to_jsonable(extraction)


def evaluate_text(
    labels: Sequence[TextLabel], context_for: Callable[[str], PageContext]
) -> tuple[TextScores, dict[str, TextScores]]:
    """Scores over all pages and per label kind."""
    total = TextScores()
    by_kind: dict[str, TextScores] = {}
    for label in labels:
        extraction = extract_text_label(label, context_for)
        score_text_page(label, extraction, total)
        score_text_page(label, extraction, by_kind.setdefault(label.kind, TextScores()))
    return total, by_kind
