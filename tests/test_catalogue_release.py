"""Publishing releases from a real DuckDB warehouse: layout, reproducibility, history and failures."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from tasks.records import PageExtraction
from tasks.registry import load_registry
from tests.catalogue_support import (
    LOADED_AT,
    REGISTRY,
    catalogue_config,
    copy_warehouse,
    execute,
    load_extraction,
    load_seed_pages,
    make_meeting,
    served_state,
)
from warehouse.catalogue import publish as publish_module
from warehouse.catalogue.build import render_checksums
from warehouse.catalogue.publish import publish_catalogue
from warehouse.catalogue.validate import ReleaseInvalid
from warehouse.db import open_warehouse

LATER = LOADED_AT + timedelta(days=1)
PAGE = "https://www.nordmaling.se/nyheter/nyheter/2024-05-09-inbjudan-till-dialogmote-med-socialtjansten.html"


@pytest.fixture(scope="module")
def seed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("seed") / "kd.duckdb"
    load_seed_pages(db)
    return db


@pytest.fixture
def db(seed_db: Path, tmp_path: Path) -> Path:
    """A private copy of the seed warehouse that a test may change."""
    return copy_warehouse(seed_db, tmp_path)


def publish(db: Path, out: Path, as_of: datetime = LOADED_AT, **config: object) -> dict[str, int]:
    with open_warehouse(db) as con:
        return publish_catalogue(con, out, as_of, catalogue_config(**config))


def meetings_by_id(out: Path) -> dict[str, dict]:
    lines = (out / "meetings.jsonl").read_text(encoding="utf-8").splitlines()
    return {row["meeting_id"]: row for row in map(json.loads, lines)}


def test_release_layout_has_dated_release_latest_link_and_stable_root_names(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "catalogue"
    outputs = publish(db, out)
    assert os.readlink(out / "latest") == "releases/2024-06-01T060000Z"
    release = out / "releases" / "2024-06-01T060000Z"
    for name in (
        "index.html",
        "meetings.csv",
        "meetings.json",
        "summaries.csv",
        "summaries.json",
        "SHA256SUMS",
    ):
        assert os.readlink(out / name) == f"latest/{name}"
        assert (out / name).read_bytes() == (release / name).read_bytes()
    assert (out / "kommun" / "2401" / "meetings.ics").is_file()
    assert {"meetings.csv", "meetings.parquet", "meetings.jsonl", "datapackage.json", "catalog.rdf"} <= set(
        outputs
    )
    assert not [p for p in out.iterdir() if p.name.startswith((".staging-", ".link-"))]


def test_publishing_unchanged_data_twice_changes_no_byte(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "catalogue"
    publish(db, out)
    before = served_state(out)
    execute(db, "UPDATE meetings SET last_seen_at = ?", [LATER])  # a later run saw the same meetings
    publish(db, out, as_of=LATER)
    assert served_state(out) == before
    assert (out / "SHA256SUMS").read_bytes() == (
        out / "releases" / "2024-06-01T060000Z" / "SHA256SUMS"
    ).read_bytes()


def test_the_same_warehouse_builds_identical_files_in_two_places(db: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    publish(db, first)
    publish(db, second)
    assert served_state(first)["files"] == served_state(second)["files"]


def test_a_changed_meeting_gets_a_new_release_and_sequence(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "catalogue"
    publish(db, out)
    oasen = next(m for m in meetings_by_id(out).values() if m["place"] == "Oasen")
    execute(db, "UPDATE meetings SET start_time = '18:00' WHERE meeting_id = ?", [oasen["meeting_id"]])
    publish(db, out, as_of=LATER)

    assert os.readlink(out / "latest") == "releases/2024-06-02T060000Z"
    changed = meetings_by_id(out)[oasen["meeting_id"]]
    assert (changed["uid"], changed["revision"], changed["start"]) == (oasen["uid"], 1, "18:00")
    assert changed["revised_at"] == "2024-06-02T06:00:00Z"
    others = [m for m in meetings_by_id(out).values() if m["meeting_id"] != oasen["meeting_id"]]
    assert {m["revision"] for m in others} == {0}
    assert (out / "releases" / "2024-06-01T060000Z" / "index.html").is_file()  # the old release stays
    changelog = (out / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.index("2024-06-02T060000Z") < changelog.index("2024-06-01T060000Z")
    assert "0 new, 1 changed, 0 cancelled, 0 removed" in changelog


def test_cancelled_meetings_stay_published_with_a_new_revision(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "catalogue"
    publish(db, out)
    oasen = next(m for m in meetings_by_id(out).values() if m["place"] == "Oasen")
    execute(db, "UPDATE meetings SET status = 'cancelled' WHERE meeting_id = ?", [oasen["meeting_id"]])
    publish(db, out, as_of=LATER)
    cancelled = meetings_by_id(out)[oasen["meeting_id"]]
    assert (cancelled["status"], cancelled["revision"]) == ("cancelled", 1)
    calendar = (out / "meetings.ics").read_text(encoding="utf-8")
    assert "STATUS:CANCELLED" in calendar and f"UID:{oasen['uid']}" in calendar
    assert "0 new, 0 changed, 1 cancelled, 0 removed" in (out / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "Inställt: Inbjudan till dialogmöte" in (out / "feed.atom").read_text(encoding="utf-8")


def test_a_meeting_moved_to_another_day_on_its_page_keeps_its_uid(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "catalogue"
    publish(db, out)
    oasen = next(m for m in meetings_by_id(out).values() if m["place"] == "Oasen")
    source = load_registry(REGISTRY).sources[0]
    moved = make_meeting(PAGE, date(2024, 6, 4), place="Oasen", start=time(17, 30), end=time(20, 0))
    extraction = PageExtraction(url=PAGE, title="Inbjudan", kind="meeting", published=None, meetings=(moved,))
    load_extraction(db, source, extraction, LATER, "run-2")
    publish(db, out, as_of=LATER)

    rows = meetings_by_id(out)
    assert moved.id not in rows  # the warehouse keeps the stable id across the move
    rescheduled = rows[oasen["meeting_id"]]
    assert rescheduled["date"] == "2024-06-04"
    assert rescheduled["uid"] == oasen["uid"]
    assert (rescheduled["revision"], rescheduled["previous_date"]) == (1, "2024-05-28")
    events = json.loads((out / "events.jsonld").read_text(encoding="utf-8"))["@graph"]
    event = next(e for e in events if e["identifier"] == oasen["uid"])
    assert event["eventStatus"] == "https://schema.org/EventRescheduled"
    assert event["previousStartDate"] == "2024-05-28"


def test_only_the_last_releases_are_kept(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "catalogue"
    for day in range(4):
        execute(db, "UPDATE meetings SET title = ? WHERE place = 'Oasen'", [f"Dialogmöte {day}"])
        publish(db, out, as_of=LOADED_AT + timedelta(days=day), releases_kept=2)
    assert sorted(p.name for p in (out / "releases").iterdir()) == [
        "2024-06-03T060000Z",
        "2024-06-04T060000Z",
    ]
    assert os.readlink(out / "latest") == "releases/2024-06-04T060000Z"
    assert (out / "CHANGELOG.md").read_text(encoding="utf-8").count("\n## ") == 4


def test_a_release_id_is_never_reused(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "catalogue"
    publish(db, out)
    execute(db, "UPDATE meetings SET title = 'Nytt namn' WHERE place = 'Oasen'")
    publish(db, out)  # same data time, new content (a re-publish after a fix)
    assert os.readlink(out / "latest") == "releases/2024-06-01T060000Z-2"


def test_plain_files_of_the_old_catalogue_are_replaced_by_stable_links(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "catalogue"
    out.mkdir()
    (out / "meetings.csv").write_text("old", encoding="utf-8")
    (out / "index.html").write_text("old", encoding="utf-8")
    publish(db, out)
    assert (out / "meetings.csv").is_symlink()
    assert "2024-05-28" in (out / "meetings.csv").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(
    "step",
    [
        "warehouse.catalogue.build.render_calendar",
        "warehouse.catalogue.publish.validate_release",
        "warehouse.catalogue.publish.install_release",
        "warehouse.catalogue.publish.switch_latest",
    ],
)
def test_a_publish_failing_halfway_leaves_latest_exactly_as_before(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    out = tmp_path / "catalogue"
    publish(db, out)
    before = served_state(out)
    execute(db, "UPDATE meetings SET status = 'cancelled' WHERE place = 'Oasen'")
    module, name = step.rsplit(".", 1)
    original = getattr(__import__(module, fromlist=[name]), name)
    calls = []

    def fail_on_second_call(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 2 or name != "render_calendar":
            raise OSError(f"injected failure in {name}")
        return original(*args, **kwargs)

    monkeypatch.setattr(step, fail_on_second_call)
    with pytest.raises(OSError, match="injected failure"):
        publish(db, out, as_of=LATER)
    assert served_state(out) == before

    monkeypatch.undo()
    publish(db, out, as_of=LATER)  # the next publish goes through
    assert os.readlink(out / "latest") == "releases/2024-06-02T060000Z"


def test_a_release_that_breaks_its_own_checks_is_not_switched_in(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "catalogue"
    publish(db, out)
    before = served_state(out)
    execute(db, "UPDATE meetings SET title = 'Nytt namn' WHERE place = 'Oasen'")
    real_build = publish_module.build_release

    def build_with_a_broken_link(*args: object) -> object:
        release = real_build(*args)
        page = release.files["index.html"].replace(b"</main>", b'<a href="saknas.csv">x</a></main>')
        release.files["index.html"] = page
        del release.files["SHA256SUMS"]
        release.files["SHA256SUMS"] = render_checksums(release.files)
        return release

    monkeypatch.setattr(publish_module, "build_release", build_with_a_broken_link)
    with pytest.raises(ReleaseInvalid, match=r"saknas\.csv"):
        publish(db, out, as_of=LATER)
    assert served_state(out) == before


def test_the_page_shows_the_datas_time_not_the_clock(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "catalogue"
    publish(db, out, as_of=datetime(2030, 1, 1, tzinfo=UTC))
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<time datetime="2030-01-01T00:00:00Z">2030-01-01 01:00</time>' in page


def test_a_publish_with_the_inputs_of_the_served_release_does_not_build_it_again(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "catalogue"
    first = publish(db, out)
    before = served_state(out)
    builds: list[str] = []
    real_build = publish_module.build_release

    def counted_build(*args: object, **kwargs: object) -> object:
        builds.append("built")
        return real_build(*args, **kwargs)

    monkeypatch.setattr(publish_module, "build_release", counted_build)
    execute(db, "UPDATE meetings SET last_seen_at = ?", [LATER])  # seen again: no published field changed
    assert publish(db, out, as_of=LATER) == first
    assert builds == [] and served_state(out) == before

    (out / ".release-inputs").write_text("something else entirely\n", encoding="utf-8")
    assert publish(db, out, as_of=LATER) == first  # an unreadable record: built and compared, as before
    assert builds == ["built"] and served_state(out) == before
    assert publish(db, out, as_of=LATER) == first  # the record was written again
    assert builds == ["built"]

    publish(db, out, as_of=LATER, base_url="https://data.annan.se/kd/")  # other settings: compared, then new
    assert len(builds) == 3 and served_state(out)["latest"] != before["latest"]
