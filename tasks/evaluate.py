"""Scoring the extractor against a labelled corpus: per-field precision, recall and accuracy.

A corpus is a folder of `<id>.json` labels, each beside `<id>.html` (or naming
its page with an "html" key, a path relative to the label). Meetings are
matched by day (or month-day when no year is supported); fields are compared
on matched pairs only, so a missed meeting counts once, in recall.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from tasks.charset import decode_text
from tasks.extract.page import extract_page
from tasks.records import Meeting, PageContext, PageExtraction, to_jsonable

MEETING_FIELDS = ("start", "end", "status", "place", "attendance")
SUMMARY_FIELDS = ("body", "date", "start", "end", "item_count", "confidential_item_count")
LABEL_KEYS = ("url", "kind", "meetings")


class LabelError(ValueError):
    """A label file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Label:
    """One labelled page: what a careful reader finds on it."""

    name: str
    html_path: Path
    url: str
    profile: str | None
    municipality: str | None
    fetched_at: date | None
    kind: str
    meetings: tuple[dict[str, Any], ...]
    summary: dict[str, Any] | None
    seed: bool = False


def load_label(path: Path) -> Label:
    """Read and check one label file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise LabelError(f"{path}: not valid JSON: {exc}") from exc
    missing = [k for k in LABEL_KEYS if k not in data]
    if missing:
        raise LabelError(f"{path}: missing key(s) {', '.join(missing)}")
    html_path = path.parent / data["html"] if "html" in data else path.with_suffix(".html")
    if not html_path.is_file():
        raise LabelError(f"{path}: page {html_path} not found")
    fetched = data.get("fetched_at")
    return Label(
        name=path.stem,
        html_path=html_path,
        url=data["url"],
        profile=data.get("profile"),
        municipality=data.get("municipality"),
        fetched_at=date.fromisoformat(fetched) if fetched else None,
        kind=data["kind"],
        meetings=tuple(data["meetings"]),
        summary=data.get("summary"),
        seed=bool(data.get("seed", False)),
    )


def load_corpus(folders: Iterable[Path]) -> list[Label]:
    """Every label under the folders (recursively), sorted by name."""
    paths = sorted(p for folder in folders for p in Path(folder).rglob("*.json"))
    if not paths:
        raise LabelError(f"no label files (*.json) under {', '.join(str(f) for f in folders)}")
    return [load_label(p) for p in paths]


def extract_label(label: Label) -> PageExtraction:
    context = PageContext(
        url=label.url, fetched_at=label.fetched_at, municipality=label.municipality, profile=label.profile
    )
    return extract_page(decode_text(label.html_path.read_bytes()), context)


def _key(meeting: dict[str, Any]) -> str | None:
    return meeting.get("date") or (f"--{meeting['month_day']}" if meeting.get("month_day") else None)


def _normalise_place(value: Any) -> str:
    """Case and separators ignored: 'Rummet Vänern, Stadshuset' equals 'Rummet Vänern i Stadshuset'."""
    words = str(value or "").casefold().replace(",", " ").split()
    return " ".join(w for w in words if w != "i")


def field_matches(name: str, expected: Any, found: Any) -> bool:
    """Exact for most fields; a place matches when one names the other ('Oasen' ~ 'Oasen, plan 2')."""
    if name == "place" and expected and found:
        a, b = _normalise_place(expected), _normalise_place(found)
        return a in b or b in a
    return expected == found


@dataclass
class Tally:
    """Counts behind one score."""

    hits: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.hits += int(ok)
        self.total += 1

    @property
    def ratio(self) -> float:
        return self.hits / self.total if self.total else 1.0


@dataclass
class Scores:
    pages: int = 0
    kind: Tally = field(default_factory=Tally)
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    fields: dict[str, Tally] = field(default_factory=lambda: {f: Tally() for f in MEETING_FIELDS})
    summary_fields: dict[str, Tally] = field(default_factory=lambda: {f: Tally() for f in SUMMARY_FIELDS})
    seed_checks: Tally = field(default_factory=Tally)
    mistakes: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _meeting_dict(meeting: Meeting) -> dict[str, Any]:
    return to_jsonable(meeting)


def score_page(label: Label, extraction: PageExtraction, scores: Scores) -> None:
    """Add one page's comparison to the running scores."""
    scores.pages += 1
    kind_ok = extraction.kind == label.kind
    scores.kind.add(kind_ok)
    checks = [kind_ok]
    if not kind_ok:
        scores.mistakes.append(f"{label.name}: kind {extraction.kind!r}, expected {label.kind!r}")
    found = {_key(m): m for m in map(_meeting_dict, extraction.meetings)}
    expected = {_key(m): m for m in label.meetings}
    for key, want in expected.items():
        got = found.get(key)
        if got is None:
            scores.false_negatives += 1
            checks.append(False)
            scores.mistakes.append(f"{label.name}: missed meeting {key}")
            continue
        scores.true_positives += 1
        for name in MEETING_FIELDS:
            ok = field_matches(name, want.get(name), got.get(name))
            scores.fields[name].add(ok)
            checks.append(ok)
            if not ok:
                scores.mistakes.append(
                    f"{label.name}: {key} {name} {got.get(name)!r}, expected {want.get(name)!r}"
                )
    for key in found.keys() - expected.keys():
        scores.false_positives += 1
        checks.append(False)
        scores.mistakes.append(f"{label.name}: extra meeting {key}")
    if label.summary is not None:
        got_summary = to_jsonable(extraction.summary) if extraction.summary else {}
        for name in SUMMARY_FIELDS:
            ok = label.summary.get(name) == got_summary.get(name)
            scores.summary_fields[name].add(ok)
            checks.append(ok)
            if not ok:
                scores.mistakes.append(
                    f"{label.name}: summary {name} {got_summary.get(name)!r}, expected {label.summary.get(name)!r}"
                )
    if label.seed:
        scores.seed_checks.add(all(checks))


def evaluate(labels: Sequence[Label]) -> Scores:
    scores = Scores()
    for label in labels:
        score_page(label, extract_label(label), scores)
    return scores


def format_table(scores: Scores) -> str:
    """A plain-text table of the scores, as printed by `kommundialog evaluate`."""
    rows = [
        ("pages", str(scores.pages), ""),
        ("kind accuracy", f"{scores.kind.ratio:.3f}", f"{scores.kind.hits}/{scores.kind.total}"),
        (
            "meeting precision",
            f"{scores.precision:.3f}",
            f"{scores.true_positives} found right, {scores.false_positives} extra",
        ),
        ("meeting recall", f"{scores.recall:.3f}", f"{scores.false_negatives} missed"),
        ("meeting F1", f"{scores.f1:.3f}", ""),
    ]
    rows += [
        (f"{name} accuracy", f"{t.ratio:.3f}", f"{t.hits}/{t.total}") for name, t in scores.fields.items()
    ]
    rows += [
        (f"summary {name} accuracy", f"{t.ratio:.3f}", f"{t.hits}/{t.total}")
        for name, t in scores.summary_fields.items()
    ]
    rows.append(
        (
            "seed pages fully right",
            f"{scores.seed_checks.ratio:.3f}",
            f"{scores.seed_checks.hits}/{scores.seed_checks.total}",
        )
    )
    width = max(len(r[0]) for r in rows)
    lines = [f"{'measure'.ljust(width)}  score  detail", f"{'-' * width}  -----  ------"]
    lines += [f"{name.ljust(width)}  {value:>5}  {detail}".rstrip() for name, value, detail in rows]
    return "\n".join(lines)
