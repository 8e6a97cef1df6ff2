"""The published catalogue against the standards its users validate with.

Frictionless for datapackage.json, pyshacl with the official DCAT-AP 3.0.1
shapes (from ../shared, skipped when absent) plus DCAT-AP-SE's own rules,
the icalendar library for the calendars, and a scan of every file for
personal data.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, time
from pathlib import Path
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import icalendar
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import rdflib
from rdflib.compare import isomorphic

from tasks.records import PageExtraction
from tasks.registry import load_registry
from tests.catalogue_support import (
    LOADED_AT,
    REGISTRY,
    catalogue_config,
    copy_warehouse,
    load_extraction,
    load_seed_pages,
    make_meeting,
)
from tests.conftest import PERSONAL_DATA, PROJECT_ROOT
from warehouse.catalogue.docs import render_data_dictionary
from warehouse.catalogue.privacy import PersonalDataError, find_in_release, guard_rows
from warehouse.catalogue.publish import publish_catalogue
from warehouse.db import open_warehouse

SHAPES = PROJECT_ROOT.parent / "shared" / "dcat-ap-shacl" / "dcat-ap-3.0.1"
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
FOAF = rdflib.Namespace("http://xmlns.com/foaf/0.1/")
RDF = rdflib.Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
CC0 = rdflib.URIRef("http://creativecommons.org/publicdomain/zero/1.0/")
FILE_TYPES = "http://publications.europa.eu/resource/authority/file-type/"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
HOSTILE_PAGE = "https://www.nordmaling.se/nyheter/nyheter/2025-01-10-dialog.html"
HOSTILE_TITLE = '=HYPERLINK("http://evil.example")<script>alert(1)</script>'


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed pages plus one hostile page, published once for every test here."""
    root = tmp_path_factory.mktemp("standards")
    db = root / "kd.duckdb"
    load_seed_pages(db)
    source = load_registry(REGISTRY).sources[0]
    hostile = make_meeting(
        HOSTILE_PAGE,
        date(2025, 1, 14),
        title=HOSTILE_TITLE,
        theme="Frågor till anna.svensson@nordmaling.se eller 070-123 45 67; anmälan till ifo@nordmaling.se",
        place="Café <b>Oasen</b> & Co",
        speakers="Anna Svensson, enhetschef",
        start=time(18, 0),
        end=time(19, 30),
        attendance="hybrid",
        status="cancelled",
    )
    extraction = PageExtraction(
        url=HOSTILE_PAGE, title="Dialog", kind="meeting", published=None, meetings=(hostile,)
    )
    load_extraction(db, source, extraction, LOADED_AT, "run-hostile")
    out = root / "catalogue"
    with open_warehouse(db) as con:
        publish_catalogue(con, out, LOADED_AT, catalogue_config())
    return out


def rows(out: Path, table: str) -> list[dict]:
    return [json.loads(line) for line in (out / f"{table}.jsonl").read_text(encoding="utf-8").splitlines()]


# --- Frictionless -------------------------------------------------------------------------------


def test_frictionless_validate_passes_on_the_data_package(published: Path) -> None:
    cli = Path(sys.executable).parent / "frictionless"
    result = subprocess.run(
        [str(cli), "validate", "datapackage.json"], cwd=published, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "INVALID" not in result.stdout and result.stdout.count("VALID") == 6  # five tables and coverage


def test_frictionless_catches_a_broken_foreign_key_and_checksum(published: Path, tmp_path: Path) -> None:
    from frictionless import Package

    copy = tmp_path / "copy"
    copy.mkdir()
    for name in (
        "datapackage.json",
        "meetings.csv",
        "summaries.csv",
        "agenda_items.csv",
        "invitations.csv",
        "municipalities.csv",
        "coverage.csv",
    ):
        (copy / name).write_bytes((published / name).read_bytes())
    text = (copy / "meetings.csv").read_text(encoding="utf-8-sig").replace(",2401,", ",9999,")
    (copy / "meetings.csv").write_text("\ufeff" + text, encoding="utf-8", newline="")
    report = Package(str(copy / "datapackage.json")).validate()
    kinds = {error.type for task in report.tasks for error in task.errors}
    assert {"foreign-key", "hash-count"} <= kinds


def test_the_package_declares_types_keys_sizes_and_hashes(published: Path) -> None:
    package = json.loads((published / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in package["resources"]}
    assert set(resources) == {
        "meetings",
        "summaries",
        "agenda_items",
        "invitations",
        "municipalities",
        "coverage",
    }
    meetings = resources["meetings"]
    assert meetings["schema"]["primaryKey"] == ["meeting_id"]
    assert meetings["schema"]["foreignKeys"][0]["reference"] == {
        "resource": "municipalities",
        "fields": ["municipality_code"],
    }
    fields = {f["name"]: f for f in meetings["schema"]["fields"]}
    assert fields["date"]["type"] == "date" and fields["start"]["format"] == "%H:%M"
    assert fields["status"]["constraints"]["enum"] == ["scheduled", "cancelled", "postponed"]
    for resource in resources.values():
        content = (published / resource["path"]).read_bytes()
        assert resource["bytes"] == len(content)
        assert resource["hash"] == "sha256:" + hashlib.sha256(content).hexdigest()
    assert package["licenses"][0]["path"] == str(CC0)


# --- Tables ---------------------------------------------------------------------------------------


def test_csv_is_excel_friendly_iso_and_formula_safe(published: Path) -> None:
    raw = (published / "meetings.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    hostile = next(r for r in table if r["date"] == "2025-01-14")
    assert hostile["title"] == "'" + HOSTILE_TITLE
    assert hostile["start_at"] == "2025-01-14T18:00:00+01:00"
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", r["first_seen_at"]) for r in table)
    assert "2024-05-28,,17:30,20:00,Oasen" in raw.decode("utf-8-sig")


def test_parquet_and_json_lines_hold_the_same_typed_rows(published: Path) -> None:
    table = pq.read_table(published / "meetings.parquet")
    assert table.schema.field("date").type == pa.date32()
    assert table.schema.field("start").type == pa.time32("ms")
    assert table.schema.field("first_seen_at").type == pa.timestamp("ms", tz="UTC")
    assert table.schema.field("topics").type == pa.list_(pa.string())
    records = table.to_pylist()
    assert [r["meeting_id"] for r in records] == [r["meeting_id"] for r in rows(published, "meetings")]
    oasen = next(r for r in records if r["place"] == "Oasen")
    assert (oasen["date"], oasen["start"]) == (date(2024, 5, 28), time(17, 30))
    assert oasen["start_at"] == datetime(2024, 5, 28, 15, 30, tzinfo=UTC)


def test_agenda_items_and_municipalities_come_from_the_warehouse(published: Path) -> None:
    items = rows(published, "agenda_items")
    assert [i["title"] for i in items][:2] == [
        "Information om våra tidiga insatser",
        "Information om romsk inkludering",
    ]
    assert all(i["summary_id"] == items[0]["summary_id"] and not i["confidential"] for i in items)
    municipalities = {m["municipality_code"]: m for m in rows(published, "municipalities")}
    assert set(municipalities) == {"0581", "1283", "2121", "2401"}
    assert municipalities["2401"]["municipality"] == "Nordmaling"
    assert municipalities["1283"]["meetings"] == 5


def test_checksums_verify_with_sha256sum(published: Path) -> None:
    result = subprocess.run(
        ["sha256sum", "--check", "--strict", "SHA256SUMS"],
        cwd=published / "latest",
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "index.html: OK" in result.stdout and "kommun/2401/meetings.ics: OK" in result.stdout


def test_the_data_dictionary_in_docs_is_the_generated_one(published: Path) -> None:
    generated = render_data_dictionary()
    assert (published / "DATA-DICTIONARY.md").read_bytes() == generated
    assert (PROJECT_ROOT / "docs" / "catalogue-dictionary.md").read_bytes() == generated, (
        "docs/catalogue-dictionary.md is stale: regenerate it with "
        "`.venv/bin/python -c 'import sys; from warehouse.catalogue.docs import render_data_dictionary as r; "
        "sys.stdout.buffer.write(r())' > docs/catalogue-dictionary.md`"
    )


# --- Calendars ------------------------------------------------------------------------------------


def test_meetings_ics_parses_with_stable_uids_sequences_and_stockholm_times(published: Path) -> None:
    raw = (published / "meetings.ics").read_bytes()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    calendar = icalendar.Calendar.from_ical(raw)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Stockholm"]
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    meetings = {m["uid"]: m for m in rows(published, "meetings") if m["date"]}
    assert set(events) == set(meetings)
    for uid, event in events.items():
        meeting = meetings[uid]
        assert int(event["SEQUENCE"]) == meeting["revision"]
        assert event["DTSTAMP"].dt == datetime.fromisoformat(meeting["revised_at"])
        start = event["DTSTART"].dt
        if meeting["start_at"]:
            assert start == datetime.fromisoformat(meeting["start_at"])
            assert (
                start.utcoffset()
                == datetime.fromisoformat(meeting["start_at"]).astimezone(STOCKHOLM).utcoffset()
            )
        else:
            assert start == date.fromisoformat(meeting["date"])
    hostile = next(e for e in events.values() if "evil" in str(e["SUMMARY"]))
    assert str(hostile["STATUS"]) == "CANCELLED" and str(hostile["SUMMARY"]).startswith("INSTÄLLT: ")
    assert hostile["DTSTART"].dt.astimezone(UTC) == datetime(2025, 1, 14, 17, 0, tzinfo=UTC)


def test_every_municipality_has_its_own_calendar(published: Path) -> None:
    for municipality in rows(published, "municipalities"):
        code = municipality["municipality_code"]
        calendar = icalendar.Calendar.from_ical((published / "kommun" / code / "meetings.ics").read_bytes())
        expected = {
            m["uid"] for m in rows(published, "meetings") if m["municipality_code"] == code and m["date"]
        }
        assert {str(e["UID"]) for e in calendar.walk("VEVENT")} == expected
        assert municipality["calendar_url"].endswith(f"kommun/{code}/meetings.ics")


# --- Linked data ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog(published: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(published / "catalog.rdf", format="xml")


def _shapes(*names: str) -> rdflib.Graph:
    if not SHAPES.is_dir():
        pytest.skip(f"{SHAPES} is absent: the DCAT-AP SHACL shapes live in ../shared")
    graph = rdflib.Graph()
    for name in names:
        graph.parse(SHAPES / name, format="turtle")
    # The combined file has two sh:property references without a shape behind them (SEMICeu/DCAT-AP#448).
    for triple in list(graph.triples((None, SH["property"], None))):
        if (triple[2], SH["path"], None) not in graph:
            graph.remove(triple)
    return graph


@pytest.mark.parametrize(
    "shapes",
    [("html-shacl/shapes.ttl",), ("html-shacl/range.ttl",), ("shacl/dcat-ap-SHACL.ttl",)],
    ids=["mandatory", "ranges", "combined"],
)
def test_catalogue_conforms_to_the_dcat_ap_3_shapes(catalog: rdflib.Graph, shapes: tuple[str, ...]) -> None:
    import pyshacl

    conforms, _, report = pyshacl.validate(catalog, shacl_graph=_shapes(*shapes), inference="rdfs")
    assert conforms, report


def test_catalogue_meets_the_recommended_shapes_without_violations(catalog: rdflib.Graph) -> None:
    import pyshacl

    _, results, report = pyshacl.validate(catalog, shacl_graph=_shapes("html-shacl/shapes_recommended.ttl"))
    assert not list(results.subjects(SH["resultSeverity"], SH["Violation"])), report


def test_turtle_and_rdf_xml_say_the_same(published: Path, catalog: rdflib.Graph) -> None:
    turtle = rdflib.Graph().parse(published / "catalog.ttl", format="turtle")
    assert isomorphic(catalog, turtle)


def test_catalogue_follows_dcat_ap_se_rules(published: Path, catalog: rdflib.Graph) -> None:
    nodes = {n for triple in catalog for n in triple if not isinstance(n, rdflib.Literal)}
    assert not [n for n in nodes if isinstance(n, rdflib.BNode)], "DCAT-AP-SE: no blank nodes"
    assert all(re.match(r"^(https?|mailto):", str(n)) for n in nodes), "absolute IRIs only"
    (cat,) = catalog.subjects(RDF["type"], DCAT["Catalog"])
    for prop in (DCTERMS["title"], DCTERMS["description"], DCTERMS["publisher"]):
        assert catalog.value(cat, prop) is not None, prop
    assert set(catalog.objects(cat, DCTERMS["license"])) == {CC0}, "the catalogue's licence must be CC0"
    datasets = set(catalog.objects(cat, DCAT["dataset"]))
    assert len(datasets) == 5
    for dataset in datasets:
        for prop in (DCTERMS["title"], DCTERMS["description"], DCTERMS["publisher"]):
            assert catalog.value(dataset, prop) is not None, (dataset, prop)
        uuid.UUID(str(catalog.value(dataset, DCTERMS["identifier"])))
        for dist in catalog.objects(dataset, DCAT["distribution"]):
            assert catalog.value(dist, DCAT["accessURL"]) is not None
            assert str(catalog.value(dist, DCTERMS["format"])).startswith(FILE_TYPES)
            url = str(catalog.value(dist, DCAT["downloadURL"]))
            local = published / url.removeprefix("https://data.exempel.se/kommundialog/")
            assert int(catalog.value(dist, DCAT["byteSize"])) == len(local.read_bytes())
    for publisher in set(catalog.objects(None, DCTERMS["publisher"])):
        assert (publisher, RDF["type"], FOAF["Agent"]) in catalog
        assert catalog.value(publisher, FOAF["name"]) is not None
        assert str(catalog.value(publisher, DCTERMS["type"])).startswith(
            "http://purl.org/adms/publishertype/"
        )


def test_dataset_identifiers_stay_the_same_across_releases(published: Path, tmp_path: Path) -> None:
    db = tmp_path / "kd.duckdb"
    load_seed_pages(db)
    with open_warehouse(db) as con:
        publish_catalogue(con, tmp_path / "other", datetime(2030, 1, 1, tzinfo=UTC), catalogue_config())

    def identifiers(path: Path) -> set[str]:
        graph = rdflib.Graph().parse(path, format="xml")
        return {str(o) for o in graph.objects(None, DCTERMS["identifier"])}

    assert identifiers(published / "catalog.rdf") == identifiers(tmp_path / "other" / "catalog.rdf")


def test_events_are_schema_org_with_status_mode_location_and_organizer(published: Path) -> None:
    events = json.loads((published / "events.jsonld").read_text(encoding="utf-8"))
    assert events["@context"] == "https://schema.org"
    by_name = {e["name"]: e for e in events["@graph"]}
    oasen = next(e for e in events["@graph"] if e["location"][0]["name"] == "Oasen")
    assert (
        oasen["startDate"] == "2024-05-28T17:30:00+02:00" and oasen["endDate"] == "2024-05-28T20:00:00+02:00"
    )
    assert oasen["eventStatus"] == "https://schema.org/EventScheduled"
    assert oasen["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert oasen["organizer"] == {"@type": "Organization", "name": "Socialtjänsten"}
    hostile = by_name[HOSTILE_TITLE]
    assert hostile["eventStatus"] == "https://schema.org/EventCancelled"
    assert [place["@type"] for place in hostile["location"]] == ["Place", "VirtualLocation"]
    page = (published / "index.html").read_text(encoding="utf-8")
    embedded = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    assert "<script>" not in embedded and json.loads(embedded)["@graph"]


def test_atom_feed_lists_new_changed_and_cancelled_meetings(published: Path) -> None:
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ElementTree.fromstring((published / "feed.atom").read_bytes())
    assert datetime.fromisoformat(feed.findtext(f"{atom}updated")) == LOADED_AT
    entries = feed.findall(f"{atom}entry")
    assert len(entries) == len(rows(published, "meetings"))
    titles = [e.findtext(f"{atom}title") for e in entries]
    assert any(t.startswith("Inställt: =HYPERLINK") for t in titles)
    assert any(t.startswith("Nytt: Inbjudan till dialogmöte") for t in titles)
    assert len({e.findtext(f"{atom}id") for e in entries}) == len(entries)


# --- Personal data --------------------------------------------------------------------------------


def test_no_published_file_holds_personal_data(published: Path) -> None:
    needles = (*PERSONAL_DATA, "anna.svensson@nordmaling.se", "070-123 45 67", "Anna Svensson")
    assert find_in_release(published, needles) == {}
    assert "ifo@nordmaling.se" in (published / "meetings.csv").read_text(encoding="utf-8-sig")


def test_the_guard_stops_a_publish_that_would_leak_a_personal_address() -> None:
    with pytest.raises(PersonalDataError, match=r"meetings.theme: email anna.svensson@kommun.se"):
        guard_rows({"meetings": [{"theme": "Frågor: anna.svensson@kommun.se", "place": "ifo@kommun.se"}]})
    guard_rows({"meetings": [{"theme": "Frågor: ifo@kommun.se eller 0930-140 00"}]})


def test_a_second_warehouse_copy_publishes_the_same_bytes(published: Path, tmp_path: Path) -> None:
    """Reproducibility across processes' state: rebuilding the seed catalogue elsewhere gives equal files."""
    db = copy_warehouse(published.parent / "kd.duckdb", tmp_path)
    with open_warehouse(db) as con:
        publish_catalogue(con, tmp_path / "again", LOADED_AT, catalogue_config())
    for name in (
        "meetings.ics",
        "catalog.rdf",
        "catalog.ttl",
        "feed.atom",
        "invitations.csv",
        "datapackage.json",
        "index.html",
        "SHA256SUMS",
    ):
        assert (tmp_path / "again" / name).read_bytes() == (published / name).read_bytes(), name
