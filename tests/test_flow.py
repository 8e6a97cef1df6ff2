"""The collect flow, run for real by Prefect against the demo sites on 127.0.0.1."""

from __future__ import annotations

import socket
from datetime import date, time
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import PERSONAL_DATA
from warehouse.catalogue.privacy import find_in_release

pytestmark = pytest.mark.integration


def run_collect(registry: Path, workdir: Path) -> object:
    from flows.collect import collect

    return collect(
        sources_file=str(registry), db_path=str(workdir / "kd.duckdb"), out_dir=str(workdir / "catalogue")
    )


@pytest.fixture(scope="module")
def first_run(prefect_server, demo_registry_file, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("flow")
    summary = run_collect(demo_registry_file, workdir)
    return workdir, summary


def query(workdir: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(workdir / "kd.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_run_summary_counts(first_run) -> None:
    _, summary = first_run
    assert summary.sources == 4
    assert summary.errors == []
    assert summary.pages >= 20
    assert summary.meetings == 6
    assert summary.summaries == 1


def test_seed_meetings_are_in_the_warehouse(first_run) -> None:
    workdir, _ = first_run
    rows = query(
        workdir,
        "SELECT municipality_code, meeting_date, start_time, end_time, place FROM meetings ORDER BY 2",
    )
    assert rows == [
        ("1283", date(2017, 8, 31), None, None, "Nya sammanträdesrummet, plan 4"),
        ("2401", date(2024, 5, 28), time(17, 30), time(20, 0), "Oasen"),
        ("1283", date(2024, 9, 16), None, None, "Fontänhuset"),
        ("1283", date(2024, 10, 21), None, None, "Fontänhuset"),
        ("1283", date(2024, 11, 18), None, None, "Fontänhuset"),
        ("1283", date(2024, 12, 16), None, None, "Fontänhuset"),
    ]


def test_pages_summaries_sources_and_run_rows(first_run) -> None:
    workdir, summary = first_run
    kinds = dict(query(workdir, "SELECT kind, count(*) FROM pages GROUP BY kind"))
    assert kinds["meeting"] == 2 and kinds["summary"] == 1 and kinds["invitation"] == 1
    assert query(workdir, "SELECT count(*) FROM pages WHERE content_hash IS NULL OR http_status <> 200") == [
        (0,)
    ]
    assert query(
        workdir, "SELECT body, meeting_date, item_count, confidential_item_count FROM summaries"
    ) == [("Socialnämnden", date(2017, 6, 21), 25, 17)]
    assert query(workdir, "SELECT count(*) FROM sources") == [(4,)]
    assert query(workdir, f"SELECT status, meetings FROM runs WHERE run_id = '{summary.run_id}'") == [
        ("ok", 6)
    ]


def test_raw_pages_are_archived(first_run) -> None:
    workdir, _ = first_run
    hashes = {h for (h,) in query(workdir, "SELECT content_hash FROM pages")}
    archived = {p.name.removesuffix(".html.gz") for p in (workdir / "raw").rglob("*.html.gz")}
    assert hashes <= archived


def test_catalogue_files_hold_the_seed_meetings_without_personal_data(first_run) -> None:
    workdir, _ = first_run
    catalogue = workdir / "catalogue"
    names = {p.name for p in catalogue.iterdir()}
    assert {"meetings.csv", "meetings.json", "summaries.csv", "index.html"} <= names
    csv_text = (catalogue / "meetings.csv").read_text(encoding="utf-8-sig")
    assert "2024-05-28,,17:30,20:00,Oasen" in csv_text
    assert "Fontänhuset" in (catalogue / "index.html").read_text(encoding="utf-8")
    assert find_in_release(catalogue, PERSONAL_DATA) == {}  # every file, releases and Parquet included


def test_second_run_changes_no_row_counts(first_run, demo_registry_file) -> None:
    workdir, _ = first_run
    before = query(
        workdir,
        "SELECT (SELECT count(*) FROM meetings), (SELECT count(*) FROM pages), "
        "(SELECT count(*) FROM summaries), (SELECT min(first_seen_at) FROM meetings)",
    )
    run_collect(demo_registry_file, workdir)
    after = query(
        workdir,
        "SELECT (SELECT count(*) FROM meetings), (SELECT count(*) FROM pages), "
        "(SELECT count(*) FROM summaries), (SELECT min(first_seen_at) FROM meetings)",
    )
    assert after == before
    assert query(workdir, "SELECT count(*) FROM runs") == [(2,)]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_broken_sources_do_not_stop_the_good_one(prefect_server, demo_registry_file, tmp_path) -> None:
    data = yaml.safe_load(demo_registry_file.read_text(encoding="utf-8"))
    good = next(s for s in data["sources"] if s["id"] == "nordmaling-socialtjansten")
    unreachable = {
        **good,
        "id": "unreachable",
        "start_urls": [f"http://127.0.0.1:{_closed_port()}/nyheter.html"],
    }
    outside = {**good, "id": "not-allowed-private", "allow_private_network": False}
    data["sources"] = [unreachable, outside, good]
    registry = tmp_path / "mixed.yaml"
    registry.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    summary = run_collect(registry, tmp_path)

    assert summary.meetings == 1
    assert any(e.startswith("unreachable: ") and "connection failed" in e for e in summary.errors)
    assert any(e.startswith("not-allowed-private: ") and "non-public address" in e for e in summary.errors)
    assert query(tmp_path, "SELECT source_id, meeting_date FROM meetings") == [
        ("nordmaling-socialtjansten", date(2024, 5, 28))
    ]
    assert "2024-05-28" in (tmp_path / "catalogue" / "meetings.csv").read_text(encoding="utf-8-sig")


class RecordingDisplay:
    """A progress display that keeps what the flow told it, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def run_started(self, total_sources: int) -> None:
        self.events.append(("run", str(total_sources)))

    def source_finished(self, done: object) -> None:
        self.events.append(("source", f"{done.source_id}: {done.line}"))

    def step_started(self, step: str) -> None:
        self.events.append(("step", step))

    def run_finished(self) -> None:
        self.events.append(("end", ""))

    def sources(self) -> list[str]:
        return [text.split(":")[0] for kind, text in self.events if kind == "source"]


def run_watched(registry: Path, workdir: Path) -> tuple[object, RecordingDisplay]:
    from flows import progress

    with progress.showing(RecordingDisplay()) as display:
        summary = run_collect(registry, workdir)
    return summary, display


def test_sources_with_nothing_new_are_shown_as_they_are_crawled_and_counted_once(
    prefect_server, demo_registry_file, tmp_path
) -> None:
    run_collect(demo_registry_file, tmp_path)
    summary, display = run_watched(demo_registry_file, tmp_path)

    assert sorted(display.sources()) == sorted(summary.per_source)  # each source once
    recording = next(i for i, (kind, text) in enumerate(display.events) if text.startswith("Recording "))
    quiet = [text for kind, text in display.events[:recording] if "nothing new" in text]
    assert quiet, display.events  # shown during the crawl, before the shared load after it
    assert all("0 fetched" in line for line in quiet)
    assert not [e for e in display.events[recording:] if e[0] == "source"]


def test_unchanged_sources_are_loaded_one_by_one_when_their_shared_load_fails(
    prefect_server, demo_registry_file, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.collect

    run_collect(demo_registry_file, tmp_path)

    refused: list[int] = []

    def refuse(con: object, quiet: list[object], *args: object) -> None:
        refused.append(len(quiet))
        raise RuntimeError("the shared transaction was refused")

    monkeypatch.setattr(flows.collect, "load_unchanged_sources", refuse)
    summary, display = run_watched(demo_registry_file, tmp_path)

    assert refused and refused[0] > 0  # the demo's second run has unchanged sources to load
    assert summary.exit_code == 0 and not summary.errors
    sources = yaml.safe_load(demo_registry_file.read_text(encoding="utf-8"))["sources"]
    assert set(summary.per_source) == {s["id"] for s in sources}
    assert sorted(display.sources()) == sorted(summary.per_source)  # shown once, not again when loaded alone
    assert query(
        tmp_path,
        f"SELECT count(*) FROM source_runs WHERE run_id = '{summary.run_id}'",
    )[0][0] == len(summary.per_source)
    assert query(tmp_path, f"SELECT count(*) > 0 FROM fetch_log WHERE run_id = '{summary.run_id}'") == [
        (True,)
    ]
