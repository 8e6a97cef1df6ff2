"""`kommundialog extract`: the JSON contract, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import seed_path, seed_url

CLI = Path(sys.executable).parent / "kommundialog"
MEETING_KEYS = {"id", "title", "date", "start", "end", "place", "address", "attendance", "status", "topics"}
SUMMARY_KEYS = {"body", "date", "start", "end", "items", "item_count", "confidential_item_count"}


def run_extract(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), "extract", *args], capture_output=True, text=True, timeout=60)


def extract_seed(seed: str) -> dict:
    result = run_extract(str(seed_path(seed)), "--url", seed_url(seed), "--fetched-at", "2024-06-01")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_contract_keys_and_value_forms(seed: str) -> None:
    data = extract_seed(seed)
    assert {"url", "title", "kind", "published", "meetings", "summary"} <= set(data)
    assert data["kind"] in ("meeting", "summary", "invitation", "other")
    for meeting in data["meetings"]:
        assert set(meeting) >= MEETING_KEYS
        assert meeting["attendance"] in ("in_person", "online", "hybrid", None)
        assert meeting["status"] in ("scheduled", "cancelled", "postponed")
        assert meeting["activity"] in ("dialogue", "council", "committee", "information", "other")
    if data["summary"] is not None:
        assert set(data["summary"]) >= SUMMARY_KEYS


def test_seed_000_meeting() -> None:
    data = extract_seed("000")
    assert (data["kind"], data["published"]) == ("meeting", "2024-05-09")
    (meeting,) = data["meetings"]
    assert {k: meeting[k] for k in ("date", "start", "end", "place", "attendance", "status")} == {
        "date": "2024-05-28",
        "start": "17:30",
        "end": "20:00",
        "place": "Oasen",
        "attendance": "in_person",
        "status": "scheduled",
    }
    assert meeting["organiser"] == "Socialtjänsten"
    assert data["contact_mailbox"] == "ifo@nordmaling.se"
    assert sorted(meeting["topics"]) == ["school_absence", "social_support", "violence_close_relationships"]


def test_seed_001_invitation() -> None:
    data = extract_seed("001")
    assert (data["kind"], data["meetings"]) == ("invitation", [])
    assert data["registration"] == {
        "channels": ["e_service", "phone", "sms", "email"],
        "mailbox": "socialtjansten@ovanaker.se",
        "deadline": None,
    }
    assert data["mentions_cancelled_undated"] is True
    assert sorted(data["topics"]) == ["addiction", "children_young_people", "mental_health"]


def test_seed_002_no_meeting() -> None:
    data = extract_seed("002")
    assert (data["kind"], data["meetings"], data["summary"]) == ("other", [], None)


def test_seed_003_four_hybrid_meetings() -> None:
    data = extract_seed("003")
    assert [m["date"] for m in data["meetings"]] == ["2024-09-16", "2024-10-21", "2024-11-18", "2024-12-16"]
    for meeting in data["meetings"]:
        assert (meeting["start"], meeting["end"], meeting["attendance"]) == (None, None, "hybrid")
        assert (meeting["place"], meeting["address"]) == (
            "Fontänhuset",
            "Norra Strandgatan 8, våning 3, Helsingborg",
        )
    assert data["meetings"][1]["theme"] == "om privatekonomi"
    assert data["meetings"][1]["speakers"].startswith("Linda Lindström")


def test_seed_004_summary() -> None:
    data = extract_seed("004")
    summary = data["summary"]
    assert data["kind"] == "summary"
    assert {
        k: summary[k] for k in ("body", "date", "start", "end", "item_count", "confidential_item_count")
    } == {
        "body": "Socialnämnden",
        "date": "2017-06-21",
        "start": "17:00",
        "end": "20:50",
        "item_count": 25,
        "confidential_item_count": 17,
    }
    assert [i["title"] for i in summary["items"]] == [
        "Information om våra tidiga insatser",
        "Information om romsk inkludering",
        "Information om mål och ekonomi 2017",
    ]
    assert summary["next_meeting_date"] == "2017-08-31"
    assert [m["date"] for m in data["meetings"]] == ["2017-08-31"]


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = run_extract(str(tmp_path / "nope.html"), "--url", "https://x.se/")
    assert result.returncode == 2
    assert "cannot read" in result.stderr and "nope.html" in result.stderr


def test_bad_fetch_date_is_a_clear_error() -> None:
    result = run_extract(str(seed_path("000")), "--url", seed_url("000"), "--fetched-at", "28 maj")
    assert result.returncode == 2
    assert "--fetched-at" in result.stderr


def test_activity_and_impossible_dates_in_the_json(tmp_path: Path) -> None:
    page = tmp_path / "rad.html"
    page.write_text(
        "<html lang='sv'><head><title>Pensionärsrådet</title></head><body><main><h1>Pensionärsrådet</h1>"
        "<p>Pensionärsrådet sammanträder tisdag 5 maj 2026 kl 13 i Stadshuset.</p>"
        "<p>Extra möte 28 maj 9999 kl 13 och 31 februari kl 13.</p></main></body></html>",
        encoding="utf-8",
    )
    result = run_extract(str(page), "--url", "https://www.ekby.se/rad.html", "--fetched-at", "2026-04-01")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(m["date"], m["activity"]) for m in data["meetings"]] == [("2026-05-05", "council")]
    assert any("9999" in w for w in data["warnings"]) and any("31 februari" in w for w in data["warnings"])
