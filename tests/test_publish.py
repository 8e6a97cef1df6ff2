"""Catalogue rendering, piece by piece: CSV cells, escaping in pages, calendars and RDF."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import icalendar
import rdflib
from rdflib.compare import isomorphic

from tests.catalogue_support import catalogue_config
from tests.conftest import PROJECT_ROOT
from warehouse.catalogue.build import topic_labels
from warehouse.catalogue.events import script_json
from warehouse.catalogue.history import PreviousRelease, ReleaseMeta, apply_history, count_changes
from warehouse.catalogue.ics import MAX_OCTETS, render_calendar
from warehouse.catalogue.page import PageContext, activity_chart, human_size, render_index
from warehouse.catalogue.rdf import IRI, Graph, Literal, to_rdfxml, to_turtle
from warehouse.catalogue.rows import Snapshot, local_datetime, public_row
from warehouse.catalogue.schema import MEETINGS
from warehouse.catalogue.tabular import render_csv, safe_cell
from warehouse.publish import publish_catalogue

HOSTILE = {
    "meeting_id": "m-0123456789abcdef",
    "uid": "m-0123456789abcdef@example.se",
    "revision": 0,
    "municipality": "Exempelby",
    "municipality_code": "9999",
    "title": "<script>alert(1)</script>",
    "date": "2030-01-01",
    "month_day": None,
    "start": "18:00",
    "end": None,
    "place": "Café <b>Oasen</b> & Co",
    "address": None,
    "attendance": "online",
    "status": "scheduled",
    "topics": ["addiction"],
    "theme": None,
    "organiser": None,
    "start_at": "2030-01-01T18:00:00+01:00",
    "end_at": None,
    "previous_date": None,
    "page_url": 'https://x.se/"onmouseover="alert(1)',
    "source_id": "x",
    "year_basis": "stated",
    "first_seen_at": "2029-12-01T06:00:00Z",
    "revised_at": "2029-12-01T06:00:00Z",
}


def test_publish_catalogue_is_importable_where_the_flow_finds_it() -> None:
    from warehouse.catalogue import publish_catalogue as package_entry

    assert publish_catalogue is package_entry


def test_csv_has_bom_and_keeps_swedish_letters() -> None:
    data = render_csv([{"title": "Dialogmöte på Åsgården"}], ("title",))
    assert data.startswith("\ufeff".encode())
    assert "Dialogmöte på Åsgården" in data.decode("utf-8-sig")


def test_formula_cells_are_neutralised() -> None:
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_cell("+46 123") == "'+46 123"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("-1+1") == "'-1+1"
    assert safe_cell("Oasen") == "Oasen"
    assert safe_cell(["addiction", "mental_health"]) == "addiction;mental_health"
    assert safe_cell(True) == "true" and safe_cell(None) == ""


def test_public_row_removes_personal_contacts_from_prose() -> None:
    row = public_row(
        {"title": "Dialog – frågor till anna.svensson@kommun.se eller 070-123 45 67", "place": "Oasen"},
        MEETINGS,
    )
    assert "anna.svensson" not in row["title"] and "070-123 45 67" not in row["title"]
    assert row["place"] == "Oasen"


def test_local_times_carry_the_swedish_offset_of_their_day() -> None:
    assert local_datetime("2024-05-28", "17:30") == "2024-05-28T17:30:00+02:00"
    assert local_datetime("2025-01-14", "18:00") == "2025-01-14T18:00:00+01:00"
    assert local_datetime(None, "18:00") is None


def _context(meetings: list[dict], invitations: list[dict] | None = None) -> PageContext:
    municipalities = [
        {
            "municipality_code": "9999",
            "municipality": "Exempelby",
            "meetings": len(meetings),
            "dialogue_meetings": sum(1 for m in meetings if m.get("activity") in ("dialogue", "council")),
            "summaries": 0,
            "invitations": len(invitations or []),
        }
    ]
    snapshot = Snapshot(meetings, [], [], municipalities, [], invitations=invitations or [])
    return PageContext(catalogue_config(), snapshot, topic_labels(), "2029-12-01T06:00:00Z", "r1", {}, {})


def test_index_escapes_scraped_text() -> None:
    page = render_index(_context([HOSTILE])).decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '"onmouseover="' not in page
    assert "Café &lt;b&gt;Oasen&lt;/b&gt; &amp; Co" in page


def test_dialogue_activity_counts_and_chart_leave_committees_and_information_out() -> None:
    kinds = ("dialogue", "council", "committee", "information", "other", "dialogue")
    meetings = [
        {**HOSTILE, "meeting_id": f"m-{n}", "uid": f"m-{n}@x", "activity": kind, "date": f"2030-0{n + 1}-01"}
        for n, kind in enumerate(kinds)
    ]
    page = render_index(_context(meetings)).decode()
    assert "6 möten, varav 3 dialog och råd" in page
    chart = re.search(r"<details>.*?</details>", page, re.S).group(0)
    assert re.findall(r"<tr><td>(\d{4}-\d{2})</td><td>(\d+)</td></tr>", chart) == [
        ("2030-01", "1"),
        ("2030-02", "1"),
        ("2030-06", "1"),
    ]
    options = re.findall(
        r'<option value="(\w+)">', page.split('id="filter-aktivitet"')[1].split("</select>")[0]
    )
    assert options == ["dialogue", "council", "committee", "information", "other"]
    rows = re.findall(r'data-activity="(\w+)"', page)
    assert sorted(rows) == sorted(kinds)


def test_invitations_section_lists_open_invitations_without_personal_data() -> None:
    invitation = {
        "invitation_id": "i-0123456789abcdef",
        "municipality": "Exempelby",
        "municipality_code": "9999",
        "title": "Vi vill höra från dig <b>nu</b>",
        "topics": ["addiction"],
        "channels": ["e_service", "email"],
        "mailbox": "socialtjansten@exempelby.se",
        "deadline": "2030-02-01",
        "published": "2029-11-01",
        "page_url": "https://www.exempelby.se/inbjudan.html",
    }
    page = render_index(_context([HOSTILE], [invitation])).decode()
    section = page.split('id="h-invitations"')[1].split("</section>")[0]
    assert "Vi vill höra från dig &lt;b&gt;nu&lt;/b&gt;" in section
    assert "E-tjänst, E-post" in section and "mailto:socialtjansten@exempelby.se" in section
    assert "2030-02-01" in section
    assert "1 öppen inbjudan" in page


def test_json_ld_in_a_page_cannot_close_its_script_element() -> None:
    text = script_json({"name": "</script><script>alert(1)</script>", "x": "a & b"})
    assert "</script>" not in text and "<" not in text and "&" not in text
    assert json.loads(text)["name"] == "</script><script>alert(1)</script>"


def test_calendar_text_is_escaped_and_folded_at_75_octets() -> None:
    meeting = {**HOSTILE, "title": "Träff; med, komma\\och\nrad " + "åäö" * 40}
    raw = render_calendar([meeting], "Test", topic_labels().label, "Beskrivning")
    assert all(len(line) <= MAX_OCTETS for line in raw.split(b"\r\n"))
    assert b"SUMMARY:Tr\xc3\xa4ff\\; med\\, komma\\\\och\\nrad" in raw
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == meeting["title"]


def test_all_day_events_leave_the_day_free_and_timed_ones_use_the_stockholm_zone() -> None:
    all_day = {**HOSTILE, "uid": "m-1@example.se", "meeting_id": "m-1", "start": None, "date": "2030-07-01"}
    raw = render_calendar([HOSTILE, all_day], "Test", topic_labels().label, "Beskrivning")
    calendar = icalendar.Calendar.from_ical(raw)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert str(events["m-1@example.se"]["TRANSP"]) == "TRANSPARENT"
    assert str(events[HOSTILE["uid"]]["TRANSP"]) == "OPAQUE"
    assert b"DTSTART;VALUE=DATE:20300701" in raw and b"DTEND;VALUE=DATE:20300702" in raw
    assert b"DTSTART;TZID=Europe/Stockholm:20300101T180000" in raw
    zones = calendar.walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["Europe/Stockholm"]
    # The generated zone covers the meetings' years: winter time in January, summer time in July.
    offsets = {str(c["TZNAME"]) for c in zones[0].subcomponents}
    assert offsets == {"CET", "CEST"}
    assert events[HOSTILE["uid"]].decoded("DTSTART").utcoffset().total_seconds() == 3600


def test_calendar_carries_the_activity_as_a_category() -> None:
    raw = render_calendar([{**HOSTILE, "activity": "council"}], "Test", topic_labels().label, "B")
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    categories = [list(c.cats) for c in event["CATEGORIES"]]
    assert categories[0] == ["Råd"]
    assert str(event["X-KOMMUNDIALOG-ACTIVITY"]) == "council"


def test_calendar_of_a_hostile_meeting_parses_back_to_the_same_text() -> None:
    raw = render_calendar([HOSTILE], "Test", topic_labels().label, "Beskrivning, med komma")
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "<script>alert(1)</script>"
    assert str(event["LOCATION"]) == "Café <b>Oasen</b> & Co"
    assert str(event["UID"]) == HOSTILE["uid"]


def test_rdf_writers_escape_literals_and_agree() -> None:
    graph = Graph()
    subject = IRI("https://example.se/dataset/x")
    title = Literal('Tre "citat" & <taggar>\nrad två', lang="sv")
    graph.add((subject, IRI("http://purl.org/dc/terms/title"), title))
    graph.add((subject, IRI("http://purl.org/dc/terms/identifier"), Literal("x-1")))
    prefixes = {"dct": "http://purl.org/dc/terms/"}
    xml = rdflib.Graph().parse(data=to_rdfxml(graph, prefixes), format="xml")
    turtle = rdflib.Graph().parse(data=to_turtle(graph, prefixes), format="turtle")
    assert isomorphic(xml, turtle)
    assert (
        str(xml.value(rdflib.URIRef(subject), rdflib.URIRef("http://purl.org/dc/terms/title")))
        == 'Tre "citat" & <taggar>\nrad två'
    )


def test_rdf_bytes_do_not_depend_on_the_order_triples_were_added_or_the_hash_seed() -> None:
    program = """
import sys
from warehouse.catalogue.rdf import IRI, Graph, Literal, to_rdfxml, to_turtle
triples = [(IRI(f"https://example.se/d/{n}"), IRI(f"http://purl.org/dc/terms/{p}"), Literal(f"{n}{p}", lang="sv"))
           for n in range(6) for p in ("title", "description", "identifier")]
if sys.argv[1] == "reversed":
    triples.reverse()
graph = Graph()
for triple in triples:
    graph.add(triple)
prefixes = {"dct": "http://purl.org/dc/terms/", "dcat": "http://www.w3.org/ns/dcat#"}
sys.stdout.buffer.write(to_rdfxml(graph, prefixes) + to_turtle(graph, prefixes))
"""
    outputs = set()
    for seed, order in (("1", "forward"), ("2", "reversed"), ("3", "forward")):
        result = subprocess.run(
            [sys.executable, "-c", program, order],
            capture_output=True,
            check=True,
            cwd=PROJECT_ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_sizes_read_the_swedish_way() -> None:
    assert human_size(850) == "850 byte"
    assert human_size(2150) == "2,1 kB"
    assert human_size(1_300_000) == "1,3 MB"


def test_chart_counts_meetings_per_month_over_the_whole_span() -> None:
    meetings = [{"date": d} for d in ("2024-01-05", "2024-01-20", "2024-03-02")] + [{"date": None}]
    chart = activity_chart(meetings)
    assert [(b["month"], b["count"]) for b in chart["bars"]] == [
        ("2024-01", 2),
        ("2024-02", 0),
        ("2024-03", 1),
    ]
    assert chart["rows"] == [("2024-01", 2), ("2024-03", 1)]
    across_new_year = activity_chart([{"date": "2023-11-30"}, {"date": "2024-02-01"}])
    assert [b["month"] for b in across_new_year["bars"]] == ["2023-11", "2023-12", "2024-01", "2024-02"]


def test_history_keeps_uids_and_counts_a_retitle_as_a_change() -> None:
    first = apply_history([dict(HOSTILE)], [], "example.se", "2029-12-01T06:00:00Z")
    assert first[0]["revision"] == 0 and first[0]["uid"] == "m-0123456789abcdef@example.se"
    retitled = apply_history([{**HOSTILE, "title": "Nytt"}], first, "example.se", "2029-12-02T06:00:00Z")
    assert (retitled[0]["uid"], retitled[0]["revision"], retitled[0]["revised_at"]) == (
        first[0]["uid"],
        1,
        "2029-12-02T06:00:00Z",
    )
    previous = PreviousRelease(meetings=first, meta=ReleaseMeta("r1", "2029-12-01T06:00:00Z"))
    assert count_changes(retitled, previous, set()).changed == 1
